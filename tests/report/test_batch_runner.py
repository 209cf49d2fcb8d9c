"""The shared batch runner: input order, one failure never stops the rest, worker deaths, cache,
progress only on a terminal."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nbsec.commands.batch_runner import ItemOutcome, run_batch
from tests.report.batch_work import pid_of_worker, square_or_fail

REPO = Path(__file__).resolve().parents[2]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_come_back_in_input_order_with_errors_in_place(jobs: int) -> None:
    items = ["slow:3", "2", "bad", "boom", "slow:1", "5"]
    outcomes = run_batch(items, square_or_fail, jobs=jobs, progress=False)
    assert [o.index for o in outcomes] == list(range(len(items)))
    assert [o.label for o in outcomes] == items
    assert [o.value for o in outcomes] == [9, 4, None, None, 1, 25]
    assert outcomes[2].error == "bad: not a readable input"
    assert outcomes[3].error == "boom: internal error: ZeroDivisionError: division by zero"
    assert all(o.ok for i, o in enumerate(outcomes) if i not in (2, 3))


def test_worker_processes_are_used_when_jobs_above_one() -> None:
    outcomes = run_batch(["1", "2", "3", "4"], pid_of_worker, jobs=2, progress=False)
    pids = {o.value for o in outcomes}
    assert os.getpid() not in pids
    one = run_batch(["1", "2"], pid_of_worker, jobs=1, progress=False)
    assert {o.value for o in one} == {os.getpid()}


def test_the_report_warm_up_loads_presidio_once_for_every_worker() -> None:
    """``nbsec report``'s forkserver imports ``nbsec.report.preload`` before it forks a worker:
    its warm-up must load presidio's recognizers, which each worker would otherwise load again
    (about 3 s of CPU each). A fresh interpreter, as the forkserver is."""
    code = "import sys, nbsec.report.preload; print('presidio_analyzer' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.stdout.strip() == "True", done.stderr


def test_a_dying_worker_loses_only_its_own_input() -> None:
    items = ["1", "die", "3", "4", "5"]
    outcomes = run_batch(items, square_or_fail, jobs=2, progress=False)
    assert [o.value for o in outcomes] == [1, None, 9, 16, 25]
    assert outcomes[1].error is not None
    assert outcomes[1].error.startswith("die: the worker process died")
    assert "\n" not in outcomes[1].error


def test_progress_bar_on_a_terminal_and_silence_otherwise() -> None:
    tty = _Tty()
    run_batch(["1", "bad", "3"], square_or_fail, jobs=1, stream=tty, what="nbsec report")
    text = tty.getvalue()
    assert "nbsec report [" in text and "3/3" in text and "1 failed" in text
    assert text.endswith("\r")  # the bar is wiped at the end
    plain = io.StringIO()
    run_batch(["1", "bad", "3"], square_or_fail, jobs=1, stream=plain)
    assert plain.getvalue() == ""


class _Cache:
    def __init__(self) -> None:
        self.store: dict[str, int] = {"2": 400}
        self.put_calls: list[str] = []

    def get(self, item: str) -> int | None:
        return self.store.get(item)

    def put(self, item: str, value: int) -> None:
        self.put_calls.append(item)
        self.store[item] = value


def test_cached_items_are_not_run_again() -> None:
    cache = _Cache()
    outcomes: list[ItemOutcome[int]] = run_batch(
        ["1", "2", "bad"], square_or_fail, jobs=1, progress=False, cache=cache
    )
    assert [o.value for o in outcomes] == [1, 400, None]
    assert [o.cached for o in outcomes] == [False, True, False]
    assert cache.put_calls == ["1"]  # failures are never cached


def test_empty_input_is_an_empty_result() -> None:
    assert run_batch([], square_or_fail, jobs=4, progress=False) == []
