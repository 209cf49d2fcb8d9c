"""During a cell: the model and pickle guard, reporting into the session.

The guard (:mod:`nbsec.models.guard`) scans a file or buffer before any byte is unpickled and warns
or blocks per policy. Each load or download it records goes to the session state (models list and
findings), to the lineage service (attributed to the running cell) and, when warned or blocked,
inline into the cell's output. The watcher offers ``block_mode`` to ``%%nbsec`` as the ``guard``
service (:class:`nbsec.kernel.context.GuardService`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.kernel.context import KernelContext
    from nbsec.models.guard import Guard
    from nbsec.models.guard_event import LoadEvent


class LoadWatch:
    name = "guard"

    def __init__(self, context: KernelContext) -> None:
        from nbsec.models.guard import install

        self._ctx = context
        self._cell: dict[str, Any] | None = None
        self.guard: Guard = install(context.policy.effective_policy, self._report)
        context.services.guard = self

    def pre_run_cell(self, info: Any) -> None:
        self._cell = {
            "cell_id": getattr(info, "cell_id", None),
            "execution_count": getattr(self._ctx.shell, "execution_count", None),
        }

    def post_run_cell(self, result: Any) -> None:
        self._cell = None
        # every event was reported to the session (and the ledger) already
        self.guard.events.clear()

    def set_enabled(self, enabled: bool) -> None:
        self.guard.enabled = enabled

    def close(self) -> None:
        if self._ctx.services.guard is self:
            self._ctx.services.guard = None
        self.guard.uninstall()

    # -- GuardService ----------------------------------------------------------------------------
    def block_mode(self) -> AbstractContextManager[Any]:
        return self.guard.block_mode()

    # -- events from the guard -------------------------------------------------------------------
    def _report(self, event: LoadEvent) -> None:
        # the load itself goes on as the guard decided, whatever happens here
        self._ctx.guarded("guard.report", self._record, event)

    def _record(self, event: LoadEvent) -> None:
        from nbsec.kernel.display import heading_for, show_findings

        event.cell = dict(self._cell) if self._cell else None
        data = event.to_dict()
        data.pop("findings", None)
        state = self._ctx.state
        state.add_model(data)
        lineage = self._ctx.services.lineage
        if lineage is not None:
            self._ctx.guarded("lineage.record_model", lineage.record_model, data)
        policy = self._ctx.policy.effective_policy()
        findings = [f for f in event.findings if policy.rule_enabled(f.rule)]
        news = state.add_findings(findings)
        if event.action != "allowed":
            shown = news or findings
            show_findings(shown, heading_for(shown, f"{event.action} load") if shown else "")
