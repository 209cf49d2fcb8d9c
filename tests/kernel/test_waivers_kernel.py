"""Waivers that mean what they say, a locked mode, nbsec off, and what a session keeps, in a
real kernel: a waiver for one file never admits another; a rule waiver admits nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nbsec.kernel.display import MIME_TYPE
from tests.kernel.harness import Kernel

pytestmark = pytest.mark.kernel

HANDSHAKE = {"type": "handshake", "v": 2, "payload": {"client": "t", "protocol": 2}}

# the user's own model: a class of the team's own package (a global outside every allowlist:
# suspicious; a class defined in the notebook itself is judged as what it is, and allowed)
OWN_MODEL = """\
import pathlib, pickle
pathlib.Path("forestlib.py").write_text(
    "class Forest:\\n    def __init__(self):\\n        self.trees = [1, 2, 3]\\n"
)
import forestlib
with open("rf.pkl", "wb") as fh:
    pickle.dump(forestlib.Forest(), fh)
"""
EVIL = """\
import pickle, os
class Payload:
    def __reduce__(self):
        return (os.system, ("touch {marker}",))
with open("evil.pkl", "wb") as fh:
    pickle.dump(Payload(), fh)
del Payload
"""
LOAD = "import pickle\nobj = pickle.load(open({name!r}, 'rb'))"


def blocked(out: object) -> bool:
    error = getattr(out, "error", None)
    return (
        getattr(out, "status", "") == "error"
        and error is not None
        and (error["ename"] == "BlockedLoad")
    )


def test_a_waiver_for_one_file_never_admits_another(kernel: Kernel, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "nbsec.toml").write_text('mode = "block"\n')
    kernel.execute(OWN_MODEL)
    kernel.execute(EVIL.format(marker=marker))
    kernel.execute("%load_ext nbsec")
    assert blocked(kernel.execute(LOAD.format(name="rf.pkl")))
    allow = kernel.execute('%nbsec allow rf.pkl --reason "our own forest"')
    assert "loads of the one file with sha256" in allow.text()
    assert re.search(r"lets a file load +yes", allow.text())
    assert kernel.execute(LOAD.format(name="rf.pkl")).status == "ok"
    # the same waiver does not reach another file ...
    assert blocked(kernel.execute(LOAD.format(name="evil.pkl")))
    # ... nor a rule or family waiver, which only changes reporting
    rule = kernel.execute('%nbsec allow --rule NBS-PKL --reason "we know"')
    assert "a rule waiver only hides findings" in rule.text()
    assert blocked(kernel.execute(LOAD.format(name="evil.pkl")))
    # a different file at the allowed path (rf.pkl rewritten) is blocked again
    kernel.execute(EVIL.format(marker=marker).replace("evil.pkl", "rf.pkl"))
    assert blocked(kernel.execute(LOAD.format(name="rf.pkl")))
    assert not marker.exists()


def test_nbsec_off_never_lets_a_blocked_file_load(kernel: Kernel, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "nbsec.toml").write_text('mode = "block"\n')
    kernel.execute(EVIL.format(marker=marker))
    kernel.execute("%load_ext nbsec")
    assert "watching           no" in kernel.execute("%nbsec off").text()
    out = kernel.execute(LOAD.format(name="evil.pkl"))
    assert blocked(out)
    assert not marker.exists()
    # the one-line reason is shown even while off; benign loads stay quiet
    quiet = kernel.execute("import pickle\nx = pickle.loads(pickle.dumps([1, 2]))\nx")
    assert quiet.status == "ok" and [r for r in quiet.results if MIME_TYPE in r] == []


def test_a_locked_mode_refuses_off_and_warn_and_records_the_attempt(
    kernel: Kernel, tmp_path: Path
) -> None:
    (tmp_path / "nbsec.toml").write_text('mode = "block"\nlocked = true\n')
    kernel.execute("%load_ext nbsec")
    off = kernel.execute("%nbsec off")
    assert off.status == "ok"
    assert off.stderr.strip() == (
        "nbsec: nbsec.toml locks the mode to block; turning nbsec off is refused "
        "(the attempt is recorded in the session ledger)"
    )
    warn = kernel.execute("%nbsec mode warn")
    assert "switching to warn mode is refused" in warn.stderr
    status = kernel.execute("%nbsec").text()
    assert "mode               block (locked by the policy)" in status
    assert "watching           yes" in status
    comm = kernel.comm_open("nbsec", HANDSHAKE)
    hello = kernel.comm_next(comm)[1]["payload"]
    assert hello["status"]["locked"] is True
    kernel.comm_send(comm, {"type": "set_mode", "v": 2, "payload": {"mode": "warn"}})
    reply = kernel.comm_next(comm)[1]
    assert (reply["success"], reply["error_code"]) == (False, "locked")
    ledger = next((tmp_path / ".nbsec" / "ledger").glob("*.jsonl")).read_text().splitlines()
    refused = [json.loads(line)["data"]["what"] for line in ledger if '"refused"' in line]
    assert refused == ["turning nbsec off", "switching to warn mode", "switching to warn mode"]


def test_waivers_come_back_from_the_notebook_but_file_waivers_need_confirming(
    kernel: Kernel, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    kernel.execute(EVIL.format(marker=marker))
    digest = kernel.execute(
        "import hashlib\nprint(hashlib.sha256(open('evil.pkl', 'rb').read()).hexdigest())"
    ).stdout.strip()
    saved = [
        {"scope": {"kind": "column", "frame": "customers", "column": "contact"},
         "reason": "synthetic"},
        {"scope": {"kind": "file", "sha256": digest}, "reason": "trust me"},
    ]  # fmt: skip
    notebook = {"cells": [], "metadata": {"nbsec": {"waivers": saved}}, "nbformat": 4,
                "nbformat_minor": 5}  # fmt: skip
    (tmp_path / "shared.ipynb").write_text(json.dumps(notebook))
    (tmp_path / "nbsec.toml").write_text('mode = "block"\n')
    kernel.execute("__session__ = 'shared.ipynb'")
    kernel.execute("%load_ext nbsec")
    listed = kernel.execute("%nbsec waivers").text()
    assert "personal-data findings on column 'contact' of frame 'customers'" in listed
    assert "not trusted until it is confirmed in this session" in listed
    # a notebook someone sent cannot admit its own payload
    assert blocked(kernel.execute(LOAD.format(name="evil.pkl")))
    assert not marker.exists()


def test_a_waiver_written_to_the_policy_file_applies_to_the_next_session(
    kernel: Kernel, tmp_path: Path
) -> None:
    kernel.execute("%load_ext nbsec")
    allow = kernel.execute('%nbsec allow --rule NBS-SRC-001 --reason "reviewed by sec"')
    waiver_id = allow.text().split("waiver", 1)[1].split()[0]
    written = kernel.execute(f"%nbsec waivers --write {waiver_id}")
    assert written.stdout.strip() == "nbsec: waiver written to nbsec.toml"
    assert "policy" in written.text()
    text = (tmp_path / "nbsec.toml").read_text()
    assert '[[waivers]]\nrule = "NBS-SRC-001"\nreason = "reviewed by sec"' in text
    kernel.execute("%unload_ext nbsec")
    kernel.execute("%load_ext nbsec")
    assert "reviewed by sec" in kernel.execute("%nbsec waivers").text()


def test_models_inventory_has_one_row_per_file(kernel: Kernel) -> None:
    kernel.execute("%load_ext nbsec")
    kernel.execute("import pickle\npickle.dump({'w': [1, 2]}, open('m.pkl', 'wb'))")
    for _ in range(3):
        kernel.execute("import pickle\nm = pickle.load(open('m.pkl', 'rb'))")
    rows = [line for line in kernel.execute("%nbsec models").text().splitlines()[2:] if line]
    assert len(rows) == 1
    assert " 3 " in rows[0] and "written by run [2]" in rows[0] and "m.pkl" in rows[0]


def test_load_ext_mid_session_scans_the_frames_already_there(kernel: Kernel) -> None:
    kernel.execute(
        "import pandas as pd\n"
        "people = pd.DataFrame({'email': [f'p{i}@example.com' for i in range(50)]})"
    )
    # as the panel's "Load nbsec" does: a silent execution fires no cell events
    assert kernel.execute("%load_ext nbsec", silent=True).status == "ok"
    comm = kernel.comm_open("nbsec", HANDSHAKE)
    kernel.comm_next(comm)
    kernel.comm_send(comm, {"type": "get_state", "v": 2, "payload": {}})
    state = kernel.comm_next(comm)[1]["payload"]["state"]
    assert list(state["frames"]["people"]["pii_columns"]) == ["email"]
    assert state["frames"]["people"]["cell"] is None  # made before nbsec was loaded


def test_a_frame_made_while_off_is_not_given_to_a_later_cell(kernel: Kernel) -> None:
    kernel.execute("%load_ext nbsec")
    kernel.execute("%nbsec off")
    kernel.execute("import pandas as pd\nearly = pd.DataFrame({'email': ['a@example.com'] * 9})")
    kernel.execute("%nbsec on")
    kernel.execute("late = pd.DataFrame({'email': ['b@example.com'] * 9})")
    kernel.execute("pass")  # a frame left over when the budget ran out is scanned next cell
    comm = kernel.comm_open("nbsec", HANDSHAKE)
    kernel.comm_next(comm)
    kernel.comm_send(comm, {"type": "get_state", "v": 2, "payload": {}})
    frames = kernel.comm_next(comm)[1]["payload"]["state"]["frames"]
    assert frames["early"]["cell"] is None
    assert frames["late"]["cell"]["execution_count"] == 5
