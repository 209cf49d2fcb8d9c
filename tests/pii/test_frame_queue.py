"""The kernel-side frame queue: budgets, background completion, cell ownership, full scans."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from nbsec.pii.frame_queue import CellRef, FrameScanQueue, is_frame
from nbsec.policy import Policy


class TaggedFrame(pd.DataFrame):
    """A DataFrame subclass, as libraries and teams define them."""

    @property
    def _constructor(self):  # type: ignore[no-untyped-def]
        return TaggedFrame


def _people(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "email": [f"user{i}@example.com" for i in range(rows)],
            "note": [f"order {i} shipped with the usual care and attention" for i in range(rows)],
        }
    )


@pytest.fixture
def queue():  # type: ignore[no-untyped-def]
    q = FrameScanQueue(Policy, background=True)
    q.observe({"warm": _people(5)}, CellRef(label="warm-up"))
    q.run(30.0)  # the recognizers are built once per process (in the background)
    assert q.wait_idle(120.0)
    q.finished()
    yield q
    q.close()


def test_subclasses_are_frames() -> None:
    assert is_frame(TaggedFrame({"a": [1]}))
    assert is_frame(pd.DataFrame({"a": [1]}))
    assert not is_frame(pd.Series([1])) and not is_frame([1, 2])


def test_a_pass_cut_by_the_budget_finishes_in_the_background(queue: FrameScanQueue) -> None:
    wide = pd.concat([_people(3000)] * 1, axis=1)
    for i in range(30):
        wide[f"text{i}"] = [f"plain words {j} in column {i}" for j in range(3000)]
    cell = CellRef(cell_id="c-3", execution_count=3, label="cell 3")
    assert queue.observe({"wide": wide}, cell) == ["wide"]
    first = queue.run(0.0)  # no time at all: one bounded step, then a partial first pass
    assert [(p.name, p.partial) for p in first] == [("wide", True)]
    assert first[0].scan.partial and first[0].scan.pending
    # later cells run while the rest goes on off their path
    queue.observe({"wide": wide, "small": _people(10)}, CellRef(cell_id="c-9", label="cell 9"))
    assert queue.wait_idle(120.0)
    passes = {p.name: p for p in queue.finished()}
    done = passes["wide"]
    assert not done.partial and done.cell == cell  # the finding belongs to the cell that made it
    assert done.scan.columns["email"].entity_types == ["EMAIL_ADDRESS"]
    assert passes["small"].cell.cell_id == "c-9"


def test_a_changed_frame_belongs_to_the_cell_that_changed_it(queue: FrameScanQueue) -> None:
    frame = pd.DataFrame({"n": range(20)})
    queue.observe({"df": frame}, CellRef(cell_id="a"))
    queue.run(5.0)
    assert queue.observe({"df": frame}, CellRef(cell_id="b")) == []  # unchanged: same owner
    frame["contact"] = [f"p{i}@example.org" for i in range(20)]
    assert queue.observe({"df": frame}, CellRef(cell_id="c")) == ["df"]
    assert queue.wait_idle(60.0)
    (done,) = [p for p in queue.finished() if p.name == "df" and not p.partial][-1:]
    assert done.cell.cell_id == "c"
    assert done.scan.columns["contact"].entity_types == ["EMAIL_ADDRESS"]
    queue.observe({}, CellRef(cell_id="d"))  # deleted: forgotten
    assert queue.owner("df") is None


def test_full_scan_reports_progress_and_can_be_cancelled(queue: FrameScanQueue) -> None:
    frame = _people(20_000)
    seen: list[float] = []
    complete = queue.full_scan("people", frame, progress=seen.append)
    assert not complete.partial and complete.scan.exhaustive and seen[-1] == 1.0
    assert seen == sorted(seen)
    stop = threading.Event()

    def cancel_soon(value: float) -> None:
        if value > 0:
            stop.set()

    cancelled = queue.full_scan("people", frame, progress=cancel_soon, cancel=stop)
    assert cancelled.partial and cancelled.scan.partial
