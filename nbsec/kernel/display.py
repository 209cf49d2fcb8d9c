"""Inline display of findings in the notebook.

A block of findings is one display output with three representations:

* ``text/html``: a compact table (severity, rule, what, where, how to fix), every piece of text
  escaped, so a DataFrame value such as ``<img src=x onerror=alert(1)>`` shows as text;
* ``text/plain``: the same as aligned text, for consoles and ``nbconvert --to script``;
* ``application/vnd.nbsec.findings+json``: the findings as data (DESIGN.md JSON), so the panel and
  the report can read them back from a saved notebook.

Evidence in findings is already masked by the engines; nothing here adds values.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nbsec.findings import Finding, Severity, output_label

MIME_TYPE = "application/vnd.nbsec.findings+json"
MIME_VERSION = 1

# JupyterLab's theme variables (light, dark and high contrast), each with the light theme's
# value as a fallback for front ends without them; text takes the theme's own colours
_COLOURS = {
    Severity.CRITICAL: "var(--jp-error-color0, #b71c1c)",
    Severity.HIGH: "var(--jp-error-color1, #d32f2f)",
    Severity.MEDIUM: "var(--jp-warn-color1, #ef6c00)",
    Severity.LOW: "var(--jp-info-color1, #0277bd)",
    Severity.INFO: "var(--jp-layout-color4, #616161)",
}
_ON_BADGE = "var(--jp-ui-inverse-font-color1, #fff)"
_SECONDARY_TEXT = "var(--jp-content-font-color2, inherit)"
_BORDER = "var(--jp-error-color1, #d32f2f)"
# a faint red tint that reads on light and dark backgrounds alike (no text colour)
_TINT = "rgba(211, 47, 47, 0.05)"


def _where(finding: Finding) -> str:
    loc = finding.location
    parts = []
    if loc.line is not None:
        parts.append(f"line {loc.line}")
    if loc.output_index is not None:
        parts.append(output_label(loc.output_index))
    if not parts and loc.path:
        parts.append(loc.path)
    return ", ".join(parts) or "this cell"


def findings_text(findings: Sequence[Finding], heading: str) -> str:
    lines = [heading]
    for f in findings:
        evidence = f" [{f.evidence}]" if f.evidence else ""
        lines.append(
            f"  {f.severity.value.upper():<8} {f.rule}  {f.title}: {f.message}{evidence} "
            f"({_where(f)})"
        )
        lines.append(f"           fix: {f.remediation}")
    return "\n".join(lines)


def findings_html(findings: Sequence[Finding], heading: str) -> str:
    esc = html.escape
    rows = []
    for f in findings:
        colour = _COLOURS[f.severity]
        evidence = f"<br><code style='font-size:90%'>{esc(f.evidence)}</code>" if f.evidence else ""
        rows.append(
            "<tr>"
            f"<td style='padding:2px 6px;color:{_ON_BADGE};background:{colour};font-weight:bold;"
            f"white-space:nowrap;text-align:left'>{esc(f.severity.value.upper())}</td>"
            f"<td style='padding:2px 6px;white-space:nowrap;text-align:left'>"
            f"<code>{esc(f.rule)}</code></td>"
            f"<td style='padding:2px 6px;text-align:left'><b>{esc(f.title)}</b>: "
            f"{esc(f.message)}{evidence}</td>"
            f"<td style='padding:2px 6px;white-space:nowrap;text-align:left'>"
            f"{esc(_where(f))}</td>"
            f"<td style='padding:2px 6px;text-align:left;color:{_SECONDARY_TEXT}'>"
            f"{esc(f.remediation)}</td>"
            "</tr>"
        )
    return (
        f"<div class='nbsec-findings' style='border-left:4px solid {_BORDER};padding:4px 8px;"
        f"margin:2px 0;background:{_TINT};font-size:90%'>"
        f"<div style='font-weight:bold;margin-bottom:2px'>{esc(heading)}</div>"
        f"<table style='border-collapse:collapse'>{''.join(rows)}</table></div>"
    )


def findings_bundle(findings: Sequence[Finding], heading: str) -> dict[str, Any]:
    """The display bundle (text, HTML and the nbsec MIME type) for a block of findings."""
    return {
        "text/plain": findings_text(findings, heading),
        "text/html": findings_html(findings, heading),
        MIME_TYPE: {"v": MIME_VERSION, "findings": [f.to_dict() for f in findings]},
    }


@dataclass
class _Block:
    """A block of findings shown in the running cell, kept so that it can be changed in place."""

    display_id: str
    what: str
    note: str
    findings: list[Finding]


# the blocks shown in the running cell, and that cell's execution count (one shell per process)
_blocks: list[_Block] = []
_blocks_cell: list[int | None] = [None]


def _running_cell() -> int | None:
    from IPython import get_ipython

    shell = get_ipython()
    count = getattr(shell, "execution_count", None)
    return count if isinstance(count, int) else None


def show_findings(findings: Sequence[Finding], what: str, *, note: str = "") -> None:
    """Display a block of findings about ``what`` ("code", "personal data", "blocked load") in
    the running cell's output, under a heading that counts them (and ``note``, when given);
    nothing if there are none. ``info`` findings are not shown inline: they are in the panel and
    ``%nbsec status``."""
    findings = [f for f in findings if f.severity is not Severity.INFO]
    if not findings:
        return
    from IPython.display import display

    cell = _running_cell()
    if _blocks_cell[0] != cell:
        _blocks.clear()
        _blocks_cell[0] = cell
    block = _Block(uuid.uuid4().hex, what, note, list(findings))
    _blocks.append(block)
    display(_bundle(block), raw=True, display_id=block.display_id)  # type: ignore[no-untyped-call]


def replace_shown(replacements: Mapping[str, Finding], what: str) -> set[str]:
    """Put each finding of ``replacements`` (by the fingerprint of the finding it stands for) in
    the place of that finding in a block the running cell already shows, changing the block in
    place: a load's finding takes the row of the source check's finding on the call that made
    the load. Returns the fingerprints of the findings so placed (the others are the caller's
    to show)."""
    if not replacements or _blocks_cell[0] != _running_cell():
        return set()
    from IPython.display import update_display

    placed: set[str] = set()
    for block in _blocks:
        if not any(f.fingerprint in replacements for f in block.findings):
            continue
        rows: list[Finding] = []
        kept = False  # a row of the block that stays as it was
        for f in block.findings:
            row = replacements.get(f.fingerprint)
            if row is None:
                kept = True
                rows.append(f)
            elif all(r.fingerprint != row.fingerprint for r in rows):
                rows.append(row)  # two call sites of one load on one line: one row
                placed.add(row.fingerprint)
        block.findings = rows
        if what not in block.what.split(" and "):
            block.what = f"{block.what} and {what}" if kept else what
        update_display(_bundle(block), raw=True, display_id=block.display_id)  # type: ignore[no-untyped-call]
    return placed


def _bundle(block: _Block) -> dict[str, Any]:
    return findings_bundle(block.findings, heading_for(block.findings, block.what) + block.note)


def heading_for(findings: Sequence[Finding], what: str) -> str:
    worst = max(findings, key=lambda f: f.severity.rank).severity.value
    n = len(findings)
    return f"nbsec: {n} {what} finding{'s' if n != 1 else ''} (worst: {worst})"
