"""Scan model and pickle files, byte strings and open streams: the engine's entry points.

* :func:`scan_model` scans a file. The file is memory-mapped, so data records that the format lets
  us step over (tensor storages, array data, zip members that are not pickles) are never read; its
  SHA-256 is computed in a background thread while the scan runs (hashlib releases the GIL).
* :func:`scan_bytes` scans a byte string, e.g. what ``pickle.loads`` is about to receive.
* :func:`scan_stream` scans what a loader would read from an open binary file, from its current
  position to the end, and puts the position back: the caller's stream is not consumed.

Nothing scanned is imported, unpickled or executed; formats are recognised by content
(:mod:`nbsec.models.format_detect`) and dispatched to one handler module per format.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING

from nbsec.errors import InputError
from nbsec.models.format_detect import HEAD_BYTES, detect
from nbsec.models.globals_judge import GlobalsJudge
from nbsec.models.model_scan import ModelScan, verdict_for
from nbsec.models.scan_context import ScanContext, ScanLimits

if TYPE_CHECKING:
    from nbsec.models.pickle_walker import Buffer
    from nbsec.policy import Policy

_HASH_CHUNK = 16 << 20


def scan_model(
    path: str | os.PathLike[str],
    *,
    policy: Policy | None = None,
    limits: ScanLimits | None = None,
    sha256: bool = True,
) -> ModelScan:
    """Scan one file. Never raises for a bad file: an unreadable one gets verdict ``error``.

    ``sha256=False`` skips hashing (``.sha256`` is then empty): on a multi-gigabyte file the
    hash, not the scan, is what costs time, and a caller that already knows the hash need not
    pay for it twice."""
    display = os.fspath(path)
    try:
        return with_signature(_scan_path(path, display, policy, limits, sha256), display, policy)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return _error_scan(display, f"{display}: cannot read: {reason}")
    except Exception as exc:  # a scanner bug must not lose the file: it is reported, not safe
        return _error_scan(display, f"{display}: scan failed: {_one_line(exc)}")


def with_signature(scan: ModelScan, path: str, policy: Policy | None) -> ModelScan:
    """Add the model-signing check of the file at ``path`` (see :mod:`nbsec.models.signatures`):
    a finding naming who signed it, or that its signature fails, is untrusted, or is required and
    missing (the last only for files in a model format)."""
    from nbsec.models.signatures import check_signature
    from nbsec.policy import SigningSettings

    check = check_signature(path, policy)
    if check is None or (check.status == "missing" and scan.format == "unknown"):
        return scan
    finding = check.finding(scan.path, policy.signing if policy is not None else SigningSettings())
    if policy is None or policy.rule_enabled(finding.rule):
        scan.findings.append(finding)
    scan.signature = check.to_dict()
    if scan.verdict != "error":
        verdict = verdict_for(scan.findings)
        scan.verdict = "unsupported" if scan.format == "unknown" and verdict == "safe" else verdict
    return scan


def _one_line(exc: BaseException) -> str:
    text = (str(exc).splitlines() or [""])[0][:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _error_scan(display: str, message: str, sha256: str = "") -> ModelScan:
    return ModelScan(path=display, format="unknown", sha256=sha256, verdict="error", error=message)


def _scan_path(
    path: str | os.PathLike[str],
    display: str,
    policy: Policy | None,
    limits: ScanLimits | None,
    sha256: bool,
) -> ModelScan:
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        base_dir = os.path.dirname(os.path.abspath(display))
        if size == 0:
            return _scan(b"", display, policy, limits, sha256=hashlib.sha256().hexdigest())
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            if not sha256:
                return _scan(mm, display, policy, limits, sha256="", base_dir=base_dir)
            return _scan_mapped(mm, display, policy, limits, base_dir=base_dir, fd=fh.fileno())


def scan_bytes(
    data: bytes | bytearray | memoryview,
    *,
    name: str = "<bytes>",
    policy: Policy | None = None,
    limits: ScanLimits | None = None,
) -> ModelScan:
    """Scan a byte string as if it were a file named ``name``."""
    buf = bytes(data) if isinstance(data, memoryview) else data
    digest = hashlib.sha256(buf).hexdigest()
    try:
        return _scan(buf, name, policy, limits, sha256=digest)
    except Exception as exc:  # never raises: a failure is an error verdict, not safe
        return _error_scan(name, f"{name}: scan failed: {_one_line(exc)}", digest)


def scan_stream(
    fileobj: IO[bytes],
    *,
    name: str | None = None,
    policy: Policy | None = None,
    limits: ScanLimits | None = None,
) -> ModelScan:
    """Scan what a loader would read from ``fileobj``: from its current position to the end.

    The position is restored before returning, so the caller can go on to load from the same
    stream. A stream backed by a real file is memory-mapped (nothing is copied); other seekable
    streams are read once and rewound. A stream that cannot seek cannot be scanned without being
    consumed: :class:`~nbsec.errors.InputError` is raised, and the caller should read the bytes
    itself and use :func:`scan_bytes`.
    """
    label = name or str(getattr(fileobj, "name", "<stream>"))
    try:
        if not fileobj.seekable():
            raise InputError(f"{label}: stream is not seekable; read it and use scan_bytes")
        position = fileobj.tell()
    except (OSError, ValueError) as exc:
        raise InputError(f"{label}: cannot scan stream: {exc}") from None
    try:
        fileno = fileobj.fileno()
    except (OSError, ValueError, AttributeError):
        fileno = -1
    try:
        if fileno >= 0 and os.fstat(fileno).st_size > position:
            with mmap.mmap(fileno, 0, access=mmap.ACCESS_READ) as mm:
                scan = _scan_mapped(mm, label, policy, limits, start=position, fd=fileno)
            if _names_open_file(label, fileno):
                scan = with_signature(scan, label, policy)
            return scan
        data = fileobj.read()
        return scan_bytes(data, name=label, policy=policy, limits=limits)
    finally:
        fileobj.seek(position)


def _names_open_file(name: str, fileno: int) -> bool:
    """Is ``name`` the path of the file open as ``fileno`` (so its signature applies)?"""
    try:
        return os.path.samestat(os.fstat(fileno), os.stat(name))
    except (OSError, ValueError, TypeError):
        return False


def _scan_mapped(
    mm: mmap.mmap | bytes,
    display: str,
    policy: Policy | None,
    limits: ScanLimits | None,
    start: int = 0,
    base_dir: str | None = None,
    fd: int = -1,
) -> ModelScan:
    digest: list[str] = []
    hasher = threading.Thread(target=_hash_into, args=(mm, digest, start, fd), daemon=True)
    hasher.start()
    try:
        scan = _scan(mm, display, policy, limits, sha256="", start=start, base_dir=base_dir)
    except Exception as exc:
        scan = _error_scan(display, f"{display}: scan failed: {_one_line(exc)}")
    finally:
        hasher.join()
    scan.sha256 = digest[0] if digest else ""
    return scan


def _hash_into(data: mmap.mmap | bytes, out: list[str], start: int = 0, fd: int = -1) -> None:
    """SHA-256 of ``data[start:]``. From a file descriptor it is read with ``pread`` into one
    reused buffer, so hashing a 10 GB file does not map 10 GB into the process."""
    h = hashlib.sha256()
    if fd >= 0:
        buffer = bytearray(_HASH_CHUNK)
        view = memoryview(buffer)
        pos = start
        while True:
            n = os.preadv(fd, [view], pos)
            if n <= 0:
                break
            h.update(view[:n])
            pos += n
        out.append(h.hexdigest())
        return
    whole = memoryview(data)
    try:
        for i in range(start, len(whole), _HASH_CHUNK):
            h.update(whole[i : i + _HASH_CHUNK])
    finally:
        whole.release()
    out.append(h.hexdigest())


def _scan(
    data: Buffer,
    display: str,
    policy: Policy | None,
    limits: ScanLimits | None,
    sha256: str,
    start: int = 0,
    base_dir: str | None = None,
) -> ModelScan:
    ctx = ScanContext(
        path=display,
        policy=policy,
        judge=GlobalsJudge(policy),
        scan_member_fn=scan_buffer,
        limits=limits or ScanLimits(),
        base_dir=base_dir,
    )
    where = Path(display).name or display
    if len(data) - start <= 0:
        ctx.report("NBS-PKL-014", f"{where}: empty file; no loader can read it, so it is not "
                   "judged safe", key=f"{where}:empty")  # fmt: skip
    fmt = ctx.scan_member(data, start, len(data), where, 0)
    findings = ctx.findings
    verdict = verdict_for(findings)
    if fmt == "unknown" and verdict == "safe":
        verdict = "unsupported"
    return ModelScan(
        path=display,
        format=fmt,
        sha256=sha256,
        verdict=verdict,
        globals=ctx.globals,
        findings=findings,
        size=len(data) - start,
        checked_globals=ctx.checked if verdict == "safe" else [],
    )


def _read_as_pickle(
    ctx: ScanContext, data: Buffer, start: int, end: int, where: str, depth: int
) -> bool:
    """Every file is also what ``pickle.load``, ``numpy.load(allow_pickle=True)`` or torch's
    legacy loader would make of it from its first byte: a polyglot is judged by each loader that
    accepts it, not by the first format sniffed. Quiet unless that reading does something."""
    from nbsec.models.pickle_check import check_pickle_stream
    from nbsec.models.pickle_replay import first_opcode_ok

    if not first_opcode_ok(data, start, end):
        return False
    result = check_pickle_stream(
        ctx,
        data,
        start,
        end,
        f"{where} (as pickle.load reads it)",
        depth,
        strict=False,
        following=False,
    )
    return result.ok  # fmt: skip


def scan_buffer(
    ctx: ScanContext, data: Buffer, start: int, end: int, where: str, depth: int
) -> str:
    """Detect the format of ``data[start:end]`` and run its handler; returns the format name."""
    head = bytes(data[start : min(end, start + HEAD_BYTES)])
    kind = detect(head, end - start)
    if kind in ("pickle", "pickle-text"):
        from nbsec.models.pickle_file import scan_pickle_file

        return scan_pickle_file(ctx, data, start, end, where, depth, text=(kind == "pickle-text"))
    if _read_as_pickle(ctx, data, start, end, where, depth) and kind == "unknown":
        return "pickle"  # whatever its first bytes, the unpickler reads it to STOP
    if kind == "unknown" and data.rfind(b"PK\x05\x06", max(start, end - 0x10000 - 22), end) >= 0:
        kind = "zip"  # a zip with bytes prepended: loaders find it from the end, so do we
    if kind == "zip":
        from nbsec.models.zip_formats import scan_zip

        return scan_zip(ctx, data, start, end, where, depth)
    if kind == "npy":
        from nbsec.models.numpy_format import scan_npy

        return scan_npy(ctx, data, start, end, where, depth)
    if kind in ("gzip", "bz2", "xz", "lzma", "zlib", "zlib-joblib-legacy", "lz4"):
        from nbsec.models.compressed_format import scan_compressed

        return scan_compressed(ctx, data, start, end, where, depth, kind)
    if kind == "tar":
        from nbsec.models.tar_format import scan_tar

        return scan_tar(ctx, data, start, end, where, depth)
    if kind == "safetensors":
        from nbsec.models.safetensors_format import scan_safetensors

        return scan_safetensors(ctx, data, start, end, where)
    if kind == "hdf5":
        from nbsec.models.hdf5_format import scan_hdf5

        return scan_hdf5(ctx, data, start, end, where)
    if kind == "7z":
        from nbsec.models.sevenzip_format import scan_7z

        return scan_7z(ctx, data, start, end, where, depth)
    return "unknown"
