"""What nbsec could not observe for this report, said plainly so nobody reads silence as safety."""

from __future__ import annotations

from collections import Counter

from nbsec.report.cell_labels import cell_label
from nbsec.report.evidence import Evidence
from nbsec.report.model import DataSection, EnvironmentSection, LineageSection


def limitations(
    evidence: Evidence,
    data: DataSection,
    environment: EnvironmentSection,
    lineage: LineageSection,
    attachments_missing: list[str],
) -> list[str]:
    from nbsec.source.output_pii import pii_engine

    out: list[str] = []
    malformed = list(evidence.notebook.problems)
    if malformed:
        out.append(
            f"The notebook file is malformed: {_first(malformed)}. Everything nbsec could read "
            "in it was checked and reported; what it could not read was not, so the report "
            "does not pass the policy gate."
        )
    unfinished = evidence.unchecked[len(malformed) :]
    if unfinished:
        out.append(
            f"A check could not finish: {_first(unfinished)}. That part of the notebook was not "
            "checked, so the report does not pass the policy gate."
        )
    if evidence.mode == "static" and not evidence.records:
        out.append(
            "Static report without a recorded run: what the notebook read, wrote and loaded at "
            "run time was not observed (no ledger beside the notebook and no kernel session). "
            "Files and models named in the code are listed instead; run "
            "`nbsec report --execute` or save the notebook from a session with nbsec loaded."
        )
    elif evidence.mode == "static":
        out.append(
            "Runtime facts come from a ledger an earlier kernel session left; the saved outputs "
            "may come from a different run than the one recorded."
        )
    if evidence.ledger.intact is False:
        out.append(
            f"The ledger failed its integrity check ({evidence.ledger.problem}); its records "
            "were used but cannot be trusted."
        )
    anchor, ledger = evidence.anchor, evidence.ledger
    missing_anchor = ledger.anchor_found is False or (
        ledger.anchor_found is None and anchor and ledger.line_hashes
        and anchor not in ledger.line_hashes
    )  # fmt: skip
    if missing_anchor:
        out.append(
            "The ledger head anchored in metadata.nbsec is not in the ledger found: the "
            "ledger was rewritten, truncated or belongs to another session."
        )
    if ledger.keyed and not ledger.authenticated:
        out.append(
            "The ledger's lines carry MACs, but no key was configured here "
            "(lineage.ledger_key_env or ledger_key_file): only its hash chain was checked."
        )
    unobserved: Counter[str] = Counter()
    places: dict[str, list[str]] = {}
    for record in evidence.records:
        for what in record.unobserved:
            unobserved[what] += 1
            places.setdefault(what, []).append(cell_label(record.cell_index, record.cell_id))
    for what, _n in unobserved.most_common(10):
        where = ", ".join(dict.fromkeys(places[what]))[:200]
        out.append(
            f"{where}: ran {what}; file and network access from it (a subprocess, a shell "
            "command, exec'd code) is not observed."
        )
    changed = list(
        dict.fromkeys(a.uri for r in evidence.records for a in (*r.reads, *r.writes) if a.changed)
    )
    if changed:
        out.append(
            f"{len(changed)} file(s) were changed by another program after a cell read or "
            "wrote them and before nbsec could hash them: what that cell read or wrote has no "
            "recorded hash: " + ", ".join(changed[:5])
        )
    partial = [i.uri for i in data.items if i.partial]
    if partial:
        out.append(
            f"{len(partial)} file(s) were larger than the hashing limit and are identified by a "
            "partial hash (head, tail and size): " + ", ".join(partial[:5])
        )
    if pii_engine() is None:
        out.append("The PII engine is not installed: saved outputs were not checked for PII.")
    else:
        spacy_model = evidence.policy.pii.spacy_model
        if not spacy_model:
            out.append(
                "Names and places (PERSON, LOCATION) in free text are found from name and place "
                "lists, without a language model; configure pii.spacy_model for NER."
            )
    if evidence.session is not None:
        sampled = [
            f"{name} ({s.get('rows_scanned')} of {s.get('rows')} rows)"
            for name, s in evidence.session.frames.items()
            if isinstance(s.get("rows"), int)
            and isinstance(s.get("rows_scanned"), int)
            and s["rows_scanned"] < s["rows"]
            and s.get("rows_known", True)
        ]
        if sampled:
            out.append("DataFrames scanned from a sample: " + ", ".join(sampled[:8]))
        glanced = [
            f"{name} (first {s.get('rows_scanned')} rows)"
            for name, s in evidence.session.frames.items()
            if s.get("rows_known") is False
        ]
        if glanced:
            out.append(
                "Spark or Dask DataFrames seen only through a first look at their first rows, "
                "not a sample of the whole frame (run %nbsec scan NAME): " + ", ".join(glanced[:8])
            )
        unfinished = [name for name, s in evidence.session.frames.items() if s.get("partial")]
        if unfinished:
            out.append(
                "The PII scan of these DataFrames was not complete when the session was "
                "captured (only a first pass is reported; run %nbsec scan NAME): "
                + ", ".join(unfinished[:8])
            )
        if evidence.session.internal_errors:
            out.append(
                f"nbsec reported {evidence.session.internal_errors} internal error(s) in the "
                "kernel during the session; some cells may not have been watched."
            )
        if not evidence.session.enabled:
            out.append("Watching was switched off (%nbsec off) when the session was captured.")
    if environment.source == "report process":
        out.append(
            "Package versions and licences are those installed where this report was built, "
            "not necessarily those of the notebook's kernel."
        )
    if evidence.notebook.language not in ("python", "python3", "ipython"):
        out.append(
            f"The notebook's language is {evidence.notebook.language}: code rules for Python "
            "were not applied; secrets and personal data were still checked."
        )
    if evidence.executed_errors:
        out.append(
            "Cells raised during the executed run ("
            + ", ".join(evidence.executed_errors[:6])
            + "); what later cells would have done may be missing."
        )
    if lineage.omitted:
        out.append(f"Lineage picture: {lineage.omitted}.")
    for name in attachments_missing:
        out.append(name)
    return out


def _first(problems: list[str]) -> str:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return problems[0] + more
