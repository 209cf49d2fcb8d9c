"""Long work started from the panel (a full PII scan), run in steps on the kernel's own loop.

A job runs in steps of at most :data:`STEP_SECONDS` on the kernel's main thread, between the
kernel's other messages: after each step the runner yields to the event loop, so a cell the user
runs, a ``cancel_scan`` or a ``get_state`` is handled before the next step, and the job never
runs at the same time as the user's code (no frame is read while a cell changes it). Progress
goes to every panel as ``scan_progress`` events (at most a few per second) and into the state's
``scans``; ``cancel`` stops a job before its next step. Outside a kernel with an event loop
(terminal IPython, plain scripts) a job runs to completion at once.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.kernel.context import GuardedCall, ScanJob
    from nbsec.kernel.session_state import SessionState

STEP_SECONDS = 0.05
PAUSE_SECONDS = 0.002
PROGRESS_EVERY = 0.25
KEEP_FINISHED = 20


def kernel_loop() -> Any:
    """The event loop the shell runs in (ipykernel's), or ``None`` (terminal IPython, scripts).
    ipykernel has imported asyncio by then; a shell without asyncio has no loop, and importing
    it here would cost a terminal 0.1 s."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


@dataclass
class _Running:
    id: str
    kind: str
    target: str
    job: ScanJob
    rows: int | None
    state: str = "queued"
    error: str | None = None
    started: float = field(default_factory=time.perf_counter)
    seconds: float = 0.0
    last_sent: float = 0.0

    def view(self) -> dict[str, Any]:
        progress = 1.0 if self.state == "done" else min(1.0, max(0.0, float(self.job.progress)))
        return {
            "id": self.id,
            "kind": self.kind,
            "target": self.target,
            "state": self.state,
            "progress": round(progress, 4),
            "rows": self.rows,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


class JobRunner:
    def __init__(
        self,
        state: SessionState,
        guarded: GuardedCall,
        on_progress: Callable[[dict[str, Any]], None],
        on_finished: Callable[[], None],
    ) -> None:
        self._state = state
        self._guarded = guarded
        self._on_progress = on_progress
        self._on_finished = on_finished
        self._jobs: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._loop: Any = kernel_loop()

    def start(self, kind: str, target: str, job: ScanJob, rows: int | None) -> dict[str, Any]:
        running = _Running("j-" + uuid.uuid4().hex[:12], kind, target, job, rows)
        with self._lock:
            self._jobs[running.id] = running
        self._state.put_job(running.view())
        if self._loop is None or self._loop.is_closed():
            while running.state in ("queued", "running"):
                self._step(running.id)
        else:
            self._loop.call_soon_threadsafe(self._step, running.id)
        return running.view()

    def cancel(self, job_id: str) -> dict[str, Any]:
        with self._lock:
            running = self._jobs.get(job_id)
        if running is None:
            raise KeyError(job_id)
        if running.state in ("queued", "running"):
            running.job.cancel()
            running.state = "cancelled"
            self._finish(running)
        return running.view()

    def _step(self, job_id: str) -> None:
        with self._lock:
            running = self._jobs.get(job_id)
        if running is None or running.state not in ("queued", "running"):
            return
        running.state = "running"
        began = time.perf_counter()
        try:
            done = running.job.run(began + STEP_SECONDS)
        except Exception as exc:
            running.state = "error"
            running.error = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}"
            self._guarded.report(f"{running.kind} of {running.target}", exc)
            done = True
        running.seconds += time.perf_counter() - began
        if done:
            if running.state == "running":
                running.state = "done"
            self._finish(running)
            return
        now = time.perf_counter()
        if now - running.last_sent >= PROGRESS_EVERY:
            running.last_sent = now
            self._state.put_job(running.view())
            self._guarded("scan progress", self._on_progress, running.view())
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_later(PAUSE_SECONDS, self._step, job_id)

    def _finish(self, running: _Running) -> None:
        self._state.put_job(running.view())
        self._guarded("scan progress", self._on_progress, running.view())
        with self._lock:
            finished = [j for j in self._jobs.values() if j.state not in ("queued", "running")]
            for old in finished[:-KEEP_FINISHED]:
                del self._jobs[old.id]
                self._state.drop_job(old.id)
        self._guarded("scan finished", self._on_finished)
