"""The ledger: an append-only, hash-chained JSONL file per kernel session.

Each line is one JSON object ``{"v": 1, "seq": n, "prev": ..., "kind": ..., "at": ..., "data":
{...}}`` where ``prev`` is ``"genesis"`` on the first line and ``"sha256:<hex>"`` of the previous
line's bytes (without its newline) on every other line. Lines are written with one ``write`` on a
file opened in append mode before :meth:`LedgerWriter.append` returns, so a crash of the kernel
(even ``SIGKILL``) loses nothing already recorded; ``fdatasync`` runs on a background thread right
after, so the cell does not wait for the disk (only a crash of the whole machine in that moment can
lose the newest line), and :meth:`LedgerWriter.close` syncs before it returns. Any edit, deletion
or reordering breaks the chain at a line that :func:`verify_ledger` reports.

Kinds: ``session`` (first line: session id, notebook path, nbsec and Python version), ``cell``
(a :class:`~nbsec.lineage.records.CellRecord`), ``close`` (the session ended cleanly). The ledger
holds names, paths, hashes and counts -- never data values.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbsec.errors import InputError

GENESIS = "genesis"
FORMAT_VERSION = 1
LEDGER_DIR = Path(".nbsec") / "ledger"
_SAFE_SESSION = re.compile(r"[^A-Za-z0-9._-]")


def line_hash(line: bytes) -> str:
    """The chain value of a line: ``sha256:`` + hex digest of its bytes without the newline."""
    return "sha256:" + hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def ledger_path(base_dir: str | os.PathLike[str], session_id: str) -> Path:
    """Where the ledger of ``session_id`` lives under ``base_dir`` (the notebook's directory)."""
    return Path(base_dir) / LEDGER_DIR / f"{safe_session_id(session_id)}.jsonl"


def safe_session_id(session_id: str) -> str:
    return _SAFE_SESSION.sub("_", session_id)[:128] or "session"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class LedgerWriter:
    """Appends chained lines to one ledger file; each :meth:`append` is in the file on return and
    on disk moments later (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._prev = GENESIS
        self._seq = 0
        if self.path.exists() and self.path.stat().st_size:
            last = _last_line(self.path)
            if last is not None:
                self._prev = line_hash(last)
                try:
                    self._seq = int(json.loads(last)["seq"]) + 1
                except (ValueError, KeyError, TypeError):
                    self._seq = 0
        self._fd: int | None = os.open(
            self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), 0o600
        )
        self._fd_lock = threading.Lock()
        self._dirty = threading.Event()
        self._syncer = threading.Thread(
            target=self._sync_loop, name="nbsec-ledger-sync", daemon=True
        )
        self._syncer.start()

    @property
    def closed(self) -> bool:
        return self._fd is None

    @property
    def head(self) -> str:
        """The chain value of the last line written (``genesis`` before the first)."""
        return self._prev

    @property
    def lines(self) -> int:
        """How many lines the file holds (the next line's sequence number)."""
        return self._seq

    def append(self, kind: str, data: Mapping[str, Any]) -> int:
        """Write one line; return its sequence number."""
        if self._fd is None:
            raise ValueError(f"ledger {self.path} is closed")
        entry = {
            "v": FORMAT_VERSION,
            "seq": self._seq,
            "prev": self._prev,
            "kind": kind,
            "at": _now(),
            "data": data,
        }
        line = json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str).encode()
        view = memoryview(line + b"\n")
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._dirty.set()
        self._prev = line_hash(line)
        seq = self._seq
        self._seq += 1
        return seq

    def _sync_loop(self) -> None:
        while True:
            self._dirty.wait()
            self._dirty.clear()
            with self._fd_lock:
                if self._fd is None:
                    return
                # a disk error shows again on the next append or at close
                with contextlib.suppress(OSError):
                    _sync(self._fd)

    def close(self) -> None:
        with self._fd_lock:
            if self._fd is not None:
                _sync(self._fd)
                os.close(self._fd)
                self._fd = None
        self._dirty.set()  # lets the sync thread see the closed file and end


def _sync(fd: int) -> None:
    """Make the appended bytes durable (``fdatasync`` where it exists: the data, not the times)."""
    sync = getattr(os, "fdatasync", os.fsync)
    sync(fd)


def _last_line(path: Path) -> bytes | None:
    with path.open("rb") as fh:
        lines = fh.read().splitlines()
    return lines[-1] if lines else None


@dataclass
class VerifyResult:
    """Outcome of :func:`verify_ledger`. ``broken_line`` is 1-based; ``None`` when intact."""

    path: Path
    lines: int
    broken_line: int | None = None
    reason: str = ""
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.broken_line is None


def verify_ledger(path: str | os.PathLike[str]) -> VerifyResult:
    """Check the chain of a ledger file and report the first broken line.

    Raises :class:`~nbsec.errors.InputError` if the file cannot be read at all."""
    target = Path(path)
    try:
        raw = target.read_bytes()
    except OSError as exc:
        raise InputError(f"{target}: cannot read ledger ({exc.strerror or exc})") from None
    result = VerifyResult(path=target, lines=0)
    if not raw:
        result.broken_line, result.reason = 1, "empty ledger"
        return result
    lines = raw.split(b"\n")
    torn = lines[-1] != b""
    if not torn:
        lines.pop()
    result.lines = len(lines)
    complete = lines[:-1] if torn else lines
    if _chain_ok(complete, result) and torn:
        _broken(result, len(lines), "truncated final line (write interrupted)")
    return result


def _broken(result: VerifyResult, line_no: int, reason: str) -> VerifyResult:
    result.broken_line, result.reason = line_no, reason
    return result


def _chain_ok(lines: list[bytes], result: VerifyResult) -> bool:
    prev = GENESIS
    for number, line in enumerate(lines, start=1):
        try:
            entry = json.loads(line)
        except ValueError:
            _broken(result, number, "not valid JSON")
            return False
        if not isinstance(entry, dict) or "prev" not in entry or "seq" not in entry:
            _broken(result, number, "not a ledger entry")
            return False
        if entry["prev"] != prev:
            expected = "the genesis marker" if prev == GENESIS else "the previous line's hash"
            _broken(result, number, f"'prev' does not match {expected}")
            return False
        if entry["seq"] != number - 1:
            _broken(result, number, f"sequence number {entry['seq']!r}, expected {number - 1}")
            return False
        kind = str(entry.get("kind", ""))
        result.kinds[kind] = result.kinds.get(kind, 0) + 1
        prev = line_hash(line)
    return True


def read_entries(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The parsed entries of a ledger, in order, skipping a torn final line."""
    target = Path(path)
    try:
        raw = target.read_bytes()
    except OSError as exc:
        raise InputError(f"{target}: cannot read ledger ({exc.strerror or exc})") from None
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            if number == len(raw.splitlines()) and not raw.endswith(b"\n"):
                return
            raise InputError(f"{target}: line {number} is not valid JSON") from None
        if isinstance(entry, dict):
            yield entry
