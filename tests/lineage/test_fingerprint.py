"""Fingerprints of pandas objects change with edits made in place, whatever stores the column
or the index (numpy blocks, Arrow-backed strings, categoricals, datetimes, a ``RangeIndex`` or
labels), and stay the same while nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nbsec.lineage.fingerprint import fingerprint

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")
pytest.importorskip("pyarrow")

ROWS = 40
# the in-place forms are deprecated in pandas 3.1 but still what notebooks run
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")


def _frame() -> Any:
    return pd.DataFrame(
        {
            "n": np.arange(ROWS),
            "x": np.linspace(0.0, 1.0, ROWS),
            "s": pd.array([f"name{i}" for i in range(ROWS)], dtype="string[pyarrow]"),
            "c": pd.Categorical(["a", "b"] * (ROWS // 2)),
            "t": pd.date_range("2024-01-01", periods=ROWS, freq="D"),
        }
    )


def _labelled() -> Any:
    frame = _frame()
    frame.index = pd.Index([f"row{i}" for i in range(ROWS)], dtype="string[pyarrow]")
    return frame


def _set(frame: Any, row: int, column: str, value: Any) -> None:
    frame.loc[frame.index[row], column] = value


EDITS: list[tuple[str, Callable[[], Any], Callable[[Any], None]]] = [
    ("int cell, first row", _frame, lambda f: _set(f, 0, "n", -1)),
    ("float cell, last row", _frame, lambda f: _set(f, ROWS - 1, "x", 9.5)),
    ("arrow string cell", _frame, lambda f: _set(f, 0, "s", "other")),
    ("arrow string cell, last row", _frame, lambda f: _set(f, ROWS - 1, "s", "other")),
    ("categorical cell", _frame, lambda f: _set(f, 0, "c", "b")),
    ("datetime cell", _frame, lambda f: _set(f, 0, "t", pd.Timestamp("2000-01-01"))),
    ("column added", _frame, lambda f: f.insert(1, "new", 0)),
    ("column renamed", _frame, lambda f: f.rename(columns={"x": "y"}, inplace=True)),
    ("dtype changed", _frame, lambda f: f.__setitem__("n", f["n"].astype("float64"))),
    ("range index shifted", _frame, lambda f: setattr(f, "index", pd.RangeIndex(1, ROWS + 1))),
    ("range index step", _frame, lambda f: setattr(f, "index", pd.RangeIndex(0, 2 * ROWS, 2))),
    ("string label renamed", _labelled, lambda f: f.rename(index={"row0": "z"}, inplace=True)),
    ("string label cell", _labelled, lambda f: _set(f, 0, "s", "other")),
    ("row dropped", _frame, lambda f: f.drop(index=[ROWS - 1], inplace=True)),
    ("values sorted", _frame, lambda f: f.sort_values("x", ascending=False, inplace=True)),
]


@pytest.mark.parametrize(
    ("make", "edit"), [(m, e) for _, m, e in EDITS], ids=[n for n, _, _ in EDITS]
)
def test_in_place_edit_changes_the_fingerprint(
    make: Callable[[], Any], edit: Callable[[Any], None]
) -> None:
    frame = make()
    before = fingerprint(frame)
    assert before is not None and fingerprint(frame) == before
    edit(frame)
    assert fingerprint(frame) != before


SERIES_EDITS: list[tuple[str, Callable[[], Any], Any]] = [
    ("numpy", lambda: pd.Series(np.arange(ROWS)), -1),
    ("arrow strings", lambda: pd.Series([f"v{i}" for i in range(ROWS)], dtype="str"), "x"),
    (
        "labelled",
        lambda: pd.Series(np.arange(ROWS), index=[f"k{i}" for i in range(ROWS)]),
        -1,
    ),
]


@pytest.mark.parametrize(
    ("make", "value"), [(m, v) for _, m, v in SERIES_EDITS], ids=[n for n, _, _ in SERIES_EDITS]
)
def test_in_place_edit_changes_a_series_fingerprint(make: Callable[[], Any], value: Any) -> None:
    series = make()
    before = fingerprint(series)
    series.iloc[0] = value
    assert fingerprint(series) != before


def test_equal_frames_share_a_fingerprint_and_copies_do_not_drift() -> None:
    assert fingerprint(_frame()) == fingerprint(_frame())
    assert fingerprint(_labelled()) == fingerprint(_labelled().copy())
    assert fingerprint(_frame()) != fingerprint(_labelled())
