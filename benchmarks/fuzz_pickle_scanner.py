"""Differential fuzzer: nbsec's pickle verdicts against CPython's real unpicklers.

The oracle is CPython itself, run in a throwaway worker process: every input is loaded with
``pickle.loads`` (bytes), ``pickle.load`` on ``io.BytesIO`` (no ``peek``, as ``torch.load`` reads
``data.pkl``), ``pickle.load`` on a real file (peekable), the pure-Python ``pickle._loads``, and
the library loaders themselves where installed: ``numpy.load(allow_pickle=True)``,
``pandas.read_pickle`` (with its fallback unpickler) and ``joblib.load`` on the raw pickle,
``joblib.load`` and ``pandas.read_pickle(compression="gzip")`` on it gzip-compressed, and
``torch.load(weights_only=False)`` on it as ``data.pkl`` of a PyTorch zip (the container is
chosen per input; nbsec scans the same container bytes). An audit hook records every
``pickle.find_class`` the real loaders make and refuses every module but ``nbsec_canary``, a
harmless module written for the worker whose functions and classes only log that they were
called; so the real loaders run for real on canary globals and nothing else can run. The worker
imports the libraries first, then has a memory limit, and is restarted after a timeout or a
crash.

A *divergence* is an input where some real loader resolved a global that nbsec's scan of the same
bytes did not report, while nbsec did not call the input dangerous either (a dangerous verdict
already blocks the load). Divergences are written out and belong in ``tests/data/fuzz_cases.json``
as fixtures (``tests/data/make_pickles.py`` turns each into a corpus file).

Inputs come from a structured generator (random opcode programs over canary globals: memo
tricks, frames and mis-framed streams, extension codes, persistent ids, consecutive pickles) and
from mutating seeds (pickles of real objects and the generated programs).

    .venv/bin/python benchmarks/fuzz_pickle_scanner.py --seconds 600 [--seed N] [--out DIR]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import pickle
import random
import select
import struct
import subprocess
import sys
import time
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

CANARY_MODULE = "nbsec_canary"
_CANARY_SOURCE = """
LOG = []
class _Obj:
    def __init__(self, *a, **k): LOG.append(("init", type(self).__name__))
    def __call__(self, *a, **k): LOG.append(("call", "obj")); return _Obj()
    def __setstate__(self, state): LOG.append(("setstate", type(self).__name__))
    def append(self, x): LOG.append(("append", ""))
    def extend(self, x): LOG.append(("extend", ""))
    def add(self, x): LOG.append(("add", ""))
    def __setitem__(self, k, v): LOG.append(("setitem", ""))
    def __reduce__(self): return (_Obj, ())
def _fn(name):
    def f(*a, **k):
        LOG.append(("call", name))
        return _Obj()
    f.__name__ = f.__qualname__ = name
    return f
for _i in range(8):
    globals()[f"f{_i}"] = _fn(f"f{_i}")
    globals()[f"C{_i}"] = type(f"C{_i}", (_Obj,), {})
def name_os():
    LOG.append(("call", "name_os")); return "nbsec_canary"
def name_f():
    LOG.append(("call", "name_f")); return "f1"
ns = _Obj()
ns.inner = _Obj()
"""

# -- the worker (runs in a child process) --------------------------------------------------------
_WORKER = r"""
import io, json, os, pickle, resource, struct, sys, tempfile, warnings
warnings.simplefilter("ignore")
libraries = {}
for name in ("numpy", "pandas", "joblib", "torch"):  # imported before the limit and the hook
    try:
        libraries[name] = __import__(name)
    except Exception:
        pass
with open("/proc/self/statm") as fh:
    mapped = int(fh.read().split()[0]) * resource.getpagesize()
resource.setrlimit(resource.RLIMIT_AS, (mapped + (1536 << 20), mapped + (1536 << 20)))
sys.setrecursionlimit(3000)
canary_dir = sys.argv[1]
sys.path.insert(0, canary_dir)
import nbsec_canary
seen = []
active = [False]
class Refused(Exception):
    pass
def hook(event, args):
    if event == "pickle.find_class" and active[0]:
        seen.append(f"{args[0]}.{args[1]}")
        if args[0] != "nbsec_canary":
            raise Refused(f"{args[0]}.{args[1]}")
sys.addaudithook(hook)
path = os.path.join(tempfile.mkdtemp(), "input.pkl")
stdin = sys.stdin.buffer
out = sys.stdout
def load(mode, data):
    if mode == "loads":
        pickle.loads(data)
    elif mode == "bytesio":
        pickle.load(io.BytesIO(data))
    elif mode == "file":
        with open(path, "rb") as fh:
            pickle.load(fh)
    elif mode == "python":
        pickle._loads(data)
    elif mode == "np.load":
        libraries["numpy"].load(path, allow_pickle=True)
    elif mode == "pd.read_pickle":
        libraries["pandas"].read_pickle(path, compression=None)
    elif mode == "pd.read_pickle.gz":
        libraries["pandas"].read_pickle(path, compression="gzip")
    elif mode == "joblib.load":
        libraries["joblib"].load(path)
    elif mode == "torch.load":
        libraries["torch"].load(path, weights_only=False)
MODES = {
    "raw": ("loads", "bytesio", "file", "python", "np.load", "pd.read_pickle", "joblib.load"),
    "gzip": ("joblib.load", "pd.read_pickle.gz"),
    "torch": ("torch.load",),
}
LIBRARY = {"np.load": "numpy", "pd.read_pickle": "pandas", "pd.read_pickle.gz": "pandas",
           "joblib.load": "joblib", "torch.load": "torch"}
def run(mode, data):
    del seen[:]
    nbsec_canary.LOG.clear()
    active[0] = True
    error = None
    try:
        load(mode, data)
    except BaseException as exc:
        error = type(exc).__name__
    finally:
        active[0] = False
    return {"globals": list(seen), "calls": [c for c in nbsec_canary.LOG], "error": error}
while True:
    head = stdin.read(4)
    if len(head) < 4:
        break
    (n,) = struct.unpack("<I", head)
    kind = stdin.readline().decode().strip()
    data = stdin.read(n)
    with open(path, "wb") as fh:
        fh.write(data)
    modes = [m for m in MODES[kind] if LIBRARY.get(m, "numpy") in libraries or m not in LIBRARY]
    result = {m: run(m, data) for m in modes}
    out.write(json.dumps(result) + "\n")
    out.flush()
"""


class Oracle:
    """CPython's real unpicklers in a worker process; restarted on timeout or crash."""

    # the first answer of a new worker waits for numpy, pandas, joblib and torch to import
    STARTUP = 180.0

    def __init__(self, workdir: Path, timeout: float = 5.0) -> None:
        self.workdir = workdir
        self.timeout = timeout
        (workdir / f"{CANARY_MODULE}.py").write_text(_CANARY_SOURCE)
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self.fresh = False

    def _start(self) -> subprocess.Popen[bytes]:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _WORKER, str(self.workdir)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            self.restarts += 1
            self.fresh = True
        return self.proc

    def run(self, data: bytes, kind: str = "raw") -> dict[str, Any] | None:
        """What each real loader did with ``data`` read as ``kind`` (``raw`` pickle bytes:
        pickle's four readings, ``np.load``, ``pd.read_pickle``, ``joblib.load``; ``gzip``:
        joblib and pandas decompressing; ``torch``: ``torch.load`` of a zip), or None when the
        worker timed out or died."""
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        timeout = self.STARTUP if self.fresh else self.timeout
        try:
            proc.stdin.write(struct.pack("<I", len(data)) + kind.encode() + b"\n" + data)
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], timeout)
            line = proc.stdout.readline() if ready else b""
            self.fresh = False
        except (BrokenPipeError, OSError):
            line = b""
        if not line:
            self.close()
            return None
        result: dict[str, Any] = json.loads(line)
        return result

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


# -- generation ---------------------------------------------------------------------------------

_NAMES = [f"f{i}" for i in range(8)] + [f"C{i}" for i in range(8)] + ["ns.inner", "ns"]
_OTHER = [
    ("os", "system"),
    ("builtins", "eval"),
    ("collections", "OrderedDict"),
    ("__builtin__", "eval"),
    ("copy_reg", "_reconstructor"),
    ("numpy", "dtype"),
]


def _su(text: str) -> bytes:
    raw = text.encode()
    return (
        b"\x8c" + bytes([len(raw)]) + raw
        if len(raw) < 256
        else b"X" + struct.pack("<I", len(raw)) + raw
    )


def _global_ref(rng: random.Random) -> bytes:
    if rng.random() < 0.85:
        module, name = CANARY_MODULE, rng.choice(_NAMES)
    else:
        module, name = rng.choice(_OTHER)
    style = rng.randrange(5)
    if style == 0:
        return f"c{module}\n{name}\n".encode()
    if style == 1:
        return _su(module) + _su(name) + b"\x93"
    if style == 2:  # names through the memo
        slot = rng.randrange(200)
        return (
            _su(module)
            + b"q"
            + bytes([slot])
            + b"0"
            + _su(name)
            + b"\x94"
            + b"0"
            + b"h"
            + bytes([slot])
            + b"h"
            + bytes([slot + 1 if slot < 255 else 0])
            + b"\x93"
        )
    if style == 3:  # protocol 0 strings
        return f"V{module}\nV{name}\n".encode() + b"\x93"
    return b"(" + f"i{module}\n{name}\n".encode()  # INST with no args


def _value(rng: random.Random, depth: int = 0) -> bytes:
    r = rng.randrange(14 if depth < 3 else 9)
    if r == 0:
        return b"K" + bytes([rng.randrange(256)])
    if r == 1:
        return b"J" + struct.pack("<i", rng.randrange(-(2**31), 2**31))
    if r == 2:
        return _su(rng.choice(["a", "nbsec_canary", "f1", "x" * rng.randrange(300)]))
    if r == 3:
        return b"C" + bytes([3]) + b"abc"
    if r == 4:
        return b"N"
    if r == 5:
        return rng.choice([b"I01\n", b"I017\n", b"I0x1f\n", b"L12L\n", b"F1.5\n", b"I1_0\n"])
    if r == 6:
        return b"S'" + b"x" * rng.randrange(5) + b"'\n"
    if r == 7:
        return b"\x88" if rng.random() < 0.5 else b"\x89"
    if r == 8:
        return b"G" + struct.pack(">d", rng.random())
    if r == 9:
        return b"(" + b"".join(_value(rng, depth + 1) for _ in range(rng.randrange(4))) + b"t"
    if r == 10:
        return (
            b"]" + b"(" + b"".join(_value(rng, depth + 1) for _ in range(rng.randrange(4))) + b"e"
        )
    if r == 11:
        return (
            b"}"
            + b"("
            + b"".join(
                _value(rng, depth + 1) + _value(rng, depth + 1) for _ in range(rng.randrange(3))
            )
            + b"u"
        )
    if r == 12:
        return _call(rng, depth + 1)
    return _value(rng, depth + 1) + b"\x85"


def _call(rng: random.Random, depth: int = 0) -> bytes:
    func = _global_ref(rng)
    if func.startswith(b"("):  # INST already consumed its MARK
        return func
    r = rng.randrange(6)
    args = b"(" + b"".join(_value(rng, depth + 1) for _ in range(rng.randrange(3))) + b"t"
    if r == 0:
        return func + args + b"R"
    if r == 1:
        return func + args + b"\x81"
    if r == 2:
        return func + args + b"R" + _value(rng, depth + 1) + b"b"
    if r == 3:
        return (
            b"(" + func + b"".join(_value(rng, depth + 1) for _ in range(rng.randrange(2))) + b"o"
        )
    if r == 4:  # computed name: STACK_GLOBAL fed by calls
        return (
            f"c{CANARY_MODULE}\nname_os\n)R".encode()
            + f"c{CANARY_MODULE}\nname_f\n)R".encode()
            + b"\x93"
            + b")R"
        )
    return func + b")R" + b"]" + b"(" + _value(rng, depth + 1) + b"e"  # APPENDS on the result


def _frame(body: bytes, rng: random.Random) -> bytes:
    """Frame ``body``; sometimes with a wrong length (a straddle) or a nested frame."""
    length = len(body)
    roll = rng.random()
    if roll < 0.15:
        length = max(0, length - rng.randrange(1, 8))
    elif roll < 0.25:
        length += rng.randrange(1, 8)
    elif roll < 0.3:
        cut = rng.randrange(len(body) + 1)
        body = body[:cut] + b"\x95" + struct.pack("<Q", rng.randrange(20)) + body[cut:]
    return b"\x95" + struct.pack("<Q", length) + body


def program(rng: random.Random) -> bytes:
    """One random opcode program over canary globals."""
    proto = rng.choice([b"", b"\x80\x02", b"\x80\x04", b"\x80\x05", b"\x80\x06"])
    parts = []
    for _ in range(rng.randrange(1, 6)):
        roll = rng.random()
        if roll < 0.55:
            parts.append(_call(rng) + b"0")
        elif roll < 0.7:
            parts.append(_value(rng) + b"0")
        elif roll < 0.78:
            parts.append(b"\x82" + bytes([rng.randrange(1, 4)]) + b"0")
        elif roll < 0.85:
            parts.append(b"P" + b"pid\n" + b"0")
        else:
            parts.append(_global_ref(rng) + b"0")
    body = b"".join(parts) + b"N."
    if proto in (b"\x80\x04", b"\x80\x05") and rng.random() < 0.6:
        cut = rng.randrange(len(body) + 1)
        body = _frame(body[:cut], rng) + body[cut:]
    data = proto + body
    if rng.random() < 0.15:  # a second pickle after STOP
        data += b"\x80\x02" + _call(rng) + b"."
    return data


def seeds() -> list[bytes]:
    values: list[Any] = [
        {"a": [1, 2.5, "x", None, True]},
        OrderedDict(a=1),
        date(2026, 1, 2),
        timedelta(3),
        [b"\x00" * 40, bytearray(b"ab")],
        {frozenset({1, 2}), (1, 2)},
        list(range(300)),
    ]
    out = []
    for value in values:
        for proto in range(6):
            out.append(pickle.dumps(value, protocol=proto))
    return out


def mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        pos = rng.randrange(len(buf) + 1)
        roll = rng.random()
        if roll < 0.35 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif roll < 0.55:
            del buf[pos : pos + rng.randint(1, 8)]
        elif roll < 0.8:
            buf[pos:pos] = _call(rng) if rng.random() < 0.6 else rng.randbytes(rng.randint(1, 8))
        else:
            buf[pos:pos] = b"\x95" + struct.pack("<Q", rng.randrange(64))
    return bytes(buf)


# -- comparison ---------------------------------------------------------------------------------


@dataclass
class Stats:
    inputs: int = 0
    oracle_failures: int = 0
    divergences: list[dict[str, Any]] = field(default_factory=list)
    verdicts: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)


def wrap(data: bytes, kind: str) -> bytes:
    """The file a library loader reads: the pickle as it is, gzip-compressed (joblib's and
    pandas' compressed pickles), or as ``data.pkl`` of a PyTorch zip."""
    if kind == "gzip":
        return gzip.compress(data, mtime=0)
    if kind == "torch":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            zf.writestr("archive/data.pkl", data)
            zf.writestr("archive/byteorder", b"little")
            zf.writestr("archive/version", b"3\n")
        return buf.getvalue()
    return data


def check(data: bytes, oracle: Oracle, stats: Stats, kind: str = "raw") -> dict[str, Any] | None:
    """Scan ``data`` (wrapped as ``kind``) with nbsec and load it with the real loaders that
    read that kind; a divergence, or None."""
    from nbsec.models import scan_bytes

    data = wrap(data, kind)
    scan = scan_bytes(data, name="fuzz.pkl")
    stats.inputs += 1
    stats.verdicts[scan.verdict] = stats.verdicts.get(scan.verdict, 0) + 1
    stats.kinds[kind] = stats.kinds.get(kind, 0) + 1
    truth = oracle.run(data, kind)
    if truth is None:
        stats.oracle_failures += 1
        return None
    if scan.verdict == "dangerous":
        return None
    reported = set(scan.globals)
    missed = {}
    for mode, result in truth.items():
        lost = sorted(n for n in set(result["globals"]) if not ({n, _mapped(n)} & reported))
        if lost:
            missed[mode] = lost
    if not missed:
        return None
    return {
        "hex": data.hex(),
        "kind": kind,
        "verdict": scan.verdict,
        "missed": missed,
        "nbsec": sorted(reported),
    }


def _mapped(name: str) -> str:
    """The audit event names the global as the stream spells it; protocol 0-2 streams are then
    mapped from Python 2 names, and nbsec reports the mapped name."""
    from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING

    module, _, attr = name.partition(".")
    for split in range(name.count("."), 0, -1):
        module, attr = name.rsplit(".", split)[0], ".".join(name.rsplit(".", split)[1:])
        if (module, attr) in NAME_MAPPING:
            return ".".join(NAME_MAPPING[(module, attr)])
        if module in IMPORT_MAPPING:
            return f"{IMPORT_MAPPING[module]}.{attr}"
    return name


def fuzz(seconds: float, seed: int, out: Path | None, *, quiet: bool = False) -> Stats:
    import tempfile

    rng = random.Random(seed)
    stats = Stats()
    work = Path(tempfile.mkdtemp(prefix="nbsec-fuzz-"))
    oracle = Oracle(work)
    oracle.run(b"N.")  # the worker's imports are not fuzzing time
    pool = seeds()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if rng.random() < 0.5:
                data = program(rng)
                if len(pool) < 5000:
                    pool.append(data)
            else:
                data = mutate(rng.choice(pool), rng)
            roll = rng.random()
            kind = "torch" if roll < 0.15 else "gzip" if roll < 0.25 else "raw"
            found = check(data, oracle, stats, kind)
            if found is not None:
                stats.divergences.append(found)
                if not quiet:
                    shown = {k: found[k] for k in ("verdict", "missed", "nbsec")}
                    print("divergence:", json.dumps(shown)[:300], found["hex"][:400], flush=True)
    finally:
        oracle.close()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"divergences-{seed}.json").write_text(json.dumps(stats.divergences, indent=1))
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / ".cache" / "fuzz")
    args = parser.parse_args()
    started = time.monotonic()
    stats = fuzz(args.seconds, args.seed, args.out)
    elapsed = time.monotonic() - started
    print(f"\n## Differential fuzzing of the pickle scanner (seed {args.seed})\n")
    print(
        "| inputs | by container | seconds | inputs/s | oracle timeouts/crashes | divergences "
        "| verdicts |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {stats.inputs} | {stats.kinds} | {elapsed:.0f} "
        f"| {stats.inputs / max(elapsed, 1e-9):.1f} | {stats.oracle_failures} "
        f"| {len(stats.divergences)} | {stats.verdicts} |"
    )
    return 1 if stats.divergences else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
