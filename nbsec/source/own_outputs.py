"""nbsec's own outputs in a saved notebook: read back as findings, never re-flagged as data.

With ``%load_ext nbsec`` the kernel shows findings inline; each block is one display output
carrying ``application/vnd.nbsec.findings+json`` (``{"v": 1, "findings": [...]}``) beside its
``text/html`` and ``text/plain`` renderings. Those renderings hold rule titles, messages and
masked evidence: searched as data, masked examples and column names would look like personal data.
So an output is recognised as nbsec's when its payload is a valid findings block, and then:

* its texts are searched only for what nbsec never writes — provider-format secrets, and any
  personal data left once every string of the findings (titles, messages, evidence, in plain and
  HTML-escaped form) is blanked out. A forged block cannot hide data that way;
* each saved finding is checked against the notebook as it is now. A finding is **stale** when its
  rule is disabled, when the policy now waives it, or, for a finding about the cell's code, when
  the cell's current source no longer produces it (the cell was edited after it ran; cells run
  without an id are keyed by a hash of their source, which tells the same thing). A block with
  stale findings is reported once (NBS-SRC-007), and ``nbsec redact`` rewrites it without them.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from nbsec.errors import InputError
from nbsec.findings import Finding, Location
from nbsec.policy import Policy
from nbsec.source.notebook import Cell, NotebookPath, Output, TextSite

PAYLOAD_VERSION = 1
_SOURCE_FAMILIES = ("NBS-PKL-", "NBS-MDL-", "NBS-SEC-", "NBS-SRC-")


@dataclass(frozen=True)
class SavedFindings:
    """A findings block nbsec wrote, and which of its findings are stale (with why)."""

    output: Output
    findings: tuple[Finding, ...]
    stale: tuple[tuple[Finding, str], ...]
    path: NotebookPath  # the output's place in the notebook document

    @property
    def current(self) -> tuple[Finding, ...]:
        gone = {id(f) for f, _ in self.stale}
        return tuple(f for f in self.findings if id(f) not in gone)


def read_payload(payload: Any) -> tuple[Finding, ...] | None:
    """The findings of a block, or ``None`` when it is not a block nbsec could have written."""
    if not isinstance(payload, Mapping) or payload.get("v") != PAYLOAD_VERSION:
        return None
    items = payload.get("findings")
    if not isinstance(items, list):
        return None
    findings: list[Finding] = []
    for item in items:
        if not isinstance(item, Mapping):
            return None
        try:
            findings.append(Finding.from_dict(item))
        except (InputError, TypeError, ValueError):
            return None
    return tuple(findings)


def _strings(finding: Finding) -> list[str]:
    loc = finding.location
    items = [
        finding.rule,
        finding.title,
        finding.message,
        finding.remediation,
        finding.evidence or "",
        finding.severity.value.upper(),
        loc.path or "",
        loc.cell_id or "",
    ]
    return [s for s in items if len(s) >= 3]


def blank_own_text(site: TextSite, findings: tuple[Finding, ...]) -> TextSite:
    """``site`` with every string of ``findings`` (plain or HTML-escaped) replaced by spaces, so
    only what nbsec did not write is left to search; offsets are kept."""
    text = site.text
    forms: set[str] = set()
    for finding in findings:
        for s in _strings(finding):
            forms.update({s, html.escape(s), html.escape(s, quote=False)})
    for form in sorted(forms, key=len, reverse=True):
        if form in text:
            text = text.replace(form, " " * len(form))
    return replace(site, text=text)


def _source_hash_id(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    return f"src-{digest[:12]}"


def stale_reason(
    finding: Finding,
    cell: Cell,
    notebook_path: str,
    policy: Policy,
    reproduce: Callable[[Location], set[str]],
) -> str | None:
    """Why a saved finding no longer holds, or ``None`` if it still does (or nbsec cannot tell:
    findings about data seen at run time are only checked against the policy)."""
    if not policy.rule_enabled(finding.rule):
        return "its rule is disabled"
    placed = finding.with_location(path=notebook_path)
    if policy.waiver_for(finding) is not None or policy.waiver_for(placed) is not None:
        return "waived by the policy"
    loc = finding.location
    if not finding.rule.startswith(_SOURCE_FAMILIES) or loc.line is None:
        return None
    if loc.output_index is not None:
        return None
    keyed_by_source = (loc.cell_id or "").startswith("src-") and len(loc.cell_id or "") == 16
    if keyed_by_source and loc.cell_id != _source_hash_id(cell.source):
        return "the cell was edited after it ran"
    anchor = Location(path=loc.path, cell_id=loc.cell_id, cell_index=loc.cell_index)
    if finding.fingerprint not in reproduce(anchor):
        return "the cell's code no longer has it"
    return None


def saved_findings(
    output: Output,
    cell: Cell,
    notebook_path: str,
    policy: Policy,
    reproduce: Callable[[Location], set[str]],
) -> SavedFindings | None:
    """The findings block of an nbsec output with its stale findings, or ``None`` when the
    output is not a valid block (then it is searched as data like any other output)."""
    findings = read_payload(output.nbsec_payload)
    if findings is None:
        return None
    stale: list[tuple[Finding, str]] = []
    for finding in findings:
        reason = stale_reason(finding, cell, notebook_path, policy, reproduce)
        if reason is not None:
            stale.append((finding, reason))
    path: NotebookPath = ("cells", cell.index, "outputs", output.index)
    return SavedFindings(output, findings, tuple(stale), path)


def stale_message(saved: SavedFindings) -> str:
    reasons: dict[str, int] = {}
    for _, why in saved.stale:
        reasons[why] = reasons.get(why, 0) + 1
    detail = "; ".join(f"{n} {why}" for why, n in reasons.items())
    n, total = len(saved.stale), len(saved.findings)
    return f"{n} of {total} nbsec finding(s) shown in this output are stale ({detail})"


def stale_key(saved: SavedFindings) -> str:
    return "stale:" + ",".join(sorted(f.fingerprint for f, _ in saved.stale))
