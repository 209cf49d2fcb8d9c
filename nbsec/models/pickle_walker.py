"""A pickle opcode walker that never unpickles: what a stream would import and call.

:func:`walk` reads the opcodes of one pickle (protocols 0-5) from a buffer and simulates the
unpickler's stack and memo symbolically. It keeps just enough values to answer the questions a
scanner has: the constant strings that ``STACK_GLOBAL`` turns into an import (including strings
stored in and fetched from the memo, duplicated or moved around on the stack), small ints, tuples
and dicts (to size joblib's inline arrays), and which resolved global is called by ``REDUCE``,
``NEWOBJ``, ``INST`` or ``OBJ``. Everything else is a placeholder.

It imports nothing named by the stream and never calls anything; the only work is byte arithmetic.
Large data records (``BINBYTES8``, ``BYTEARRAY8``, joblib's raw array data) are stepped over by
their length, never copied, so a multi-gigabyte tensor file costs a few microseconds per record.

A stream that breaks (unknown opcode, truncated argument, stack underflow, no ``STOP``) does not
lose what was seen before the break: the result carries the globals and calls found up to the
failure together with the error and its offset, which is how "broken" pickles that run their
payload before failing (the nullifAI family) are caught.
"""

from __future__ import annotations

import codecs
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from dataclasses import dataclass, field
from typing import Any, Protocol

# Strings longer than this are not decoded: they cannot be module or attribute names, and a
# STACK_GLOBAL built from one is reported as a dynamic (unresolvable) import.
MAX_NAME_LEN = 1024
# Small dicts and tuples are tracked (joblib array wrappers, numpy dtypes); bigger ones are not.
MAX_TRACKED_ITEMS = 64
# How deep joblib object arrays (a pickle inside the pickle stream) may nest.
MAX_INLINE_DEPTH = 8

JOBLIB_ARRAY_WRAPPERS = frozenset(
    (
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
    )
)

# Byte strings that start like a pickle, a zip or a gzip stream are scanned again as a file.
_PICKLE_HEADS = frozenset((b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"))


def _looks_embedded(head: bytes, last: int) -> bool:
    if head[:2] in _PICKLE_HEADS or head == b"PK\x03\x04" or head[:2] == b"\x1f\x8b":
        return True
    # a protocol 0/1 pickle: starts with an opcode that opens a stream, ends with STOP
    return head[:1] in (b"c", b"(", b"i", b"}", b"]") and last == 0x2E


class Buffer(Protocol):
    """What the walker needs from its input: ``bytes``, ``bytearray`` and ``mmap`` all qualify."""

    def __getitem__(self, index: Any) -> Any: ...

    def __len__(self) -> int: ...

    def find(self, sub: bytes, start: int = ..., end: int = ...) -> int: ...

    def rfind(self, sub: bytes, start: int = ..., end: int = ...) -> int: ...


@dataclass(frozen=True)
class GlobalRef:
    """A global the stream imports, after Python 2 name mapping. ``qualname`` may be dotted: the
    unpickler then walks attributes from the module (``numpy`` + ``testing.os.system``)."""

    module: str
    qualname: str
    offset: int
    opcode: str

    @property
    def name(self) -> str:
        return f"{self.module}.{self.qualname}"


@dataclass(frozen=True)
class CallRef:
    """A call the stream makes: ``target`` is the called global, or ``None`` when the callable
    was itself computed by the stream (the result of another call or a memo trick)."""

    target: str | None
    offset: int
    opcode: str


@dataclass
class WalkResult:
    """What one pickle stream would do. ``end`` is the offset just after ``STOP`` (or where the
    walk stopped); ``error`` is ``None`` for a well-formed stream."""

    start: int
    end: int = 0
    protocol: int = 0
    opcodes: int = 0
    globals: list[GlobalRef] = field(default_factory=list)
    calls: list[CallRef] = field(default_factory=list)
    dynamic_globals: list[int] = field(default_factory=list)
    extensions: list[tuple[int, int]] = field(default_factory=list)
    mutated_globals: list[tuple[str, int]] = field(default_factory=list)
    nested: list[tuple[int, int]] = field(default_factory=list)
    persistent_ids: int = 0
    error: str | None = None
    error_offset: int | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _Global:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Call:
    __slots__ = ("args", "func", "state")

    def __init__(self, func: object, args: object) -> None:
        self.func = func
        self.args = args
        self.state: object = None


class _Bytes:
    __slots__ = ("length", "offset")

    def __init__(self, offset: int, length: int) -> None:
        self.offset = offset
        self.length = length


class WalkError(Exception):
    """The stream is malformed at ``offset``."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def _qualify(module: str, name: str, protocol: int) -> tuple[str, str]:
    if protocol < 3:
        if (module, name) in NAME_MAPPING:
            module, name = NAME_MAPPING[(module, name)]
        elif module in IMPORT_MAPPING:
            module = IMPORT_MAPPING[module]
    return module, name


# Opcode kinds, ordered roughly by how often they occur in real files.
(
    _NUM,  # fixed-size argument, pushes a placeholder (floats, most ints)
    _INT,  # fixed-size little-endian int, pushes its value
    _MEMO_PUT,
    _TO_MARK,  # APPENDS, SETITEMS, ADDITEMS, POP_MARK, LIST, DICT, TUPLE, FROZENSET
    _MARK,
    _STR,  # length-prefixed strings and bytes
    _MEMO_GET,
    _PUSH,  # no argument, pushes a placeholder or constant
    _POP_PUSH,  # no argument, pops n, pushes placeholder (APPEND, SETITEM, TUPLEn, ...)
    _REDUCE,
    _BUILD,
    _NEWOBJ,
    _NEWOBJ_EX,
    _STACK_GLOBAL,
    _GLOBAL,
    _INST,
    _OBJ,
    _TEXT,  # newline-terminated argument (protocol 0 values, PUT/GET, PERSID)
    _POP,
    _DUP,
    _MEMOIZE,
    _EXT,
    _PROTO,
    _FRAME,
    _STOP,
    _BUFFER,
) = range(26)

_KIND: list[int] = [-1] * 256
_ARG: list[int] = [0] * 256  # fixed argument size, or size of the length prefix for _STR
_POPS: list[int] = [0] * 256
_PUSHES: list[int] = [0] * 256


def _define(codes: str, kind: int, arg: int = 0, pops: int = 0, pushes: int = 1) -> None:
    for ch in codes:
        op = ord(ch)
        _KIND[op] = kind
        _ARG[op] = arg
        _POPS[op] = pops
        _PUSHES[op] = pushes


_define("G", _NUM, 8)
_define("J", _INT, 4)
_define("K", _INT, 1)
_define("M", _INT, 2)
_define("q", _MEMO_PUT, 1)
_define("r", _MEMO_PUT, 4)
_define("eu\x90", _TO_MARK, 0, 1, 1)  # pops the container below the mark and pushes it back
_define("1", _TO_MARK, 0, 0, 0)
_define("ld\x91", _TO_MARK, 0, 0, 1)
_define("t", _TO_MARK, 0, 0, 1)
_define("(", _MARK)
_define("\x8cUC", _STR, 1)
_define("XTB", _STR, 4)
_define("\x8d\x8e\x96", _STR, 8)
_define("\x8a", _STR, 1)  # LONG1: length-prefixed little-endian int
_define("\x8b", _STR, 4)  # LONG4
_define("h", _MEMO_GET, 1)
_define("j", _MEMO_GET, 4)
_define("N\x88\x89])}\x8f", _PUSH)
_define("a", _POP_PUSH, 0, 2, 1)
_define("s", _POP_PUSH, 0, 3, 1)
_define("\x85", _POP_PUSH, 0, 1, 1)
_define("\x86", _POP_PUSH, 0, 2, 1)
_define("\x87", _POP_PUSH, 0, 3, 1)
_define("Q", _POP_PUSH, 0, 1, 1)
_define("R", _REDUCE)
_define("b", _BUILD)
_define("\x81", _NEWOBJ)
_define("\x92", _NEWOBJ_EX)
_define("\x93", _STACK_GLOBAL)
_define("c", _GLOBAL)
_define("i", _INST)
_define("o", _OBJ)
_define("ILSVFPpg", _TEXT)
_define("0", _POP)
_define("2", _DUP)
_define("\x94", _MEMOIZE)
_define("\x82", _EXT, 1)
_define("\x83", _EXT, 2)
_define("\x84", _EXT, 4)
_define("\x80", _PROTO, 1)
_define("\x95", _FRAME, 8)
_define(".", _STOP)
_define("\x97\x98", _BUFFER)

_NONE = ord("N")
_TRUE = 0x88
_FALSE = 0x89
_EMPTY_TUPLE = ord(")")
_EMPTY_DICT = ord("}")
_TUPLE_OPS = {0x85: 1, 0x86: 2, 0x87: 3}
_SETITEM = ord("s")
_SETITEMS = ord("u")
_TUPLE = ord("t")
_BYTES_OPS = frozenset((ord("C"), ord("B"), 0x8E, 0x96, ord("T"), ord("U")))
_STR_OPS = frozenset((0x8C, ord("X"), 0x8D))
_LONG_OPS = frozenset((0x8A, 0x8B))


def walk(
    data: Buffer,
    start: int = 0,
    end: int | None = None,
    *,
    joblib_arrays: bool = True,
    _depth: int = 0,
) -> WalkResult:
    """Walk one pickle starting at ``start``; stop after its ``STOP`` or at the first error.

    ``joblib_arrays``: read the stream as ``joblib.load`` does, stepping over the raw array data
    that follows each NumpyArrayWrapper; with False, as plain ``pickle.load`` does (which would
    execute those bytes as opcodes). Never raises for malformed input: the problem is returned
    in ``error`` / ``error_offset``.
    """
    result = WalkResult(start=start)
    limit = len(data) if end is None else min(end, len(data))
    try:
        _run(data, start, limit, result, _depth if joblib_arrays else -1)
    except WalkError as exc:
        result.error = str(exc)
        result.error_offset = exc.offset
        result.end = exc.offset
    except (IndexError, ValueError, TypeError, KeyError, OverflowError, RecursionError) as exc:
        # A malformed stream that fooled the simulation in a way we did not anticipate: report
        # it as broken at the last opcode instead of crashing the scan.
        result.error = f"malformed stream ({type(exc).__name__})"
        result.error_offset = result.end
    return result


def _run(data: Buffer, pos: int, limit: int, res: WalkResult, depth: int) -> None:
    """The simulation. ``depth`` < 0 means: do not interpret joblib's inline arrays."""
    kind_of = _KIND
    arg_of = _ARG
    pops_of = _POPS
    pushes_of = _PUSHES
    stack: list[Any] = []
    marks: list[int] = []
    memo: dict[int, Any] = {}
    append = stack.append
    globals_found = res.globals
    calls = res.calls
    protocol = 0
    count = 0

    def underflow(at: int, n: int = 1) -> None:
        floor = marks[-1] if marks else 0
        if len(stack) - floor < n:
            raise WalkError("stack underflow", at)

    def pop_mark(at: int) -> list[Any]:
        if not marks:
            raise WalkError("no MARK on the stack", at)
        k = marks.pop()
        items = stack[k:]
        del stack[k:]
        return items

    def call(func: object, args: object, at: int, opname: str) -> _Call:
        target = func.name if isinstance(func, _Global) else None
        calls.append(CallRef(target, at, opname))
        return _Call(func, args)

    while True:
        if pos >= limit:
            res.end = pos
            raise WalkError("stream ends without STOP", pos)
        op = data[pos]
        kind = kind_of[op]
        at = pos
        count += 1
        res.end = at
        if kind == _NUM:
            pos += 1 + arg_of[op]
            append(None)
        elif kind == _INT:
            n = arg_of[op]
            pos += 1 + n
            if pos > limit:
                raise WalkError("truncated argument", at)
            append(int.from_bytes(data[at + 1 : pos], "little", signed=(n == 4)))
        elif kind == _MEMO_PUT:
            n = arg_of[op]
            pos += 1 + n
            if not stack or len(stack) == (marks[-1] if marks else -1):
                raise WalkError("PUT with an empty stack", at)
            memo[int.from_bytes(data[at + 1 : pos], "little")] = stack[-1]
        elif kind == _TO_MARK:
            pos += 1
            items = pop_mark(at)
            below = pops_of[op]
            if below:
                if len(stack) - (marks[-1] if marks else 0) < below:
                    raise WalkError("stack underflow", at)
                target = stack[-1]
                if op == _SETITEMS and isinstance(target, dict):
                    if len(target) + len(items) // 2 <= MAX_TRACKED_ITEMS:
                        for i in range(0, len(items) - 1, 2):
                            key = items[i]
                            if isinstance(key, (str, int)):
                                target[key] = items[i + 1]
                    else:
                        stack[-1] = None
                elif op != _SETITEMS:
                    stack[-1] = None
            elif pushes_of[op]:
                if op == _TUPLE and len(items) <= MAX_TRACKED_ITEMS:
                    append(tuple(items))
                else:
                    append(None)
        elif kind == _MARK:
            pos += 1
            marks.append(len(stack))
        elif kind == _STR:
            n = arg_of[op]
            p = pos + 1 + n
            if p > limit:
                raise WalkError("truncated length", at)
            length = int.from_bytes(data[pos + 1 : p], "little", signed=(op == ord("T")))
            if length < 0:
                raise WalkError("negative length", at)
            pos = p + length
            if pos > limit:
                raise WalkError("data runs past the end of the stream", at)
            if op in _STR_OPS:
                if length <= MAX_NAME_LEN:
                    append(bytes(data[p:pos]).decode("utf-8", "surrogatepass"))
                else:
                    append(None)
            elif op in _LONG_OPS:
                append(int.from_bytes(data[p:pos], "little", signed=True) if length <= 16 else None)
            else:
                if length >= 4 and _looks_embedded(bytes(data[p : p + 4]), data[pos - 1]):
                    res.nested.append((p, length))
                if op in (ord("T"), ord("U")) and length <= MAX_NAME_LEN:
                    # protocol 1 strings: str for names used by GLOBAL-building tricks
                    append(bytes(data[p:pos]).decode("latin-1"))
                else:
                    append(_Bytes(p, length))
        elif kind == _MEMO_GET:
            n = arg_of[op]
            pos += 1 + n
            key = int.from_bytes(data[at + 1 : pos], "little")
            if key not in memo:
                raise WalkError(f"memo key {key} not found", at)
            append(memo[key])
        elif kind == _PUSH:
            pos += 1
            if op == _NONE:
                append(None)
            elif op == _TRUE:
                append(True)
            elif op == _FALSE:
                append(False)
            elif op == _EMPTY_TUPLE:
                append(())
            elif op == _EMPTY_DICT:
                append({})
            else:
                append(None)
        elif kind == _POP_PUSH:
            pos += 1
            n = pops_of[op]
            underflow(at, n)
            if op in _TUPLE_OPS:
                items = stack[-n:]
                del stack[-n:]
                append(tuple(items))
            elif op == _SETITEM:
                value = stack.pop()
                key = stack.pop()
                target = stack[-1]
                if isinstance(target, dict) and isinstance(key, (str, int)):
                    if len(target) < MAX_TRACKED_ITEMS:
                        target[key] = value
                    else:
                        stack[-1] = None
            elif op == ord("Q"):
                res.persistent_ids += 1
                stack[-1] = None
            else:  # APPEND
                del stack[-1]
                stack[-1] = None
        elif kind == _REDUCE:
            pos += 1
            underflow(at, 2)
            args = stack.pop()
            func = stack.pop()
            append(call(func, args, at, "REDUCE"))
        elif kind == _BUILD:
            pos += 1
            underflow(at, 2)
            state = stack.pop()
            obj = stack[-1]
            if isinstance(obj, _Global):
                # BUILD on an imported object sets attributes on a module-level function or
                # class: the attribute-injection gadget (e.g. numpy.prod.a = "os").
                res.mutated_globals.append((obj.name, at))
            elif isinstance(obj, _Call):
                obj.state = state
                func = obj.func
                if depth >= 0 and isinstance(func, _Global) and func.name in JOBLIB_ARRAY_WRAPPERS:
                    stack[-1] = None
                    pos = _skip_joblib_array(data, pos, limit, state, res, depth, at)
        elif kind == _NEWOBJ:
            pos += 1
            underflow(at, 2)
            args = stack.pop()
            cls = stack.pop()
            append(call(cls, args, at, "NEWOBJ"))
        elif kind == _NEWOBJ_EX:
            pos += 1
            underflow(at, 3)
            stack.pop()
            args = stack.pop()
            cls = stack.pop()
            append(call(cls, args, at, "NEWOBJ_EX"))
        elif kind == _STACK_GLOBAL:
            pos += 1
            underflow(at, 2)
            name = stack.pop()
            module = stack.pop()
            if isinstance(module, str) and isinstance(name, str):
                ref = GlobalRef(*_qualify(module, name, protocol), at, "STACK_GLOBAL")
                globals_found.append(ref)
                append(_Global(ref.name))
            else:
                res.dynamic_globals.append(at)
                append(None)
        elif kind in (_GLOBAL, _INST):
            module, name, pos = _two_lines(data, pos + 1, limit, at)
            opname = "GLOBAL" if kind == _GLOBAL else "INST"
            ref = GlobalRef(*_qualify(module, name, protocol), at, opname)
            globals_found.append(ref)
            if kind == _GLOBAL:
                append(_Global(ref.name))
            else:
                args = tuple(pop_mark(at))
                calls.append(CallRef(ref.name, at, "INST"))
                append(_Call(_Global(ref.name), args))
        elif kind == _OBJ:
            pos += 1
            items = pop_mark(at)
            if not items:
                raise WalkError("OBJ without a class", at)
            append(call(items[0], tuple(items[1:]), at, "OBJ"))
        elif kind == _TEXT:
            nl = data.find(b"\n", pos + 1, limit)
            if nl < 0:
                raise WalkError("unterminated text argument", at)
            text = bytes(data[pos + 1 : nl])
            pos = nl + 1
            _text_opcode(op, text, stack, memo, marks, at, res)
        elif kind == _POP:
            pos += 1
            if marks and len(stack) == marks[-1]:
                marks.pop()
            elif not stack:
                raise WalkError("POP from an empty stack", at)
            else:
                stack.pop()
        elif kind == _DUP:
            pos += 1
            underflow(at, 1)
            append(stack[-1])
        elif kind == _MEMOIZE:
            pos += 1
            underflow(at, 1)
            memo[len(memo)] = stack[-1]
        elif kind == _EXT:
            n = arg_of[op]
            pos += 1 + n
            code = int.from_bytes(data[at + 1 : pos], "little", signed=(n == 4))
            res.extensions.append((code, at))
            append(None)
        elif kind == _PROTO:
            pos += 2
            if pos > limit:
                raise WalkError("truncated PROTO", at)
            protocol = data[at + 1]
            if protocol > 5:
                raise WalkError(f"unsupported protocol {protocol}", at)
            if at == res.start:
                res.protocol = protocol
        elif kind == _FRAME:
            pos += 9
        elif kind == _STOP:
            underflow(at, 1)
            res.end = at + 1
            res.opcodes = count
            return
        elif kind == _BUFFER:
            pos += 1
            if op == 0x97:
                append(None)
            else:
                underflow(at, 1)
        else:
            raise WalkError(f"invalid opcode 0x{op:02x}", at)
        if pos > limit:
            raise WalkError("truncated argument", at)


def _text_opcode(
    op: int,
    text: bytes,
    stack: list[Any],
    memo: dict[int, Any],
    marks: list[int],
    at: int,
    res: WalkResult,
) -> None:
    """Protocol 0 opcodes whose argument is one line of text."""
    ch = chr(op)
    if ch == "p":
        if not stack or (marks and len(stack) == marks[-1]):
            raise WalkError("PUT with an empty stack", at)
        memo[_decimal(text, at)] = stack[-1]
    elif ch == "g":
        key = _decimal(text, at)
        if key not in memo:
            raise WalkError(f"memo key {key} not found", at)
        stack.append(memo[key])
    elif ch in "IL":
        stripped = text.rstrip(b"L")
        try:
            stack.append(int(stripped) if len(stripped) <= 32 else None)
        except ValueError:
            raise WalkError("invalid integer", at) from None
    elif ch == "F":
        stack.append(None)
    elif ch == "S":
        stack.append(_python_string(text, at))
    elif ch == "V":
        value = codecs.decode(text, "raw_unicode_escape") if len(text) <= MAX_NAME_LEN else None
        stack.append(value)
    elif ch == "P":
        res.persistent_ids += 1
        stack.append(None)


def _decimal(text: bytes, at: int) -> int:
    try:
        return int(text)
    except ValueError:
        raise WalkError("invalid memo key", at) from None


def _python_string(text: bytes, at: int) -> str | None:
    if len(text) < 2 or text[:1] not in (b"'", b'"') or text[-1:] != text[:1]:
        raise WalkError("STRING argument is not quoted", at)
    if len(text) > MAX_NAME_LEN:
        return None
    raw, _ = codecs.escape_decode(text[1:-1])
    return bytes(raw).decode("latin-1")


def _two_lines(data: Buffer, pos: int, limit: int, at: int) -> tuple[str, str, int]:
    first = data.find(b"\n", pos, min(limit, pos + MAX_NAME_LEN))
    if first < 0:
        raise WalkError("unterminated module name", at)
    second = data.find(b"\n", first + 1, min(limit, first + 1 + MAX_NAME_LEN))
    if second < 0:
        raise WalkError("unterminated global name", at)
    try:
        module = bytes(data[pos:first]).decode("utf-8")
        name = bytes(data[first + 1 : second]).decode("utf-8")
    except UnicodeDecodeError:
        raise WalkError("global name is not UTF-8", at) from None
    return module, name, second + 1


# -- joblib's inline arrays ---------------------------------------------------------------------

_DTYPE_SIZES = {"b": 1, "?": 1, "B": 1, "h": 2, "H": 2, "e": 2, "f": 4, "i": 4, "I": 4, "d": 8}


def _dtype_itemsize(dtype: object) -> tuple[int, bool] | None:
    """(itemsize, is_object) of a numpy dtype rebuilt by ``numpy.dtype(<str>, ...)`` + BUILD."""
    if not isinstance(dtype, _Call) or not isinstance(dtype.args, tuple) or not dtype.args:
        return None
    code = dtype.args[0]
    if not isinstance(code, str):
        return None
    code = code.lstrip("<>|=")
    if code.startswith("O"):
        return 8, True
    digits = "".join(ch for ch in code if ch.isdigit())
    kind = code[:1]
    size = int(digits) if digits else _DTYPE_SIZES.get(kind, 0)
    if kind == "U" and digits:
        size *= 4
    state = dtype.state
    known = isinstance(state, tuple) and len(state) >= 6 and isinstance(state[5], int)
    if known and state[5] > 0:  # type: ignore[index]
        size = state[5]  # type: ignore[index]  # flexible and structured dtypes: element size
    elif isinstance(state, tuple) and len(state) >= 4 and state[3] is not None and not digits:
        return None  # a structured dtype whose size we could not learn: give up, do not guess
    return (size, False) if size > 0 else None


def _skip_joblib_array(
    data: Buffer, pos: int, limit: int, state: object, res: WalkResult, depth: int, at: int
) -> int:
    """joblib writes array bytes straight into the pickle stream after a NumpyArrayWrapper's
    BUILD (object arrays as a nested pickle). Step over them exactly as joblib reads them."""
    if not isinstance(state, dict):
        raise WalkError("joblib array wrapper without a readable state", at)
    shape = state.get("shape")
    info = _dtype_itemsize(state.get("dtype"))
    if not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise WalkError("joblib array wrapper with an unreadable shape", at)
    if info is None:
        raise WalkError("joblib array wrapper with an unreadable dtype", at)
    itemsize, is_object = info
    if is_object:
        if depth >= MAX_INLINE_DEPTH:
            raise WalkError("joblib object arrays nested too deeply", at)
        inner = walk(data, pos, limit, _depth=depth + 1)
        res.globals.extend(inner.globals)
        res.calls.extend(inner.calls)
        res.dynamic_globals.extend(inner.dynamic_globals)
        res.extensions.extend(inner.extensions)
        res.nested.extend(inner.nested)
        if inner.error is not None:
            raise WalkError(f"in joblib object array: {inner.error}", inner.error_offset or pos)
        return inner.end
    count = 1
    for n in shape:
        count *= n
    if "numpy_array_alignment_bytes" in state and state["numpy_array_alignment_bytes"] is not None:
        if pos >= limit:
            raise WalkError("joblib array padding missing", at)
        pos += 1 + data[pos]
    pos += count * itemsize
    if pos > limit:
        raise WalkError("joblib array data runs past the end of the stream", at)
    return pos
