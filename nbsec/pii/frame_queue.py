"""Frames seen in a kernel, scanned within each cell's budget and finished off its critical path.

The kernel's frame watcher hands :meth:`FrameScanQueue.observe` the frames in the namespace after
each cell, with the cell that just ran. A frame that is new, or whose fingerprint (identity,
shape, column names, dtypes) changed, gets a fresh :class:`~nbsec.pii.scan_job.ScanJob` owned by
that cell: a finding always names the cell that created or changed the frame, even when the scan
finishes cells later. :meth:`run` works on the jobs, smallest frame first, until the budget is
spent; the deadline is checked inside a frame, between bounded steps. What is left continues in a
background thread in small steps, and only while no cell runs (:meth:`pause`, :meth:`resume`);
:meth:`finished` hands over every pass completed since the last call, and a pass that ended on
the deadline is marked partial so the user is told. :meth:`full_scan` is the complete pass of
``%nbsec scan`` and the panel's Full scan, with progress and cancellation.

Everything here is engine-side and kernel-free: the kernel decides how to show results.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nbsec.pii.results import FrameScan
from nbsec.policy import Policy

INLINE_SAMPLE_ROWS = 2_000
KERNEL_STEP_CHARS = 30_000  # one step of a kernel scan: a few milliseconds
_FRAME_TYPES = frozenset({("pandas", "DataFrame"), ("polars", "DataFrame")})
_BACKGROUND_SLICE = 0.02  # seconds of work between yields of the background thread
_BACKGROUND_PAUSE = 0.005


def is_frame(value: Any) -> bool:
    """A pandas or polars DataFrame, or a subclass of one (GeoDataFrame, a team's own)."""
    try:
        mro = type(value).__mro__
    except AttributeError:  # pragma: no cover - every type has an MRO
        return False
    return any((cls.__module__.split(".")[0], cls.__name__) in _FRAME_TYPES for cls in mro[:8])


def fingerprint(frame: Any) -> tuple[Any, ...]:
    """Identity, shape, column names and dtypes: cheap, and changes with most edits."""
    try:
        columns = tuple(str(c) for c in list(frame.columns)[:500])
        dtypes = tuple(str(d) for d in list(frame.dtypes)[:500])
        return (id(frame), tuple(frame.shape), columns, dtypes)
    except Exception:
        return (id(frame),)


@dataclass(frozen=True)
class CellRef:
    """The cell a frame belongs to: id where the front end sends one, else its execution."""

    cell_id: str | None = None
    execution_count: int | None = None
    label: str = ""  # "cell 4", "before nbsec was loaded"


@dataclass
class FramePass:
    """One finished (or deadline-stopped) pass over a frame."""

    name: str
    cell: CellRef
    scan: FrameScan
    seconds: float
    partial: bool
    error: str | None = None
    # why a pass is partial: "budget" (the cell's time ran out) or "loading" (presidio's
    # recognizers were still loading: nbsec's core ones were used); "core" for a complete pass
    # made with nbsec's core recognizers only (a pass with the whole set follows)
    reason: str = ""
    exception: BaseException | None = field(default=None, repr=False, compare=False)


@dataclass
class _Entry:
    name: str
    frame: Any
    fingerprint: tuple[Any, ...]
    cell: CellRef
    job: Any  # ScanJob
    size: int
    reported: bool = False
    error: str | None = None
    settled: bool = False  # a complete pass was recorded elsewhere (a full scan)
    deferred: list[str] = field(default_factory=list)


class FrameScanQueue:
    """The frames of one kernel session and their scans (see the module docstring)."""

    def __init__(
        self,
        policy: Callable[[], Policy],
        *,
        background: bool = True,
        inline_sample: int = INLINE_SAMPLE_ROWS,
    ) -> None:
        self._policy = policy
        self._background = background
        self._inline_sample = inline_sample
        self._entries: dict[str, _Entry] = {}
        self._done: list[FramePass] = []
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._idle = threading.Event()  # set while no cell runs: background work only then
        self._idle.set()

    # -- what is in the namespace -----------------------------------------------------------
    def observe(self, frames: Mapping[str, Any], cell: CellRef) -> list[str]:
        """Track ``frames`` (name -> frame) after ``cell`` ran; returns the names whose scan
        starts anew (new or changed frames). Frames no longer present are forgotten."""
        from nbsec.pii.scan_job import ScanJob

        started = []
        with self._lock:
            for gone in set(self._entries) - set(frames):
                self._entries[gone].job.cancel()
                del self._entries[gone]
            for name, frame in frames.items():
                mark = fingerprint(frame)
                entry = self._entries.get(name)
                if entry is not None and entry.fingerprint == mark:
                    continue
                if entry is not None:
                    entry.job.cancel()
                policy = self._policy()
                try:
                    job = ScanJob(
                        frame, sample=min(policy.pii.sample, self._inline_sample), policy=policy
                    )
                except Exception as exc:  # not scannable after all (an exotic subclass)
                    self._done.append(_failed(name, cell, exc))
                    continue
                job.step_chars = KERNEL_STEP_CHARS
                self._entries[name] = _Entry(name, frame, mark, cell, job, _size(frame))
                started.append(name)
        return started

    def pending(self) -> list[str]:
        with self._lock:
            return [n for n, e in self._entries.items() if _open(e)]

    def settle(self, name: str) -> None:
        """A complete pass over ``name`` was recorded (a full scan): stop its own job."""
        with self._lock:
            entry = self._entries.get(name)
            if entry is not None:
                entry.settled = True
                entry.job.cancel()
            self._done = [p for p in self._done if p.name != name]

    def owner(self, name: str) -> CellRef | None:
        entry = self._entries.get(name)
        return entry.cell if entry else None

    # -- running ----------------------------------------------------------------------------
    def run(self, budget: float) -> list[FramePass]:
        """Work on the pending jobs for at most ``budget`` seconds (smallest frame first, the
        deadline checked between bounded steps); returns every pass finished since the last
        call, each frame's unfinished first pass marked partial."""
        self._advance(budget)
        out = self.finished()
        with self._lock:
            for entry in self._entries.values():
                if _open(entry) and not entry.reported:
                    # tell the user now what the first pass saw, and that it goes on
                    entry.reported = True
                    scan = entry.job.result()
                    reason = "loading" if entry.job.core else "budget"
                    out.append(
                        FramePass(
                            entry.name, entry.cell, scan, entry.job.elapsed, True, None, reason
                        )
                    )
        if self._background and self.pending():
            self._start_background()
        return out

    def _advance(self, budget: float) -> None:
        deadline = time.perf_counter() + max(0.0, budget)
        with self._lock:
            entries = sorted(
                (e for e in self._entries.values() if _open(e)),
                key=lambda e: e.size,
            )
        for entry in entries:
            if time.perf_counter() >= deadline:
                break
            self._work(entry, deadline)

    def _work(self, entry: _Entry, deadline: float) -> None:
        try:
            done = entry.job.run(deadline=deadline)
        except Exception as exc:  # the frame changed under us, or a reader failed
            entry.error = f"{type(exc).__name__}: {str(exc)[:120]}"
            with self._lock:
                self._done.append(_failed(entry.name, entry.cell, exc))
            return
        if done:
            with self._lock:
                if self._entries.get(entry.name) is entry:
                    scan = entry.job.result()
                    core = bool(entry.job.core)
                    self._done.append(
                        FramePass(
                            entry.name,
                            entry.cell,
                            scan,
                            entry.job.elapsed,
                            False,
                            None,
                            "core" if core else "",
                        )
                    )
                    if core:
                        # nbsec's core recognizers made this pass while presidio's loaded: the
                        # whole set follows, in the background, same owner
                        self._follow_up(entry)

    def _follow_up(self, entry: _Entry) -> None:
        from nbsec.pii.scan_job import ScanJob

        old = entry.job
        try:
            job = ScanJob(entry.frame, sample=old.sample_size, policy=self._policy())
        except Exception:
            return
        job.step_chars = KERNEL_STEP_CHARS
        job.wait_for_full = True
        entry.job = job
        entry.reported = True

    def finished(self) -> list[FramePass]:
        """Passes completed (in the foreground or the background) since the last call."""
        with self._lock:
            out, self._done = self._done, []
        return out

    def _start_background(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._wake.set()
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._background_loop, name="nbsec-frame-scan", daemon=True
            )
            self._thread.start()

    def pause(self) -> None:
        """A cell starts: the background thread stops taking steps (and the interpreter)."""
        self._idle.clear()

    def resume(self) -> None:
        """The cell is over: background work may go on."""
        self._idle.set()

    def _background_loop(self) -> None:
        while not self._stop.is_set():
            self._idle.wait(timeout=1.0)
            if not self._idle.is_set():
                continue
            with self._lock:
                entries = sorted(
                    (e for e in self._entries.values() if _open(e)),
                    key=lambda e: e.size,
                )
            if not entries:
                self._wake.wait(timeout=1.0)
                self._wake.clear()
                if not self.pending():
                    return
                continue
            self._work(entries[0], time.perf_counter() + _BACKGROUND_SLICE)
            time.sleep(_BACKGROUND_PAUSE)  # let the user's code have the interpreter

    def wait_idle(self, timeout: float) -> bool:
        """Block until no job is pending (tests, ``%nbsec scan --wait``); False on timeout."""
        end = time.perf_counter() + timeout
        while self.pending() and time.perf_counter() < end:
            if self._thread is None or not self._thread.is_alive():
                self._advance(0.05)
            time.sleep(0.01)
        return not self.pending()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._idle.set()
        with self._lock:
            for entry in self._entries.values():
                entry.job.cancel()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=2.0)

    # -- complete passes --------------------------------------------------------------------
    def full_scan(
        self,
        name: str,
        frame: Any,
        *,
        progress: Callable[[float], None] | None = None,
        cancel: threading.Event | None = None,
        exhaustive: bool = True,
    ) -> FramePass:
        """A complete pass over one frame (every value when ``exhaustive``), reporting progress
        (0..1) and stopping when ``cancel`` is set; the result is partial when cancelled."""
        from nbsec.pii.scan_job import ScanJob

        job = ScanJob(frame, exhaustive=exhaustive, policy=self._policy())
        started = time.perf_counter()
        while not job.done:
            if cancel is not None and cancel.is_set():
                job.cancel()
                break
            job.run(deadline=time.perf_counter() + 0.1)
            if progress is not None:
                progress(job.progress)
        if progress is not None and job.done:
            progress(1.0)
        owner = self.owner(name) or CellRef(label="")
        return FramePass(name, owner, job.result(), time.perf_counter() - started, not job.done)


def _open(entry: _Entry) -> bool:
    return not entry.job.done and not entry.error and not entry.settled


def _failed(name: str, cell: CellRef, exc: BaseException) -> FramePass:
    scan = FrameScan(rows=0, rows_scanned=0, exhaustive=False)
    scan.partial = True
    error = f"{type(exc).__name__}: {str(exc)[:120]}"
    return FramePass(name, cell, scan, 0.0, True, error, exception=exc)


def _size(frame: Any) -> int:
    try:
        return int(frame.shape[0]) * max(1, int(frame.shape[1]))
    except Exception:
        return 0
