"""Before a cell runs: the static rules on its source, shown above the cell's output.

The names a notebook imports carry over from cell to cell (``import pickle as pk`` in one cell,
``pk.load`` in another), so one :class:`~nbsec.source.names.NameScope` lives for the session.
Only new or changed findings are shown; re-running an unchanged cell shows nothing again.
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
            for f in check_cell_source(source, policy=policy, location=location, scope=self._scope)
            if policy.rule_enabled(f.rule)
        ]
        news = self._ctx.state.add_findings(findings)
        show_findings(news, "code")
