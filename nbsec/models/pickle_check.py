"""Judge a pickle stream by what the loaders' own unpicklers do with it.

:func:`check_pickle_stream` runs CPython's C unpickler over the stream with inert stand-ins
(:mod:`nbsec.models.pickle_replay`): that is the reading of ``pickle.load``/``loads``,
``torch.load``, ``numpy.load``, ``pandas.read_pickle``, dill and cloudpickle. When that run stops
before ``STOP`` (pandas then re-reads the stream with the pure-Python unpickler) or the stream
holds joblib array wrappers (``joblib.load`` reads array bytes from the stream), the
pure-Python unpickler is run too, as those loaders run it. Each reading's findings are reported:

* a denied global                              -> NBS-PKL-010 (critical: dangerous)
* a global not on the allowlist                -> NBS-PKL-011 (high: suspicious)
* an import whose name is computed at load     -> NBS-PKL-012 (critical)
* a broken stream that imports a non-allowed global before the break -> NBS-PKL-013 (critical)
* a broken or truncated stream otherwise       -> NBS-PKL-014 (medium)
* bytes inside that hold another pickle or archive (also base64 / hex text) are scanned as files
  of their own                                 -> NBS-PKL-015 (info) + their own findings
* a limit reached (memo bomb, huge frame...)   -> NBS-PKL-018 (high)
* an extension-registry code                   -> NBS-PKL-019 (high)
* state set on an imported object              -> NBS-PKL-022 (critical)
* a frame-boundary differential                -> NBS-PKL-023 (critical)
* a joblib side file                           -> NBS-PKL-024 (critical)
* a torch persistent id of the wrong shape     -> NBS-PKL-025 (medium)
* a state that a class's ``__setstate__`` runs as code (scipy.stats distributions, statsmodels
  formulas), or with an entry that shadows a method it calls -> NBS-PKL-027 (critical)
* an object of a ``__main__`` class, built only with ``__new__`` (a static scan) -> NBS-PKL-026
  (info)

Pickles that follow a ``STOP`` (what ``pickle.load`` in a loop, or torch's legacy format, reads)
are scanned too. A stream with more opcodes than one unpickler run may hold in memory is judged
by the symbolic walker (:mod:`nbsec.models.pickle_walker`), whose agreement with the unpickler
the differential fuzzer checks.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from nbsec.findings import Severity
from nbsec.models import inert
from nbsec.models.globals_judge import Judgement
from nbsec.models.pickle_replay import Replay, ReplayLimits, replay_c, replay_python
from nbsec.models.pickle_uses import checked_uses
from nbsec.models.pickle_walker import WalkResult, walk
from nbsec.models.state_code import code_states

if TYPE_CHECKING:
    from nbsec.models.pickle_walker import Buffer
    from nbsec.models.scan_context import ScanContext

MAX_CONSECUTIVE = 1000
_MUTATIONS = frozenset(("build", "setitem", "append", "add"))
_PICKLE_HEADS = frozenset((b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"))
_TORCH_STORAGE_KEYS = ("storage", "module")
_B64 = re.compile(rb"^[A-Za-z0-9+/_-]{16,}={0,2}$")
_HEX = re.compile(rb"^(?:[0-9a-fA-F]{2}){8,}$")
_MAX_DECODED = 16 << 20
_MODULE_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def looks_embedded(head: bytes, last: int) -> bool:
    """Do these first bytes (and last byte) start a pickle, a zip, a gzip or a zlib stream?"""
    if head[:2] in _PICKLE_HEADS or head == b"PK\x03\x04" or head[:2] == b"\x1f\x8b":
        return True
    if len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return True  # zlib, as joblib and codecs.decode(..., "zlib") read it
    return head[:1] in (b"c", b"(", b"i", b"}", b"]") and last == 0x2E


@dataclass
class StreamResult:
    """What the checker learnt about one stream (the first pickle in it)."""

    start: int
    end: int
    ok: bool
    globals: list[str] = field(default_factory=list)
    error: str | None = None
    value: int | None = None  # the unpickled value, when it is a plain int (record counts)


def check_pickle_stream(
    ctx: ScanContext,
    data: Buffer,
    start: int,
    end: int,
    where: str,
    depth: int,
    *,
    strict: bool = True,
    max_pickles: int = MAX_CONSECUTIVE,
    persistent: bool = False,
    following: bool = True,
) -> StreamResult:
    """Scan the pickle at ``start`` and the pickles that follow it up to ``end``.

    ``strict``: this must be a pickle (a raw pickle file, a ``data.pkl``): a stream that breaks
    is reported. When not strict (bytes that merely may be a pickle), only what the stream would
    import or do is reported. ``persistent``: the loader answers persistent ids (torch).
    """
    first = _check_one(ctx, data, start, end, where, depth, strict, persistent)
    pos = first.end
    n = 1
    while following and first.ok and pos < end and n < max_pickles:
        nxt = _check_one(
            ctx, data, pos, end, f"{where} (pickle #{n + 1})", depth, False, persistent
        )
        if not nxt.ok or nxt.end <= pos:
            break
        pos = nxt.end
        n += 1
    return first


def _check_one(
    ctx: ScanContext,
    data: Buffer,
    start: int,
    end: int,
    where: str,
    depth: int,
    strict: bool,
    persistent: bool,
) -> StreamResult:
    limits = ReplayLimits()
    first = replay_c(data, start, end, limits=limits, persistent=persistent)
    if first.stop_kind == "limit" and "opcodes" in (first.error or ""):
        # too many opcodes to hold their objects in memory: the symbolic walker judges it
        walked = walk(data, start, end)
        report_walk(ctx, data, walked, where, depth, strict=strict)
        return StreamResult(
            start, walked.end, walked.ok, [g.name for g in walked.globals], walked.error
        )
    readings: list[tuple[Replay, str]] = [(first, where)]
    names = _imported(first)
    if not first.ok:
        # pandas.read_pickle re-reads such a stream with the pure-Python unpickler, which also
        # reads on where the C one gives up (a short FRAME, a last line without its newline)
        readings.append(
            (
                replay_python(data, start, end, limits=limits, persistent=persistent),
                f"{where} (as the pure-Python unpickler reads it)",
            )
        )
    if any(n in _JOBLIB_NAMES for n in names):
        readings.append(
            (
                replay_python(data, start, end, joblib=True, limits=limits),
                f"{where} (as joblib.load reads it)",
            )
        )
    quiet = not strict
    if quiet and not any(_worth_reporting(ctx, r) for r, _ in readings):
        # nothing worth a finding, but what a loader would import stays on the file's list
        for replay, _ in readings:
            for name in _imported(replay):
                ctx.add_global(name)
        return StreamResult(start, first.end, first.ok, names, first.error)
    joblib_ok = any(r.engine == "joblib" and r.ok for r, _ in readings)
    result = StreamResult(start, first.end, first.ok, names, first.error, first.value)
    for replay, label in readings:
        # a joblib file is not meant for pickle.load: that reading breaking is no news
        report_replay(
            ctx,
            data,
            replay,
            label,
            where,
            depth,
            strict=strict and not (joblib_ok and replay.engine != "joblib"),
            persistent=persistent,
            intended=not (joblib_ok and replay.engine != "joblib"),
        )
    return result


_JOBLIB_NAMES = frozenset(
    (
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
        "joblib.numpy_pickle_compat.NDArrayWrapper",
        "joblib.numpy_pickle_compat.ZNDArrayWrapper",
    )
)


def _imported(replay: Replay) -> list[str]:
    return [f"{e.args[0]}.{e.args[1]}" for e in replay.events if e.kind == "import"]


def _worth_reporting(ctx: ScanContext, replay: Replay) -> bool:
    """For bytes that may not be a pickle at all: does this reading do anything worth a word?"""
    if replay.anomalies or replay.computed or replay.side_files:
        return True
    judge = ctx.judge
    imports = [e.args for e in replay.events if e.kind == "import"]
    verdicts = {judge.judge(a[0], a[1]) for a in imports}
    if Judgement.DENIED in verdicts:
        return True
    # an unknown name counts once the reading goes on to use it or reaches STOP, or when it is
    # spelled like a Python module (importing runs the module); garbage from bytes that are not a
    # pickle at all (a CSV header read as GLOBAL) does not
    acts = replay.ok or any(e.kind in ("call", "new") for e in replay.events)
    return any(
        judge.judge(a[0], a[1]) is Judgement.UNKNOWN and (acts or _MODULE_NAME.match(a[0]))
        for a in imports
    )


def report_replay(
    ctx: ScanContext,
    data: Buffer,
    replay: Replay,
    label: str,
    where: str,
    depth: int,
    *,
    strict: bool,
    persistent: bool = False,
    intended: bool = True,
) -> None:
    """Findings for one unpickler run. ``intended``: this reading is how the file is meant
    to be loaded (False for ``pickle.load`` of a joblib file, whose breaking is no news). Keys
    use ``where`` (not the reading), so two readings that see the same thing report it once."""
    judge = ctx.judge
    bad: list[str] = []
    denied = False
    stored_only = _stored_only(replay)
    verified_loaders = _verify_loader_calls(ctx, data, replay, where, depth)
    checked = checked_uses(judge, replay)
    for event in replay.events:
        if event.kind == "import":
            module, name = event.args[0], event.args[1]
            full = f"{module}.{name}"
            ctx.add_global(full)
            verdict = judge.judge(module, name)
            if len(event.args) > 3:  # the stream's own spelling, before Python 2 name mapping
                raw_mod, _, raw_name = str(event.args[3]).rpartition(".")
                verdict = _worse(verdict, judge.judge(raw_mod, raw_name))
            if verdict is Judgement.DENIED and event.target in verified_loaders:
                continue  # a loader called only on bytes that were scanned as its file
            use_checked = checked.get(event.target, "")
            main_class = use_checked.startswith("__main__.")
            if main_class and verdict is Judgement.UNKNOWN:
                at = f"{label} at byte {event.offset}" if event.offset >= 0 else label
                ctx.report(
                    "NBS-PKL-026",
                    f"{at}: makes an object of {full}, a class of the script that saved it; "
                    "loading needs that class and runs only its own code",
                    key=f"{where}:{full}",
                    evidence=full,
                )
                continue
            if use_checked and not main_class and verdict is not Judgement.ALLOWED:
                ctx.add_checked(full)  # every use is one a reviewed rule admits
                continue
            if (
                verdict is Judgement.UNKNOWN
                and (event.target in stored_only or not intended)
                and f"{module}.".startswith(_FAMILY_ROOTS)
            ):
                # a library function kept as data (an estimator's score_func), or a name from a
                # reviewed library in a reading that is not the file's own (pickle.load of a
                # joblib file); importing those modules runs nothing of the stream's
                continue
            if verdict is Judgement.ALLOWED:
                continue
            bad.append(full)
            at = f"{label} at byte {event.offset}" if event.offset >= 0 else label
            if verdict is Judgement.DENIED:
                denied = True
                ctx.report(
                    "NBS-PKL-010",
                    f"{at}: imports {full}, which can run code",
                    key=f"{where}:{full}",
                    evidence=full,
                )
            else:
                ctx.report(
                    "NBS-PKL-011",
                    f"{at}: imports {full}, which is not on the allowlist",
                    key=f"{where}:{full}",
                    evidence=full,
                )
        elif event.kind in _MUTATIONS:
            target = inert.global_name(event.target)
            if target is not None:
                bad.append(target)
                ctx.report(
                    "NBS-PKL-022",
                    f"{label}: {_verb(event.kind)} the imported object {target}",
                    key=f"{where}:mutate:{target}",
                    evidence=target,
                )
        elif event.kind == "persistent" and persistent and not _torch_pid_ok(ctx, event.args):
            ctx.report(
                "NBS-PKL-025",
                f"{label} at byte {event.offset}: persistent id is not a torch storage reference",
                key=f"{where}:pid",
            )
    for what, offset in replay.computed if intended or denied else ():
        bad.append("<computed>")
        ctx.report("NBS-PKL-012", f"{label} at byte {offset}: {what}", key=f"{where}:dynamic")
    for code, offset in replay.extensions:
        ctx.report(
            "NBS-PKL-019",
            f"{label} at byte {offset}: loads object {code} from the copyreg extension registry",
            key=f"{where}:ext:{code}",
        )
    for offset, reason in replay.anomalies:
        bad.append("<frame>")
        ctx.report(
            "NBS-PKL-023", f"{label} at byte {offset}: {reason}", key=f"{where}:frame:{offset}"
        )
    for offset, reason in code_states(replay):
        bad.append("<state>")
        ctx.report(
            "NBS-PKL-027", f"{label} at byte {offset}: {reason}", key=f"{where}:code:{offset}"
        )
    for offset, reason in replay.limits:
        ctx.report(
            "NBS-PKL-018",
            f"{label} at byte {offset}: {reason}; not read further",
            key=f"{where}:limit:{offset}",
        )
    for kind, name, offset in replay.side_files:
        bad.append(kind)
        ctx.report(
            "NBS-PKL-024",
            f"{label} at byte {offset}: {kind} makes joblib load the side file "
            f"{name!r} with allow_pickle=True",
            key=f"{where}:side:{name}",
            evidence=name[:200],
        )
        ctx.side_file(name, where, depth)
    if replay.stop_kind == "desync":
        bad.append("<desync>")
        ctx.report(
            "NBS-PKL-023",
            f"{label} at byte {replay.error_offset}: {replay.error} (nbsec cannot read "
            "this stream as its loader does)",
            key=f"{where}:desync",
        )
    elif not replay.ok and replay.stop_kind in ("malformed", "truncated"):
        if bad and (strict or denied):
            ctx.report(
                "NBS-PKL-013",
                f"{label}: stream breaks at byte {replay.error_offset} ({replay.error}) "
                f"after importing {', '.join(sorted(set(bad)))}",
                key=f"{where}:broken",
            )
        elif strict:
            ctx.report(
                "NBS-PKL-014",
                f"{label}: malformed pickle stream at byte {replay.error_offset}: {replay.error}",
                key=f"{where}:malformed",
            )
    _scan_payloads(ctx, data, replay, where, depth)


# Packages of the reviewed allowlist families: a function of theirs that the stream only stores
# (never calls, instantiates or hands to a call) is data, like an estimator's ``score_func``.
_FAMILY_ROOTS = ("sklearn.", "numpy.", "scipy.", "pandas.", "torch.nn.", "torch.optim.",
                 "xgboost.", "lightgbm.", "catboost.", "statsmodels.", "transformers.")  # fmt: skip
# torch.load(io.BytesIO(b), weights_only=False): judged by what ``b`` is as a torch file
_BYTES_LOADERS = frozenset(("torch.storage._load_from_bytes",))


def _stand_ins(value: Any, out: list[Any], depth: int = 0) -> None:
    if depth > 12 or len(out) > 10_000:
        return
    if inert.is_inert(value):
        out.append(value)
    elif isinstance(value, tuple | list | set | frozenset):
        for item in value:
            _stand_ins(item, out, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _stand_ins(key, out, depth + 1)
            _stand_ins(item, out, depth + 1)


def _stored_only(replay: Replay) -> set[Any]:
    """Global stand-ins the stream only imports or stores as data (in BUILD states and container
    items): never called, instantiated, mutated or passed to a call."""
    if replay.uses_lost:
        return set()
    stored: list[Any] = [e.target for e in replay.events if e.kind == "import"]
    used: set[int] = set()
    for event in replay.events:
        if event.kind in ("call", "new"):
            used.add(id(event.target))
            found: list[Any] = list(event.inside or ())  # as passed, and as the run left them
            _stand_ins(event.args, found)
            used.update(id(x) for x in found)
        elif event.kind in ("build", "setitem", "append", "add"):
            if inert.global_name(event.target):
                used.add(id(event.target))
            _stand_ins(event.args, stored)
    return {x for x in stored if id(x) not in used and inert.global_name(x) is not None}


def _verify_loader_calls(
    ctx: ScanContext, data: Buffer, replay: Replay, where: str, depth: int
) -> set[Any]:
    """Loader globals whose every call got plain bytes that were scanned as the file the loader
    would read (nested findings are reported as they are found)."""
    calls: dict[int, list[Any]] = {}
    loaders: dict[int, Any] = {}
    for event in replay.events:
        name = inert.global_name(event.target)
        if name in _BYTES_LOADERS:
            loaders[id(event.target)] = event.target
            if event.kind in ("call", "new"):
                calls.setdefault(id(event.target), []).append(event.args)
            elif event.kind != "import":
                calls.setdefault(id(event.target), []).append(None)
    verified: set[Any] = set()
    for key, target in loaders.items():
        made = calls.get(key, [])
        if not made or not all(
            _scan_loader_bytes(ctx, data, replay, args, where, depth) for args in made
        ):
            continue
        verified.add(target)
    # anything else that touched the loader (passed around, stored) leaves it unverified
    if replay.uses_lost:
        return set()
    for event in replay.events:
        if event.kind in ("call", "new"):
            found: list[Any] = list(event.inside or ())
            _stand_ins(event.args, found)
            verified.difference_update(x for x in found if x in verified)
    return verified


def _scan_loader_bytes(
    ctx: ScanContext, data: Buffer, replay: Replay, args: Any, where: str, depth: int
) -> bool:
    if not (isinstance(args, tuple) and len(args) == 2 and not args[1]):
        return False
    positional = args[0]
    if not (isinstance(positional, tuple) and len(positional) == 1):
        return False
    blob: Any = positional[0]
    span = replay.payload_span(blob)
    if span is not None:  # a large payload the run did not copy: read it where it lies
        blob = data[span[0] : span[0] + span[1]]
    elif inert.is_inert(blob):
        # protocol 0-2 carry bytes as _codecs.encode(text, "latin1"): the same bytes
        callee, made = inert.origin(blob)
        text_args: tuple[Any, ...] = made[0] if isinstance(made, tuple) and not made[1] else ()
        if not (
            callee == "_codecs.encode"
            and len(text_args) == 2
            and isinstance(text_args[0], str)
            and text_args[1] in ("latin1", "latin-1", "iso-8859-1")
        ):
            return False
        blob = text_args[0].encode("latin-1")
    elif not isinstance(blob, bytes):
        return False
    inner = f"{where} > bytes given to torch.storage._load_from_bytes"
    before = len(ctx.findings)
    if blob[:4] == b"PK\x03\x04":
        ctx.scan_member(blob, 0, len(blob), inner, depth + 1)
    else:  # torch.load reads anything else as its legacy format: pickles from byte 0
        check_pickle_stream(ctx, blob, 0, len(blob), inner, depth + 1, persistent=True)
    nested = ctx.findings[before:]
    return not any(
        f.severity in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM) for f in nested
    )


def _worse(a: Judgement, b: Judgement) -> Judgement:
    order = {Judgement.ALLOWED: 0, Judgement.UNKNOWN: 1, Judgement.DENIED: 2}
    return a if order[a] >= order[b] else b


def _verb(kind: str) -> str:
    return {
        "build": "BUILD sets state on",
        "setitem": "SETITEM writes into",
        "append": "APPEND adds to",
        "add": "ADDITEMS adds to",
    }[kind]


def _torch_pid_ok(ctx: ScanContext, pid: Any) -> bool:
    if not isinstance(pid, tuple) or not pid or pid[0] not in _TORCH_STORAGE_KEYS:
        return False
    if len(pid) not in (4, 5, 6):
        return False
    storage = inert.global_name(pid[1])
    if storage is None:
        return False
    module, _, name = storage.rpartition(".")
    return ctx.judge.judge(module, name) is Judgement.ALLOWED


def _scan_payloads(ctx: ScanContext, data: Buffer, replay: Replay, where: str, depth: int) -> None:
    """Byte strings in the stream that hold a pickle, zip or gzip stream (also as base64 or hex
    text) are scanned as files: what ``pickle.loads(...)``, ``torch.load(io.BytesIO(...))`` or a
    decoder chain in the stream would load."""
    seen: set[int] = set()
    for offset, length, text in replay.payloads:
        if offset in seen:
            continue
        seen.add(offset)
        if text and data[offset - 1] in b"SV" and length <= _MAX_DECODED:
            # a protocol 0 STRING / UNICODE line: scan what it decodes to
            raw = _decode_line(data[offset - 1], bytes(data[offset : offset + length]))
            if raw is not None and len(raw) >= 4 and looks_embedded(raw[:4], raw[-1]):
                inner = f"{where} > text at {offset}"
                fmt = scan_embedded(ctx, raw, 0, len(raw), inner, depth + 1)
                ctx.report(
                    "NBS-PKL-015",
                    f"{inner}: a string embedded in the pickle holds a {fmt} file; scanned",
                    key=f"{inner}:nested",
                )
                continue
        head = bytes(data[offset : offset + 4])
        last = data[offset + length - 1]
        if looks_embedded(head, last):
            inner = f"{where} > bytes at {offset}"
            fmt = scan_embedded(ctx, data, offset, offset + length, inner, depth + 1)
            if fmt != "unknown":
                ctx.report(
                    "NBS-PKL-015",
                    f"{inner}: {length} bytes embedded in the pickle hold a {fmt} file; scanned",
                    key=f"{inner}:nested",
                )
        elif text and 16 <= length <= _MAX_DECODED:
            decoded = _decode_text(bytes(data[offset : offset + length]))
            if decoded is not None:
                encoding, raw = decoded
                inner = f"{where} > {encoding} text at {offset}"
                fmt = scan_embedded(ctx, raw, 0, len(raw), inner, depth + 1)
                ctx.report(
                    "NBS-PKL-015",
                    f"{inner}: {length} characters of {encoding} decode to a {fmt} file; scanned",
                    key=f"{inner}:nested",
                    severity=Severity.INFO,
                )


def scan_embedded(
    ctx: ScanContext, data: Buffer, start: int, end: int, inner: str, depth: int
) -> str:
    """Scan bytes held inside a pickle as the file they look like. What the stream does with
    them is judged in the stream: only a loader global (never allowed) could read them, so a
    candidate that turns out not to be readable (bytes that merely start like gzip) is data, and
    "cannot be read" is told as info rather than made a reason to distrust the file."""
    before = len(ctx.findings)
    fmt = ctx.scan_member(data, start, end, inner, depth)
    for i in range(before, len(ctx.findings)):
        finding = ctx.findings[i]
        if finding.rule == "NBS-PKL-021" and finding.severity is not Severity.INFO:
            ctx.findings[i] = replace(
                finding,
                severity=Severity.INFO,
                message=finding.message + " (bytes inside the pickle: data unless loaded)",
            )
    return fmt


def _decode_line(op: int, text: bytes) -> bytes | None:
    """The bytes a protocol 0 STRING (``S``) or UNICODE (``V``) line stands for (latin-1)."""
    import codecs

    try:
        if op == ord("S"):
            if len(text) < 2 or text[:1] not in b"'\"" or text[-1:] != text[:1]:
                return None
            return bytes(codecs.escape_decode(text[1:-1])[0])
        return str(codecs.decode(text, "raw_unicode_escape")).encode("latin-1")
    except (UnicodeError, ValueError):
        return None


def _decode_text(raw: bytes) -> tuple[str, bytes] | None:
    """base64 or hex text that decodes to something that starts like a pickle or an archive."""
    stripped = raw.strip()
    candidates: list[tuple[str, bytes]] = []
    if _HEX.match(stripped):
        with contextlib.suppress(binascii.Error):
            candidates.append(("hex", binascii.unhexlify(stripped)))
    if _B64.match(stripped):
        padded = stripped + b"=" * (-len(stripped) % 4)
        urlsafe = b"-" in stripped or b"_" in stripped
        with contextlib.suppress(binascii.Error, ValueError):
            candidates.append(("base64", base64.b64decode(padded, b"-_" if urlsafe else None)))
    for encoding, decoded in candidates:
        if len(decoded) >= 4 and (
            looks_embedded(decoded[:4], decoded[-1]) or decoded[:1] == b"\x78"
        ):
            return encoding, decoded
    return None


def report_walk(
    ctx: ScanContext, data: Buffer, res: WalkResult, where: str, depth: int, *, strict: bool
) -> None:
    """Findings from the symbolic walker (used for streams with too many opcodes for a run)."""
    judge = ctx.judge
    if (
        not strict
        and not res.ok
        and not any(judge.judge(g.module, g.qualname) is Judgement.DENIED for g in res.globals)
    ):
        return
    bad_before_break = []
    for ref in res.globals:
        name = ref.name
        ctx.add_global(name)
        verdict = judge.judge(ref.module, ref.qualname)
        if verdict is Judgement.ALLOWED:
            continue
        bad_before_break.append(name)
        rule = "NBS-PKL-010" if verdict is Judgement.DENIED else "NBS-PKL-011"
        tail = "which can run code" if rule == "NBS-PKL-010" else "which is not on the allowlist"
        ctx.report(
            rule,
            f"{where} at byte {ref.offset}: {ref.opcode} imports {name}, {tail}",
            key=f"{where}:{name}",
            evidence=name,
        )
    for offset in res.dynamic_globals:
        bad_before_break.append("<computed>")
        ctx.report(
            "NBS-PKL-012",
            f"{where} at byte {offset}: STACK_GLOBAL imports a name computed while loading",
            key=f"{where}:dynamic",
        )
    for name, offset in res.mutated_globals:
        bad_before_break.append(name)
        ctx.report(
            "NBS-PKL-022",
            f"{where} at byte {offset}: BUILD sets attributes on the imported object {name}",
            key=f"{where}:mutate:{name}",
            evidence=name,
        )
    for code, offset in res.extensions:
        bad_before_break.append(f"<extension {code}>")
        ctx.report(
            "NBS-PKL-019",
            f"{where} at byte {offset}: loads object {code} from the copyreg extension registry",
            key=f"{where}:ext:{code}",
        )
    if not res.ok:
        if bad_before_break:
            ctx.report(
                "NBS-PKL-013",
                f"{where}: stream breaks at byte {res.error_offset} ({res.error}) after "
                f"importing {', '.join(sorted(set(bad_before_break)))}",
                key=f"{where}:broken",
            )
        elif strict:
            ctx.report(
                "NBS-PKL-014",
                f"{where}: malformed pickle stream at byte {res.error_offset}: {res.error}",
                key=f"{where}:malformed",
            )
    for offset, length in res.nested:
        inner = f"{where} > bytes at {offset}"
        fmt = scan_embedded(ctx, data, offset, offset + length, inner, depth + 1)
        if fmt != "unknown":
            ctx.report(
                "NBS-PKL-015",
                f"{inner}: {length} bytes embedded in the pickle hold a {fmt} file; scanned",
                key=f"{inner}:nested",
            )
