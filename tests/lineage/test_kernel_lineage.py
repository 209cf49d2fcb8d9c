"""Lineage from real kernels: ``nbsec lineage --execute`` through nbclient, reading it back
without ``--execute``, and a kernel killed with SIGKILL mid-session."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from nbsec.cli import main
from nbsec.lineage.batch import records_from_ledger
from nbsec.lineage.ledger import ledger_path, verify_ledger

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.kernel, pytest.mark.slow]

CELLS = [
    "import pandas as pd",
    "open('a.csv', 'w').write('k,v\\n1,10\\n2,20\\n')\nopen('b.csv', 'w').write('k,w\\n1,5\\n')",
    "a = pd.read_csv('a.csv')\nb = pd.read_csv('b.csv')",
    "m = a.merge(b, on='k')",
    "m.to_csv('merged.csv', index=False)",
    "n_rows = len(a)",
]


def _notebook(directory: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# lineage")] + [
        nbformat.v4.new_code_cell(c) for c in cells
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = directory / "analysis.ipynb"
    nbformat.write(nb, str(path))
    return path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "nbsec", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    directory = tmp_path_factory.mktemp("batch")
    path = _notebook(directory, CELLS)
    done = _cli(
        "lineage", str(path), "--execute", "--format", "json", "-o", str(directory / "l.json")
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return path, json.loads((directory / "l.json").read_text())


def test_execute_records_every_cell_at_its_position(executed: tuple[Path, dict[str, Any]]) -> None:
    path, data = executed
    cells = data["cells"]
    assert [c["cell_index"] for c in cells] == [1, 2, 3, 4, 5, 6]  # cell 0 is markdown
    assert [c["execution_count"] for c in cells] == [1, 2, 3, 4, 5, 6]
    assert cells[2]["defines"] == ["a", "b"]
    assert [Path(r["uri"]).name for r in cells[2]["reads"]] == ["a.csv", "b.csv"]
    assert cells[4]["writes"][0]["uri"] == str(path.parent / "merged.csv")
    edges = {(e["src"], e["dst"]) for e in data["edges"]}
    assert (f"file:{path.parent / 'a.csv'}", "cell:3@3") in edges
    assert ("var:m@4", "cell:5@5") in edges
    assert ("cell:5@5", f"file:{path.parent / 'merged.csv'}") in edges


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("json", lambda text: json.loads(text)["cells"][0]["cell_index"] == 1),
        ("mermaid", lambda text: text.startswith("flowchart LR") and "merged.csv" in text),
        ("openlineage", lambda text: len(json.loads(text)) == 8),
        ("prov", lambda text: len(json.loads(text)["activity"]) == 6),
    ],
)
def test_recorded_lineage_is_read_back_without_executing(
    executed: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str], fmt: str, check: Any
) -> None:
    path, _ = executed
    assert main(["lineage", str(path), "--format", fmt]) == 0
    assert check(capsys.readouterr().out)


def test_sigkill_mid_session_keeps_every_completed_record(tmp_path: Path) -> None:
    from jupyter_client.manager import KernelManager

    cells = ["x = 1", "open('f.txt', 'w').write('hello')", "y = open('f.txt').read()"]
    path = _notebook(tmp_path, cells)
    env = dict(
        os.environ,
        PYTHONPATH=str(REPO),
        JPY_SESSION_NAME=str(path),
        NBSEC_LINEAGE_SESSION="killed",
    )
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env, cwd=str(tmp_path))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        reply = kc.execute_interactive(
            "%load_ext nbsec", silent=True, store_history=False, timeout=60
        )
        assert reply["content"]["status"] == "ok"
        for source in cells:
            reply = kc.execute_interactive(source, timeout=60, output_hook=lambda msg: None)
            assert reply["content"]["status"] == "ok"
        kc.execute("import time\nstarted = True\ntime.sleep(120)")
        ledger = ledger_path(tmp_path, "killed")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the 4th cell is running once busy is published
            msg = kc.get_iopub_msg(timeout=30)
            if msg["msg_type"] == "execute_input" and "sleep" in msg["content"]["code"]:
                break
        os.kill(km.provisioner.process.pid, signal.SIGKILL)  # type: ignore[union-attr]
        km.provisioner.process.wait(timeout=30)  # type: ignore[union-attr]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    result = verify_ledger(ledger)
    assert result.ok, result.reason
    assert result.kinds == {"session": 1, "cell": 3}  # no 'close': the kernel never got to it
    records = records_from_ledger(ledger)
    assert [(r.cell_index, r.execution_count) for r in records] == [(1, 1), (2, 2), (3, 3)]
    assert [Path(a.uri).name for a in records[1].writes] == ["f.txt"]
    assert records[2].reads[0].sha256 == records[1].writes[0].sha256


@pytest.mark.parametrize(
    ("args", "code", "expect"),
    [
        (["--format", "json"], 0, '"error": "KeyError"'),
        (["--stop-on-error"], 2, "cell 3 raised KeyError"),  # 1-based: markdown is cell 1
    ],
)
def test_failing_cell(tmp_path: Path, args: list[str], code: int, expect: str) -> None:
    path = _notebook(tmp_path, ["d = {}", "d['jane.doe@example.com']", "after = 1"])
    done = _cli("lineage", str(path), "--execute", *args)
    assert done.returncode == code
    output = done.stdout if code == 0 else done.stderr
    assert expect in output
    assert "jane.doe@example.com" not in done.stdout + done.stderr.replace(str(path), "")
