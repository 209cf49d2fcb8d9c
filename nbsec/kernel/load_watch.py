"""During a cell: the model and pickle guard, reporting into the session.

The guard (:mod:`nbsec.models.guard`) scans a file or buffer before any byte is unpickled and warns
or blocks per policy. Each load or download it records goes to the session state (models list and
findings), to the lineage service (attributed to the running cell) and, when warned or blocked,
inline into the cell's output. The watcher offers ``block_mode`` to ``%%nbsec`` as the ``guard``
service (:class:`nbsec.kernel.context.GuardService`).

``%nbsec off`` does not disarm the guard: it keeps judging every load under the policy's mode, so
what the policy blocks stays blocked (a ``dangerous`` file never loads because nbsec was turned
off); while off, loads that go ahead are neither shown nor recorded.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from types import FrameType
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
        self._enabled = True
        self._cell: dict[str, Any] | None = None
        self._cell_key: str | None = None  # the cell as the source check names it
        self.guard: Guard = install(context.policy.effective_policy, self._report)
        context.services.guard = self

    def pre_run_cell(self, info: Any) -> None:
        from nbsec.kernel.source_watch import cell_key

        cell_id, fallback = cell_key(info)
        self._cell = {
            "cell_id": cell_id,
            "execution_count": getattr(self._ctx.shell, "execution_count", None),
        }
        self._cell_key = cell_id or fallback

    def post_run_cell(self, result: Any) -> None:
        self._cell = None
        # every event was reported to the session (and the ledger) already
        self.guard.events.clear()

    def set_enabled(self, enabled: bool) -> None:
        self._enabled = enabled  # the guard itself stays armed (see the module docstring)

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
        if self._enabled or event.action == "blocked":
            self._ctx.guarded("guard.report", self._record, event)

    def _record(self, event: LoadEvent) -> None:
        from nbsec.kernel.display import replace_shown, show_findings
        from nbsec.policy import Subject

        event.cell = dict(self._cell) if self._cell else None
        data = event.to_dict()
        data.pop("findings", None)
        state = self._ctx.state
        lineage = self._ctx.services.lineage
        if lineage is not None:
            self._ctx.guarded("lineage.record_model", lineage.record_model, data)
        own = None
        if lineage is not None and event.sha256:
            own = self._ctx.guarded("lineage.written_by", lineage.written_by, event.sha256)
        policy = self._ctx.policy.effective_policy()
        path = state.display_path(event.path)
        cell = self._cell or {}
        # the findings name the file by its path relative to the notebook, and the cell and line
        # of the call that loaded it (the fingerprint stays the guard's)
        line = _cell_line(self._ctx.shell) if self._cell is not None else None
        findings = [
            f.with_location(
                path=path,
                cell_id=self._cell_key if self._cell is not None else None,
                execution_count=cell.get("execution_count"),
                line=line,
            )
            for f in event.findings
            if policy.rule_enabled(f.rule)
        ]
        state.add_load(data, findings, own)
        subject = Subject(sha256=event.sha256, path=path)
        news = state.add_findings(findings, {f.fingerprint: subject for f in findings})
        # one load, one finding: the load's finding takes the place of the source check's
        # finding on the same call, in the list and in the block shown above the output
        replaced = state.supersede_call_sites(findings)
        if event.action != "allowed":
            what = f"{event.action} load"
            shown = news or [f for f in findings if not state.is_waived(f)]
            if event.action == "blocked" and not shown:
                shown = findings
            placed = replace_shown({site: f for site, f in replaced.items() if f in shown}, what)
            show_findings([f for f in shown if f.fingerprint not in placed], what)


def _cell_line(shell: Any) -> int | None:
    """The line of the running cell that made the call being judged: the innermost frame of
    the cell's own code (its top level, or a function the cell defines) on the stack."""
    namespace = getattr(shell, "user_global_ns", None)
    frames = []
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_globals is namespace:
            frames.append(frame)
        frame = frame.f_back
    cell = next((f for f in reversed(frames) if f.f_code.co_name == "<module>"), None)
    if cell is None:
        return None
    filename = cell.f_code.co_filename
    inner = next(f for f in frames if f.f_code.co_filename == filename)
    return inner.f_lineno
