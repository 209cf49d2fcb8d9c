"""numpy ``.npy`` files (and the members of ``.npz`` archives).

The header is a Python dict literal, parsed with :func:`ast.literal_eval` (which evaluates
literals only, never code). Numeric arrays are safe and their data is not read. An array whose
dtype holds Python objects stores a pickle right after the header, which ``numpy.load`` unpickles
when ``allow_pickle=True``: that pickle is scanned strictly.
"""

from __future__ import annotations

import ast
import struct
from typing import TYPE_CHECKING, Any

from nbsec.models.pickle_check import check_pickle_stream

if TYPE_CHECKING:
    from nbsec.models.pickle_walker import Buffer
    from nbsec.models.scan_context import ScanContext

_MAGIC = b"\x93NUMPY"


class NpyHeaderError(ValueError):
    pass


def parse_npy_header(
    data: Buffer, start: int, end: int, max_header: int
) -> tuple[dict[str, Any], int]:
    """The header dict and the offset where array data starts; raises :class:`NpyHeaderError`."""
    prefix = bytes(data[start : start + 12])
    if len(prefix) < 10 or not prefix.startswith(_MAGIC):
        raise NpyHeaderError("not a numpy file")
    major = prefix[6]
    if major == 1:
        (hlen,) = struct.unpack("<H", prefix[8:10])
        body = start + 10
    elif major in (2, 3):
        if len(prefix) < 12:
            raise NpyHeaderError("truncated header")
        (hlen,) = struct.unpack("<I", prefix[8:12])
        body = start + 12
    else:
        raise NpyHeaderError(f"unknown format version {major}")
    if hlen > max_header or body + hlen > end:
        raise NpyHeaderError(f"header length {hlen} is larger than the file allows")
    encoding = "utf-8" if major == 3 else "latin-1"
    try:
        header = ast.literal_eval(bytes(data[body : body + hlen]).decode(encoding))
    except (ValueError, SyntaxError, UnicodeDecodeError, MemoryError, RecursionError):
        raise NpyHeaderError("header is not a Python literal") from None
    if not isinstance(header, dict) or not {"descr", "fortran_order", "shape"} <= set(header):
        raise NpyHeaderError("header lacks descr / fortran_order / shape")
    return header, body + hlen


def descr_has_objects(descr: object) -> bool:
    """True if a numpy dtype description (str or structured list) contains an object field."""
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, (list, tuple)):
        return any(descr_has_objects(part) for part in descr)
    return False


def scan_npy(ctx: ScanContext, data: Buffer, start: int, end: int, where: str, depth: int) -> str:
    try:
        header, data_start = parse_npy_header(data, start, end, ctx.limits.max_header_bytes)
    except NpyHeaderError as exc:
        ctx.report("NBS-PKL-021", f"{where}: invalid .npy header: {exc}", key=f"{where}:npy")
        return "numpy-npy"
    if descr_has_objects(header["descr"]):
        check_pickle_stream(ctx, data, data_start, end, f"{where} (object array)", depth + 1)
        return "numpy-npy-object"
    return "numpy-npy"
