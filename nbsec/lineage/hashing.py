"""Streamed, cached, capped SHA-256 of files.

A file up to ``max_bytes`` is hashed whole, in 1 MiB chunks. A larger file gets a *partial*
digest: SHA-256 over ``size``, the first and the last :data:`PARTIAL_SPAN` bytes, marked
``partial=True`` so nobody mistakes it for the file's real hash. Digests are cached on
``(path, size, mtime_ns, ctime_ns, inode)``: re-reading an unchanged file costs one ``stat``,
and a file replaced behind the cache's back is hashed afresh (``os.utime`` can set the mtime
back, but not the ctime; a rename of another file over it changes the inode).

The tracker hashes after the cell has run, never inside the read, and off the cell's path: a
:class:`HashQueue` hashes in one background thread what a cell read and wrote. It takes the
file's identity (size, mtime, ctime, inode) when the cell ends and stats the file again after
hashing: a digest is kept only if the file is still the one the cell left, and a file changed in
between is reported as changed, never given the hash of someone else's content. The tracker also
waits for a file's pending hash before a later cell opens it for writing, so rewriting a file in
the next cell does not lose the first cell's hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

CHUNK = 1024 * 1024
PARTIAL_SPAN = 4 * 1024 * 1024
_CACHE_LIMIT = 4096


@dataclass(frozen=True)
class FileDigest:
    sha256: str
    size: int
    partial: bool


class FileHasher:
    """Hashes files with a bounded cache keyed on the file's path and identity (see above)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._cache: dict[tuple[str, int, int, int, int], FileDigest] = {}

    def digest(self, path: str) -> FileDigest | None:
        """The digest of a regular file, or ``None`` if it is gone or is not a regular file."""
        found = _regular_file(path)
        if found is None:
            return None
        st, key = found
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        try:
            result = self._compute(path, st.st_size)
        except OSError:
            return None
        self._remember(key, result)
        return result

    def cached(self, key: tuple[str, int, int, int, int]) -> FileDigest | None:
        """The digest already known for a file of this identity (see :func:`_identity`)."""
        return self._cache.get(key)

    def _remember(self, key: tuple[str, int, int, int, int], digest: FileDigest) -> None:
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = digest

    def _compute(self, path: str, size: int) -> FileDigest:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            if size <= self.max_bytes:
                while chunk := fh.read(CHUNK):
                    h.update(chunk)
                return FileDigest(h.hexdigest(), size, False)
            h.update(f"nbsec-partial:{size}:".encode())
            h.update(_read_exact(fh, PARTIAL_SPAN))
            fh.seek(max(0, size - PARTIAL_SPAN))
            h.update(_read_exact(fh, PARTIAL_SPAN))
        return FileDigest(h.hexdigest(), size, True)


@dataclass
class PendingDigest:
    """A hash the :class:`HashQueue` is computing: the file's identity when it was asked for,
    and, once ``done`` is set, its digest -- or ``changed`` (the file was changed, replaced or
    removed before it could be hashed) or neither (it could not be read)."""

    path: str
    key: tuple[str, int, int, int, int]
    done: threading.Event = field(default_factory=threading.Event)
    digest: FileDigest | None = None
    changed: bool = False

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)


class HashQueue:
    """Hashes files in one background thread (see the module docstring).

    :meth:`submit` stats the file in the calling thread and returns the cached digest when the
    file is unchanged since it was last hashed, ``None`` when it is not a regular file, or a
    :class:`PendingDigest` to wait for. ``on_idle`` (optional) is called from the background
    thread each time it has nothing left to hash. ``quiet`` (optional) is called first in the
    background thread (the tracker uses it so that the thread's own reads are not taken for
    the user's)."""

    def __init__(
        self,
        hasher: FileHasher,
        *,
        on_idle: Callable[[], None] | None = None,
        quiet: Callable[[], None] | None = None,
    ) -> None:
        self.hasher = hasher
        self.on_idle = on_idle
        self._quiet = quiet
        self._pending: dict[str, PendingDigest] = {}
        self._queue: queue.SimpleQueue[PendingDigest | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()  # a forked child has no hashing thread: it waits for nothing

    def submit(self, path: str) -> FileDigest | PendingDigest | None:
        found = _regular_file(path)
        if found is None:
            return None
        _, key = found
        cached = self.hasher.cached(key)
        if cached is not None:
            return cached
        with self._lock:
            pending = self._pending.get(path)
            if pending is not None and pending.key == key:
                return pending
            pending = self._pending[path] = PendingDigest(path, key)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._work, name="nbsec-file-hashes", daemon=True
                )
                self._thread.start()
        self._queue.put(pending)
        return pending

    def pending(self, path: str) -> PendingDigest | None:
        """The hash of ``path`` being computed, if any (in this process)."""
        if os.getpid() != self._pid:
            return None
        return self._pending.get(path)

    def busy(self) -> bool:
        return bool(self._pending)

    def close(self) -> None:
        """Stop the background thread once it has hashed what it was given."""
        self._queue.put(None)

    def _work(self) -> None:
        if self._quiet is not None:
            self._quiet()
        while True:
            pending = self._queue.get()
            if pending is None:
                return
            try:
                self._hash(pending)
            finally:
                pending.done.set()
                with self._lock:
                    if self._pending.get(pending.path) is pending:
                        del self._pending[pending.path]
                    idle = not self._pending
            if idle and self.on_idle is not None:
                # a listener's failure (a loop closed at shutdown) must not stop hashing
                with contextlib.suppress(Exception):
                    self.on_idle()

    def _hash(self, pending: PendingDigest) -> None:
        path, key = pending.path, pending.key
        cached = self.hasher.cached(key)
        if cached is not None:
            pending.digest = cached
            return
        try:
            digest = self.hasher._compute(path, key[1])
            after = _identity(path, os.stat(path))
        except OSError:
            pending.changed = not _same_file(path, key)
            return
        if after != key:
            pending.changed = True
            return
        self.hasher._remember(key, digest)
        pending.digest = digest


def _identity(path: str, st: os.stat_result) -> tuple[str, int, int, int, int]:
    return (path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _regular_file(path: str) -> tuple[os.stat_result, tuple[str, int, int, int, int]] | None:
    """A regular file's stat and identity, or ``None`` if it is gone or is not a regular file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not _is_regular(st.st_mode):
        return None
    return st, _identity(path, st)


def _same_file(path: str, key: tuple[str, int, int, int, int]) -> bool:
    try:
        return _identity(path, os.stat(path)) == key
    except OSError:
        return False


def _read_exact(fh: object, n: int) -> bytes:
    import io

    assert isinstance(fh, io.BufferedIOBase)
    parts = []
    while n > 0:
        chunk = fh.read(min(CHUNK, n))
        if not chunk:
            break
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def _is_regular(mode: int) -> bool:
    import stat

    return stat.S_ISREG(mode)
