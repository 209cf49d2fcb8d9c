"""Tar archives, including PyTorch's legacy tar checkpoint format.

The headers are parsed directly from the buffer (ustar, GNU long names, pax ``path``), so member
data is addressed in place and never copied; members are scanned by content. A legacy torch tar
(members ``sys_info``, ``pickle``, ``storages``, ``tensors``) is loaded by torch with one pickle
per member plus runs of small pickles in ``storages`` / ``tensors``: all of them are scanned,
the raw tensor data between them is stepped over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def iter_tar(data: Buffer, start: int, end: int, max_members: int) -> list[tuple[str, int, int]]:
    """(name, data offset, size) of each regular file member."""
    members: list[tuple[str, int, int]] = []
    pos = start
    long_name: str | None = None
    while pos + _BLOCK <= end:
        header = bytes(data[pos : pos + _BLOCK])
        if header == b"\x00" * _BLOCK:
            break
        checksum = _octal(header[148:156])
        computed = sum(header[:148]) + 8 * 32 + sum(header[156:])
        if checksum != computed:
            raise TarFormatError(f"bad tar header checksum at byte {pos - start}")
        size = _octal(header[124:136])
        typeflag = header[156:157]
        name = header[:100].split(b"\x00", 1)[0].decode("utf-8", "replace")
        prefix = header[345:500].split(b"\x00", 1)[0].decode("utf-8", "replace")
        if header[257:262] == b"ustar" and prefix:
            name = f"{prefix}/{name}"
        body = pos + _BLOCK
        if body + size > end:
            raise TarFormatError(f"member {name!r} runs past the end of the archive")
        if typeflag == b"L":
            long_name = (
                bytes(data[body : body + size]).split(b"\x00", 1)[0].decode("utf-8", "replace")
            )
        elif typeflag in (b"x", b"g"):
            for line in bytes(data[body : body + min(size, 1 << 20)]).split(b"\n"):
                _, _, rec = line.partition(b" ")
                key, _, value = rec.partition(b"=")
                if key == b"path":
                    long_name = value.decode("utf-8", "replace")
        else:
            if typeflag in (b"0", b"\x00", b"7"):
                members.append((long_name or name, body, size))
                if len(members) > max_members:
                    break
            long_name = None
        pos = body + (size + _BLOCK - 1) // _BLOCK * _BLOCK
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
    """``storages``: count pickle, then per storage an args pickle, an int64 element count and the
    raw elements. ``tensors``: count pickle, then per tensor an args pickle and a fixed-layout
    binary record (ndim, sizes, strides, offset)."""
    first = check_pickle_stream(ctx, data, start, end, where, depth, max_pickles=1)
    pos = first.end
    n = 1
    while first.ok and pos < end:
        args = check_pickle_stream(
            ctx, data, pos, end, f"{where} (record {n})", depth, max_pickles=1
        )
        if not args.ok:
            return
        pos = args.end
        if kind == "storages":
            element = _element_size(args.globals)
            count = int.from_bytes(bytes(data[pos : pos + 8]), "little")
            pos += 8 + count * element
        else:
            ndim = int.from_bytes(bytes(data[pos : pos + 4]), "little", signed=True)
            if ndim < 0 or ndim > 64:
                return
            pos += 8 + 16 * ndim + 8
        n += 1
