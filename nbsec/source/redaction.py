"""Redaction: the values a scan found, masked in place in the notebook document.

:func:`plan` takes a :class:`~nbsec.source.scanner.NotebookScan` and the marks to apply (those of
active findings, in the families asked for) and works out, for every stored string, its new value;
:func:`apply` writes them into a copy of the document. The shape of every output is kept:

* a value becomes a label in the same place (``[EMAIL_ADDRESS]``, ``[REDACTED]`` for secrets),
  so an HTML table stays a table whose cells are masked, a ``text/plain`` repr keeps its rows, a
  traceback keeps its frames, and images are never touched;
* strings stored as a list of lines stay a list of lines; terminal colour codes around a value
  are kept; base64 payloads (text attachments, textual ``data:`` URIs inside HTML) are decoded,
  masked and encoded again; a dictionary key or an attachment name that holds a value is renamed
  (references to the attachment in the cell's markdown follow);
* code cell sources are never changed: a secret in code must be removed by its author, and the
  scan keeps reporting it.

Every masked place is recorded in ``metadata.nbsec.redactions`` with the rule, the cell, the
output, the address (JSON pointer), the finding's fingerprint, the label and a count — never the
value. Nothing here reads or writes files: :mod:`nbsec.commands.redact` and the server's pre-save
hook do.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nbsec.findings import Finding
from nbsec.source.marks import Mark
from nbsec.source.notebook import (
    Notebook,
    NotebookPath,
    Piece,
    TextSite,
    is_big_number,
    json_pointer,
    strip_ansi_map,
)
from nbsec.source.own_outputs import SavedFindings

FAMILIES = ("PII", "SEC")


@dataclass(frozen=True)
class Masked:
    """One place masked: what the ``metadata.nbsec.redactions`` entries are made of."""

    rule: str
    fingerprint: str
    label: str
    cell_index: int | None
    cell_id: str | None
    output_index: int | None
    # where the value was stored, as the scan read it: a step may be a key that is renamed
    # because it held a value, so the recorded address is made after the renames
    path: NotebookPath


@dataclass
class Edit:
    """The new value of one stored string (or dictionary key)."""

    path: NotebookPath
    is_key: bool
    before: str
    after: str


@dataclass
class RedactionPlan:
    """What redaction would change, before anything is written."""

    edits: list[Edit] = field(default_factory=list)
    masked: list[Masked] = field(default_factory=list)
    # nbsec findings blocks rewritten without their stale findings (or removed)
    blocks: list[tuple[SavedFindings, Any]] = field(default_factory=list)
    # (site, mark) pairs for the dry-run report
    marks: list[Mark] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.edits and not self.blocks

    def count(self) -> int:
        return len(self.marks) + len(self.blocks)


def family(rule: str) -> str:
    return rule.split("-")[1] if rule.count("-") >= 2 else ""


def _replacement(site: TextSite, label: str) -> str:
    text = "[REDACTED]" if label == "SECRET" else f"[{label}]"
    if site.kind in ("text/latex", "application/x-latex"):
        text = text.replace("_", r"\_")
    return text


def _site_depth(site: TextSite) -> int:
    depth = 0
    while site.container is not None:
        depth += 1
        site = site.container
    return depth


class _Planner:
    def __init__(self, notebook: Notebook) -> None:
        self.nb = notebook
        # (path, is_key) -> list of (start, end, replacement, ansi) within the stored string
        self.changes: dict[tuple[NotebookPath, bool], list[tuple[int, int, str]]] = {}
        self.ansi: dict[tuple[NotebookPath, bool], bool] = {}
        self.codec: dict[tuple[NotebookPath, bool], str | None] = {}
        # child site -> list of (start, end, replacement) within its decoded text
        self.child_changes: dict[int, tuple[TextSite, list[tuple[int, int, str]]]] = {}

    def add(self, site: TextSite, start: int, end: int, replacement: str) -> None:
        if site.container is not None:
            entry = self.child_changes.setdefault(id(site), (site, []))
            entry[1].append((start, end, replacement))
            return
        for piece in _pieces_over(site, start, end):
            lo = max(start, piece.start) - piece.start
            hi = min(end, piece.end) - piece.start
            if hi <= lo:
                continue
            key = (piece.path, piece.is_key)
            self.changes.setdefault(key, []).append((lo, hi, replacement))
            self.ansi[key] = piece.ansi
            self.codec[key] = site.codec

    def resolve_children(self) -> None:
        """Children (decoded data URIs) become one replacement of their encoded span in the
        containing text, deepest first."""
        pending = sorted(self.child_changes.values(), key=lambda e: -_site_depth(e[0]))
        for site, changes in pending:
            decoded = _apply_changes(site.text, changes)
            encoded = base64.b64encode(decoded.encode("utf-8")).decode("ascii")
            (piece,) = site.pieces
            container = site.container
            assert container is not None
            self.add(container, piece.start, piece.end, encoded)


def _pieces_over(site: TextSite, start: int, end: int) -> list[Piece]:
    return [p for p in site.pieces if p.start < max(end, start + 1) and start < p.end]


def _apply_changes(text: str, changes: Iterable[tuple[int, int, str]]) -> str:
    """``text`` with each ``(start, end, replacement)`` applied (non-overlapping, any order)."""
    out = text
    last = len(text) + 1
    for start, end, replacement in sorted(set(changes), key=lambda c: (-c[0], -c[1])):
        if end > last:
            continue  # overlaps one already applied
        out = out[:start] + replacement + out[end:]
        last = start
    return out


def _get(document: Any, path: NotebookPath) -> Any:
    node = document
    for step in path:
        node = node[step]
    return node


def _stored_text(value: Any) -> str | None:
    if isinstance(value, str) and not is_big_number(value):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return None


def plan(
    notebook: Notebook,
    marks: Iterable[Mark],
    *,
    stale_blocks: Iterable[SavedFindings] = (),
    render_block: Callable[[tuple[Finding, ...]], Mapping[str, Any]] | None = None,
) -> RedactionPlan:
    """The edits that mask ``marks`` (and rewrite ``stale_blocks`` with ``render_block``, which
    builds an nbsec findings bundle; without it stale blocks are left as they are)."""
    result = RedactionPlan()
    planner = _Planner(notebook)
    for mark in marks:
        if mark.site.is_code:
            continue
        replacement = _replacement(mark.site, mark.label)
        planner.add(mark.site, mark.start, mark.end, replacement)
        result.marks.append(mark)
        root, offset = mark.site, mark.start
        while root.container is not None:
            offset = root.pieces[0].start
            root = root.container
        piece = root.piece_at(offset)
        cell_id = None
        if root.cell_index is not None and root.cell_index < len(notebook.cells):
            cell_id = notebook.cells[root.cell_index].id
        result.masked.append(
            Masked(
                rule=mark.rule,
                fingerprint=mark.fingerprint,
                label=mark.label,
                cell_index=root.cell_index,
                cell_id=cell_id,
                output_index=root.output_index,
                path=piece.path if piece is not None else root.path,
            )
        )
    planner.resolve_children()
    document = notebook.document
    for (path, is_key), changes in planner.changes.items():
        try:
            if is_key:
                before = str(path[-1])
            else:
                stored = _stored_text(_get(document, path))
                if stored is None:
                    continue
                before = stored
        except (KeyError, IndexError, TypeError):
            continue
        codec = planner.codec.get((path, is_key))
        if codec == "base64" and not is_key:
            decoded = base64.b64decode("".join(before.split())).decode("utf-8")
            after = base64.b64encode(_apply_changes(decoded, changes).encode()).decode("ascii")
        elif planner.ansi.get((path, is_key)):
            _, index = strip_ansi_map(before)
            raw_changes = [
                (index[s] if s < len(index) else len(before), index[e - 1] + 1, r)
                for s, e, r in changes
                if e > s
            ]
            after = _apply_changes(before, raw_changes)
        else:
            after = _apply_changes(before, changes)
        if after != before:
            result.edits.append(Edit(path, is_key, before, after))
    if render_block is not None:
        for saved in stale_blocks:
            current = saved.current
            result.blocks.append((saved, render_block(current) if current else None))
    return result


def _rename_key(mapping: dict[str, Any], old: str, new: str) -> str:
    base, n = new, 2
    while new in mapping and new != old:
        new, n = f"{base} ({n})", n + 1
    items = list(mapping.items())
    mapping.clear()
    for key, value in items:
        mapping[new if key == old else key] = value
    return new


def apply(
    notebook: Notebook, redaction: RedactionPlan, *, tool: str = "nbsec", today: str | None = None
) -> dict[str, Any]:
    """A copy of the notebook document with the plan applied and recorded in
    ``metadata.nbsec.redactions``."""
    document = copy.deepcopy(notebook.document)
    keys = sorted((e for e in redaction.edits if e.is_key), key=lambda e: -len(e.path))
    renamed: dict[NotebookPath, str] = {}
    for edit in redaction.edits:
        if edit.is_key:
            continue
        parent = _get(document, edit.path[:-1])
        old = parent[edit.path[-1]]
        if isinstance(old, list):
            parent[edit.path[-1]] = edit.after.splitlines(keepends=True)
        else:
            parent[edit.path[-1]] = edit.after
    for edit in keys:  # deepest first, so outer paths stay valid
        parent = _get(document, edit.path[:-1])
        if not isinstance(parent, dict) or edit.before not in parent:
            continue
        new = _rename_key(parent, edit.before, edit.after)
        renamed[edit.path] = new
        if len(edit.path) >= 4 and edit.path[0] == "cells" and edit.path[2] == "attachments":
            _rename_attachment_references(document["cells"][edit.path[1]], edit.before, new)
    removed: list[tuple[int, int]] = []
    for saved, bundle in redaction.blocks:
        cell_index, output_index = int(saved.path[1]), int(saved.path[3])
        outputs = document["cells"][cell_index]["outputs"]
        if bundle is None:
            removed.append((cell_index, output_index))
        else:
            outputs[output_index]["data"] = dict(bundle)
    for cell_index, output_index in sorted(removed, reverse=True):
        del document["cells"][cell_index]["outputs"][output_index]
    _record(document, redaction, tool, today, renamed)
    return document


def _address(path: NotebookPath, renamed: Mapping[NotebookPath, str]) -> str:
    """The JSON pointer of ``path`` in the redacted document: every key renamed on the way is
    given by its new name, so no recorded address spells a masked value."""
    steps = [renamed.get(path[: i + 1], step) for i, step in enumerate(path)]
    return json_pointer(tuple(steps))


def _rename_attachment_references(cell: Any, old: str, new: str) -> None:
    source = cell.get("source")
    text = _stored_text(source)
    if text is None:
        return
    updated = text.replace(f"attachment:{old}", f"attachment:{new}")
    cell["source"] = updated.splitlines(keepends=True) if isinstance(source, list) else updated


def _record(
    document: dict[str, Any],
    redaction: RedactionPlan,
    tool: str,
    today: str | None,
    renamed: Mapping[NotebookPath, str],
) -> None:
    counts: dict[tuple[str, str, str, str], tuple[Masked, str, int]] = {}
    for masked in redaction.masked:
        where = _address(masked.path, renamed)
        key = (masked.rule, masked.fingerprint, where, masked.label)
        known = counts.get(key)
        counts[key] = (masked, where, (known[2] if known else 0) + 1)
    when = today or dt.date.today().isoformat()
    entries = [
        {
            "rule": m.rule,
            "fingerprint": m.fingerprint,
            "cell_index": m.cell_index,
            "cell_id": m.cell_id,
            "output_index": m.output_index,
            "where": where,
            "label": m.label,
            "count": n,
            "at": when,
            "by": tool,
        }
        for m, where, n in counts.values()
    ]
    for saved, bundle in redaction.blocks:
        entries.append(
            {
                "rule": "NBS-SRC-007",
                "fingerprint": None,
                "cell_index": int(saved.path[1]),
                "cell_id": None,
                "output_index": int(saved.path[3]),
                "where": json_pointer(saved.path),
                "label": "stale findings removed" if bundle is not None else "stale block removed",
                "count": len(saved.stale),
                "at": when,
                "by": tool,
            }
        )
    if not entries:
        return
    metadata = document.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        return
    own = metadata.get("nbsec")
    if not isinstance(own, dict):
        own = {}
        metadata["nbsec"] = own
    previous = own.get("redactions")
    own["redactions"] = (previous if isinstance(previous, list) else []) + entries


def has_big_numbers(document: Any) -> bool:
    """Does the document hold an integer too long to write back as it was read?"""
    stack = [document]
    while stack:
        item = stack.pop()
        if is_big_number(item):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# -- one notebook, end to end -----------------------------------------------------------------


@dataclass
class RedactOutcome:
    """What redacting one notebook did: the plans of each pass, the new document (``None`` when
    nothing changed), secrets left in code, and values still found after the last pass."""

    plans: list[RedactionPlan]
    document: dict[str, Any] | None
    code_secrets: list[Finding]
    left: int

    @property
    def masked(self) -> int:
        return sum(p.count() for p in self.plans)


def active_marks(
    scan: Any, policy: Any, *, only: Iterable[str] = (), baseline: frozenset[str] = frozenset()
) -> list[Mark]:
    """The marks of findings that are active (rule enabled, not waived, not in the baseline),
    in the families asked for (``PII``, ``SEC``; none: both)."""
    wanted = set(only) or set(FAMILIES)
    active: set[str] = set()
    for finding in scan.findings:
        if family(finding.rule) not in wanted or not policy.rule_enabled(finding.rule):
            continue
        if policy.waiver_for(finding) is not None or finding.fingerprint in baseline:
            continue
        active.add(finding.fingerprint)
    return [m for m in scan.marks if m.fingerprint in active and family(m.rule) in wanted]


def redact_notebook(
    notebook: Notebook,
    policy: Any,
    *,
    only: Iterable[str] = (),
    baseline: frozenset[str] = frozenset(),
    render_block: Callable[[tuple[Finding, ...]], Mapping[str, Any]] | None = None,
    max_passes: int = 3,
) -> RedactOutcome:
    """Scan, mask, and scan the result again until nothing is left to mask (a masked value can
    uncover another one, e.g. a table column judged again without it)."""
    from nbsec.source.notebook import parse_document
    from nbsec.source.scanner import analyse

    only = tuple(only)
    plans: list[RedactionPlan] = []
    document: dict[str, Any] | None = None
    current = notebook
    scan = analyse(current, policy)
    code_secrets = [
        f
        for f in scan.findings
        if family(f.rule) == "SEC" and f.location.output_index is None and _in_code(current, f)
    ]
    for _ in range(max_passes):
        marks = active_marks(scan, policy, only=only, baseline=baseline)
        blocks = [s for s in scan.saved if s.stale] if not only else []
        step = plan(current, marks, stale_blocks=blocks, render_block=render_block)
        if step.empty:
            break
        plans.append(step)
        document = apply(current, step)
        current = parse_document(document, notebook.path)
        scan = analyse(current, policy)
    left = len(active_marks(scan, policy, only=only, baseline=baseline))
    return RedactOutcome(plans, document, code_secrets, left)


def _in_code(notebook: Notebook, finding: Finding) -> bool:
    index = finding.location.cell_index
    return (
        index is not None
        and index < len(notebook.cells)
        and notebook.cells[index].cell_type == "code"
        and finding.location.line is not None
        and "(in " not in finding.message
    )


def serialize(document: dict[str, Any], original: str | bytes = "") -> str:
    """The document as JSON text, laid out like the file it came from (its indent; keys kept in
    the order they were read; non-ASCII kept as written unless the text cannot be encoded)."""
    import json
    import re

    if isinstance(original, bytes):
        original = original[:4096].decode("utf-8", "replace")
    match = re.search(r"\n( +)\"", original)
    indent = len(match.group(1)) if match else 1
    text = json.dumps(document, indent=indent, ensure_ascii=False) + "\n"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: write them escaped
        text = json.dumps(document, indent=indent, ensure_ascii=True) + "\n"
    return text
