"""Before a cell runs: the static rules on its source, shown above the cell's output.

The names a notebook imports carry over from cell to cell (``import pickle as pk`` in one cell,
``pk.load`` in another), so one :class:`~nbsec.source.names.NameScope` lives for the session.
Only new or changed findings are shown; re-running an unchanged cell shows nothing again.

A load the source names literally (``joblib.load("forest.joblib")``, or ``pickle.load(f)`` inside
``with open("rf.pkl", "rb") as f``) of a file this session wrote
and that still holds exactly what it wrote (its SHA-256 equals the one the ledger recorded after
the write) is the session's own work: reported as info, not as a load of untrusted data. So is a
file at any other path whose SHA-256 equals that of a file the session wrote (a copy or backup
of its own model, however made); a different file at a path the session wrote is not. The
guard still scans the bytes when the load runs, so a file replaced in the meantime is judged
afresh (and, at the next run of the cell, reported at full severity again).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from nbsec.findings import Location

if TYPE_CHECKING:
    from nbsec.kernel.context import KernelContext


def cell_key(info: Any) -> tuple[str | None, str]:
    """The cell id the client sent, and a stand-in from the source when it sent none."""
    source = getattr(info, "raw_cell", "") or ""
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    cell_id = getattr(info, "cell_id", None)
    return cell_id, f"src-{digest[:12]}"


class SourceWatch:
    name = "source"

    def __init__(self, context: KernelContext) -> None:
        from nbsec.source.names import NameScope

        self._ctx = context
        self._scope = NameScope()

    def pre_run_cell(self, info: Any) -> None:
        from nbsec.kernel.display import show_findings
        from nbsec.source.scanner import check_cell_source

        source = getattr(info, "raw_cell", "") or ""
        if not source.strip():
            return
        cell_id, fallback = cell_key(info)
        policy = self._ctx.policy.effective_policy()
        location = Location(
            cell_id=cell_id or fallback,
            execution_count=getattr(self._ctx.shell, "execution_count", None),
        )
        findings = [
            f
            for f in check_cell_source(
                source, policy=policy, location=location, scope=self._scope, own_file=self._own
            )
            if policy.rule_enabled(f.rule)
        ]
        news = self._ctx.state.add_findings(findings)
        show_findings(news, "code")

    def _own(self, path: str) -> str | None:
        """Why the file at ``path`` is the session's own, or ``None`` (see the docstring)."""
        from nbsec.findings import cell_label

        lineage = self._ctx.services.lineage
        if lineage is None:
            return None
        cell = self._ctx.guarded("lineage.own_file", lineage.own_file, path)
        if not cell:
            return None
        if cell.get("cell_index") is not None or cell.get("cell_id"):
            where = cell_label(cell.get("cell_index"), cell.get("cell_id"))
        else:
            where = f"cell [{cell.get('execution_count')}]"
        if cell.get("copy"):
            return (
                f"a copy of a file {where} of this session wrote (same SHA-256; checked again "
                "on load)"
            )
        return f"a file {where} of this session wrote, unchanged since (checked again on load)"
