"""Hostile sizes: every malformed or oversized input gets a verdict that is not ``safe``, with a
one-line reason, in bounded memory (< 100 MB above the baseline, measured in a child process)."""

from __future__ import annotations

import io
import json
import pickle
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from nbsec.models import scan_bytes, scan_model

_FRAME = b"\x95"


def _zip_bomb(path: Path, size: int) -> None:
    """A deflated member of ``size`` zero bytes (about 1000:1), stored as ``data.pkl``."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\x00" * (1 << 20)
    body = b"".join(comp.compress(chunk) for _ in range(size >> 20)) + comp.flush()
    name = b"archive/data.pkl"
    crc = 0
    local = struct.pack(
        "<4sHHHHHLLLHH", b"PK\x03\x04", 45, 0, 8, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(name), 20
    )
    extra = struct.pack("<HHQQ", 1, 16, size, len(body))
    central = struct.pack(
        "<4sHHHHHHLLLHHHHHLL",
        b"PK\x01\x02",
        45,
        45,
        0,
        8,
        0,
        0,
        crc,
        0xFFFFFFFF,
        0xFFFFFFFF,
        len(name),
        20,
        0,
        0,
        0,
        0,
        0,
    )
    with open(path, "wb") as fh:
        fh.write(local + name + extra + body)
        cd_at = fh.tell()
        fh.write(central + name + extra)
        fh.write(
            struct.pack("<4sHHHHLLH", b"PK\x05\x06", 0, 0, 1, 1, 46 + len(name) + 20, cd_at, 0)
        )


CASES = {
    "empty": b"",
    "truncated proto 4": b"\x80\x04\x95",
    "memo bomb (LONG_BINPUT 2**30)": b"\x80\x04N" + b"r" + struct.pack("<I", 1 << 30) + b".",
    "memo bomb inside a frame": b"\x80\x04"
    + _FRAME
    + struct.pack("<Q", 7)
    + b"Nr"
    + struct.pack("<I", 1 << 29)
    + b".",
    "length bomb (BINBYTES8 2**40)": b"\x80\x04\x8e" + struct.pack("<Q", 1 << 40) + b"x.",
    "length bomb (BINUNICODE8 2**33)": b"\x80\x04\x8d" + struct.pack("<Q", 1 << 33) + b"x.",
    "frame bomb (FRAME 2**40)": b"\x80\x04" + _FRAME + struct.pack("<Q", 1 << 40) + b"N.",
    "LONG4 bomb": b"\x80\x04\x8b" + struct.pack("<i", 1 << 30) + b".",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_streams_are_never_safe(name: str) -> None:
    scan = scan_bytes(CASES[name], name="x.pkl")
    assert scan.verdict in ("suspicious", "dangerous"), (name, scan.verdict)
    assert scan.findings and all("\n" not in f.message for f in scan.findings)


def test_corrupt_7z_and_zip64_overflow_get_a_verdict() -> None:
    py7zr = pytest.importorskip("py7zr")
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as archive:
        archive.writestr(b"x" * 1000, "a.pkl")
    corrupt = bytearray(buf.getvalue())
    corrupt[40:60] = b"\xff" * 20
    scan = scan_bytes(bytes(corrupt), name="m.7z")
    assert (scan.verdict, [f.rule for f in scan.findings]) == ("suspicious", ["NBS-PKL-021"])
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.pkl", b"\x80\x04N." * 100)
    raw = bytearray(z.getvalue())
    cd = raw.find(b"PK\x01\x02")
    raw[cd + 20 : cd + 28] = b"\xff" * 8
    assert scan_bytes(bytes(raw), name="m.zip").verdict != "safe"


_MEASURE = r"""
import json, sys
from nbsec.models import scan_model
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
scan_model(sys.argv[2])  # warm imports on a small file
base = rss("VmRSS:")
scan = scan_model(sys.argv[1])
print(json.dumps({"verdict": scan.verdict, "peak": rss("VmHWM:") - base,
                  "rules": sorted({f.rule for f in scan.findings})}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["zip bomb", "sparse zeros", "huge BINBYTES"])
def test_memory_stays_bounded(kind: str, tmp_path: Path) -> None:
    target = tmp_path / "input.bin"
    if kind == "zip bomb":
        _zip_bomb(target, 4 << 30)
    elif kind == "sparse zeros":
        with open(target, "wb") as fh:
            fh.truncate(200 << 20)
    else:  # a real 300 MB payload the unpickler must not copy
        with open(target, "wb") as fh:
            fh.write(b"\x80\x04\x8e" + struct.pack("<Q", 300 << 20))
            fh.truncate(11 + (300 << 20))
            fh.seek(0, 2)
            fh.write(b"\x85.")
    small = tmp_path / "small.pkl"
    small.write_bytes(b"\x80\x04N.")
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(target), str(small)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result = json.loads(proc.stdout)
    assert result["verdict"] != "safe" or kind == "huge BINBYTES", result
    assert result["peak"] < 100 << 20, result


@pytest.mark.parametrize("protocol", [3, 4, 5])
def test_a_large_numpy_array_pickle_is_safe(protocol: int, tmp_path: Path) -> None:
    """Array data past the 16 MiB argument limit is a bytes payload served without copying,
    not a limit to report (a 24 MB float array was once "suspicious"). Protocols 0-2 carry it
    as text, which the unpickler must decode: past the limit that is still NBS-PKL-018."""
    import numpy as np

    path = tmp_path / "array.pkl"
    with open(path, "wb") as fh:
        pickle.dump(np.ones(3_000_000), fh, protocol=protocol)
    scan = scan_model(path)
    assert (scan.verdict, [f.rule for f in scan.findings]) == ("safe", [])


def _checkpoint_zip() -> bytes:
    """A zip laid out as ``torch.save`` writes one: a stored ``data.pkl`` and a tensor record."""
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"w": 1.0}, protocol=2))
        zf.writestr("archive/version", b"3\n")
        zf.writestr("archive/data/0", b"\x00" * 4096)
    return z.getvalue()


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("cut in half", "no central directory"),
        ("last 30 bytes cut", "no central directory"),
        ("tensor record cut", "runs past the end of the file"),
        ("local header overwritten", "have no local header"),
    ],
)
def test_a_damaged_checkpoint_is_never_safe(damage: str, expected: str) -> None:
    """The loaders cannot open a truncated or damaged archive; the scanner still reads what it
    can, and says the file is malformed rather than safe."""
    good = _checkpoint_zip()
    assert scan_bytes(good, name="m.pt").verdict == "safe"
    raw = bytearray(good)
    if damage == "cut in half":
        raw = raw[: len(raw) // 2]
    elif damage == "last 30 bytes cut":
        raw = raw[:-30]
    elif damage == "tensor record cut":
        # the directory stays, but the tensor record's data ends before its declared size
        cd = raw.find(b"PK\x01\x02")
        record = raw.find(b"archive/data/0")
        tail = bytes(raw[cd:])
        raw = raw[: record + 200]
        shift = cd - len(raw)
        eocd = tail.rfind(b"PK\x05\x06")
        (cd_offset,) = struct.unpack("<L", tail[eocd + 16 : eocd + 20])
        tail = tail[: eocd + 16] + struct.pack("<L", cd_offset - shift) + tail[eocd + 20 :]
        raw += tail
        # member offsets in the directory after the cut point move back as well
        raw = bytearray(raw)
        pos = raw.find(b"PK\x01\x02", len(raw) - len(tail))
        while pos >= 0:
            (offset,) = struct.unpack("<L", raw[pos + 42 : pos + 46])
            if offset > record:
                raw[pos + 42 : pos + 46] = struct.pack("<L", offset - shift)
            pos = raw.find(b"PK\x01\x02", pos + 4)
    else:
        record = raw.find(b"PK\x03\x04", raw.find(b"archive/data.pkl") + 1)
        raw[record : record + 4] = b"XXXX"  # the local header of archive/version
    scan = scan_bytes(bytes(raw), name="m.pt")
    assert scan.verdict != "safe"
    assert any(f.rule == "NBS-PKL-021" and expected in f.message for f in scan.findings), [
        f.message for f in scan.findings
    ]
