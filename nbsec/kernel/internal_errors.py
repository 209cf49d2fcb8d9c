"""Guarded calls: nbsec code inside the user's kernel never breaks the user's cell.

Every watcher hook, comm request and panel push runs through one :class:`InternalErrors`. An
exception is counted, logged at debug level with its traceback, and reported to the user once per
(place, error type, message) as one line::

    nbsec: internal error in frames.post_run_cell (ValueError: ...); your cell was not affected.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger("nbsec")
T = TypeVar("T")


class InternalErrors:
    """Implements :class:`nbsec.kernel.context.GuardedCall`."""

    def __init__(self) -> None:
        self.count = 0
        self._reported: set[tuple[str, str, str]] = set()

    def __call__(self, where: str, fn: Callable[..., T], *args: Any) -> T | None:
        try:
            return fn(*args)
        except Exception as exc:
            self.report(where, exc)
            return None

    def report(self, where: str, exc: BaseException) -> None:
        """Tell the user once per (place, error type, message) that nbsec failed there."""
        self.count += 1
        key = (where, type(exc).__name__, str(exc)[:200])
        log.debug("nbsec internal error in %s", where, exc_info=exc)
        if key in self._reported:
            return
        self._reported.add(key)
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        print(
            f"nbsec: internal error in {where} ({type(exc).__name__}: {first}); "
            "your cell was not affected.",
            file=sys.stderr,
        )
