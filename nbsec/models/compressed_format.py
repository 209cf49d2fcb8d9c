"""Compressed streams: gzip, bz2, xz, lzma, zlib (joblib's compressors, ``.pkl.gz``) and lz4.

The stream is decompressed incrementally up to the per-member limit and the total budget of the
file; a stream that would go on is reported (NBS-PKL-018) and the part decompressed so far is
still scanned by content, so a payload at the front of a bomb is still found. Concatenated
gzip members are followed, as :mod:`gzip` does.
"""

from __future__ import annotations

import bz2
import lzma
import mmap
import tempfile
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.models.pickle_walker import Buffer
    from nbsec.models.scan_context import ScanContext

_CHUNK = 1 << 20
_STEP = 8 << 20


_SPILL = 32 << 20  # decompressed output beyond this goes to a temporary file, not memory


class _Sink:
    """Decompressed output: in memory up to ``_SPILL`` bytes, then in an anonymous temporary
    file that is memory-mapped for scanning (pages the scan does not touch cost no memory)."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.file: Any = None
        self.length = 0

    def write(self, chunk: bytes) -> None:
        self.length += len(chunk)
        if self.file is None and len(self.buf) + len(chunk) <= _SPILL:
            self.buf += chunk
            return
        if self.file is None:
            self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in result()
            self.file.write(self.buf)
            self.buf = bytearray()
        self.file.write(chunk)

    def result(self) -> Any:
        if self.file is None:
            return bytes(self.buf)
        self.file.flush()
        mapped = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)
        self.file.close()  # the mapping keeps the (already unlinked) file alive
        return mapped


def _decompressor(kind: str) -> Any:
    if kind == "deflate":
        return zlib.decompressobj(-15)
    if kind == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if kind in ("zlib", "zlib-joblib-legacy"):
        return zlib.decompressobj()
    if kind == "bz2":
        return bz2.BZ2Decompressor()
    if kind == "xz":
        return lzma.LZMADecompressor(lzma.FORMAT_XZ)
    if kind == "lzma":
        return lzma.LZMADecompressor(lzma.FORMAT_ALONE)
    raise ValueError(kind)


def decompress_bounded(
    data: Buffer,
    start: int,
    end: int,
    kind: str,
    limit: int,
    max_ratio: int = 0,
    ratio_floor: int = 0,
) -> tuple[Any, bool]:
    """Decompress ``data[start:end]``; returns (output, cut_short). Stops early (cut short) at
    ``limit`` bytes, or once the output passes ``ratio_floor`` at a ratio above ``max_ratio``.
    Raises ValueError if the stream is corrupt before any output."""
    out = _Sink()
    pos = start
    if kind == "zlib-joblib-legacy":
        # "ZF" + 0x-hex length padded to 16 bytes, then a zlib stream
        pos += 18
    dec = _decompressor(kind)
    zlib_like = kind in ("gzip", "zlib", "zlib-joblib-legacy", "deflate")
    try:
        while True:
            if zlib_like and dec.unconsumed_tail:
                chunk = dec.unconsumed_tail
            elif not zlib_like and not dec.needs_input:
                chunk = b""
            elif pos < end:
                chunk = bytes(data[pos : min(end, pos + _CHUNK)])
                pos += len(chunk)
            else:
                break
            room = limit - out.length
            if room <= 0:
                return out.result(), True
            # bounded steps, so a bomb is noticed after a few MiB, not after all of it
            out.write(dec.decompress(chunk, min(room, _STEP)))
            if max_ratio and out.length > ratio_floor and out.length > max_ratio * (pos - start):
                return out.result(), True
            if dec.eof:
                rest = dec.unused_data
                if kind == "gzip" and rest[:2] == b"\x1f\x8b":
                    pos -= len(rest)
                    dec = _decompressor(kind)
                    continue
                break
    except (zlib.error, OSError, lzma.LZMAError, EOFError) as exc:
        if out.length:
            return out.result(), False
        raise ValueError(str(exc)) from None
    return out.result(), False


def scan_compressed(
    ctx: ScanContext, data: Buffer, start: int, end: int, where: str, depth: int, kind: str
) -> str:
    if kind == "lz4":
        try:
            import lz4.frame  # type: ignore[import-not-found]
        except ImportError:
            ctx.report(
                "NBS-PKL-020",
                f"{where}: lz4-compressed; install the optional 'lz4' package to scan it",
                key=f"{where}:lz4",
            )
            return "lz4"
        try:
            lz4_dec = lz4.frame.LZ4FrameDecompressor()
            limit = ctx.limits.max_member_bytes
            body = lz4_dec.decompress(bytes(data[start:end]), max_length=limit)
        except RuntimeError as exc:
            ctx.report("NBS-PKL-021", f"{where}: corrupt lz4 stream: {exc}", key=f"{where}:lz4")
            return "lz4"
        truncated = len(body) >= limit and not lz4_dec.eof
    else:
        try:
            limits = ctx.limits
            body, truncated = decompress_bounded(
                data,
                start,
                end,
                kind,
                limits.max_member_bytes,
                limits.max_ratio,
                limits.ratio_floor,
            )
        except ValueError as exc:
            ctx.report(
                "NBS-PKL-021", f"{where}: corrupt {kind} stream: {exc}", key=f"{where}:{kind}"
            )
            return kind
    if not ctx.charge(len(body), where):
        return kind
    if truncated:
        ctx.report(
            "NBS-PKL-018",
            f"{where}: {kind} stream decompresses beyond the limits ({len(body)} bytes, at a "
            "bomb's ratio or past the size limit); scanned up to there",
            key=f"{where}:bomb",
        )
    inner = ctx.scan_member(body, 0, len(body), f"{where} ({kind})", depth + 1)
    base = kind.removesuffix("-joblib-legacy")
    return f"{base}:{inner}"
