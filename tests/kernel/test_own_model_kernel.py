"""The session's own model, in a real kernel: a file the session dumped and reloads unchanged is
its own work (no high or critical finding); the same path replaced on disk since, or another
file, is judged as any load of untrusted data, and the guard still scans the bytes."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.kernel.harness import Kernel

pytestmark = pytest.mark.kernel

pytest.importorskip("sklearn")

TRAIN = """\
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
import joblib
X, y = make_classification(n_samples=100, n_features=4, random_state=0)
forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
joblib.dump(forest, "forest.joblib")"""
RELOAD = 'reloaded = joblib.load("{name}")\nreloaded.score(X, y)'
FINDINGS = """\
import json
from nbsec.kernel.extension import current
print(json.dumps([
    {"rule": f["rule"], "severity": f["severity"], "message": f["message"],
     "line": f["location"]["line"], "cell_id": f["location"]["cell_id"]}
    for f in current().state.to_state()["findings"] if f["waiver"] is None
]))"""


class Payload:
    """What an attacker puts in the file: unpickling it runs a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def findings(kernel: Kernel) -> list[dict[str, Any]]:
    out = kernel.execute(FINDINGS)
    assert out.status == "ok", out.error
    found: list[dict[str, Any]] = json.loads(out.stdout)
    return found


def call_site(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings of the source check on ``joblib.load(...)`` (not the guard's on the file)."""
    return [
        f
        for f in found
        if f["rule"] == "NBS-PKL-002" and f["message"].startswith("joblib.load() called")
    ]


@pytest.fixture
def trained(kernel: Kernel) -> Kernel:
    assert kernel.execute("%load_ext nbsec").status == "ok"
    out = kernel.execute(TRAIN, timeout=120)
    assert out.status == "ok", out.error
    return kernel


def test_the_sessions_own_model_reloaded_shows_no_red(trained: Kernel) -> None:
    out = trained.execute(RELOAD.format(name="forest.joblib"))
    assert out.status == "ok", out.error
    assert "nbsec" not in out.stdout + out.stderr + out.text()
    found = findings(trained)
    assert [f for f in found if f["severity"] in ("critical", "high")] == []
    (load,) = call_site(found)
    assert load["severity"] == "info"
    assert load["line"] == 1
    assert "of this session wrote, unchanged since" in load["message"]
    # reloading again stays quiet, and the inventory has one row for the file, known as own
    assert trained.execute(RELOAD.format(name="forest.joblib")).status == "ok"
    models = trained.execute(
        "import json\nfrom nbsec.kernel.extension import current\n"
        "print(json.dumps(current().state.summary()['models']))"
    )
    (row,) = json.loads(models.stdout)
    assert row["path"] == "forest.joblib" and row["own"] and row["loads"] == 2


def test_the_own_file_replaced_on_disk_is_judged_afresh_and_blocked(
    trained: Kernel, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    # another process swaps the file between the dump and the load
    (tmp_path / "forest.joblib").write_bytes(pickle.dumps(Payload(marker), protocol=4))
    out = trained.execute(RELOAD.format(name="forest.joblib"))
    assert out.status == "error" and out.error is not None
    assert out.error["ename"] == "BlockedLoad"
    assert not marker.exists()
    found = findings(trained)
    assert "this session wrote" not in json.dumps(found)
    # the load's finding stands for the call site's: one finding, at the line of the call
    assert call_site(found) == []
    (load,) = [f for f in found if f["line"] == 1]
    assert load["rule"] == "NBS-PKL-002" and load["severity"] == "critical"
    assert load["message"].startswith("joblib.load of forest.joblib: dangerous")


def test_a_file_the_session_itself_overwrote_with_a_payload_is_still_blocked(
    trained: Kernel, tmp_path: Path
) -> None:
    # the session's own write of a payload makes the call site its own work, never the bytes
    marker = tmp_path / "ran"
    (tmp_path / "payload.bin").write_bytes(pickle.dumps(Payload(marker), protocol=4))
    copy = "import shutil\nshutil.copyfile('payload.bin', 'forest.joblib')"
    assert trained.execute(copy).status == "ok"
    out = trained.execute(RELOAD.format(name="forest.joblib"))
    assert out.error is not None and out.error["ename"] == "BlockedLoad"
    assert not marker.exists()


def test_a_copy_made_outside_the_kernel_is_known_by_its_hash(
    trained: Kernel, tmp_path: Path
) -> None:
    # another program copies the session's own model: same bytes, so the session's own work
    shutil.copyfile(tmp_path / "forest.joblib", tmp_path / "copy.joblib")
    out = trained.execute(RELOAD.format(name="copy.joblib"))
    assert out.status == "ok", out.error
    assert "nbsec" not in out.stdout + out.stderr + out.text()
    found = findings(trained)
    assert [f for f in found if f["severity"] in ("critical", "high")] == []
    (load,) = call_site(found)
    assert load["severity"] == "info"
    assert "a copy of a file cell" in load["message"] and "same SHA-256" in load["message"]


def test_a_copy_made_by_the_session_in_another_directory_is_its_own(trained: Kernel) -> None:
    backup = 'import os, shutil\nos.makedirs("backup", exist_ok=True)\n'
    backup += 'shutil.copy("forest.joblib", "backup/forest.joblib")'
    assert trained.execute(backup).status == "ok"
    out = trained.execute(RELOAD.format(name="backup/forest.joblib"))
    assert out.status == "ok", out.error
    found = findings(trained)
    assert [f for f in found if f["severity"] in ("critical", "high")] == []
    (load,) = call_site(found)
    assert load["severity"] == "info"
    assert "of this session wrote" in load["message"]


def test_another_file_at_the_copys_path_is_not_admitted(trained: Kernel, tmp_path: Path) -> None:
    # a file of the same name and size as the session's model, other bytes: not its own
    own = (tmp_path / "forest.joblib").read_bytes()
    other = bytearray(own)
    other[len(other) // 2] ^= 0x01
    (tmp_path / "copy.joblib").write_bytes(bytes(other))
    trained.execute(RELOAD.format(name="copy.joblib"))
    found = findings(trained)
    assert "this session wrote" not in json.dumps(found)
    assert "NBS-PKL-002" in {f["rule"] for f in found if f["severity"] in ("critical", "high")}


DUMP_WITH_OPEN = """\
import pickle
with open("rf.pkl", "wb") as f:
    pickle.dump(forest, f)"""
RELOAD_WITH_OPEN = """\
with open("rf.pkl", "rb") as f:
    m = pickle.load(f)
m.score(X, y)"""


def pickle_call_site(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in found if f["message"].startswith("pickle.load() called")]


def test_the_own_model_reloaded_through_with_open_shows_no_red(trained: Kernel) -> None:
    assert trained.execute(DUMP_WITH_OPEN).status == "ok"
    out = trained.execute(RELOAD_WITH_OPEN)
    assert out.status == "ok", out.error
    assert "nbsec" not in out.stdout + out.stderr + out.text()
    found = findings(trained)
    assert [f for f in found if f["severity"] in ("critical", "high")] == []
    (load,) = pickle_call_site(found)
    assert (load["severity"], load["line"]) == ("info", 2)
    assert "of this session wrote, unchanged since" in load["message"]


def test_a_payload_swapped_into_the_own_file_opened_with_open_is_blocked(
    trained: Kernel, tmp_path: Path
) -> None:
    assert trained.execute(DUMP_WITH_OPEN).status == "ok"
    marker = tmp_path / "ran"
    (tmp_path / "rf.pkl").write_bytes(pickle.dumps(Payload(marker), protocol=4))
    out = trained.execute(RELOAD_WITH_OPEN)
    assert out.error is not None and out.error["ename"] == "BlockedLoad"
    assert not marker.exists()
    found = findings(trained)
    assert "this session wrote" not in json.dumps(found)
    assert any(f["severity"] == "critical" for f in found)
