"""A scan of a Spark or Dask frame that runs off the caller's thread, can be waited for briefly,
and can be cancelled.

The kernel cannot give a Spark job or a Dask graph its 50 ms cell budget (starting a job takes
longer than that), so it starts a :class:`BackgroundScan` when it first sees such a frame and
records the result as soon as it ends (``on_done`` wakes the kernel's loop between cells), or
when ``%nbsec scan`` waits for it. A first look may be given an ``idle`` event, set while no cell
runs: its work in the kernel's own process (scanning Spark's first rows) takes steps only while
it is set, so it never competes with a cell for the interpreter. Cancelling stops the engine's
work: the scan's Spark jobs run in a job group of their own (cancelled with ``cancelJobGroup``);
a Dask scan through a ``distributed`` client is a future that is cancelled.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from nbsec.pii.frame_kinds import FrameKind
from nbsec.pii.results import FrameScan
from nbsec.policy import Policy

_ids = itertools.count(1)


class BackgroundScan:
    """Scan ``frame`` of ``kind`` in a daemon thread (see the module docstring)."""

    def __init__(
        self,
        kind: FrameKind,
        frame: Any,
        *,
        sample: int,
        exhaustive: bool,
        policy: Policy,
        on_done: Callable[[BackgroundScan], None] | None = None,
        glance: bool = False,
        idle: threading.Event | None = None,
    ) -> None:
        self.kind = kind
        self.frame = frame
        self.exhaustive = exhaustive
        # a first look (the kind's ``glance``: first rows / first partition), not a sample
        self.glance = glance and not exhaustive and kind.glance is not None
        # set while no cell runs: a first look's work in this process waits for it
        self.idle = idle
        self.group = f"nbsec-pii-{next(_ids)}"
        self.started = time.monotonic()
        self.finished: float | None = None
        self.scan: FrameScan | None = None
        self.error: str | None = None
        self.cancelled = False
        self._done = threading.Event()
        self._on_done = on_done
        self._thread = threading.Thread(
            target=self._run,
            args=(sample, policy),
            name=f"nbsec {kind.name} scan",
            daemon=True,
        )
        self._thread.start()

    def _run(self, sample: int, policy: Policy) -> None:
        try:
            if self.glance and self.kind.glance is not None:
                extra = {} if self.idle is None else {"idle": self.idle}
                self.scan = self.kind.glance(
                    self.frame, sample=sample, policy=policy, job_group=self.group, **extra
                )
                return
            self.scan = self.kind.scan(
                self.frame,
                sample=sample,
                exhaustive=self.exhaustive,
                policy=policy,
                job_group=self.group,
            )
        except Exception as exc:  # reported by the owner, never raised in a thread
            self.error = "cancelled" if self.cancelled else _one_line(exc)
        finally:
            self.finished = time.monotonic()
            self._done.set()
            if self._on_done is not None:
                try:
                    self._on_done(self)
                except Exception as exc:  # the owner's callback must not kill the thread
                    self.error = self.error or f"after the scan: {_one_line(exc)}"

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds; true when the scan has finished."""
        return self._done.wait(timeout)

    def cancel(self) -> None:
        """Stop the engine's work for this scan (the thread ends with ``error == "cancelled"``)."""
        if self.done:
            return
        self.cancelled = True
        threading.Thread(target=self._keep_cancelling, name="nbsec cancel", daemon=True).start()

    def _keep_cancelling(self) -> None:
        """Cancel now and again until the scan ends: a job the scan starts after the first
        request (it was still planning) is cancelled too."""
        deadline = time.monotonic() + 120
        while not self.done and time.monotonic() < deadline:
            with contextlib.suppress(Exception):  # best effort: jobs also end on their own
                self.kind.cancel(self.frame, self.group)
            self._done.wait(0.5)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
