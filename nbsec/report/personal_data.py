"""The personal-data section: per DataFrame (scanned in the kernel) and per saved output table or
text, the columns holding personal data with entity types, prevalence, score and masked examples.

Frames come from the kernel session. Saved outputs come from the static findings (NBS-PII-002
tables, NBS-PII-003 text): a table with a finding is parsed again and its columns scanned by the
PII engine for the per-column detail; text keeps the finding's entity types and masked evidence.
Examples are always the engine's masked forms, never values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nbsec.findings import Finding
from nbsec.policy import Policy
from nbsec.report.cell_labels import cell_label, where
from nbsec.report.evidence import Evidence
from nbsec.report.model import PersonalDataSection, PiiColumn, PiiEntity, PiiTable

FRAME_RULE = "NBS-PII-001"
TABLE_RULE = "NBS-PII-002"
TEXT_RULE = "NBS-PII-003"


def _entities(items: Any) -> list[PiiEntity]:
    out: list[PiiEntity] = []
    for item in items or []:
        if isinstance(item, Mapping) and isinstance(item.get("type"), str):
            out.append(
                PiiEntity(
                    type=str(item["type"]),
                    score=_number(item.get("score")),
                    fraction=_number(item.get("fraction")),
                )
            )
    return out


def _number(value: Any) -> float | None:
    return round(float(value), 4) if isinstance(value, int | float) else None


def _frame_tables(evidence: Evidence, status: Mapping[str, str]) -> list[PiiTable]:
    session = evidence.session
    if session is None:
        return []
    tables: list[PiiTable] = []
    for name, summary in sorted(session.frames.items()):
        pii = summary.get("pii_columns") or {}
        if not isinstance(pii, Mapping) or not pii:
            continue
        mine = [
            f
            for f in evidence.findings
            if f.rule == FRAME_RULE and f.message.startswith(f"frame {name!r} ")
        ]
        columns = [
            PiiColumn(
                name=str(column),
                entities=_entities(info.get("entities")),
                examples=[str(x) for x in info.get("examples") or []][:3],
            )
            for column, info in pii.items()
            if isinstance(info, Mapping)
        ]
        tables.append(
            PiiTable(
                kind="frame",
                name=name,
                where=where(mine[0]) if mine else "the kernel session",
                # after a Spark or Dask first look, ``rows`` are the rows looked at
                rows=_int(summary.get("rows")) if summary.get("rows_known", True) else None,
                rows_scanned=_int(summary.get("rows_scanned")),
                columns=columns,
                status=_status(mine, status),
            )
        )
    return tables


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _status(findings: list[Finding], status: Mapping[str, str]) -> str:
    states = {status.get(f.fingerprint, "active") for f in findings}
    return "active" if "active" in states or not states else "waived"


def _wanted(entity: str, score: float, policy: Policy) -> bool:
    from nbsec.source.output_pii import IGNORED_ENTITIES

    if entity in IGNORED_ENTITIES or score < policy.pii.min_score:
        return False
    return not policy.pii.entities or entity in policy.pii.entities


def _output_tables(evidence: Evidence, status: Mapping[str, str]) -> list[PiiTable]:
    by_output: dict[tuple[int, int, str], list[Finding]] = {}
    for finding in evidence.findings:
        loc = finding.location
        if (
            finding.rule in (TABLE_RULE, TEXT_RULE)
            and loc.cell_index is not None
            and loc.output_index is not None
        ):
            by_output.setdefault((loc.cell_index, loc.output_index, finding.rule), []).append(
                finding
            )
    tables: list[PiiTable] = []
    for (cell_index, output_index, rule), findings in sorted(by_output.items()):
        cell = evidence.notebook.cells[cell_index]
        label = f"{cell_label(cell_index, cell.id)}, output {output_index + 1}"
        if rule == TABLE_RULE:
            columns, rows = _rescan_tables(evidence, cell_index, output_index)
            if not columns:  # the engine changed its mind; keep what the finding said
                columns = [_column_from_finding(f) for f in findings]
            kind = "output table"
        else:
            columns, rows = [_line_from_finding(f) for f in findings], None
            kind = "output text"
        tables.append(
            PiiTable(
                kind=kind,
                name=label,
                where=label,
                rows=rows,
                rows_scanned=rows,
                columns=columns,
                status=_status(findings, status),
            )
        )
    return tables


def _rescan_tables(
    evidence: Evidence, cell_index: int, output_index: int
) -> tuple[list[PiiColumn], int | None]:
    from nbsec.source.html_tables import parse_tables
    from nbsec.source.output_pii import pii_engine

    engine = pii_engine()
    output = evidence.notebook.cells[cell_index].outputs[output_index]
    html = output.text_of("text/html")
    if engine is None or not html:
        return [], None
    columns: list[PiiColumn] = []
    rows = 0
    for table in parse_tables(html):
        scan = engine.scan_table(table.columns)
        rows += table.row_count
        for name, column in scan.columns.items():
            entities = [
                PiiEntity(str(e.type), round(float(e.score), 4), round(float(e.fraction), 4))
                for e in column.entities
                if _wanted(str(e.type), float(e.score), evidence.policy)
            ]
            if entities:
                examples = [str(x) for x in list(getattr(column, "examples", []) or [])[:3]]
                columns.append(PiiColumn(name=str(name), entities=entities, examples=examples))
    return columns, rows or None


def _column_from_finding(finding: Finding) -> PiiColumn:
    name = finding.message.split("'")[1] if finding.message.count("'") >= 2 else finding.message
    return PiiColumn(
        name=name,
        entities=[],
        examples=[e.strip() for e in (finding.evidence or "").split(",") if e.strip()],
    )


def _line_from_finding(finding: Finding) -> PiiColumn:
    kinds = finding.message.split(" in this output line")[0]
    line = f"line {finding.location.line}" if finding.location.line else "text"
    return PiiColumn(
        name=line,
        entities=[PiiEntity(k.strip(), None, None) for k in kinds.split(",") if k.strip()],
        examples=[e.strip() for e in (finding.evidence or "").split(",") if e.strip()],
    )


def personal_data_section(evidence: Evidence, status: Mapping[str, str]) -> PersonalDataSection:
    from nbsec.source.output_pii import pii_engine

    tables = _frame_tables(evidence, status) + _output_tables(evidence, status)
    parts = []
    if evidence.session is not None:
        parts.append(f"{len(evidence.session.frames)} DataFrame(s) scanned in the kernel")
    parts.append(
        "every saved output (HTML tables column by column, text line by line)"
        if pii_engine() is not None
        else "saved outputs could not be checked: the PII engine is not installed"
    )
    saved = evidence.meta.get("frames_with_pii")
    if evidence.session is None and isinstance(saved, list) and saved:
        parts.append("the frames a kernel session listed in metadata.nbsec")
        tables += [
            PiiTable(
                kind="frame",
                name=str(name),
                where="a kernel session (from metadata.nbsec; no column detail saved)",
                rows=None,
                rows_scanned=None,
                columns=[],
                status="active",
            )
            for name in saved[:200]
        ]
    return PersonalDataSection(checked="; ".join(parts), tables=tables)
