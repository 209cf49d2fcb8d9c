"""Formats, limits and the byte/stream API of the model scanner."""

from __future__ import annotations

import gzip
import io
import json
import pickle
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from nbsec.errors import InputError
from nbsec.models import ScanLimits, scan_bytes, scan_model, scan_stream
from nbsec.models.format_detect import detect
from nbsec.models.safetensors_format import validate_header

EVIL = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00true\x85R."


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x80\x04\x95", "pickle"),
        (b"PK\x03\x04rest", "zip"),
        (b"\x93NUMPY\x01\x00", "npy"),
        (b"\x89HDF\r\n\x1a\n", "hdf5"),
        (b"7z\xbc\xaf\x27\x1c\x00", "7z"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"BZh91AY", "bz2"),
        (b"\xfd7zXZ\x00\x00", "xz"),
        (b"\x5d\x00\x00\x80\x00" + b"\xff" * 8, "lzma"),
        (zlib.compress(b"x"), "zlib"),
        (struct.pack("<Q", 20) + b'{"a": 1}', "safetensors"),
        (b"(lp0\n", "pickle-text"),
        (b"hello world", "unknown"),
    ],
)
def test_detect_by_content(head: bytes, expected: str) -> None:
    assert detect(head, 1 << 20) == expected


def _entry(dtype: str, shape: list[int], start: int, end: int) -> dict[str, object]:
    return {"dtype": dtype, "shape": shape, "data_offsets": [start, end]}


@pytest.mark.parametrize(
    ("header", "data_len", "problem"),
    [
        ({"a": _entry("F32", [2], 0, 8), "b": _entry("I8", [4], 8, 12)}, 12, None),
        ({"__metadata__": {"k": "v"}, "a": _entry("BF16", [3], 0, 6)}, 6, None),
        ({"a": _entry("F32", [2], 0, 8), "b": _entry("F32", [2], 4, 12)}, 12, "overlaps"),
        ({"a": _entry("F32", [2], 0, 8)}, 16, "cover"),
        ({"a": _entry("F32", [2], 0, 12)}, 12, "does not match"),
        ({"a": _entry("PY_OBJECT", [1], 0, 1)}, 1, "unknown dtype"),
        ({"a": _entry("F32", [2], 0, 80)}, 8, "outside"),
        ({"__metadata__": {"k": 1}}, 0, "__metadata__"),
        ([1, 2], 0, "not a JSON object"),
    ],
)
def test_safetensors_header_validation(header: object, data_len: int, problem: str | None) -> None:
    result = validate_header(header, data_len)
    if problem is None:
        assert result is None
    else:
        assert result is not None and problem in result


def test_invalid_safetensors_header_is_reported(tmp_path: Path) -> None:
    header = json.dumps({"a": _entry("F32", [4], 0, 8)}).encode()
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\x00" * 8)
    scan = scan_model(path)
    assert (scan.format, scan.verdict) == ("safetensors", "suspicious")
    assert [f.rule for f in scan.findings] == ["NBS-PKL-021"]
    assert scan.findings[0].location.path == str(path)


def test_scan_bytes_names_the_input() -> None:
    scan = scan_bytes(EVIL, name="upload.bin")
    assert (scan.path, scan.format, scan.verdict) == ("upload.bin", "pickle", "dangerous")
    assert scan.globals == ["os.system"]
    assert scan.findings[0].location.path == "upload.bin"


def test_scan_stream_restores_the_position_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "two.pkl"
    path.write_bytes(b"HEADER" + EVIL)
    with open(path, "rb") as fh:
        fh.seek(6)
        scan = scan_stream(fh)
        assert fh.tell() == 6
        assert pickle.load  # the caller could go on to load from here
    assert scan.verdict == "dangerous"
    assert scan.path == str(path)


def test_scan_stream_restores_the_position_of_bytesio() -> None:
    buf = io.BytesIO(b"xx" + pickle.dumps({"a": 1}))
    buf.seek(2)
    scan = scan_stream(buf, name="mem")
    assert (buf.tell(), scan.verdict, scan.path) == (2, "safe", "mem")


def test_scan_stream_refuses_unseekable_streams() -> None:
    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

    with pytest.raises(InputError, match="not seekable"):
        scan_stream(Pipe(), name="pipe")


def test_unreadable_path_is_an_error_verdict(tmp_path: Path) -> None:
    scan = scan_model(tmp_path)  # a directory cannot be opened as a file
    assert scan.verdict == "error"
    assert scan.error is not None and str(tmp_path) in scan.error
    assert "\n" not in scan.error


@pytest.mark.parametrize(
    ("data", "limits", "rule"),
    [
        (gzip.compress(b"\x00" * (4 << 20)), ScanLimits(max_member_bytes=1 << 20), "NBS-PKL-018"),
        (
            gzip.compress(gzip.compress(gzip.compress(EVIL))),
            ScanLimits(max_depth=1),
            "NBS-PKL-018",
        ),
        (gzip.compress(b"\x00" * (4 << 20)), ScanLimits(max_ratio=10, ratio_floor=1 << 20),
         "NBS-PKL-018"),
    ],
)  # fmt: skip
def test_limits_are_findings_not_crashes(data: bytes, limits: ScanLimits, rule: str) -> None:
    scan = scan_bytes(data, limits=limits)
    assert rule in {f.rule for f in scan.findings}
    assert scan.verdict in ("suspicious", "dangerous")


def test_payload_in_front_of_a_bomb_is_still_found() -> None:
    data = gzip.compress(EVIL + b"\x00" * (4 << 20))
    scan = scan_bytes(data, limits=ScanLimits(max_member_bytes=1 << 20))
    assert {"NBS-PKL-010", "NBS-PKL-018"} <= {f.rule for f in scan.findings}


def _sparse_torch_zip(path: Path, data_size: int) -> None:
    """A PyTorch-style zip whose tensor record is a hole in a sparse file (no disk used)."""
    pkl = pickle.dumps({"w": 1}, protocol=2)
    members = [("archive/data.pkl", pkl), ("archive/data/0", None), ("archive/version", b"3\n")]
    central = b""
    with open(path, "wb") as fh:
        for name, body in members:
            size = data_size if body is None else len(body)
            offset = fh.tell()
            encoded = name.encode()
            extra = struct.pack("<HHQQ", 1, 16, size, size)
            fh.write(
                struct.pack(
                    "<4sHHHHHLLLHH", b"PK\x03\x04", 45, 0, 0, 0, 0, 0,
                    0xFFFFFFFF, 0xFFFFFFFF, len(encoded), len(extra),
                ) + encoded + extra
            )  # fmt: skip
            if body is None:
                fh.seek(size, io.SEEK_CUR)
            else:
                fh.write(body)
            cextra = struct.pack("<HHQQQ", 1, 24, size, size, offset)
            central += struct.pack(
                "<4sHHHHHHLLLHHHHHLL", b"PK\x01\x02", 45, 45, 0, 0, 0, 0, 0,
                0xFFFFFFFF, 0xFFFFFFFF, len(encoded), len(cextra), 0, 0, 0, 0, 0xFFFFFFFF,
            ) + encoded + cextra  # fmt: skip
        cd_offset = fh.tell()
        fh.write(central)
        eocd64_at = fh.tell()
        fh.write(
            struct.pack(
                "<4sQHHLLQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, 3, 3, len(central), cd_offset
            )
        )
        fh.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, eocd64_at, 1))
        fh.write(struct.pack("<4sHHHHLLH", b"PK\x05\x06", 0, 0, 3, 3, 0xFFFFFFFF, 0xFFFFFFFF, 0))


def test_large_tensor_records_are_skipped_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.pt"
    _sparse_torch_zip(path, 8 << 30)  # 8 GiB of tensor data, a hole on disk
    scan = scan_model(path, sha256=False)
    assert (scan.format, scan.verdict, scan.findings) == ("pytorch-zip", "safe", [])
    assert scan.size > 8 << 30


def test_zip_that_strict_readers_reject_is_read(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("m/data.pkl", EVIL)
        zf.writestr("m/version", b"3\n")
    raw = bytearray(buf.getvalue())
    raw[30:31] = b"n"  # the local header's name differs from the central directory's
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(bytes(raw))).read("m/data.pkl")
    scan = scan_bytes(bytes(raw))
    assert (scan.format, scan.verdict) == ("pytorch-zip", "dangerous")


@pytest.mark.parametrize(
    ("config", "rules"),
    [
        ({"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense"}]}}, set()),
        (
            {"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda",
                                                                "config": {"name": "f"}}]}},
            {"NBS-PKL-016"},
        ),
        (
            {"class_name": "Dense", "module": "keras.layers",
             "config": {"activation": {"module": "os", "class_name": "function",
                                       "config": "system"}}},
            {"NBS-PKL-017"},
        ),
        ({"class_name": "MyLayer", "module": "my_project.layers", "config": {}}, {"NBS-PKL-017"}),
        ({"class_name": "Dense", "module": None, "registered_name": "Custom>Thing"},
         {"NBS-PKL-017"}),
    ],
)  # fmt: skip
def test_keras_configs(config: dict[str, object], rules: set[str]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("metadata.json", "{}")
    scan = scan_bytes(buf.getvalue(), name="m.keras")
    assert scan.format == "keras"
    assert {f.rule for f in scan.findings} == rules


@pytest.mark.parametrize(
    ("module", "kind", "fmt"),
    [("h5py", "h5", "hdf5"), ("py7zr", "7z", "7z")],
)
def test_missing_optional_reader_is_unsupported_not_safe(
    module: str, kind: str, fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip(module)
    path = tmp_path / f"model.{kind}"
    if kind == "h5":
        import h5py

        with h5py.File(path, "w") as h5:
            h5.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {}})
    else:
        import py7zr

        with py7zr.SevenZipFile(path, "w") as archive:
            archive.writestr(EVIL, "data.pkl")
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    scan = scan_model(path)
    assert (scan.format, scan.verdict) == (fmt, "unsupported")
    assert [f.rule for f in scan.findings] == ["NBS-PKL-020"]
