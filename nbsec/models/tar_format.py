"""Tar archives, including PyTorch's legacy tar checkpoint format.

The headers are parsed directly from the buffer (ustar, GNU long names, pax ``path``), so member
data is addressed in place and never copied; members are scanned by content. A legacy torch tar
(members ``sys_info``, ``pickle``, ``storages``, ``tensors``) is loaded by torch with one pickle
per member plus runs of small pickles in ``storages`` / ``tensors``: all of them are scanned,
the raw tensor data between them is stepped over.
"""

from __future__ import annotations

import io
import tarfile
from typing import TYPE_CHECKING, Any

from nbsec.models.pickle_check import check_pickle_stream

if TYPE_CHECKING:
    from nbsec.models.pickle_walker import Buffer
    from nbsec.models.scan_context import ScanContext

_BLOCK = 512
_LEGACY_TORCH = frozenset(("sys_info", "pickle", "storages", "tensors"))


class TarFormatError(ValueError):
    pass


def _octal(field: bytes) -> int:
    field = field.rstrip(b"\x00 ").strip()
    if not field:
        return 0
    if field[0] & 0x80:  # base-256 (GNU) for big sizes
        value = field[0] & 0x7F
        for b in field[1:]:
            value = (value << 8) | b
        return value
    try:
        return int(field, 8)
    except ValueError:
        raise TarFormatError("bad numeric field in tar header") from None


class _HeaderReader(io.RawIOBase):
    """A read-only file over ``data[start:end]`` for :mod:`tarfile`, which reads headers (and pax
    header bodies) through it. Member data is never read here: reads beyond ``max_read`` are
    refused, so a pax header declaring gigabytes cannot exhaust memory."""

    def __init__(self, data: Buffer, start: int, end: int, max_read: int) -> None:
        self._data, self._start, self._end, self._max = data, start, end, max_read
        self._pos = start

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos - self._start

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: self._start, io.SEEK_CUR: self._pos, io.SEEK_END: self._end}[whence]
        self._pos = max(self._start, base + offset)
        return self._pos - self._start

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = min(view.nbytes, self._end - self._pos)
        if n > self._max:
            raise TarFormatError(f"a tar header of more than {self._max} bytes")
        view[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


def iter_tar(data: Buffer, start: int, end: int, max_members: int) -> list[tuple[str, int, int]]:
    """(name, data offset, size) of each regular file member, as :mod:`tarfile` reads the
    archive (torch's legacy loader uses it): GNU long names, pax headers, and pax *global*
    headers applied to every later member, exactly as ``tarfile`` applies them."""
    members: list[tuple[str, int, int]] = []
    reader = io.BufferedReader(_HeaderReader(data, start, end, 1 << 20), 1 << 16)
    try:
        with tarfile.open(fileobj=reader, mode="r:") as archive:
            for info in archive:
                if info.isreg():
                    if start + info.offset_data + info.size > end:
                        raise TarFormatError(f"member {info.name!r} runs past the end")
                    members.append((info.name, start + info.offset_data, info.size))
                    if len(members) > max_members:
                        break
                vars(archive)["members"].clear()  # memory stays flat with many members
    except (tarfile.TarError, EOFError, OSError, ValueError, UnicodeError) as exc:
        if not members:
            raise TarFormatError(str(exc) or type(exc).__name__) from None
    return members


def scan_tar(ctx: ScanContext, data: Buffer, start: int, end: int, where: str, depth: int) -> str:
    try:
        members = iter_tar(data, start, end, ctx.limits.max_members)
    except TarFormatError as exc:
        ctx.report("NBS-PKL-021", f"{where}: unreadable tar archive: {exc}", key=f"{where}:tar")
        return "tar"
    if len(members) > ctx.limits.max_members:
        ctx.report(
            "NBS-PKL-018",
            f"{where}: more than {ctx.limits.max_members} tar members; the rest are not scanned",
            key=f"{where}:members",
        )
        members = members[: ctx.limits.max_members]
    names = {name for name, _, _ in members}
    legacy = names >= _LEGACY_TORCH
    for name, offset, size in members:
        inner = f"{where}!{name}"
        if legacy and name in ("sys_info", "pickle"):
            check_pickle_stream(ctx, data, offset, offset + size, inner, depth + 1)
        elif legacy and name in ("storages", "tensors"):
            _scan_legacy_records(ctx, data, offset, offset + size, inner, depth + 1, name)
        else:
            ctx.scan_member(data, offset, offset + size, inner, depth + 1)
    return "pytorch-legacy-tar" if legacy else "tar"


# element sizes of the storage classes torch's legacy tar format names
_ELEMENT_SIZE = {
    "torch.DoubleStorage": 8, "torch.FloatStorage": 4, "torch.HalfStorage": 2,
    "torch.BFloat16Storage": 2, "torch.LongStorage": 8, "torch.IntStorage": 4,
    "torch.ShortStorage": 2, "torch.CharStorage": 1, "torch.ByteStorage": 1,
    "torch.BoolStorage": 1, "torch.ComplexFloatStorage": 8, "torch.ComplexDoubleStorage": 16,
}  # fmt: skip


def _element_size(global_names: list[str]) -> int:
    """Bytes per element of the storage type a record names (1 if it names none we know)."""
    return next((_ELEMENT_SIZE[n] for n in global_names if n in _ELEMENT_SIZE), 1)


def _scan_legacy_records(
    ctx: ScanContext, data: Buffer, start: int, end: int, where: str, depth: int, kind: str
) -> None:
    """What torch's legacy tar loader reads, in its order. ``storages``: a count pickle, then per
    storage an args pickle, an int64 element count and the raw elements, then the
    ``storage_views`` pickle. ``tensors``: a count pickle, then per tensor an args pickle and a
    fixed-layout binary record (ndim, sizes, strides, offset). Every pickle is scanned; a count
    that cannot be read means every following pickle-looking record is scanned."""
    first = check_pickle_stream(ctx, data, start, end, where, depth, following=False)
    pos = first.end
    count = first.value if first.value is not None and first.value >= 0 else None
    n = 0
    while first.ok and pos < end and (count is None or n < count):
        n += 1
        args = check_pickle_stream(
            ctx, data, pos, end, f"{where} (record {n})", depth, following=False
        )
        if not args.ok:
            return
        pos = args.end
        if kind == "storages":
            element = _element_size(args.globals)
            elements = int.from_bytes(bytes(data[pos : pos + 8]), "little")
            pos += 8 + elements * element
        else:
            ndim = int.from_bytes(bytes(data[pos : pos + 4]), "little", signed=True)
            if ndim < 0 or ndim > 64:
                return
            pos += 8 + 16 * ndim + 8
    if kind == "storages" and first.ok and pos < end:
        # the storage_views pickle that follows the storages
        check_pickle_stream(ctx, data, pos, end, f"{where} (storage views)", depth)
