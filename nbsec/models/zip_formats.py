"""Zip-based model formats: PyTorch checkpoints, numpy ``.npz``, Keras ``.keras``, any zip.

Which members are read:

* every member whose name ends in ``.pkl`` (PyTorch's ``<archive>/data.pkl`` under any archive
  name, TorchScript's ``constants.pkl``) is scanned strictly as a pickle;
* ``.npy`` members are scanned as numpy arrays (header only, unless the dtype holds objects);
* a Keras ``config.json`` is checked for Lambda layers and custom objects;
* every other member is peeked at (its first bytes only) and scanned by content if it starts
  like a pickle, an archive or a compressed stream; otherwise (tensor data) it is skipped unread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbsec.models.format_detect import HEAD_BYTES, detect
from nbsec.models.globals_judge import GlobalsJudge
from nbsec.models.zip_reader import (
    STORED,
    ZipDirectory,
    ZipFormatError,
    ZipMember,
    read_directory,
    read_member,
)

if TYPE_CHECKING:
    from nbsec.models.pickle_walker import Buffer
    from nbsec.models.scan_context import ScanContext

_PEEK_FORMATS = frozenset(
    (
        "pickle",
        "pickle-text",
        "zip",
        "npy",
        "gzip",
        "bz2",
        "xz",
        "lzma",
        "zlib",
        "tar",
        "7z",
        "hdf5",
    )
)


def scan_zip(ctx: ScanContext, data: Buffer, start: int, end: int, where: str, depth: int) -> str:
    limits = ctx.limits
    try:
        directory = read_directory(data, start, end, limits.max_members)
    except ZipFormatError as exc:
        ctx.report("NBS-PKL-021", f"{where}: unreadable zip archive: {exc}", key=f"{where}:zip")
        return "zip"
    members = directory.members
    if len(members) > limits.max_members:
        ctx.report(
            "NBS-PKL-018",
            f"{where}: more than {limits.max_members} archive members; the rest are not scanned",
            key=f"{where}:members",
        )
        members = members[: limits.max_members]
    if directory.disagreement:
        ctx.report(
            "NBS-PKL-023",
            f"{where}: two central directories: zipfile (numpy.load, Keras) and miniz (torch.load) "
            "read different member lists; both are scanned",
            key=f"{where}:two-directories",
        )
    if directory.overlapping:
        ctx.report(
            "NBS-PKL-018",
            f"{where}: zip members overlap each other (a zip bomb construction)",
            key=f"{where}:overlap",
        )
    _report_damage(ctx, data, end, directory, members, where)
    names = [m.name for m in members]
    fmt = _zip_kind(names)
    judge = ctx.judge
    if fmt == "torchscript":
        ctx.judge = GlobalsJudge(ctx.policy, extra_profiles=("torchscript",))
    try:
        for member in members:
            if member.name.endswith("/"):
                continue
            _scan_zip_member(ctx, data, end, member, f"{where}!{member.name}", depth, fmt)
    finally:
        ctx.judge = judge
    return fmt


def _report_damage(
    ctx: ScanContext,
    data: Buffer,
    end: int,
    directory: ZipDirectory,
    members: list[ZipMember],
    where: str,
) -> None:
    """A damaged archive (truncated, a member's header overwritten) is never called safe: the
    members this reader still finds were scanned, but what the loaders would make of the rest is
    not known, so the file is reported as malformed."""
    if directory.from_local_headers:
        ctx.report(
            "NBS-PKL-021",
            f"{where}: no central directory (a truncated or damaged archive): zipfile and "
            "torch.load cannot open it; the members found by their local headers were scanned",
            key=f"{where}:no-directory",
        )
        return
    if directory.unreadable:
        ctx.report(
            "NBS-PKL-021",
            f"{where}: {directory.unreadable} member(s) of the central directory have no local "
            "header where it puts them (a damaged archive); the loaders fail on them",
            key=f"{where}:local-header",
        )
        return
    for member in members:
        if member.data_offset + member.compressed_size > end:
            ctx.report(
                "NBS-PKL-021",
                f"{where}!{member.name}: its data runs past the end of the file (a truncated "
                "archive)",
                key=f"{where}:truncated",
            )
            return


def _zip_kind(names: list[str]) -> str:
    # torch's reader (miniz) looks records up case-insensitively: DATA.PKL is data.pkl
    lowered = [n.lower() for n in names]
    has_data_pkl = any(n == "data.pkl" or n.endswith("/data.pkl") for n in lowered)
    if has_data_pkl and any(
        n.endswith("/constants.pkl") or "/code/__torch__/" in n for n in lowered
    ):
        return "torchscript"
    if has_data_pkl:
        return "pytorch-zip"
    if "config.json" in names and ("metadata.json" in names or "model.weights.h5" in names):
        return "keras"
    if names and all(n.endswith(".npy") for n in names):
        return "numpy-npz"
    return "zip"


def _scan_zip_member(
    ctx: ScanContext,
    data: Buffer,
    end: int,
    member: ZipMember,
    where: str,
    depth: int,
    archive_kind: str,
) -> None:
    limits = ctx.limits
    if member.encrypted:
        ctx.report(
            "NBS-PKL-020", f"{where}: encrypted member; not scanned", key=f"{where}:encrypted"
        )
        return
    if (
        member.size > limits.max_member_bytes
        or (
            member.compressed_size > 0
            and member.size // max(member.compressed_size, 1) > limits.max_ratio
            and member.size > limits.ratio_floor
        )
    ) and member.method != STORED:
        ctx.report(
            "NBS-PKL-018",
            f"{where}: declares {member.size} bytes from {member.compressed_size} compressed "
            "(beyond the limits); scanned up to the limit",
            key=f"{where}:bomb",
        )
    name = member.name.rsplit("/", 1)[-1].lower()
    if archive_kind == "keras" and name == "config.json" and member.size > limits.max_header_bytes:
        ctx.report(
            "NBS-PKL-018",
            f"{where}: Keras config of {member.size} bytes (limit "
            f"{limits.max_header_bytes >> 20} MiB); not read",
            key=f"{where}:config-size",
        )
        return
    must_scan = name.endswith((".pkl", ".pickle", ".npy", ".joblib")) or (
        archive_kind == "keras" and name == "config.json"
    )
    if member.method == STORED:
        stop = min(member.data_offset + member.compressed_size, end)
        if not must_scan:
            head = bytes(data[member.data_offset : min(stop, member.data_offset + HEAD_BYTES)])
            if detect(head, stop - member.data_offset) not in _PEEK_FORMATS:
                return
        if archive_kind == "keras" and name == "config.json":
            from nbsec.models.keras_config import check_keras_json

            check_keras_json(ctx, bytes(data[member.data_offset : stop]), where)
            return
        _dispatch(ctx, data, member.data_offset, stop, where, depth, strict=must_scan)
        return
    try:
        if not must_scan:
            head, _ = read_member(data, member, end, HEAD_BYTES)
            if detect(head, member.size) not in _PEEK_FORMATS:
                return
        budget = limits.max_member_bytes
        body, truncated = read_member(
            data, member, end, budget, limits.max_ratio, limits.ratio_floor
        )
    except ZipFormatError as exc:
        ctx.report("NBS-PKL-021", f"{where}: {exc}", key=f"{where}:corrupt")
        return
    if not ctx.charge(len(body), where):
        return
    if truncated:
        ctx.report(
            "NBS-PKL-018",
            f"{where}: decompresses to more than {budget >> 20} MiB; scanned up to the limit",
            key=f"{where}:bomb",
        )
    if archive_kind == "keras" and name == "config.json":
        from nbsec.models.keras_config import check_keras_json

        check_keras_json(ctx, body, where)
        return
    _dispatch(ctx, body, 0, len(body), where, depth, strict=must_scan)


def _dispatch(
    ctx: ScanContext, data: Buffer, start: int, end: int, where: str, depth: int, *, strict: bool
) -> None:
    head = bytes(data[start : min(end, start + HEAD_BYTES)])
    if strict or detect(head, end - start) not in ("pickle", "pickle-text"):
        ctx.scan_member(data, start, end, where, depth + 1)
        return
    # A member that merely starts like a pickle (it may be tensor data): report it only if it
    # imports something or parses cleanly.
    from nbsec.models.pickle_check import check_pickle_stream

    check_pickle_stream(ctx, data, start, end, where, depth + 1, strict=False)
