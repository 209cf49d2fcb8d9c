"""safetensors: a JSON header and raw tensor bytes; nothing in it can run code.

A file whose header validates (length within the file and the limit, JSON object, every tensor a
known dtype with a shape whose size matches its ``data_offsets``, offsets covering the data
region without overlap or gap) is safe. Anything else is an invalid header (NBS-PKL-021), or an
absurd one (NBS-PKL-018) when the declared header length is beyond the limit.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.models.pickle_walker import Buffer
    from nbsec.models.scan_context import ScanContext

DTYPE_SIZES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1, "F4": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8, "C64": 8, "C128": 16,
}  # fmt: skip


def validate_header(header: Any, data_len: int) -> str | None:
    """None if valid, else why not."""
    if not isinstance(header, dict):
        return "header is not a JSON object"
    spans = []
    for name, entry in header.items():
        if name == "__metadata__":
            if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
                return "__metadata__ must map strings to strings"
            continue
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            return f"tensor {name!r} has unexpected fields"
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in DTYPE_SIZES:
            return f"tensor {name!r} has unknown dtype {dtype!r}"
        if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
            return f"tensor {name!r} has an invalid shape"
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(n, int) for n in offsets)
            or not 0 <= offsets[0] <= offsets[1] <= data_len
        ):
            return f"tensor {name!r} has data offsets outside the file"
        count = 1
        for n in shape:
            count *= n
        nbytes = count * DTYPE_SIZES[dtype]
        if dtype == "F4":
            nbytes = (count + 1) // 2
        if offsets[1] - offsets[0] != nbytes:
            return f"tensor {name!r} size does not match its shape"
        spans.append((offsets[0], offsets[1]))
    spans.sort()
    cursor = 0
    for lo, hi in spans:
        if lo != cursor:
            return "tensor data overlaps or leaves gaps"
        cursor = hi
    if cursor != data_len:
        return "tensor data does not cover the data region"
    return None


def scan_safetensors(ctx: ScanContext, data: Buffer, start: int, end: int, where: str) -> str:
    header_len = int.from_bytes(bytes(data[start : start + 8]), "little")
    if header_len > ctx.limits.max_header_bytes or header_len > end - start - 8:
        ctx.report(
            "NBS-PKL-018",
            f"{where}: safetensors header declares {header_len} bytes (file: {end - start}, "
            f"limit: {ctx.limits.max_header_bytes >> 20} MiB)",
            key=f"{where}:header",
        )
        return "safetensors"
    raw = bytes(data[start + 8 : start + 8 + header_len])
    try:
        header = json.loads(raw.decode("utf-8"))
        problem = validate_header(header, end - start - 8 - header_len)
    except (UnicodeDecodeError, ValueError, RecursionError):
        problem = "header is not valid JSON"
    if problem:
        ctx.report(
            "NBS-PKL-021", f"{where}: invalid safetensors header: {problem}", key=f"{where}:st"
        )
    return "safetensors"
