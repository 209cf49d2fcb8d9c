"""Streamed, cached, capped file hashing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from nbsec.lineage.hashing import PARTIAL_SPAN, FileHasher


@pytest.mark.parametrize(
    ("size", "cap", "partial"),
    [(0, 100, False), (1000, 1000, False), (3 * 1024 * 1024, 10 * 1024 * 1024, False),
     (2 * PARTIAL_SPAN + 10, PARTIAL_SPAN, True)],
)  # fmt: skip
def test_full_or_partial(tmp_path: Path, size: int, cap: int, partial: bool) -> None:
    data = os.urandom(size)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    digest = FileHasher(cap).digest(str(path))
    assert digest is not None
    assert digest.partial is partial and digest.size == size
    if partial:
        assert digest.sha256 != hashlib.sha256(data).hexdigest()
    else:
        assert digest.sha256 == hashlib.sha256(data).hexdigest()


def test_partial_digest_sees_head_and_tail_changes(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    data = bytearray(os.urandom(3 * PARTIAL_SPAN))
    path.write_bytes(data)
    hasher = FileHasher(1024)
    first = hasher.digest(str(path))
    data[-1] ^= 0xFF
    path.write_bytes(data)
    second = hasher.digest(str(path))
    assert first is not None and second is not None and first.sha256 != second.sha256


def test_cache_is_keyed_on_size_and_mtime(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("one")
    hasher = FileHasher(1 << 20)
    first = hasher.digest(str(path))
    assert hasher.digest(str(path)) is first  # cached object, no re-read
    path.write_text("two")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = hasher.digest(str(path))
    assert second is not None and first is not None and second.sha256 != first.sha256


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "x"
    if kind == "directory":
        target.mkdir()
    assert FileHasher(100).digest(str(target)) is None


def test_large_reads_are_marked_partial_in_records(make_session: object, tmp_path: Path) -> None:
    from nbsec.policy import LineageSettings, Policy

    (tmp_path / "big.bin").write_bytes(b"x" * (3 * PARTIAL_SPAN))
    policy = Policy(lineage=LineageSettings(hash_max_bytes=1024, ledger=False))
    session = make_session(["data = open('big.bin', 'rb').read(10)"], policy=policy)  # type: ignore[operator]
    record = session.run(0)
    assert [(Path(a.uri).name, a.partial, a.size) for a in record.reads] == [
        ("big.bin", True, 3 * PARTIAL_SPAN)
    ]
    assert session.tracker.ledger_file is None
