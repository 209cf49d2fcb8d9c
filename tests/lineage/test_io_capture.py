"""Reads and writes seen by the audit hook and by the thin wrappers where audit events are blind
(pyarrow, polars, httpx, requests), against real libraries, files and a local HTTP server."""

from __future__ import annotations

import http.server
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbsec.lineage import io_wrappers

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def http_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("www")
    (root / "data.csv").write_text("k,v\n1,2\n")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.send_response(204)
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _uris(accesses: list[Any], tmp_path: Path) -> list[str]:
    return [a.uri.replace(str(tmp_path) + "/", "") for a in accesses]


CASES = [
    # (cell source, expected reads, expected writes, via of the first access)
    ("t = pa.table({'a': [1, 2]})\npq.write_table(t, 'p.parquet')", [], ["p.parquet"],
     "pyarrow.parquet.write_table"),
    ("back = pq.read_table('p.parquet')", ["p.parquet"], [], "pyarrow.parquet.read_table"),
    ("pdf = pd.read_parquet('p.parquet')", ["p.parquet"], [], "pyarrow.parquet.read_table"),
    ("pdf.to_parquet('q.parquet')", [], ["q.parquet"], "pyarrow.parquet.write_table"),
    ("pl_df = pl.read_parquet('p.parquet')", ["p.parquet"], [], "polars.read_parquet"),
    ("pl_df.write_csv('pl.csv')", [], ["pl.csv"], "polars.DataFrame.write_csv"),
    ("lazy = pl.scan_csv('pl.csv')", ["pl.csv"], [], "polars.scan_csv"),
    ("plain = open('pl.csv').read()", ["pl.csv"], [], "open"),
    ("import sqlite3\ncon = sqlite3.connect('db.sqlite')\ncon.close()", ["db.sqlite"], [],
     "sqlite3"),
    ("import numpy as np\nnp.save('arr.npy', np.arange(3))", [], ["arr.npy"], "open"),
]  # fmt: skip


@pytest.fixture
def io_session(make_session: Any) -> Any:
    session = make_session(
        [
            "import pandas as pd\nimport pyarrow as pa\nimport pyarrow.parquet as pq\n"
            "import polars as pl"
        ]
        + [c[0] for c in CASES]
    )
    session.run(0)
    return session


def test_file_io_through_wrappers_and_audit_events(io_session: Any, tmp_path: Path) -> None:
    for offset, (source, reads, writes, via) in enumerate(CASES, start=1):
        record = io_session.run(offset)
        assert record.error is None, (source, record.error)
        assert record.cell_index == offset
        assert _uris(record.reads, tmp_path) == reads, source
        assert _uris(record.writes, tmp_path) == writes, source
        first = (record.reads + record.writes)[0]
        assert first.via == via, source
        if first.kind == "file" and Path(first.uri).is_file():
            assert first.sha256 is not None and len(first.sha256) == 64


@pytest.mark.parametrize(
    ("source", "read", "write"),
    [
        ("import urllib.request as u\nbody = u.urlopen(URL + '/data.csv?token=s3cr3t').read()",
         "/data.csv?token=h-", None),
        ("import httpx\nr = httpx.get(URL + '/data.csv')", "/data.csv", None),
        ("import httpx\nr = httpx.post(URL + '/upload', content=b'x')", None, "/upload"),
        ("import requests\nr = requests.get(URL + '/data.csv', timeout=5)", "/data.csv", None),
        ("import pandas as pd\nremote = pd.read_csv(URL + '/data.csv')", "/data.csv", None),
    ],
)  # fmt: skip
def test_urls(
    make_session: Any, http_url: str, source: str, read: str | None, write: str | None
) -> None:
    session = make_session([f"URL = {http_url!r}", source])
    session.run(0)
    record = session.run(1)
    assert record.error is None
    reads = [a.uri for a in record.reads if a.kind == "url"]
    writes = [a.uri for a in record.writes if a.kind == "url"]
    if read:
        assert any(u.startswith(http_url + read) for u in reads), reads
        assert not any("s3cr3t" in u for u in reads)
    if write:
        assert any(u.startswith(http_url + write) for u in writes), writes
    assert not any(u.startswith("tcp://") for u in reads)  # the socket event is superseded


def test_noise_files_are_not_lineage(make_session: Any) -> None:
    session = make_session(["import json, email.mime.text\nimport csv"])
    record = session.run(0)
    assert record.reads == [] and record.writes == []


LAZY_SCRIPT = textwrap.dedent(
    """
    import sys
    from nbsec.lineage import io_wrappers
    targets = ("polars", "pyarrow.parquet", "httpx", "requests.sessions", "torch",
               "huggingface_hub.file_download")
    assert not any(t in sys.modules for t in targets), [t for t in targets if t in sys.modules]
    io_wrappers.install()
    import polars, pyarrow.parquet, httpx, requests, torch
    import huggingface_hub.file_download as fd
    wrapped = {
        "polars.read_csv": polars.read_csv,
        "polars.DataFrame.write_parquet": polars.DataFrame.__dict__["write_parquet"],
        "pyarrow.parquet.read_table": pyarrow.parquet.read_table,
        "httpx.Client.send": httpx.Client.__dict__["send"],
        "requests.Session.send": requests.Session.__dict__["send"],
        "torch.load": torch.load,
        "torch.save": torch.save,
        "hf_hub_download": fd.hf_hub_download,
    }
    originals = {k: getattr(v, "__nbsec_original__", None) for k, v in wrapped.items()}
    missing = [k for k, v in originals.items() if v is None]
    assert not missing, missing
    import huggingface_hub
    top = huggingface_hub.hf_hub_download  # the package re-export picks up the wrapper
    assert top is wrapped["hf_hub_download"]
    io_wrappers.uninstall()
    now = {
        "polars.read_csv": polars.read_csv,
        "polars.DataFrame.write_parquet": polars.DataFrame.__dict__["write_parquet"],
        "pyarrow.parquet.read_table": pyarrow.parquet.read_table,
        "httpx.Client.send": httpx.Client.__dict__["send"],
        "requests.Session.send": requests.Session.__dict__["send"],
        "torch.load": torch.load,
        "torch.save": torch.save,
        "hf_hub_download": fd.hf_hub_download,
    }
    assert all(now[k] is originals[k] for k in now), [k for k in now if now[k] is not originals[k]]
    assert huggingface_hub.__dict__.get("hf_hub_download", originals["hf_hub_download"]) is \\
        originals["hf_hub_download"]
    assert not any(type(f).__name__ == "_WrapOnImport" for f in sys.meta_path)
    import torch, tempfile, os
    from nbsec.lineage import audit_hook
    print("OK")
    """
)


@pytest.mark.slow
@pytest.mark.torch
def test_wrappers_install_on_import_and_uninstall_exactly() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LAZY_SCRIPT],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("OK")


@pytest.mark.torch
def test_torch_save_and_load_are_recorded(make_session: Any, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    session = make_session(
        [
            "import torch",
            "torch.save({'w': torch.zeros(2)}, 'm.pt')",
            "state = torch.load('m.pt', weights_only=True)",
        ]
    )
    session.run_all()
    save, load = session.tracker.records[1:]
    assert [(Path(a.uri).name, a.via) for a in save.writes][:1] == [("m.pt", "torch.save")]
    assert [(Path(a.uri).name, a.via) for a in load.reads][:1] == [("m.pt", "torch.load")]
    assert load.reads[0].sha256 == save.writes[0].sha256


def test_reinstall_is_reference_counted() -> None:
    before = io_wrappers.installed()
    io_wrappers.install()
    io_wrappers.install()
    io_wrappers.uninstall()
    assert io_wrappers.installed()
    io_wrappers.uninstall()
    assert io_wrappers.installed() is before
