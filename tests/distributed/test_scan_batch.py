"""``nbsec scan`` / ``scan-model`` on the shared batch runner: worker processes, the cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from nbsec.cli import main

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"


def _notebooks(tmp_path: Path, copies: int) -> Path:
    source = sorted(GOLDEN.glob("*.ipynb"))
    assert source, "the golden notebooks are the corpus of this test"
    root = tmp_path / "estate"
    for i in range(copies):
        for nb in source:
            target = root / f"team{i % 3}" / f"{nb.stem}-{i}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(nb, target)
    return root


def _scan(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code = main(["scan", *argv, "--format", "json", "--fail-on", "critical"])
    out, err = capsys.readouterr()
    assert out, f"no report (exit {code}): {err}"
    return json.loads(out)


def _key(doc: dict) -> list[tuple[str, str, str]]:
    return sorted((f["rule"], f["location"]["path"], f["fingerprint"]) for f in doc["findings"])


def test_parallel_and_cached_runs_find_what_one_process_finds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _notebooks(tmp_path, 3)
    single = _scan(capsys, str(root), "--jobs", "1", "--no-cache")
    assert single["findings"] and "cache" not in single
    parallel = _scan(capsys, str(root), "--jobs", "2")
    assert _key(parallel) == _key(single)
    count = len(list(root.rglob("*.ipynb")))
    assert parallel["cache"] == {"hits": 0, "misses": count}
    again = _scan(capsys, str(root), "--jobs", "2")
    assert _key(again) == _key(single)
    assert again["cache"] == {"hits": count, "misses": 0}
    # one notebook edited: only that one is scanned again
    edited = sorted(root.rglob("*.ipynb"))[0]
    nb = json.loads(edited.read_text())
    nb["cells"].append(
        {
            "cell_type": "code",
            "metadata": {},
            "source": "import pickle\npickle.loads(b)",
            "outputs": [],
            "execution_count": None,
        }
    )
    edited.write_text(json.dumps(nb))
    third = _scan(capsys, str(root))
    assert third["cache"] == {"hits": count - 1, "misses": 1}
    assert any(
        f["location"]["path"] == str(edited) and f["rule"].startswith("NBS-PKL")
        for f in third["findings"]
    )


def test_scan_workers_start_with_the_pii_engine_loaded() -> None:
    """``nbsec scan``'s forkserver imports ``nbsec.source.preload``, whose warm-up scan loads
    presidio's recognizers once; a worker forked after it has them before its first notebook
    instead of loading them again (about 3 s of CPU each), and the warm-up imports none of the
    frameworks a scan keeps out."""
    from nbsec.commands.batch_runner import run_batch
    from tests.report.batch_work import is_imported

    code = (
        "import sys, nbsec.source.preload; "
        "print('presidio_analyzer' in sys.modules, 'torch' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.stdout.split() == ["True", "False"], done.stderr
    warm = run_batch(
        ["presidio_analyzer", "presidio_analyzer"],
        is_imported,
        jobs=2,
        progress=False,
        preload=("nbsec.source.preload",),
    )
    assert [o.value for o in warm] == [True, True]


def test_a_broken_notebook_among_many_is_one_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _notebooks(tmp_path, 2)
    (root / "team0" / "broken.ipynb").write_text("{ not json")
    code = main(["scan", str(root), "--jobs", "2", "--format", "json"])
    out, _ = capsys.readouterr()
    doc = json.loads(out)
    assert code == 2
    assert [e for e in doc["errors"] if "broken.ipynb" in e] == doc["errors"]
    assert len(doc["errors"]) == 1
    assert doc["findings"]


def test_scan_model_in_workers_with_the_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pickle

    root = tmp_path / "models"
    root.mkdir()
    for i in range(6):
        (root / f"ok-{i}.pkl").write_bytes(pickle.dumps({"weights": list(range(i + 3))}))
    # a pickle that would run os.system when loaded (built by hand: never unpickled here)
    (root / "evil.pkl").write_bytes(b"\x80\x04cos\nsystem\n(Vtrue\ntR.")
    (root / "ok-7.pkl").write_bytes(pickle.dumps([1, 2, 3]))

    def run(*extra: str) -> dict:
        main(["scan-model", str(root), "--format", "json", "--fail-on", "critical", *extra])
        out, _ = capsys.readouterr()
        return json.loads(out)

    first = run("--jobs", "2")
    verdicts = {Path(f["path"]).name: f["verdict"] for f in first["files"]}
    assert verdicts["evil.pkl"] == "dangerous"
    assert {v for k, v in verdicts.items() if k != "evil.pkl"} == {"safe"}
    assert first["cache"] == {"hits": 0, "misses": 8}
    second = run("--jobs", "2")
    assert second["files"] == first["files"]
    assert _key(second) == _key(first)
    assert second["cache"] == {"hits": 8, "misses": 0}
    assert "cache" not in run("--no-cache")


def test_workers_start_from_inside_ipython(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # IPython's __main__ is the user's namespace module, without __spec__
    user_main = types.SimpleNamespace(__name__="__main__")
    monkeypatch.setitem(sys.modules, "__main__", user_main)
    root = _notebooks(tmp_path, 2)
    single = _scan(capsys, str(root), "--jobs", "1", "--no-cache")
    parallel = _scan(capsys, str(root), "--jobs", "2", "--no-cache")
    assert parallel["findings"] and _key(parallel) == _key(single)
    assert sys.modules["__main__"] is user_main
