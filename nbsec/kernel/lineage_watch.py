"""Lineage per cell: the tracker of :mod:`nbsec.lineage` as a kernel watcher.

The tracker records a CellRecord per execution and appends it to the hash-chained ledger; this
watcher keeps the session's lineage summary (data sources with hashes, ledger path and head) up to
date for ``metadata.nbsec``, the panel and the dashboard, and offers the tracker to the other
parts as the ``lineage`` service (:class:`nbsec.kernel.context.LineageService`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.kernel.context import KernelContext
    from nbsec.lineage.graph import LineageGraph
    from nbsec.lineage.records import CellRecord
    from nbsec.lineage.tracker import LineageTracker


class LineageWatch:
    name = "lineage"

    def __init__(self, context: KernelContext) -> None:
        from nbsec.lineage.tracker import LineageTracker

        self._ctx = context
        self.tracker: LineageTracker = LineageTracker(
            context.shell,
            context.policy.effective_policy,
            notebook_path=_notebook_path(context.shell.user_ns),
        )
        self.last_record: CellRecord | None = None
        context.services.lineage = self

    def pre_run_cell(self, info: Any) -> None:
        self.tracker.pre_run_cell(info)

    def post_run_cell(self, result: Any) -> None:
        self.last_record = self.tracker.post_run_cell(result)
        self._ctx.state.set_lineage(self.tracker.summary())

    def close(self) -> None:
        if self._ctx.services.lineage is self:
            self._ctx.services.lineage = None
        self.tracker.close()

    # -- LineageService --------------------------------------------------------------------------
    @property
    def records(self) -> Sequence[CellRecord]:
        return self.tracker.records

    def graph(self) -> LineageGraph:
        return self.tracker.graph()

    def record_model(self, event: Mapping[str, Any]) -> None:
        self.tracker.record_model(event)

    def record_waiver(self, waiver: Mapping[str, Any]) -> None:
        self.tracker.record_waiver(waiver)


def _notebook_path(user_ns: Mapping[str, Any]) -> Path | None:
    """The notebook file, when the client told the kernel (JupyterLab sets ``__session__``)."""
    session = user_ns.get("__session__")
    if isinstance(session, str) and session.endswith(".ipynb"):
        path = Path(session)
        return path if path.is_absolute() else Path.cwd() / path.name
    return None
