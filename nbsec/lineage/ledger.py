"""The ledger: an append-only, hash-chained JSONL file per kernel session.

Each line is one JSON object ``{"v": 1, "seq": n, "prev": ..., "kind": ..., "at": ..., "data":
{...}}`` where ``prev`` is ``"genesis"`` on the first line and ``"sha256:<hex>"`` of the previous
line's bytes (without its newline) on every other line. Lines are written with one ``write`` on a
file opened in append mode before :meth:`LedgerWriter.append` returns, so a crash of the kernel
(even ``SIGKILL``) loses nothing already recorded; ``fdatasync`` runs on a background thread right
after, so the cell does not wait for the disk (only a crash of the whole machine in that moment can
lose the newest lines), and :meth:`LedgerWriter.close` syncs before it returns. While cells follow
each other the sync thread looks for new lines every :data:`SYNC_EVERY` seconds (no thread
hand-off on the cell's path); idle, it sleeps until the next line wakes it.

Any edit, deletion or reordering breaks the chain, and :func:`verify_ledger` names the line that is
wrong: an edited line (the next line holds a different hash for it), a missing or repeated line
(the sequence numbers jump). Two things make rewriting the whole file detectable too:

* the **anchor**: each time the notebook is saved, ``metadata.nbsec.ledger`` records the ledger's
  line count and the hash of its last line; a ledger rewritten (chain recomputed) or cut short
  since no longer matches it (:func:`verify_against_anchor`, ``nbsec ledger verify NB.ipynb``);
* an optional **key** (``[tool.nbsec.lineage] ledger_key_env`` or ``ledger_key_file``): every line
  then carries ``mac``, an HMAC-SHA256 of the line without it, so no line can be written or
  changed without the key, and a changed line is found exactly.

Kinds: ``session`` (first line: session id, notebook file name, nbsec and Python version),
``cell`` (a :class:`~nbsec.lineage.records.CellRecord`), session decisions (``waiver``,
``revoke``, ``waiver_written``, ``mode``, ``enabled``, ``refused``), ``close`` (the session ended
cleanly). The ledger holds names, relative paths, hashes and counts -- never data values, host
names, users or process ids.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
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
SYNC_EVERY = 0.2  # seconds between syncs while lines keep coming
_IDLE_ROUNDS = 10  # polls without a new line before the sync thread parks (2 s)
_BIG_LINE = 64 * 1024


def line_hash(line: bytes) -> str:
    """The chain value of a line: ``sha256:`` + hex digest of its bytes without the newline."""
    return "sha256:" + hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def ledger_path(base_dir: str | os.PathLike[str], session_id: str) -> Path:
    """Where the ledger of ``session_id`` lives under ``base_dir`` (the notebook's directory)."""
    return Path(base_dir) / LEDGER_DIR / f"{safe_session_id(session_id)}.jsonl"


def safe_session_id(session_id: str) -> str:
    return _SAFE_SESSION.sub("_", session_id)[:128] or "session"


def entry_mac(key: bytes, entry: Mapping[str, Any]) -> str:
    """The HMAC-SHA256 of a ledger entry without its ``mac`` (canonical JSON)."""
    body = {k: v for k, v in entry.items() if k != "mac"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hmac.new(key, text, hashlib.sha256).hexdigest()


def read_key(env: str = "", file: str = "", base: Path | None = None) -> bytes | None:
    """The ledger key named by a policy: the environment variable ``env`` or the file ``file``
    (relative to ``base``); ``None`` when neither is set. Raises :class:`InputError` when one is
    named but empty or unreadable."""
    if env:
        value = os.environ.get(env, "")
        if not value:
            raise InputError(f"the ledger key variable {env} is not set")
        return value.encode()
    if file:
        path = Path(file) if Path(file).is_absolute() or base is None else base / file
        try:
            data = path.read_bytes().strip()
        except OSError as exc:
            raise InputError(
                f"{path}: cannot read the ledger key ({exc.strerror or exc})"
            ) from None
        if not data:
            raise InputError(f"{path}: the ledger key file is empty")
        return data
    return None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class LedgerWriter:
    """Appends chained lines to one ledger file; each :meth:`append` is in the file on return and
    on disk moments later (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str], key: bytes | None = None) -> None:
        self.path = Path(path)
        self._key = key
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
        self._pending = False  # lines written since the last sync
        self._parked = False  # the sync thread waits on _wake (idle)
        self._wake = threading.Event()
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
    def keyed(self) -> bool:
        return self._key is not None

    @property
    def lines(self) -> int:
        """How many lines the file holds (the next line's sequence number)."""
        return self._seq

    def append(self, kind: str, data: Mapping[str, Any]) -> int:
        """Write one line; return its sequence number."""
        if self._fd is None:
            raise ValueError(f"ledger {self.path} is closed")
        entry: dict[str, Any] = {
            "v": FORMAT_VERSION,
            "seq": self._seq,
            "prev": self._prev,
            "kind": kind,
            "at": _now(),
            "data": data,
        }
        if self._key is not None:
            entry["mac"] = entry_mac(self._key, entry)
        line = json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str).encode()
        view = memoryview(line + b"\n")
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._pending = True
        # wake the sync thread only when it went idle, or for a big line (synced at once, on
        # the time of the cell that wrote it)
        if self._parked or len(line) > _BIG_LINE:
            self._parked = False
            self._wake.set()
        self._prev = line_hash(line)
        seq = self._seq
        self._seq += 1
        return seq

    def _sync_loop(self) -> None:
        idle = 0
        while True:
            if not self._pending:
                idle += 1
                if idle < _IDLE_ROUNDS:
                    self._wake.wait(SYNC_EVERY)
                    self._wake.clear()
                    continue
                self._parked = True
                if not self._pending:  # a line written since is not missed
                    self._wake.wait()
                self._wake.clear()
                self._parked = False
            idle = 0
            self._pending = False
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
        self._pending = True
        self._wake.set()  # lets the sync thread see the closed file and end


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
    """Outcome of :func:`verify_ledger`. ``broken_line`` is 1-based; ``None`` when intact.
    ``keyed``: the lines carry MACs; ``authenticated``: they were checked with the key."""

    path: Path
    lines: int
    broken_line: int | None = None
    reason: str = ""
    kinds: dict[str, int] = field(default_factory=dict)
    keyed: bool = False
    authenticated: bool = False
    hashes: list[str] = field(default_factory=list, repr=False)  # chain value of each line

    @property
    def ok(self) -> bool:
        return self.broken_line is None


def verify_ledger(path: str | os.PathLike[str], key: bytes | None = None) -> VerifyResult:
    """Check the chain (and, with ``key``, every line's MAC) of a ledger file and report the
    first wrong line.

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
    if _chain_ok(complete, result, key) and torn:
        _broken(result, len(lines), "truncated final line (write interrupted)")
    return result


def _broken(result: VerifyResult, line_no: int, reason: str) -> VerifyResult:
    result.broken_line, result.reason = line_no, reason
    return result


def _chain_ok(lines: list[bytes], result: VerifyResult, key: bytes | None) -> bool:
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
        if "mac" in entry:
            result.keyed = True
        if key is not None:
            if not isinstance(entry.get("mac"), str):
                _broken(result, number, "no MAC (the ledger is keyed: every line must have one)")
                return False
            if not hmac.compare_digest(entry["mac"], entry_mac(key, entry)):
                _broken(result, number, "this line was changed: its MAC does not match")
                return False
        seq = entry["seq"]
        if seq != number - 1:
            if isinstance(seq, int) and seq > number - 1:
                reason = f"line(s) missing before this line (sequence jumps to {seq})"
            else:
                reason = f"line out of order or repeated (sequence number {seq!r})"
            _broken(result, number, reason)
            return False
        if entry["prev"] != prev:
            if number == 1:
                _broken(result, 1, "'prev' does not match the genesis marker")
            else:
                # the line before was changed after this one was written
                _broken(
                    result,
                    number - 1,
                    f"this line was changed after it was written (line {number} holds a "
                    "different hash for it)",
                )
            return False
        kind = str(entry.get("kind", ""))
        result.kinds[kind] = result.kinds.get(kind, 0) + 1
        prev = line_hash(line)
        result.hashes.append(prev)
    result.authenticated = key is not None
    return True


@dataclass(frozen=True)
class Anchor:
    """What a saved notebook recorded of its session's ledger (``metadata.nbsec.ledger``)."""

    path: str
    lines: int
    head: str  # hex sha256 of the last line at save time
    session_id: str = ""
    keyed: bool = False

    @classmethod
    def from_metadata(cls, data: Any) -> Anchor | None:
        if not isinstance(data, Mapping):
            return None
        path, lines, head = data.get("path"), data.get("lines"), data.get("head")
        if not (isinstance(path, str) and isinstance(lines, int) and isinstance(head, str)):
            return None
        return cls(
            path=path,
            lines=lines,
            head=head.removeprefix("sha256:"),
            session_id=str(data.get("session_id") or ""),
            keyed=bool(data.get("keyed")),
        )


def verify_against_anchor(result: VerifyResult, anchor: Anchor) -> VerifyResult:
    """Check a verified ledger against the anchor its notebook saved: the ledger must still hold
    the line the notebook saw last, unchanged (it may have grown since)."""
    if not result.ok:
        return result
    if anchor.lines < 1:
        return result
    if result.lines < anchor.lines:
        return _broken(
            result,
            result.lines + 1,
            f"records were removed: the notebook was saved when the ledger had {anchor.lines} "
            f"lines, it now has {result.lines}",
        )
    if result.hashes[anchor.lines - 1].removeprefix("sha256:") != anchor.head:
        return _broken(
            result,
            anchor.lines,
            "the ledger was rewritten: this line (the last one when the notebook was saved) "
            "no longer matches the hash saved in the notebook; a line at or before it changed",
        )
    return result


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
