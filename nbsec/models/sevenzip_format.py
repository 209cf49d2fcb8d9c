"""7z archives, through the optional ``py7zr`` dependency (``pip install nbsec[archives]``).

Without py7zr the archive is reported as not scanned (NBS-PKL-020). With it, declared member sizes
are checked against the limits before anything is decompressed, then each member is scanned by
content.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbsec.models.pickle_walker import Buffer
    from nbsec.models.scan_context import ScanContext


def scan_7z(ctx: ScanContext, data: Buffer, start: int, end: int, where: str, depth: int) -> str:
    try:
        import py7zr
    except ImportError:
        ctx.report(
            "NBS-PKL-020",
            f"{where}: 7z archive; install py7zr (nbsec[archives]) to scan it",
            key=f"{where}:py7zr",
        )
        return "7z"
    limits = ctx.limits
    try:
        with py7zr.SevenZipFile(io.BytesIO(bytes(data[start:end])), mode="r") as archive:
            if archive.needs_password():
                ctx.report(
                    "NBS-PKL-020", f"{where}: encrypted 7z archive", key=f"{where}:encrypted"
                )
                return "7z"
            infos = [i for i in archive.list() if not i.is_directory]
            total = sum(int(i.uncompressed or 0) for i in infos)
            if len(infos) > limits.max_members or total > limits.max_member_bytes:
                ctx.report(
                    "NBS-PKL-018",
                    f"{where}: 7z archive declares {len(infos)} members, {total} bytes "
                    "(beyond the limits); not extracted",
                    key=f"{where}:bomb",
                )
                return "7z"
            from py7zr.io import BytesIOFactory

            factory = BytesIOFactory(limits.max_member_bytes)
            archive.extractall(factory=factory)
    except (py7zr.exceptions.ArchiveError, OSError, ValueError, EOFError) as exc:
        ctx.report("NBS-PKL-021", f"{where}: unreadable 7z archive ({exc})", key=f"{where}:7z")
        return "7z"
    for name, stream in sorted(factory.products.items()):
        stream.seek(0)
        body = stream.read()
        if not ctx.charge(len(body), where):
            break
        ctx.scan_member(body, 0, len(body), f"{where}!{name}", depth + 1)
    return "7z"
