"""One model load, one finding, in a real kernel: a pickle that imports three classes outside
the allowlist is one finding (its verdict, the classes listed), not one more per class; and it
stands for the source check's finding on the call that made the load, in the panel's list, in
the counts and in the block shown above the cell's output."""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.kernel.harness import Execution, Kernel

pytestmark = pytest.mark.kernel

MODULE = "class A:\n    pass\n\n\nclass B:\n    pass\n\n\nclass C:\n    pass\n"
LOAD = """\
import pickle
with open("three.pkl", "rb") as f:
    objects = pickle.load(f)
len(objects)"""
STATE = """\
import json
from nbsec.kernel.extension import current
print(json.dumps(current().state.to_state()))"""


def state(kernel: Kernel) -> dict[str, Any]:
    out = kernel.execute(STATE)
    assert out.status == "ok", out.error
    found: dict[str, Any] = json.loads(out.stdout)
    return found


def shown(out: Execution) -> list[list[dict[str, Any]]]:
    """The findings of each nbsec block in a cell's output, as the front end shows them last."""
    return [r["application/vnd.nbsec.findings+json"]["findings"] for r in out.results
            if "application/vnd.nbsec.findings+json" in r]  # fmt: skip


@pytest.fixture
def three(kernel: Kernel, tmp_path: Path) -> Kernel:
    (tmp_path / "ownlib.py").write_text(MODULE)
    sys.path.insert(0, str(tmp_path))
    try:
        import ownlib  # type: ignore[import-not-found]

        data = pickle.dumps([ownlib.A(), ownlib.B(), ownlib.C()])
        other = pickle.dumps([ownlib.A(), ownlib.B()])
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("ownlib", None)
    (tmp_path / "three.pkl").write_bytes(data)
    (tmp_path / "two.pkl").write_bytes(other)
    assert kernel.execute("%load_ext nbsec").status == "ok"
    return kernel


def test_one_load_is_one_finding_in_one_block(three: Kernel) -> None:
    out = three.execute(LOAD)
    assert out.status == "ok", out.error
    assert out.value == "3"
    # the block shown before the cell ran (the call site) now shows the load's verdict instead
    (block,) = shown(out)
    assert out.updates == 1
    (row,) = block
    assert (row["rule"], row["severity"], row["location"]["line"]) == ("NBS-PKL-001", "critical", 3)
    assert row["message"].startswith("pickle.load of three.pkl: suspicious")
    assert row["evidence"] == "ownlib.A, ownlib.B, ownlib.C"
    assert "warned load finding" in out.text()
    now = state(three)
    (finding,) = now["findings"]
    assert finding["fingerprint"] == row["fingerprint"]
    assert finding["subject"]["path"] == "three.pkl"
    assert now["counts"]["critical"] == 1 and now["counts"]["high"] == 0
    (model,) = now["models"]
    assert model["globals"] == ["ownlib.A", "ownlib.B", "ownlib.C"]
    # the same cell again: still one finding, shown once
    again = three.execute(LOAD)
    assert [len(b) for b in shown(again)] == [1]
    assert len(state(three)["findings"]) == 1


def test_a_call_site_without_a_load_keeps_its_finding(three: Kernel) -> None:
    # nothing was loaded (the file is missing): the call-site finding is what there is
    out = three.execute('import pickle\nwith open("missing.pkl", "rb") as f:\n    pickle.load(f)')
    assert out.error is not None and out.error["ename"] == "FileNotFoundError"
    (finding,) = state(three)["findings"]
    assert finding["message"] == "pickle.load() called"
    assert finding["location"]["line"] == 3


def test_a_loop_over_two_files_at_one_line_keeps_one_finding_per_file(three: Kernel) -> None:
    loop = (
        "import pickle\n"
        'for name in ("three.pkl", "two.pkl"):\n'
        "    pickle.loads(open(name, 'rb').read())"
    )
    out = three.execute(loop)
    assert out.status == "ok", out.error
    # the first load takes the call site's row, the second is a block of its own
    assert [len(b) for b in shown(out)] == [1, 1]
    now = state(three)
    # one finding per file (by sha256), at the line of the call; no call-site finding
    found = now["findings"]
    assert len(found) == 2
    assert {f["evidence"] for f in found} == {"ownlib.A, ownlib.B, ownlib.C", "ownlib.A, ownlib.B"}
    assert all(f["message"].startswith("pickle.loads of in-memory data") for f in found)
    assert {f["location"]["line"] for f in found} == {3}
    assert sorted(m["loads"] for m in now["models"]) == [1, 1]
