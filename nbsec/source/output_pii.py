"""Personal data in saved outputs (NBS-PII-002 tables, NBS-PII-003 text), through the PII engine.

This module does not detect anything itself: tables parsed from ``text/html`` outputs, and
DataFrame / Series reprs parsed from ``text/plain`` and streams (:mod:`nbsec.source.text_tables`),
go to ``nbsec.pii.scan_table`` column by column, with the header as context and the frame's
other columns as row context; the rest of streams, ``text/plain``, decoded JSON, Python
list/dict reprs, tracebacks and markdown go to ``nbsec.pii.scan_text`` once per output and the
hits are mapped back to lines. :func:`pii_spans` gives redaction the exact character spans.
Evidence is the engine's masked examples or :func:`nbsec.masking.mask` of a hit — never a value.
A very long output is judged on its first :data:`TEXT_BUDGET` characters, and lines
with nothing a PII recognizer could match (no ``@``, no run of digits, no capitalised word pair)
are not sent to the engine at all: long training logs would otherwise dominate the scan time.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Protocol

from nbsec.masking import mask
from nbsec.policy import Policy
from nbsec.source.html_tables import Table
from nbsec.source.issue import Issue, Span
from nbsec.source.text_tables import TextTable, parse_text_tables

TEXT_BUDGET = 32_000
# a line is worth sending to the engine if it could hold an e-mail, a number-like id or a name
_CANDIDATE = re.compile(
    r"@|\d[\d ().\-/+]{6,}\d|\b[A-Z]\w+,? +(?:[A-Z][a-z]*\.? +)?[A-Z]\w+"
    r"|[\u0400-\u04FF]{2,} [\u0400-\u04FF]{2,}"
    # a title or initials before a name: ``Sir R.A. Fisher``, ``Dr Watson``, ``J. Smith``
    r"|\b(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sir|Dame|Lady|Lord|Herr|Frau|Mme|Sr|Sra)\.?\s+[A-Z]"
    r"|\b[A-Z]\.\s?(?:[A-Z]\.\s?)*[A-Z][a-z]+"
    # a printed key that says a person's name: ``'first_name': 'Maria'``, ``Nachname=Müller``
    r"|(?i:name|customer|patient|person|client|vorname|nachname|apellido|nombre|nome|имя|"
    r"фамилия)['\"]?(?:\s*[:=]\s*|  +)['\"]?[A-Z\u00C0-\u024F\u0400-\u042F]"
)
# numbers in ordinary logs and metrics (``loss=0.123456``, ``1e-05``, ``12.5%``) are not PII
# (but not a dotted id: ``123.456.789-09``, ``12.345.678``)
_METRIC = re.compile(r"(?<![\d.\-/])\d+\.\d+(?![.\-/]?\d)(?:e-?\d+)?%?|\b\d+e-?\d+\b")
# IP addresses look like metrics to _METRIC (``203.0.113.7`` holds ``203.0``)
_ADDRESS = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|\b[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{0,4}){3,7}\b")
# entity types too common in ordinary output (timestamps, links, ids) to be worth a finding
IGNORED_ENTITIES = frozenset({"DATE_TIME", "URL", "UUID", "NRP", "MAC_ADDRESS"})


# lines where tools print the addresses of machines: wget and curl, servers starting up
_MACHINE_LINE = re.compile(
    r"\W*(?:Resolving|Connecting to|Connected to|Running on|Listening on|Serving|Trying)\b",
    re.IGNORECASE,
)


def _a_persons_address(text: str, start: int, end: int) -> bool:
    """An IP address in output text is personal data when it could be someone's: a public
    address that is not the host of a URL (``http://203.0.113.7:8888``, ``user@host``) nor on a
    line where a tool names the machine it talks to (``Resolving pypi.org... 151.101.0.223``).
    Loopback, private, link-local and reserved addresses are a machine's own."""
    import ipaddress

    token = text[start:end].split("%", 1)[0]
    try:
        address = ipaddress.ip_address(token)
    except ValueError:
        return True  # the engine's reading stands
    if not address.is_global:
        return False
    if text[max(0, start - 3) : start] == "://" or text[start - 1 : start] == "@":
        return False
    line_start = text.rfind("\n", 0, start) + 1
    return not _MACHINE_LINE.match(text, line_start)


class _TextHit(Protocol):
    type: str
    start: int
    end: int
    score: float


class _PiiEngine(Protocol):
    def scan_table(self, columns: Mapping[str, Sequence[str | None]]) -> Any: ...

    def scan_text(self, text: str) -> Sequence[_TextHit]: ...


@cache
def pii_engine() -> _PiiEngine | None:
    """The PII engine (``nbsec.pii``), or ``None`` when it is not part of this installation."""
    try:
        module = importlib.import_module("nbsec.pii")
    except ImportError:
        return None
    if not (hasattr(module, "scan_table") and hasattr(module, "scan_text")):
        return None
    engine: _PiiEngine = module
    return engine


def _wanted(entity: str, score: float, policy: Policy) -> bool:
    if entity in IGNORED_ENTITIES or score < policy.pii.min_score:
        return False
    return not policy.pii.entities or entity in policy.pii.entities


def table_issues(table: Table, policy: Policy, engine: _PiiEngine) -> list[Issue]:
    """One NBS-PII-002 issue per column holding personal data."""
    scan = engine.scan_table(table.columns)
    issues: list[Issue] = []
    for name, column in scan.columns.items():
        entities = [e for e in column.entities if _wanted(str(e.type), float(e.score), policy)]
        if not entities:
            continue
        kinds = ", ".join(
            f"{e.type} ({round(100 * float(e.fraction))}%)"
            for e in sorted(entities, key=lambda e: -float(e.fraction))
        )
        examples = [str(x) for x in list(getattr(column, "examples", []) or [])[:2]]
        label = str(max(entities, key=lambda e: float(e.fraction)).type)
        issues.append(
            Issue(
                "NBS-PII-002",
                f"column {name!r}: {kinds}",
                None,
                key=f"column:{name}:{','.join(sorted(str(e.type) for e in entities))}",
                evidence=", ".join(examples) or None,
                values=tuple((v, label) for v in table.columns.get(name, ()) if v),
            )
        )
    return issues


@dataclass(frozen=True)
class PiiSpan:
    """``text[start:end]`` holds ``entity``: what redaction masks in place."""

    entity: str
    start: int
    end: int


def pii_spans(text: str, policy: Policy) -> list[PiiSpan]:
    """Every span of personal data in ``text`` (an output's text or a markdown cell): the cells
    of flagged columns of the frame reprs in it, and the hits of the plain-text scan."""
    engine = pii_engine()
    if engine is None:
        return []
    text = text[:TEXT_BUDGET]
    spans: list[PiiSpan] = []
    rest = text
    for table in parse_text_tables(text):
        if _record(table, text):
            continue  # read line by line below, as key and value
        scan = engine.scan_table(table.columns)
        for name, column in scan.columns.items():
            types = [
                e.type for e in column.entities if _wanted(str(e.type), float(e.score), policy)
            ]
            if types:
                for span in table.spans.get(name, []):
                    if span is not None:
                        spans.append(PiiSpan(str(types[0]), span[0], span[1]))
        rest = _blank_lines(rest, table.first_line, table.last_line)
    for hit in engine.scan_text(rest):
        if _wanted(str(hit.type), float(hit.score), policy):
            spans.append(PiiSpan(str(hit.type), hit.start, hit.end))
    spans.sort(key=lambda s: s.start)
    return spans


_FIELD = re.compile(r"[A-Za-z_][\w]*")


def _record(table: TextTable, text: str) -> bool:
    """One record printed as a Series (``df.iloc[0]``): field names in the index, one value
    each, the Series footer below. Its values are of different kinds, not a column: the text
    scan reads each line as a key and its value."""
    if len(table.columns) != 2 or "(index)" not in table.columns:
        return False
    keys = [k for k in table.columns["(index)"] if k]
    if len(keys) < 2 or not all(_FIELD.fullmatch(k) for k in keys):
        return False
    lines = text.split("\n")
    after = lines[table.last_line + 1] if table.last_line + 1 < len(lines) else ""
    return "dtype: object" in after or "dtype: object" in lines[table.last_line]


def _blank_lines(text: str, first: int, last: int) -> str:
    """``text`` with lines ``first..last`` replaced by spaces (offsets kept)."""
    lines = text.split("\n")
    for i in range(first, min(last, len(lines) - 1) + 1):
        lines[i] = " " * len(lines[i])
    return "\n".join(lines)


def text_issues(text: str, policy: Policy, engine: _PiiEngine) -> list[Issue]:
    """NBS-PII-002 issues for the columns of frame reprs in ``text``, and one NBS-PII-003 issue
    per other output line holding personal data (lines relative to ``text``)."""
    text = text[:TEXT_BUDGET]
    issues: list[Issue] = []
    for table in parse_text_tables(text):
        if _record(table, text):
            continue  # one record's fields: its lines go to the text scan as key and value
        for issue in table_issues(Table(dict(table.columns)), policy, engine):
            issues.append(replace(issue, line=table.first_line + 1))
        text = _blank_lines(text, table.first_line, table.last_line)
    return issues + _line_issues(text, policy, engine)


def _line_issues(text: str, policy: Policy, engine: _PiiEngine) -> list[Issue]:
    # blank the lines with no candidate (keeping offsets, so hits map back to lines)
    lines = text.split("\n")
    found = [
        bool(_CANDIDATE.search(_METRIC.sub(" ", line)) or _ADDRESS.search(line)) for line in lines
    ]
    if not any(found):
        return []
    # the line before a candidate stays too: it may name the value (``description: card``
    # above ``value: 4539...`` in a widget's state, a key above its value in JSON)
    wanted = [f or (i + 1 < len(found) and found[i + 1]) for i, f in enumerate(found)]
    probe = "\n".join(
        line if keep else " " * len(line) for line, keep in zip(lines, wanted, strict=True)
    )
    hits = [
        h
        for h in engine.scan_text(probe)
        if _wanted(str(h.type), float(h.score), policy)
        and (h.type != "IP_ADDRESS" or _a_persons_address(text, h.start, h.end))
    ]
    if not hits:
        return []
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    by_line: dict[int, list[_TextHit]] = {}
    import bisect

    for hit in hits:
        line = bisect.bisect_right(line_starts, hit.start)
        by_line.setdefault(line, []).append(hit)
    issues: list[Issue] = []
    for line, line_hits in sorted(by_line.items()):
        kinds = sorted({str(h.type) for h in line_hits})
        evidence = ", ".join(mask(text[h.start : h.end], str(h.type)) for h in line_hits[:2])
        issues.append(
            Issue(
                "NBS-PII-003",
                f"{', '.join(kinds)} in this output line",
                line,
                key=f"text:{','.join(kinds)}:{evidence}",
                evidence=evidence,
                column=line_hits[0].start - line_starts[line - 1] + 1,
                spans=tuple(Span(h.start, h.end, str(h.type)) for h in line_hits),
            )
        )
    return issues
