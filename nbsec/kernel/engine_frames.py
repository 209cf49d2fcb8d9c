"""Spark, pandas-on-Spark and Dask frames in the kernel: noticed without running anything, scanned
inside their engine off the cell's critical path.

The frame watch asks :func:`engine_kind` about each new variable (a string compare on the class's
module; nothing is imported unless the value comes from pyspark or dask) and notices changes by
:func:`engine_signature` (identity; for Dask also column names and partitions; never a row count,
which would run a job, nor a Spark schema, which makes the JVM analyse the plan). A Spark job or a
Dask graph cannot start within the cell's budget, so the first sight of such a frame starts a
:class:`~nbsec.pii.background_scan.BackgroundScan` of a first look (the kind's ``glance``: Spark's
first rows, Dask's first partition; never the whole frame) and returns at once.
When the look ends, :class:`EngineScans` wakes the frame watch, which records the result on the
kernel's loop between cells (every panel gets an ``update``, ``%nbsec frames`` lists it; the
findings are shown after the next cell), or after the cell running at that moment. ``%nbsec scan
NAME`` and the panel's Full scan run a full pass as an :class:`EngineFullScan` job: bounded waits
between the kernel's other messages, cancellable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.findings import Finding
    from nbsec.pii.background_scan import BackgroundScan
    from nbsec.pii.frame_kinds import FrameKind
    from nbsec.pii.results import FrameScan
    from nbsec.policy import Policy

_ENGINE_MODULES = ("pyspark", "dask")


def engine_kind(value: Any) -> FrameKind | None:
    """The registered frame kind of a Spark / pandas-on-Spark / Dask frame, else ``None``."""
    if type(value).__module__.split(".", 1)[0] not in _ENGINE_MODULES:
        return None
    from nbsec.pii.frame_kinds import kind_of

    return kind_of(value)


def engine_signature(value: Any, kind: FrameKind) -> tuple[Any, ...]:
    """What tells a changed frame from the one last seen, without asking the engine anything
    (asking a Spark frame its columns makes the JVM analyse the plan: 10-150 ms in the cell).
    A Spark DataFrame never changes (a transformation makes a new object): its identity. A
    pandas-on-Spark frame changed in place replaces its inner frame: both identities. A Dask
    frame: identity, column names and partitions (metadata Dask holds)."""
    if kind.name == "spark":
        return (id(value), kind.name)
    if kind.name == "pandas-on-spark":
        return (id(value), kind.name, id(getattr(value, "_internal_frame", None)))
    try:
        described = kind.describe(value)
    except Exception:
        return (id(value), kind.name)
    columns = tuple(described.get("columns", ()))[:200]
    return (id(value), kind.name, columns, described.get("partitions"))


@dataclass
class _Running:
    job: BackgroundScan
    frame: Any
    signature: tuple[Any, ...]


class EngineScans:
    """First looks at engine frames running in the background, by variable name. ``on_done`` is
    called (in the scan's thread) when one ends; ``idle`` is set while no cell runs (the frame
    watch clears it for a cell's run), and a first look's work in the kernel's process waits for
    it."""

    def __init__(self, on_done: Callable[[], None] | None = None) -> None:
        self._running: dict[str, _Running] = {}
        self._on_done = on_done
        self.idle = threading.Event()
        self.idle.set()

    def running(self, name: str, signature: tuple[Any, ...]) -> bool:
        entry = self._running.get(name)
        return entry is not None and entry.signature == signature and not entry.job.done

    def start(
        self, name: str, frame: Any, kind: FrameKind, signature: tuple[Any, ...], policy: Policy
    ) -> None:
        """Start (or restart, for a changed frame) the sampled scan of ``name``."""
        from nbsec.pii.background_scan import BackgroundScan

        old = self._running.pop(name, None)
        if old is not None and not old.job.done:
            old.job.cancel()
        job = BackgroundScan(
            kind,
            frame,
            sample=policy.pii.sample,
            exhaustive=False,
            policy=policy,
            glance=True,
            idle=self.idle,
            on_done=self._ended,
        )
        self._running[name] = _Running(job, frame, signature)

    def _ended(self, job: BackgroundScan) -> None:
        if self._on_done is not None and not job.cancelled:
            self._on_done()

    def names(self) -> list[str]:
        """The frames whose first look has not been recorded yet (running, or ended and not
        taken)."""
        return list(self._running)

    def finished(self) -> list[tuple[str, Any, BackgroundScan]]:
        """Scans that ended since the last call: ``(name, frame, job)``."""
        out = []
        for name, entry in list(self._running.items()):
            if entry.job.done:
                del self._running[name]
                out.append((name, entry.frame, entry.job))
        return out

    def forget(self, name: str) -> None:
        entry = self._running.pop(name, None)
        if entry is not None and not entry.job.done:
            entry.job.cancel()

    def close(self) -> None:
        self.idle.set()  # a first look waiting for the end of a cell ends with its scan
        for name in list(self._running):
            self.forget(name)


class EngineFullScan:
    """A full pass over an engine frame as a kernel scan job (``nbsec.kernel.context.ScanJob``):
    :meth:`run` starts it, then waits until its deadline; when it ends, ``record`` puts the
    result in the session."""

    def __init__(
        self,
        name: str,
        frame: Any,
        kind: FrameKind,
        policy: Policy,
        record: Callable[[str, Any, FrameScan, float], list[Finding]],
    ) -> None:
        self.name, self.frame, self.kind, self.policy = name, frame, kind, policy
        self._record = record
        self._job: BackgroundScan | None = None
        self._done = False
        self.error: str | None = None
        self.findings: list[Finding] = []  # what recording the result returned

    @property
    def progress(self) -> float:
        if self._done:
            return 1.0
        return 0.0 if self._job is None else 0.5

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
        self._done = True

    def run(self, deadline: float | None = None) -> bool:
        from nbsec.pii.background_scan import BackgroundScan

        if self._done:
            return True
        if self._job is None:
            self._job = BackgroundScan(
                self.kind,
                self.frame,
                sample=self.policy.pii.sample,
                exhaustive=True,
                policy=self.policy,
            )
        timeout = None if deadline is None else max(0.0, deadline - time.perf_counter())
        if not self._job.wait(timeout):
            return False
        self._done = True
        if self._job.error is not None or self._job.scan is None:
            self.error = self._job.error or "no result"
            raise RuntimeError(f"{self.kind.name} scan of {self.name!r} failed: {self.error}")
        elapsed = (self._job.finished or time.monotonic()) - self._job.started
        self.findings = self._record(self.name, self.frame, self._job.scan, elapsed)
        return True
