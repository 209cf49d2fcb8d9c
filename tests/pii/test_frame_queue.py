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


def test_a_core_pass_is_followed_by_the_whole_set_and_a_failed_build_is_an_error(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    """A frame seen while presidio's recognizers load gets a complete pass with nbsec's core
    recognizers (shown at once), then a pass with the whole set, same owner; when the set
    cannot be built (a team's broken YAML file), that pass fails with the reason."""
    from tests.pii.conftest import policy_with

    good = tmp_path / "good.yaml"
    good.write_text(
        "recognizers:\n"
        "  - name: TicketRecognizer\n"
        "    supported_language: en\n"
        "    supported_entity: ACME_TICKET\n"
        "    patterns:\n"
        "      - {name: t, regex: 'TKT-\\d{7}', score: 0.8}\n"
        "    context: [ticket]\n",
        "utf-8",
    )
    frame = _people(50).assign(ticket=[f"TKT-{i:07d}" for i in range(50)])
    cell = CellRef(cell_id="c-1", label="cell 1")
    q = FrameScanQueue(lambda: policy_with(recognizers=(str(good),)), background=True)
    try:
        q.observe({"people": frame}, cell)
        first = q.run(5.0)
        assert [(p.reason, p.partial) for p in first] == [("core", False)]
        assert first[0].scan.columns["email"].entity_types == ["EMAIL_ADDRESS"]
        assert not first[0].scan.columns["ticket"].entities  # the team's recognizer: not yet
        assert q.pending() == ["people"]
        assert q.wait_idle(120.0)
        (full,) = q.finished()
        assert (full.reason, full.partial, full.cell) == ("", False, cell)
        assert full.scan.columns["ticket"].entity_types == ["ACME_TICKET"]
    finally:
        q.close()

    broken = tmp_path / "broken.yaml"
    broken.write_text("recognizers: [ {name: X, patterns: 3} ]\n", "utf-8")
    q = FrameScanQueue(lambda: policy_with(recognizers=(str(broken),)), background=True)
    try:
        q.observe({"people": frame}, cell)
        assert [p.reason for p in q.run(5.0)] == ["core"]
        assert q.wait_idle(120.0)
        (failed,) = q.finished()
        assert failed.partial and failed.error and failed.exception is not None
        assert not q.pending()  # not tried again and again
    finally:
        q.close()
