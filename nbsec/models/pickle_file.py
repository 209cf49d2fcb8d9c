"""Raw pickle files, including PyTorch's legacy (pre-1.6, non-zip) format.

PyTorch's legacy format is a run of pickles: a magic number, the protocol version, a ``sys_info``
dict, the object itself (tensors as persistent ids), and the list of storage keys, followed by raw
storage bytes. All five pickles are scanned; the storage bytes after them are not read.

A protocol 0/1 candidate (text that merely starts like a pickle) counts as a pickle only if it
parses or imports something; otherwise it is an unknown file, not a "malformed pickle".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbsec.models.pickle_check import check_pickle_stream
from nbsec.models.pickle_replay import replay_c

if TYPE_CHECKING:
    from nbsec.models.pickle_walker import Buffer
    from nbsec.models.scan_context import ScanContext

# pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2): how every legacy torch file starts
TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0a" + (0x1950A86A20F9469CFC6C).to_bytes(10, "little") + b"."
_LEGACY_PICKLES = 5


def scan_pickle_file(
    ctx: ScanContext, data: Buffer, start: int, end: int, where: str, depth: int, *, text: bool
) -> str:
    if text:
        probe = replay_c(data, start, end)
        if not probe.ok and not probe.events and not probe.anomalies and not probe.limits:
            # not a pickle to the C unpickler; the pure-Python one may still read something
            before = len(ctx.findings)
            check_pickle_stream(
                ctx,
                data,
                start,
                end,
                f"{where} (as pickle.load reads it)",
                depth,
                strict=False,
                following=False,
            )
            return "pickle" if len(ctx.findings) > before else "unknown"
    if bytes(data[start : start + len(TORCH_LEGACY_MAGIC)]) == TORCH_LEGACY_MAGIC:
        check_pickle_stream(
            ctx, data, start, end, where, depth, max_pickles=_LEGACY_PICKLES, persistent=True
        )
        return "pytorch-legacy"
    first = check_pickle_stream(ctx, data, start, end, where, depth, persistent=True)
    if any(name.startswith("joblib.numpy_pickle") for name in first.globals):
        return "joblib"
    return "pickle"
