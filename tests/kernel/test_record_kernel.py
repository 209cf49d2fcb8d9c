"""A clean record, in a real kernel: nbsec's own files are no user I/O, one node per file, no
loose nodes for magics, relative paths and no host details in what a notebook keeps, tracebacks
without nbsec's machinery, and a ledger anchored in the saved notebook."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kernel.harness import REPO, Kernel

pytestmark = pytest.mark.kernel

HANDSHAKE = {"type": "handshake", "v": 2, "payload": {"client": "t", "protocol": 2}}
WORK = """\
import pickle, pandas as pd
people = pd.read_csv("data/people.csv")
pickle.dump({"w": [1, 2]}, open("model.pkl", "wb"))
"""
LOAD = "import pickle\nmodel = pickle.load(open('model.pkl', 'rb'))"


def save_like_the_panel(kernel: Kernel, notebook: Path) -> dict[str, object]:
    """Ask the kernel for its state and save its summary as the panel does."""
    comm = kernel.comm_open("nbsec", HANDSHAKE)
    kernel.comm_next(comm)
    kernel.comm_send(comm, {"type": "get_state", "v": 2, "payload": {}})
    while True:
        data = kernel.comm_next(comm)[1]
        if data.get("type") == "get_state":
            break
    metadata = data["payload"]["metadata"]
    nb = json.loads(notebook.read_text())
    nb["metadata"]["nbsec"] = metadata
    notebook.write_text(json.dumps(nb))
    return metadata  # type: ignore[no-any-return]


def verify(notebook: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "nbsec", "ledger", "verify", str(notebook)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_what_a_notebook_keeps_is_clean_and_its_ledger_is_anchored(
    kernel: Kernel, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "people.csv").write_text("email\na@example.com\nb@example.org\n")
    notebook = tmp_path / "analysis.ipynb"
    notebook.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                    "nbformat_minor": 5}))  # fmt: skip
    kernel.execute("__session__ = 'analysis.ipynb'")
    kernel.execute("%load_ext nbsec")
    assert kernel.execute(WORK).status == "ok"
    assert kernel.execute(LOAD).status == "ok"
    kernel.execute("%nbsec status")
    metadata = save_like_the_panel(kernel, notebook)
    text = json.dumps(metadata)
    # relative paths, nbsec's own rules never a data source, no host details
    assert str(tmp_path) not in text and os.getcwd() not in text
    assert [s["uri"] for s in metadata["data_sources"]] == ["data/people.csv", "model.pkl"]  # type: ignore[index]
    # no process id as a value of its own (digits inside a hex digest are not one)
    assert not re.search(rf"(?<![0-9A-Za-z]){os.getpid()}(?![0-9A-Za-z])", text)
    assert '"pid"' not in text
    assert metadata["models"][0]["path"] == "model.pkl" and metadata["models"][0]["own"]  # type: ignore[index]
    ledger = tmp_path / metadata["ledger"]["path"]  # type: ignore[index]
    header = json.loads(ledger.read_text().splitlines()[0])["data"]
    assert set(header) == {"session_id", "notebook", "nbsec", "python", "keyed"}
    # the anchor verifies, and still does after more cells ...
    kernel.execute("x = 1")
    done = verify(notebook)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "matches the notebook's anchor" in done.stdout
    # ... but not once a record is rewritten and the chain recomputed
    lines = ledger.read_bytes().splitlines()
    prev = "genesis"
    out = []
    for i, raw in enumerate(lines):
        entry = json.loads(raw)
        if i == 1 and entry["kind"] == "cell":
            entry["data"]["defines"] = ["innocent"]
        entry["prev"] = prev
        line = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
        out.append(line)
        prev = "sha256:" + hashlib.sha256(line).hexdigest()
    ledger.write_bytes(b"\n".join(out) + b"\n")
    broken = verify(notebook)
    assert broken.returncode == 1
    assert (
        f"BROKEN at line {metadata['ledger']['lines']}: the ledger was rewritten" in broken.stdout
    )  # type: ignore[index]


def test_lineage_has_one_node_per_file_and_no_loose_magic_cells(
    kernel: Kernel, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "people.csv").write_text("email\na@example.com\n")
    kernel.execute("%load_ext nbsec")
    kernel.execute(WORK)
    kernel.execute("%nbsec status")
    kernel.execute(LOAD)
    out = kernel.execute(
        "g = %nbsec lineage --format json\nimport json\nprint(json.dumps(g['data']))"
    )
    graph = json.loads(out.stdout)
    ids = [n["id"] for n in graph["nodes"]]
    model_nodes = [i for i in ids if i.endswith("model.pkl")]
    assert model_nodes == [f"file:{tmp_path / 'model.pkl'}"]  # written, then loaded: one node
    kinds = {e["kind"] for e in graph["edges"] if e["src"] == model_nodes[0]}
    assert "loaded" in kinds
    cells = [c["execution_count"] for c in graph["cells"]]
    assert 3 not in cells  # the %nbsec status cell is no lineage
    assert all(any(e["src"] == n or e["dst"] == n for e in graph["edges"])
               for n in ids if n.startswith("cell:"))  # fmt: skip


def test_a_blocked_load_shows_the_users_frames_and_one_line(kernel: Kernel, tmp_path: Path) -> None:
    (tmp_path / "nbsec.toml").write_text('mode = "block"\n')
    kernel.execute(
        "import pickle, os\nclass P:\n    def __reduce__(self):\n"
        "        return (os.system, ('true',))\n"
        "pickle.dump(P(), open('evil.pkl', 'wb'))"
    )
    kernel.execute("%load_ext nbsec")
    out = kernel.execute(
        "import pickle\ndef load(p):\n    with open(p, 'rb') as fh:\n"
        "        return pickle.load(fh)\n"
        "obj = load('evil.pkl')"
    )
    assert out.error is not None
    text = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(out.error["traceback"]))
    assert "nbsec/models" not in text and "guard.py" not in text
    assert "in load(p)" in text
    last = text.strip().splitlines()[-1]
    assert last.startswith(
        "BlockedLoad: nbsec: pickle.load of evil.pkl: dangerous (imports posix.system) - blocked"
        " before anything was unpickled"
    )
    # the one line says how to admit this exact file, by its hash
    assert re.search(r"%nbsec allow [0-9a-f]{64} --reason", last)
    # an ordinary error of a guarded loader: the user's frame, the loader's error, no nbsec
    kernel.execute("%nbsec mode warn")
    plain = kernel.execute("import pickle, io\npickle.load(io.BytesIO(b'\\x80\\x04K'))")
    assert plain.error is not None
    trace = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(plain.error["traceback"]))
    assert "nbsec" not in trace.replace("nbsec:", "")
    # %%nbsec cells show their source in tracebacks
    cell = kernel.execute("%%nbsec\nx = 1\n1 / 0")
    cell_trace = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(cell.error["traceback"]))  # type: ignore[index]
    assert "Could not get source" not in cell_trace and "1 / 0" in cell_trace


def test_the_governance_report_of_a_live_session(kernel: Kernel, tmp_path: Path) -> None:
    import nbformat

    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "study.ipynb")
    kernel.execute("__session__ = 'study.ipynb'")
    kernel.execute("%load_ext nbsec")
    kernel.execute(
        "import pandas as pd\n"
        "people = pd.DataFrame({'email': [f'p{i}@example.com' for i in range(50)],"
        " 'phone': [f'+1 212 555 {1000 + i:04d}' for i in range(50)]})"
    )
    allow = kernel.execute('%nbsec allow --column people.email --reason "synthetic addresses"')
    assert allow.status == "ok", allow.stderr
    out = kernel.execute("%nbsec report", timeout=180)
    assert out.status == "ok" and out.stderr == "", out.stderr
    assert "nbsec report of study.ipynb" in out.text()
    report = json.loads((tmp_path / "study.nbsec.json").read_text())
    assert report["identity"]["produced"]["mode"] == "live"
    status = {f["message"].split(" holds")[0]: f["status"] for f in report["findings"]}
    # the column waiver covers the e-mail column's finding only
    assert status["frame 'people' column 'email'"] == "waived"
    assert status["frame 'people' column 'phone'"] == "active"
    assert (tmp_path / "study.nbsec.html").is_file()
    assert "p1@example.com" not in (tmp_path / "study.nbsec.html").read_text()
