"""A tolerant zip reader: the members a lenient loader (PyTorch's miniz) would find.

Python's :mod:`zipfile` rejects archives that PyTorch still loads: local-header names that differ
from the central directory, bad CRCs, "encrypted" flag bits on stored members, data prepended to
the archive, ZIP64 fields on small archives. A scanner built on it can be bypassed by such files.
This reader works from the end-of-central-directory record (ZIP64 included), trusts the central
directory for names and sizes and the local header only for where the data starts, and falls back
to walking local headers when there is no usable central directory. It never decompresses more
than asked for, and it reports structure that only a bomb would have (overlapping members).
"""

from __future__ import annotations

import bz2
import itertools
import lzma
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.models.pickle_walker import Buffer

_EOCD = b"PK\x05\x06"
_EOCD64 = b"PK\x06\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_MAX_COMMENT = 0xFFFF + 22

STORED, DEFLATED, BZIP2, LZMA = 0, 8, 12, 14


class ZipFormatError(Exception):
    """The archive's structure cannot be read at all."""


@dataclass(frozen=True)
class ZipMember:
    name: str
    method: int
    flags: int
    compressed_size: int
    size: int
    header_offset: int  # absolute offset of the local header in the buffer
    data_offset: int  # absolute offset of the member's data

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & 0x1) and self.method not in (STORED,)


@dataclass
class ZipDirectory:
    members: list[ZipMember]
    overlapping: bool = False
    from_local_headers: bool = False
    disagreement: bool = False  # two readable central directories list different members
    # entries of the central directory whose local header is missing or cut off: the loaders
    # fail on them, and this reader leaves them out
    unreadable: int = 0


def read_directory(data: Buffer, start: int, end: int, max_members: int) -> ZipDirectory:
    """The members of the zip in ``data[start:end]``; raises :class:`ZipFormatError`."""
    disagreement = False
    unreadable: list[str] = []
    try:
        members, disagreement = _from_central_directory(data, start, end, max_members, unreadable)
        from_local = False
    except ZipFormatError:
        members = _from_local_headers(data, start, end, max_members)
        from_local = True
        unreadable = []
    spans = sorted((m.data_offset, m.data_offset + m.compressed_size) for m in members)
    overlapping = any(b[0] < a[1] for a, b in itertools.pairwise(spans) if a[1] > a[0])
    return ZipDirectory(
        members,
        overlapping=overlapping,
        from_local_headers=from_local,
        disagreement=disagreement,
        unreadable=len(unreadable),
    )


def _find_eocd(data: Buffer, start: int, end: int) -> int:
    lo = max(start, end - _MAX_COMMENT)
    pos = end
    while True:
        pos = data.rfind(_EOCD, lo, pos)
        if pos < 0:
            raise ZipFormatError("no end of central directory record")
        if pos + 22 <= end:
            return int(pos)
        pos -= 1


def _from_central_directory(
    data: Buffer, start: int, end: int, max_members: int, unreadable: list[str]
) -> tuple[list[ZipMember], bool]:
    eocd = _find_eocd(data, start, end)
    (_, _, _, _, count, cd_size, cd_offset, _) = struct.unpack(
        "<4s4H2LH", bytes(data[eocd : eocd + 22])
    )
    cd_end = eocd
    loc = bytes(data[eocd - 20 : eocd]) if eocd - 20 >= start else b""
    if loc[:4] == _EOCD64_LOCATOR:
        # ZIP64 (PyTorch always writes it): the real counts and offsets are in the ZIP64 record
        # that sits between the central directory and the locator.
        (eocd64_offset,) = struct.unpack("<Q", loc[8:16])
        cd_end = eocd - 20 - 56
        for rec_at in (start + eocd64_offset, cd_end):
            rec = bytes(data[rec_at : rec_at + 56])
            if rec[:4] == _EOCD64 and len(rec) == 56:
                count, _, cd_size, cd_offset = struct.unpack("<QQQQ", rec[24:56])
                cd_end = rec_at
                break
    # Where the directory is: at its declared offset (miniz, torch.load) or right before the
    # end record (zipfile, which so tolerates data prepended to the archive). When both places
    # hold a directory and they differ, loaders disagree: both are read.
    found = [
        c
        for c in dict.fromkeys((start + cd_offset, cd_end - cd_size))
        if start <= c < end and bytes(data[c : c + 4]) == _CENTRAL
    ]
    if not found:
        if count == 0:
            return [], False
        raise ZipFormatError("central directory not found")
    # miniz reads as many entries as the end record counts; zipfile reads entries until the
    # directory's declared size is used up
    sizes = {c: (cd_size if c == cd_end - cd_size else None) for c in found}
    members = _read_entries(
        data,
        start,
        end,
        found[0],
        found[0] - (start + cd_offset),
        count,
        max_members,
        sizes[found[0]],
        unreadable,
    )
    if len(found) == 1:
        return members, False
    other = _read_entries(
        data,
        start,
        end,
        found[1],
        found[1] - (start + cd_offset),
        count,
        max_members,
        sizes[found[1]],
        [],
    )
    known = {(m.name, m.data_offset) for m in members}
    extra = [m for m in other if (m.name, m.data_offset) not in known]
    return members + extra, bool(extra)


def _read_entries(
    data: Buffer,
    start: int,
    end: int,
    cd_start: int,
    shift: int,
    count: int,
    max_members: int,
    directory_size: int | None = None,
    unreadable: list[str] | None = None,
) -> list[ZipMember]:
    if directory_size is not None:
        count = max_members + 1  # bounded by the directory size below
    if count > max_members:
        count = max_members + 1
    members: list[ZipMember] = []
    pos = cd_start
    for _ in range(count):
        if directory_size is not None and pos + 46 > cd_start + directory_size:
            break
        head = bytes(data[pos : pos + 46])
        if len(head) < 46 or head[:4] != _CENTRAL:
            break
        (flags, method) = struct.unpack("<HH", head[8:12])
        csize, size = struct.unpack("<LL", head[20:28])
        name_len, extra_len, comment_len = struct.unpack("<HHH", head[28:34])
        (offset,) = struct.unpack("<L", head[42:46])
        name_bytes = bytes(data[pos + 46 : pos + 46 + name_len])
        extra = bytes(data[pos + 46 + name_len : pos + 46 + name_len + extra_len])
        size, csize, offset = _zip64_extra(extra, size, csize, offset)
        name = name_bytes.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        header = start + offset + shift
        data_offset = _data_offset(data, header, end)
        if data_offset is not None:
            members.append(ZipMember(name, method, flags, csize, size, header, data_offset))
        elif unreadable is not None:
            unreadable.append(name)
        pos += 46 + name_len + extra_len + comment_len
    if not members and count:
        raise ZipFormatError("central directory entries unreadable")
    return members


def _zip64_extra(extra: bytes, size: int, csize: int, offset: int) -> tuple[int, int, int]:
    i = 0
    while i + 4 <= len(extra):
        tag, length = struct.unpack("<HH", extra[i : i + 4])
        body = extra[i + 4 : i + 4 + length]
        if tag == 0x0001:
            j = 0
            if size == 0xFFFFFFFF and j + 8 <= len(body):
                (size,) = struct.unpack("<Q", body[j : j + 8])
                j += 8
            if csize == 0xFFFFFFFF and j + 8 <= len(body):
                (csize,) = struct.unpack("<Q", body[j : j + 8])
                j += 8
            if offset == 0xFFFFFFFF and j + 8 <= len(body):
                (offset,) = struct.unpack("<Q", body[j : j + 8])
        i += 4 + length
    return size, csize, offset


def _data_offset(data: Buffer, header: int, end: int) -> int | None:
    local = bytes(data[header : header + 30])
    if len(local) < 30 or local[:4] != _LOCAL:
        return None
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    offset = header + 30 + name_len + extra_len
    return offset if offset <= end else None


def _from_local_headers(data: Buffer, start: int, end: int, max_members: int) -> list[ZipMember]:
    members: list[ZipMember] = []
    pos = data.find(_LOCAL, start, end)
    while 0 <= pos < end and len(members) <= max_members:
        local = bytes(data[pos : pos + 30])
        if len(local) < 30:
            break
        flags, method = struct.unpack("<HH", local[6:10])
        csize, size = struct.unpack("<LL", local[18:26])
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        name = bytes(data[pos + 30 : pos + 30 + name_len]).decode("utf-8", "replace")
        extra = bytes(data[pos + 30 + name_len : pos + 30 + name_len + extra_len])
        size, csize, _ = _zip64_extra(extra, size, csize, 0)
        data_offset = pos + 30 + name_len + extra_len
        if flags & 0x8 and csize == 0:
            # sizes follow the data in a descriptor: the member runs to the next header
            nxt = data.find(_LOCAL, data_offset, end)
            csize = (nxt if nxt >= 0 else end) - data_offset
        members.append(ZipMember(name, method, flags, csize, size, pos, data_offset))
        pos = data.find(_LOCAL, max(data_offset + csize, pos + 4), end)
    if not members:
        raise ZipFormatError("no readable zip entries")
    return members


def read_member(
    data: Buffer,
    member: ZipMember,
    end: int,
    max_bytes: int,
    max_ratio: int = 0,
    ratio_floor: int = 0,
) -> tuple[Any, bool]:
    """Up to ``max_bytes`` of the member's uncompressed data, and whether it was cut short.

    Stored members are sliced (the caller may also use offsets directly); unknown compression
    methods raise :class:`ZipFormatError`.
    """
    stop = min(member.data_offset + member.compressed_size, end)
    raw = data[member.data_offset : stop]
    if member.method == STORED:
        chunk = bytes(raw[:max_bytes])
        return chunk, len(raw) > max_bytes
    if member.method in (DEFLATED, BZIP2):
        from nbsec.models.compressed_format import decompress_bounded

        kind = "deflate" if member.method == DEFLATED else "bz2"
        try:
            return decompress_bounded(
                data, member.data_offset, stop, kind, max_bytes, max_ratio, ratio_floor
            )
        except ValueError as exc:
            raise ZipFormatError(f"compressed data is corrupt ({exc})") from None
    if member.method == LZMA:
        return _decompress_other(bytes(raw), member.method, max_bytes)
    raise ZipFormatError(f"compression method {member.method} is not supported")


def _decompress_other(raw: bytes, method: int, max_bytes: int) -> tuple[bytes, bool]:
    try:
        if method == BZIP2:
            bdec = bz2.BZ2Decompressor()
            out = bdec.decompress(raw, max_bytes)
            return out, not bdec.eof and bdec.needs_input is False
        # zip's lzma: 2-byte version, 2-byte props size, props, then raw lzma1 data
        (props_size,) = struct.unpack("<H", raw[2:4])
        filters = [lzma._decode_filter_properties(lzma.FILTER_LZMA1, raw[4 : 4 + props_size])]  # type: ignore[attr-defined]
        ldec = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=filters)
        out = ldec.decompress(raw[4 + props_size :], max_bytes)
        return out, not ldec.eof and ldec.needs_input is False
    except (OSError, lzma.LZMAError, ValueError, struct.error) as exc:
        raise ZipFormatError(f"compressed data is corrupt ({exc})") from None
