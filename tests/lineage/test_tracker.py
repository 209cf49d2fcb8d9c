"""CellRecords from a real IPython shell: names, in-place mutation, files, errors, unobserved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbsec.lineage import audit_hook, io_wrappers
from nbsec.lineage.notebook_cells import source_sha256

NOTEBOOK = [
    "import pandas as pd\nimport numpy as np",  # 0
    "open('in.csv', 'w').write('a,b\\n1,2\\n3,4\\n')",  # 1
    "df = pd.read_csv('in.csv')",  # 2
    "df['c'] = df.a * 2",  # 3 mutation through a subscript
    "removed = df.pop('b')",  # 4 mutation seen only by the fingerprint
    "arr = np.zeros(5)\nlst = []",  # 5
    "arr += 1\nlst.append(3)",  # 6 in-place on array (augmented) and list (fingerprint)
    "def total():\n    return int(df.c.sum())",  # 7
    "t = total()",  # 8 uses df through the function's globals
    "df.to_csv('out.csv')",  # 9
    "exec('hidden = 1')",  # 10
    "import subprocess\nsubprocess.run(['true'], check=True)",  # 11
    "arr = 1 / 0",  # 12 raised before binding 'arr'; 'arr' is not redefined
    "del t",  # 13
    "globals()['sneaky'] = 42",  # 14 bound without an assignment in the AST
    "counter = 0\ndef bump():\n    global counter\n    counter = counter + 1",  # 15
    "bump()",  # 16 rebinds 'counter' through the function's global statement
    "from math import *",  # 17 star import binds many names
]

EXPECTED: list[dict[str, Any]] = [
    {"imports": ["np", "pd"]},
    {"writes": ["in.csv"]},
    {"defines": ["df"], "reads": ["in.csv"]},
    {"uses": ["df"], "mutated": ["df"]},
    {"defines": ["removed"], "uses": ["df"], "mutated": ["df"]},
    {"defines": ["arr", "lst"]},
    {"uses": ["arr", "lst"], "mutated": ["arr", "lst"]},
    {"defines": ["total"]},
    {"defines": ["t"], "uses": ["df", "total"]},
    {"uses": ["df"], "writes": ["out.csv"]},
    {"defines": ["hidden"], "unobserved": ["exec"]},
    {"imports": ["subprocess"], "unobserved": ["subprocess (true)"]},
    {"error": "ZeroDivisionError"},
    {"deleted": ["t"]},
    {"defines": ["sneaky"]},
    {"defines": ["bump", "counter"]},
    {"uses": ["bump", "counter"], "defines": ["counter"]},
    {"defines": ["acos", "pi", "sqrt"]},
]
KEYS = ("defines", "uses", "mutated", "deleted", "imports", "unobserved", "reads", "writes")


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory, shell: Any) -> list[dict[str, Any]]:
    import os

    from nbsec.lineage.tracker import LineageTracker
    from nbsec.policy import Policy
    from tests.lineage.conftest import Session

    tmp = tmp_path_factory.mktemp("tracker")
    old = os.getcwd()
    os.chdir(tmp)
    shell.reset(new_session=True)
    tracker = LineageTracker(shell, Policy, notebook_path=tmp / "nb.ipynb", session_id="t")
    shell.events.register("pre_run_cell", tracker.pre_run_cell)
    shell.events.register("post_run_cell", tracker.post_run_cell)
    try:
        session = Session(shell, tracker, tmp / "nb.ipynb")
        session.save(NOTEBOOK)
        session.run_all()
        out = [r.to_dict() for r in tracker.records]
    finally:
        shell.events.unregister("pre_run_cell", tracker.pre_run_cell)
        shell.events.unregister("post_run_cell", tracker.post_run_cell)
        tracker.close()
        os.chdir(old)
    return out


@pytest.mark.parametrize("index", range(len(NOTEBOOK)))
def test_each_cell_record(records: list[dict[str, Any]], index: int) -> None:
    record = records[index]
    assert record["cell_index"] == index
    assert record["execution_count"] == index + 1
    assert record["source_sha256"] == source_sha256(NOTEBOOK[index])
    assert record["cell_id"]  # taken from the saved notebook
    expected = EXPECTED[index]
    for key in KEYS:
        got = record[key]
        if index == 17 and key == "defines":
            got = [n for n in got if n in ("acos", "pi", "sqrt")]
        if key in ("reads", "writes"):
            got = [Path(a["uri"]).name for a in got]
        assert sorted(got) == sorted(expected.get(key, [])), (index, key, record)
    assert record["error"] == expected.get("error")
    for access in record["reads"] + record["writes"]:
        assert len(access["sha256"]) == 64


def test_frames_carry_shape_columns_and_fingerprint(records: list[dict[str, Any]]) -> None:
    created, widened, dropped = (records[i]["variables"]["df"] for i in (2, 3, 4))
    assert created["type"] == "pandas.DataFrame"
    assert created["shape"] == [2, 2]
    assert [c["name"] for c in widened["columns"]] == ["a", "b", "c"]
    assert [c["name"] for c in dropped["columns"]] == ["a", "c"]
    assert len({created["fingerprint"], widened["fingerprint"], dropped["fingerprint"]}) == 3


def test_unobserved_operations_become_lin_001_findings(records: list[dict[str, Any]]) -> None:
    findings = records[11]["findings"]
    assert [f["rule"] for f in findings] == ["NBS-LIN-001"]
    assert findings[0]["location"]["cell_index"] == 11
    assert findings[0]["location"]["execution_count"] == 12
    assert records[10]["findings"][0]["evidence"] == "exec"


def test_same_content_written_twice_keeps_one_hash(records: list[dict[str, Any]]) -> None:
    wrote = records[1]["writes"][0]
    read = records[2]["reads"][0]
    assert wrote["uri"] == read["uri"]
    assert wrote["sha256"] == read["sha256"]


def test_record_is_json_and_holds_no_source_text(records: list[dict[str, Any]]) -> None:
    text = json.dumps(records)
    assert "read_csv" not in text and "division by zero" not in text


def test_model_events_and_unobserved_calls_are_attributed(make_session: Any) -> None:
    session = make_session(["x = 1", "y = x + 1"])
    session.tracker.record_model(
        {"source": "https://user:pw@hub.example/org/m?token=abc", "sha256": "a" * 64,
         "verdict": "safe", "api": "torch.load", "payload": object()}
    )  # fmt: skip
    first = session.run(0)
    session.tracker.unobserved("worker pool")  # between cells: goes to the next cell
    second = session.run(1)
    assert first.models == [
        {"source": "https://hub.example/org/m?token=h-ba7816bf8f01", "path": None,
         "sha256": "a" * 64, "verdict": "safe", "api": "torch.load", "format": None,
         "revision": None, "rule": None, "action": None, "pinned": None}
    ]  # fmt: skip
    assert second.unobserved == ["worker pool"]
    assert second.uses == ["x"]


def test_close_stops_recording_and_restores(make_session: Any) -> None:
    session = make_session(["a = 1", "b = a"])
    session.run(0)
    session.tracker.close()
    assert audit_hook.active_sink() is None
    assert not io_wrappers.installed()
    assert session.tracker.post_run_cell(None) is None
    session.shell.run_cell("c = 2")
    assert len(session.tracker.records) == 1
    assert audit_hook.installed()  # the hook stays (it cannot be removed) but is idle


def test_cells_without_a_saved_notebook_have_no_index(make_session: Any) -> None:
    session = make_session(["v = 1"])
    record = session.run_source("w = 2  # typed in a console")
    assert record.cell_index is None
    assert record.defines == ["w"]


def test_private_and_ipython_names_are_ignored(make_session: Any) -> None:
    session = make_session(["_private = 1\nvisible = 2\nvisible"])
    record = session.run(0)
    assert record.defines == ["visible"]
