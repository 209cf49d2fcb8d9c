"""The batch runner every multi-file command shares: many inputs, worker processes, one outcome
per input in input order.

:func:`run_batch` calls ``work(item)`` for each item and returns one :class:`ItemOutcome` per
item, in the order the items were given, whatever order the workers finish in:

* ``jobs`` worker processes (``--jobs N``; default :func:`default_jobs`, the CPUs this process
  may use). With one job, or one item, the work runs in this process: no start-up cost, and
  tracebacks stay simple under ``--debug``.
* A failed item never stops the run: an :class:`~nbsec.errors.NbsecError` becomes its one-line
  message (which names the file), any other exception ``<item>: internal error: <Type>: <first
  line>``; a worker process that dies (a crash in a C extension, the OOM killer) is detected, the
  items it may have held are run again, and an item that kills a worker of its own is reported as
  ``<item>: the worker process died (...)`` while the others are still done.
* A progress bar on standard error when it is a terminal; nothing at all otherwise (CI logs).
* An optional results cache (:class:`ResultCache`): items it already knows are not run again.

``work`` must be picklable when ``jobs > 1`` (a module-level function, or a
:func:`functools.partial` of one with picklable arguments), and so must its results. Workers are
forked from a fresh ``forkserver`` process that has imported ``work``'s module (and ``preload``)
once, so each worker starts in milliseconds without inheriting the parent's threads or kernels;
where there is no forkserver (Windows) they are spawned.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import time
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TextIO, TypeVar

from nbsec.errors import NbsecError

if TYPE_CHECKING:  # the pool is imported when one is started: one input runs in-process
    import multiprocessing.context
    from concurrent.futures import Future

T = TypeVar("T")
R = TypeVar("R")
T_contra = TypeVar("T_contra", contravariant=True)


@dataclass(frozen=True)
class ItemOutcome(Generic[R]):
    """What became of one input: its ``value``, or a one-line ``error``."""

    index: int
    label: str
    value: R | None = None
    error: str | None = None
    seconds: float = 0.0
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


class ResultCache(Protocol[T_contra, R]):
    """A store of earlier results (keyed, for instance, by the sha256 of the input's content).

    ``get`` returns ``None`` for an item it does not know; ``put`` is called in the parent
    process with each successful result."""

    def get(self, item: T_contra) -> R | None: ...

    def put(self, item: T_contra, value: R) -> None: ...


def default_jobs() -> int:
    """The number of CPUs this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def add_jobs_argument(parser: argparse.ArgumentParser) -> None:
    """``--jobs N`` / ``-j N`` for a command that uses :func:`run_batch`."""
    parser.add_argument(
        "-j",
        "--jobs",
        type=_jobs_arg,
        default=None,
        metavar="N",
        help="worker processes (default: the number of CPUs)",
    )


def _jobs_arg(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of processes, got {value!r}") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError("--jobs must be at least 1")
    return jobs


# -- the work, wrapped so that only plain values cross the process boundary -------------------


def _describe_error(label: str, exc: BaseException) -> str:
    if isinstance(exc, NbsecError):
        text = " ".join(str(exc).split())
        return text if text else f"{label}: {type(exc).__name__}"
    first = str(exc).splitlines()[0].strip() if str(exc).strip() else ""
    detail = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return f"{label}: internal error: {detail[:300]}"


def _call(work: Callable[[T], R], item: T, label: str) -> tuple[bool, R | str, float]:
    """Run one item; ``(True, value, seconds)`` or ``(False, one-line error, seconds)``."""
    started = time.perf_counter()
    try:
        value = work(item)
    except RecursionError:
        return False, f"{label}: input too deeply nested to process", _since(started)
    except Exception as exc:
        return False, _describe_error(label, exc), _since(started)
    return True, value, _since(started)


def _since(started: float) -> float:
    return time.perf_counter() - started


# -- progress ----------------------------------------------------------------------------------


class Progress:
    """A one-line progress bar on a terminal: ``[#####.....] 3/10  name  0:04``."""

    def __init__(self, total: int, stream: TextIO, *, enabled: bool, what: str) -> None:
        self.total = total
        self.stream = stream
        self.enabled = enabled and total > 0
        self.what = what
        self.done = 0
        self.failed = 0
        self.started = time.monotonic()
        self._last = ""

    def update(self, label: str, ok: bool) -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        if not self.enabled:
            return
        width = shutil.get_terminal_size((80, 20)).columns
        elapsed = int(time.monotonic() - self.started)
        bar_width = max(10, min(30, width // 4))
        filled = bar_width * self.done // self.total
        bar = "#" * filled + "." * (bar_width - filled)
        failed = f", {self.failed} failed" if self.failed else ""
        head = f"{self.what} [{bar}] {self.done}/{self.total}{failed} {elapsed // 60}:"
        head += f"{elapsed % 60:02d}  "
        room = max(0, width - len(head) - 1)
        name = label if len(label) <= room else "…" + label[-(room - 1) :] if room > 1 else ""
        line = head + name
        pad = " " * max(0, len(self._last) - len(line))
        self.stream.write("\r" + line + pad)
        self.stream.flush()
        self._last = line

    def close(self) -> None:
        if self.enabled and self._last:
            self.stream.write("\r" + " " * len(self._last) + "\r")
            self.stream.flush()
            self._last = ""


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# -- the runner ---------------------------------------------------------------------------------


def run_batch(
    items: Sequence[T],
    work: Callable[[T], R],
    *,
    jobs: int | None = None,
    label: Callable[[T], str] = str,
    what: str = "nbsec",
    progress: bool | None = None,
    stream: TextIO | None = None,
    cache: ResultCache[T, R] | None = None,
    preload: Sequence[str] = (),
) -> list[ItemOutcome[R]]:
    """Run ``work`` over ``items``; one outcome per item, in input order (see the module doc).

    ``progress`` forces the bar on or off; by default it is shown when ``stream`` (standard error)
    is a terminal. ``what`` names the command on the bar. ``preload`` names modules the workers
    import before their first item (the heavy ones ``work`` imports lazily)."""
    out = stream if stream is not None else sys.stderr
    labels = [label(item) for item in items]
    bar = Progress(
        len(items), out, enabled=_isatty(out) if progress is None else progress, what=what
    )
    outcomes: dict[int, ItemOutcome[R]] = {}

    def settle(outcome: ItemOutcome[R]) -> None:
        outcomes[outcome.index] = outcome
        if cache is not None and outcome.ok and not outcome.cached and outcome.value is not None:
            cache.put(items[outcome.index], outcome.value)
        bar.update(outcome.label, outcome.ok)

    todo: list[int] = []
    for index, item in enumerate(items):
        known = cache.get(item) if cache is not None else None
        if known is not None:
            settle(ItemOutcome(index, labels[index], value=known, cached=True))
        else:
            todo.append(index)

    workers = min(jobs or default_jobs(), len(todo))
    try:
        if workers <= 1:
            for index in todo:
                settle(_outcome(index, labels[index], _call(work, items[index], labels[index])))
        else:
            context = _context([*preload, getattr(work, "__module__", "")])
            with _startable_main():
                _run_in_pool(items, todo, work, labels, workers, settle, context)
    finally:
        bar.close()
    return [outcomes[i] for i in range(len(items))]


@contextlib.contextmanager
def _startable_main() -> Iterator[None]:
    """Let worker processes start from inside IPython: its ``__main__`` is the user's namespace
    module, without the ``__spec__`` that starting a forkserver or a spawned worker reads. For the
    pool's lifetime ``__main__`` is a bare module then (the workers need nbsec, not the user's
    namespace); a ``__main__`` that has ``__spec__`` is left alone."""
    main = sys.modules.get("__main__")
    if main is None or hasattr(main, "__spec__"):
        yield
        return
    bare = types.ModuleType("__main__")
    bare.__spec__ = None
    sys.modules["__main__"] = bare
    try:
        yield
    finally:
        if sys.modules.get("__main__") is bare:
            sys.modules["__main__"] = main


def _context(preload: Sequence[str]) -> multiprocessing.context.BaseContext:
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        modules = [m for m in preload if m and m != "__main__"]
        context.set_forkserver_preload(modules)
        return context
    return multiprocessing.get_context("spawn")


def _outcome(index: int, label: str, result: tuple[bool, object, float]) -> ItemOutcome[R]:
    ok, payload, seconds = result
    if ok:
        return ItemOutcome(index, label, value=payload, seconds=seconds)  # type: ignore[arg-type]
    return ItemOutcome(index, label, error=str(payload), seconds=seconds)


def _run_in_pool(
    items: Sequence[T],
    todo: list[int],
    work: Callable[[T], R],
    labels: list[str],
    workers: int,
    settle: Callable[[ItemOutcome[R]], None],
    context: multiprocessing.context.BaseContext,
) -> None:
    """Run ``todo`` in a pool; after a worker death, run what was left in a fresh pool, and after
    a second one, each remaining item in a worker of its own so the culprit is named."""
    remaining = list(todo)
    for _attempt in range(2):
        remaining = _pool_pass(items, remaining, work, labels, workers, settle, context)
        if not remaining:
            return
    for index in remaining:
        left = _pool_pass(items, [index], work, labels, 1, settle, context)
        for lost in left:
            settle(
                ItemOutcome(
                    lost,
                    labels[lost],
                    error=f"{labels[lost]}: the worker process died while processing it "
                    "(a crash or out of memory); the other inputs were processed",
                )
            )


def _pool_pass(
    items: Sequence[T],
    indexes: list[int],
    work: Callable[[T], R],
    labels: list[str],
    workers: int,
    settle: Callable[[ItemOutcome[R]], None],
    context: multiprocessing.context.BaseContext,
) -> list[int]:
    """One pool over ``indexes``; returns the indexes left unfinished by a worker's death."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=min(workers, len(indexes)), mp_context=context)
    pending: dict[Future[tuple[bool, R | str, float]], int] = {}
    broken = False
    try:
        for index in indexes:
            pending[pool.submit(_call, work, items[index], labels[index])] = index
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    pending[future] = index  # keep it among the unfinished
                    return sorted(pending.values())
                except Exception as exc:  # a result that could not be sent back, ...
                    result = (False, _describe_error(labels[index], exc), 0.0)
                settle(_outcome(index, labels[index], result))
        return []
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=not broken, cancel_futures=True)
