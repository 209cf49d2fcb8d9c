"""A results cache for multi-file commands: a re-run scans only what changed.

A result is stored under a key made of

* the **SHA-256 of the file's content** (an edit that keeps the size and time is still seen) and
  the path as given (a result names its file: findings' locations and fingerprints carry it),
* the **command** (``scan``, ``scan-model``),
* the **engine fingerprint**: nbsec's version plus the size and modification time of every file
  of the installed ``nbsec`` package (code and rule data), so a new release, an edited rule or a
  development checkout never serves results of other code,
* the **policy hash**: SHA-256 of the effective policy's canonical JSON (a changed allowlist,
  waiver or threshold invalidates everything).

Hashing every file on every run would cost as much as a quick scan, so a second table remembers
each path's ``(size, mtime_ns, inode) -> sha256``; an unchanged file is not read at all. Both
tables live in one SQLite database (``results.sqlite``) under ``--cache-dir`` /
``$NBSEC_CACHE_DIR`` / ``$XDG_CACHE_HOME/nbsec`` / ``~/.cache/nbsec``. Only what the command
would print is stored: findings with masked evidence and hashed secrets, never file content.
A command whose result depends on more than one file's content (``nbsec report``: the
policy that applies to each notebook, its ledger, the data and model files it names, the files
it wrote) adds a per-item ``context`` to the key and a ``fresh`` check of a stored result.
The cache is used from the parent process only (:func:`nbsec.commands.batch_runner.run_batch`
calls ``get`` and ``put`` there). A cache that cannot be opened (read-only disk, corrupt file)
is dropped with a one-line note: results are then computed, never wrong.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

R = TypeVar("R")
T = TypeVar("T")

SCHEMA_VERSION = 1
_CHUNK = 1 << 20


def default_directory() -> Path:
    explicit = os.environ.get("NBSEC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nbsec"


def engine_fingerprint() -> str:
    """nbsec's version and the size and mtime of every file of the package (code and data)."""
    import nbsec
    from nbsec._version import __version__

    root = Path(nbsec.__file__).resolve().parent
    digest = hashlib.sha256(f"{__version__}|{SCHEMA_VERSION}".encode())
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", "labextension"))
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(dirpath, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            digest.update(f"{os.path.relpath(path, root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def policy_hash(policy: Any) -> str:
    """SHA-256 of the policy's canonical JSON (sorted keys)."""
    data = policy.to_dict() if hasattr(policy, "to_dict") else repr(policy)
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ResultsCache(Generic[R]):
    """A :class:`~nbsec.commands.batch_runner.ResultCache` for items that are file paths (or
    name one: ``path_of``).

    ``encode(value) -> JSON-able`` and ``decode(data, path) -> value`` convert a result.
    ``context(item)``, when given, is more of the key (``None``: this item is not cached);
    ``fresh(value)``, when given, must hold for a stored result to be served."""

    def __init__(
        self,
        command: str,
        policy: Any,
        encode: Callable[[R], Any],
        decode: Callable[[Any, Path], R],
        *,
        directory: Path | None = None,
        extra: str = "",
        path_of: Callable[[Any], Path] = Path,
        context: Callable[[Any], str | None] | None = None,
        fresh: Callable[[R], bool] | None = None,
    ) -> None:
        self.command = command
        self.encode = encode
        self.decode = decode
        self.path_of = path_of
        self.context = context
        self.fresh = fresh
        self.hits = 0
        self.misses = 0
        self.note: str | None = None
        self._prefix = hashlib.sha256(
            f"{command}|{engine_fingerprint()}|{policy_hash(policy)}|{extra}".encode()
        ).hexdigest()
        self._db: sqlite3.Connection | None = None
        self._hashes: dict[tuple[str, int, int, int], str] = {}
        where = directory or default_directory()
        try:
            where.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(where / "results.sqlite"), timeout=10)
            self._db.executescript(
                """
                CREATE TABLE IF NOT EXISTS files (
                    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, inode INTEGER,
                    sha256 TEXT);
                CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT);
                """
            )
        except (OSError, sqlite3.Error) as exc:
            self._db = None
            self.note = f"nbsec: note: results cache not used ({where}: {exc})"

    @property
    def enabled(self) -> bool:
        return self._db is not None

    def _sha256(self, path: Path) -> str | None:
        """The content hash of ``path``, from the stat table when the file is unchanged."""
        assert self._db is not None
        key = str(path.resolve())
        try:
            st = os.stat(key)
        except OSError:
            return None
        memo = (key, st.st_size, st.st_mtime_ns, st.st_ino)
        if memo in self._hashes:
            return self._hashes[memo]
        row = self._db.execute(
            "SELECT size, mtime_ns, inode, sha256 FROM files WHERE path = ?", (key,)
        ).fetchone()
        if row and tuple(row[:3]) == (st.st_size, st.st_mtime_ns, st.st_ino):
            sha = str(row[3])
        else:
            try:
                sha = file_sha256(Path(key))
            except OSError:
                return None
            self._db.execute(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                (key, st.st_size, st.st_mtime_ns, st.st_ino, sha),
            )
        self._hashes[memo] = sha
        return sha

    def _key(self, item: Any) -> str | None:
        path = self.path_of(item)
        extra = ""
        if self.context is not None:
            context = self.context(item)
            if context is None:
                return None
            extra = ":" + hashlib.sha256(context.encode()).hexdigest()
        sha = self._sha256(path)
        return None if sha is None else f"{self._prefix}:{sha}:{path}{extra}"

    def get(self, item: Any) -> R | None:
        if self._db is None:
            return None
        try:
            key = self._key(item)
            row = (
                None
                if key is None
                else self._db.execute("SELECT value FROM results WHERE key = ?", (key,)).fetchone()
            )
            value = None if row is None else self.decode(json.loads(row[0]), self.path_of(item))
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
            self._drop(exc)
            return None
        if value is None or (self.fresh is not None and not self.fresh(value)):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, item: Any, value: R) -> None:
        if self._db is None:
            return
        try:
            key = self._key(item)
            if key is None:
                return
            self._db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?)",
                (key, json.dumps(self.encode(value), separators=(",", ":"))),
            )
        except (sqlite3.Error, ValueError, TypeError) as exc:
            self._drop(exc)

    def close(self) -> None:
        if self._db is not None:
            try:
                self._db.commit()
                self._db.close()
            except sqlite3.Error as exc:
                print(f"nbsec: note: results cache not saved ({exc})", file=sys.stderr)
            self._db = None

    def _drop(self, exc: BaseException) -> None:
        self.note = f"nbsec: note: results cache dropped for this run ({type(exc).__name__})"
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None


def add_cache_arguments(parser: Any) -> None:
    """``--cache-dir DIR`` and ``--no-cache`` for a command that caches its results."""
    parser.add_argument(
        "--cache-dir",
        default=None,
        metavar="DIR",
        help="where results of unchanged files are kept (default: $NBSEC_CACHE_DIR, "
        "else ~/.cache/nbsec)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="scan every file, ignoring and keeping no results"
    )


def cache_for(
    args: Any,
    command: str,
    policy: Any,
    encode: Callable[[R], Any],
    decode: Callable[[Any, Path], R],
) -> ResultsCache[R] | None:
    """The cache a command's arguments ask for (``None`` with ``--no-cache``)."""
    if getattr(args, "no_cache", False):
        return None
    directory = Path(args.cache_dir) if getattr(args, "cache_dir", None) else None
    return ResultsCache(command, policy, encode, decode, directory=directory)


PARALLEL_MIN_ITEMS = 8
PARALLEL_MIN_BYTES = 64 * 2**20


def jobs_for(args: Any, paths: list[Path]) -> int | None:
    """``--jobs`` as given; by default one process per CPU, but only when the run is worth the
    start-up of worker processes (at least :data:`PARALLEL_MIN_ITEMS` files, or
    :data:`PARALLEL_MIN_BYTES` of them), else this process alone."""
    explicit: int | None = getattr(args, "jobs", None)
    if explicit is not None:
        return explicit
    if len(paths) >= PARALLEL_MIN_ITEMS:
        return None  # the runner's default: the number of CPUs
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            continue
    return None if total >= PARALLEL_MIN_BYTES and len(paths) > 1 else 1


def run_cached(
    args: Any,
    command: str,
    policy: Any,
    paths: list[Path],
    work: Callable[[Path], R],
    encode: Callable[[R], Any],
    decode: Callable[[Any, Path], R],
    preload: Sequence[str] = (),
) -> tuple[list[Any], dict[str, Any] | None, str | None]:
    """Run ``work`` over ``paths`` on the shared batch runner with this command's cache:
    ``(outcomes, {"hits", "misses"} or None without a cache, a one-line note or None)``.
    ``preload`` names modules the workers' forkserver imports first (see ``run_batch``)."""
    from nbsec.commands.batch_runner import run_batch

    cache = cache_for(args, command, policy, encode, decode)
    try:
        outcomes = run_batch(
            paths,
            work,
            jobs=jobs_for(args, paths),
            what=f"nbsec {command}",
            cache=cache,
            preload=preload,
        )
    finally:
        if cache is not None:
            cache.close()
    stats = None if cache is None else {"hits": cache.hits, "misses": cache.misses}
    return outcomes, stats, None if cache is None else cache.note
