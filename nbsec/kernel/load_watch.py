"""During a cell: the model and pickle guard, reporting into the session.

The guard (:mod:`nbsec.models.guard`) scans a file or buffer before any byte is unpickled and warns
or blocks per policy. Each load or download it records goes to the session state (models list and
findings), to the lineage tracker (attributed to the running cell) and, when warned or blocked,
inline into the cell's output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.kernel.extension import NbsecExtension
    from nbsec.models.guard import Guard
    from nbsec.models.guard_event import LoadEvent


class LoadWatch:
    name = "guard"

    def __init__(self, extension: NbsecExtension) -> None:
        from nbsec.models.guard import install

        self._ext = extension
        self._cell: dict[str, Any] | None = None
        self.guard: Guard = install(extension.effective_policy, self._report)

    def pre_run_cell(self, info: Any) -> None:
        self._cell = {
            "cell_id": getattr(info, "cell_id", None),
            "execution_count": getattr(self._ext.shell, "execution_count", None),
        }

    def post_run_cell(self, result: Any) -> None:
        self._cell = None
        # every event was reported to the session (and the ledger) already
        self.guard.events.clear()

    def set_enabled(self, enabled: bool) -> None:
        self.guard.enabled = enabled

    def close(self) -> None:
        self.guard.uninstall()

    def _report(self, event: LoadEvent) -> None:
        try:
            self._record(event)
        except Exception as exc:  # the load itself goes on as the guard decided
            self._ext.report_internal_error("guard.report", exc)

    def _record(self, event: LoadEvent) -> None:
        from nbsec.kernel.display import heading_for, show_findings

        event.cell = dict(self._cell) if self._cell else None
        data = event.to_dict()
        data.pop("findings", None)
        self._ext.state.add_model(data)
        tracker = self._ext.lineage_tracker()
        if tracker is not None:
            self._ext.call(tracker, "record_model", data)
        findings = [f for f in event.findings if self._ext.effective_policy().rule_enabled(f.rule)]
        news = self._ext.state.add_findings(findings)
        if event.action != "allowed":
            shown = news or findings
            show_findings(shown, heading_for(shown, f"{event.action} load") if shown else "")
