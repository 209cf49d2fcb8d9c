"""File hashes off the cell's path, in a real kernel: a file a cell wrote is hashed in the
background, and its SHA-256 reaches the session state (and so the panel) between cells without
anything asking, the ledger, and every ``%nbsec`` command; a rewrite by the next cell keeps
each cell's hash."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.kernel.harness import Kernel

pytestmark = pytest.mark.kernel

SIZE = 8 * 1024 * 1024
WRITE = f"open('data.bin', 'wb').write(b'a' * {SIZE})"
REWRITE = f"open('data.bin', 'wb').write(b'b' * {SIZE})"
STATE_CELLS = (
    "import json\nfrom nbsec.kernel.extension import current\n"
    "print(json.dumps(current().state.to_state()['lineage']['cells']))"
)


def state_cells(kernel: Kernel) -> list[dict[str, Any]]:
    # silent: no cell events, so nothing of nbsec's runs or settles for this read
    out = kernel.execute(STATE_CELLS, silent=True)
    assert out.status == "ok", out.error
    cells: list[dict[str, Any]] = json.loads(out.stdout)
    return cells


def ledger_writes(tmp_path: Path) -> list[str | None]:
    (ledger,) = (tmp_path / ".nbsec" / "ledger").glob("*.jsonl")
    lines = [json.loads(line) for line in ledger.read_text().splitlines()]
    return [w["sha256"] for line in lines if line["kind"] == "cell" for w in line["data"]["writes"]]


def test_a_written_files_hash_reaches_state_ledger_and_magics(
    kernel: Kernel, tmp_path: Path
) -> None:
    assert kernel.execute("%load_ext nbsec").status == "ok"
    assert kernel.execute(WRITE).status == "ok"
    expected = hashlib.sha256(b"a" * SIZE).hexdigest()
    # between cells, the kernel settles the record on its own once the hash is done
    deadline = time.monotonic() + 20
    while True:
        writes = [w for c in state_cells(kernel) for w in c["writes"]]
        if writes and writes[0]["sha256"] is not None:
            break
        assert time.monotonic() < deadline, writes
        time.sleep(0.1)
    assert writes[0]["uri"] == "data.bin" and writes[0]["sha256"] == expected
    assert ledger_writes(tmp_path) == [expected]
    # the next cell rewrites the file; a magic run right after sees both hashes
    assert kernel.execute(REWRITE).status == "ok"
    out = kernel.execute("%nbsec lineage --format json")
    assert out.status == "ok", out.error
    assert ledger_writes(tmp_path) == [expected, hashlib.sha256(b"b" * SIZE).hexdigest()]
