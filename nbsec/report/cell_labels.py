"""How the report names places in a notebook: ``cell 4 (id churn-03)``, 1-based like the notebook
UI; ``cell_index`` stays 0-based in JSON findings (the DESIGN contract)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Protocol

from nbsec.findings import Finding


class _CellLike(Protocol):
    @property
    def index(self) -> int: ...

    @property
    def id(self) -> str | None: ...

    @property
    def source(self) -> str: ...


def cell_label(index: int | None, cell_id: str | None = None) -> str:
    """``cell 4 (id churn-03)`` for 0-based ``index`` 3; ``cell (id x)`` when only the id is
    known; ``a cell no longer in the notebook`` when neither is."""
    if index is None:
        if cell_id and cell_id.startswith("frame:"):
            return f"frame {cell_id.split(':', 1)[1]}"
        if cell_id and not cell_id.startswith("src-"):
            return f"cell (id {cell_id})"
        return "a cell no longer in the notebook"
    text = f"cell {index + 1}"
    if cell_id and not cell_id.startswith(("src-", "frame:")):
        text += f" (id {cell_id})"
    return text


def where(finding: Finding) -> str:
    """Where a finding was seen, for a person: ``cell 4 (id x), line 2``, ``cell 4, output 1``,
    ``notebook metadata``."""
    loc = finding.location
    if loc.cell_index is None and not loc.cell_id:
        return "notebook metadata" if loc.path else "-"
    text = cell_label(loc.cell_index, loc.cell_id)
    if loc.output_index is not None:
        text += f", output {loc.output_index + 1}"
    if loc.line is not None:
        text += f", line {loc.line}"
    return text


def source_key(source: str) -> str:
    """The stand-in id the kernel gives a cell that arrived without an id (``src-<sha[:12]>``)."""
    return "src-" + hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:12]


class CellIndex:
    """Finds a notebook cell by id, or by the kernel's source-hash stand-in."""

    def __init__(self, cells: Iterable[_CellLike]) -> None:
        self.by_id: dict[str, tuple[int, str | None]] = {}
        for cell in cells:
            if cell.id:
                self.by_id[cell.id] = (cell.index, cell.id)
            self.by_id.setdefault(source_key(cell.source), (cell.index, cell.id))

    def place(self, finding: Finding, path: str) -> Finding:
        """``finding`` (seen by a kernel, located by cell id only) placed in this notebook."""
        loc = finding.location
        index, cell_id = loc.cell_index, loc.cell_id
        if index is None and cell_id in self.by_id:
            index, real_id = self.by_id[cell_id]
            cell_id = real_id or cell_id
        if cell_id and cell_id.startswith("src-") and index is None:
            cell_id = None
        return replace(finding, location=replace(loc, path=path, cell_index=index, cell_id=cell_id))

    def lookup(self, cell_id: str | None) -> int | None:
        if not cell_id:
            return None
        hit = self.by_id.get(cell_id)
        return hit[0] if hit else None


def labels_for(places: Iterable[tuple[int | None, str | None]]) -> list[str]:
    """Distinct labels, in notebook order."""
    seen: dict[tuple[int, str], str] = {}
    for index, cell_id in places:
        key = (index if index is not None else 1 << 30, cell_id or "")
        seen.setdefault(key, cell_label(index, cell_id))
    return [seen[k] for k in sorted(seen)]


def count_label(counts: Mapping[str, int]) -> str:
    parts = [f"{n} {name}" for name, n in counts.items() if n]
    return ", ".join(parts) if parts else "none"
