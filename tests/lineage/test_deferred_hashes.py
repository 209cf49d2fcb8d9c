"""Files a cell read and wrote are hashed in a background thread: the records and the ledger still
hold the SHA-256 of the content each cell read or wrote, a later cell rewriting the file first
waits for that hash, and a file changed by someone else before it was hashed is recorded as
changed, with no hash."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nbsec.lineage.hashing import FileDigest, FileHasher

SIZE = 3 * 1024 * 1024  # large enough that hashing it takes a few milliseconds


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ledger_cells(tracker: Any) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in Path(tracker.ledger_file).read_text().splitlines()]
    return [line["data"] for line in lines if line["kind"] == "cell"]


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Hold every hash computed in the background until the test opens the gate (the real
    hashing runs after it opens)."""
    opened = threading.Event()
    compute: Callable[[FileHasher, str, int], FileDigest] = FileHasher._compute

    def held(self: FileHasher, path: str, size: int) -> FileDigest:
        if threading.current_thread().name == "nbsec-file-hashes":
            assert opened.wait(30), "the gate was never opened"
        return compute(self, path, size)

    monkeypatch.setattr(FileHasher, "_compute", held)
    yield opened
    opened.set()


def test_a_written_file_is_hashed_after_the_cell_and_the_ledger_waits_for_it(
    make_session: Any, tmp_path: Path, gate: threading.Event
) -> None:
    session = make_session(
        ["open('data.bin', 'wb').write(bytes(range(256)) * (3 * 4096))", "x = 1"]
    )
    session.shell.run_cell(session.cells[0], store_history=True)
    # the cell is over, its file not hashed yet: the record waits, and so does the ledger
    assert session.tracker.unsettled
    assert ledger_cells(session.tracker) == []
    session.shell.run_cell(session.cells[1], store_history=True)
    assert session.tracker.unsettled  # the next cell does not wait either
    gate.set()
    # the hashing thread writes both records to the ledger itself, with no further cell
    deadline = time.monotonic() + 10
    while len(ledger_cells(session.tracker)) < 2:
        assert time.monotonic() < deadline, "the records never reached the ledger"
        time.sleep(0.01)
    first, second = session.tracker.records
    data = (tmp_path / "data.bin").read_bytes()
    (written,) = first.writes
    assert (written.sha256, written.size, written.changed) == (sha(data), len(data), False)
    lines = ledger_cells(session.tracker)
    assert [line["seq"] for line in lines] == [0, 1]
    assert lines[0]["writes"][0]["sha256"] == sha(data)
    assert second.writes == []


def test_a_file_rewritten_by_the_next_cell_keeps_each_cells_hash(
    make_session: Any, tmp_path: Path
) -> None:
    first_data = b"a" * SIZE
    second_data = b"b" * (SIZE - 7)
    session = make_session(
        [
            f"open('data.bin', 'wb').write(b'a' * {SIZE})",
            f"open('data.bin', 'wb').write(b'b' * {SIZE - 7})",
            "text = open('data.bin', 'rb').read()",
        ]
    )
    first, second, third = session.run_all()
    assert first.writes[0].sha256 == sha(first_data)
    assert second.writes[0].sha256 == sha(second_data)
    assert third.reads[0].sha256 == sha(second_data)
    lines = ledger_cells(session.tracker)
    assert [line["writes"][0]["sha256"] for line in lines[:2]] == [
        sha(first_data),
        sha(second_data),
    ]
    assert session.tracker.written_by(sha(first_data)) is first
    assert session.tracker.own_file("data.bin") is second


def test_the_next_cell_rewriting_a_file_waits_for_its_pending_hash(
    make_session: Any, tmp_path: Path, gate: threading.Event
) -> None:
    session = make_session(
        [
            f"open('data.bin', 'wb').write(b'a' * {SIZE})",
            f"open('data.bin', 'wb').write(b'b' * {SIZE})",
        ]
    )
    session.shell.run_cell(session.cells[0], store_history=True)
    assert session.tracker.unsettled
    # the rewrite (same size, so only the content differs) blocks until the first hash is done
    threading.Timer(0.3, gate.set).start()
    session.shell.run_cell(session.cells[1], store_history=True)
    first, second = session.tracker.records
    assert first.writes[0].sha256 == sha(b"a" * SIZE)
    assert second.writes[0].sha256 == sha(b"b" * SIZE)


def test_a_file_changed_by_another_process_before_it_was_hashed_is_marked_changed(
    make_session: Any, tmp_path: Path, gate: threading.Event
) -> None:
    session = make_session([f"open('data.bin', 'wb').write(b'a' * {SIZE})", "y = 2"])
    session.shell.run_cell(session.cells[0], store_history=True)
    assert session.tracker.unsettled
    # another program rewrites the file before nbsec could hash what the cell wrote
    rewrite = f"open({str(tmp_path / 'data.bin')!r}, 'wb').write(b'z' * {SIZE + 1})"
    subprocess.run([sys.executable, "-c", rewrite], check=True)
    gate.set()
    (first,) = session.tracker.records
    (written,) = first.writes
    assert written.sha256 is None and written.changed
    assert written.to_dict()["changed"] is True
    (line,) = ledger_cells(session.tracker)
    assert line["writes"][0]["sha256"] is None and line["writes"][0]["changed"] is True
    # the other program's content is not taken for the session's own
    assert session.tracker.written_by(sha(b"z" * (SIZE + 1))) is None
    assert session.tracker.own_file("data.bin") is None
