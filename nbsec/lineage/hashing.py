"""Streamed, cached, capped SHA-256 of files.

A file up to ``max_bytes`` is hashed whole, in 1 MiB chunks. A larger file gets a *partial*
digest: SHA-256 over ``size``, the first and the last :data:`PARTIAL_SPAN` bytes, marked
``partial=True`` so nobody mistakes it for the file's real hash. Digests are cached on
``(path, size, mtime_ns, ctime_ns, inode)``: re-reading an unchanged file costs one ``stat``,
and a file replaced behind the cache's back is hashed afresh (``os.utime`` can set the mtime
back, but not the ctime; a rename of another file over it changes the inode).

The tracker hashes after the cell has run (in ``post_run_cell``), never inside the read.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

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
        try:
            st = os.stat(path)
        except OSError:
            return None
        if not _is_regular(st.st_mode):
            return None
        key = (path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        try:
            result = self._compute(path, st.st_size)
        except OSError:
            return None
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = result
        return result

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
