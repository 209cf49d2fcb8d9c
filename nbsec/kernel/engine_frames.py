"""Spark, pandas-on-Spark and Dask frames in the kernel: noticed without running anything, scanned
inside their engine off the cell's critical path.

The frame watch asks :func:`engine_kind` about each new variable (a string compare on the class's
module; nothing is imported unless the value comes from pyspark or dask) and notices changes by
:func:`engine_signature` (identity, column names, partitions: never a row count, which would run a
job). A Spark job or a Dask graph cannot start within the cell's budget, so the first sight of such
a frame starts a :class:`~nbsec.pii.background_scan.BackgroundScan` of a first look (the kind's
``glance``: Spark's first rows, Dask's first partition; never the whole frame) and returns at once;
:class:`EngineScans` hands its result to the frame watch after a later cell (and the panel gets it
with that cell's update). ``%nbsec scan NAME`` and the panel's Full scan run a full pass as an
:class:`EngineFullScan` job: bounded waits between the kernel's other messages, cancellable.
"""

from __future__ import annotations

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
    """Identity, kind, column names and partitions: known without running a job."""
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
    """Sampled scans of engine frames running in the background, by variable name."""

    def __init__(self) -> None:
        self._running: dict[str, _Running] = {}

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
            kind, frame, sample=policy.pii.sample, exhaustive=False, policy=policy, glance=True
        )
        self._running[name] = _Running(job, frame, signature)

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
