"""How CPython's C unpickler splits a pickle stream into opcodes and arguments.

The scanner runs CPython's own unpickler over every stream (:mod:`nbsec.models.pickle_replay`);
this module only says where each opcode's argument ends, exactly as ``Modules/_pickle.c`` reads
it, so that the reader feeding the unpickler can

* refuse an opcode that would make the unpickler allocate without bound before it reads anything
  (a memo index of 2**30 makes ``_Unpickler_ResizeMemoList`` zero-fill gigabytes; a declared
  length of 2**40 allocates before the read fails);
* walk the contents of a ``FRAME`` (which the unpickler consumes from its own buffer, unseen by
  the reader) and notice an opcode or argument that crosses the frame's end, or a frame opened
  inside another. Python's pickler never writes either; CPython before 3.13.15 / 3.14.7 reads
  across the boundary where the pure-Python unpickler (joblib, pandas' fallback) and
  ``pickletools`` do not, so such a stream does different things under different loaders
  (python/cpython#154848).

Nothing here interprets values: it is byte arithmetic over a buffer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# argument kinds
FIXED, COUNTED, LINE, TWO_LINES, NONE = range(5)
# how the unpickler reads a counted payload: into a preallocated object (bytes, bytearray) or
# through its input buffer (str, bytes of protocol 1 strings, long)
READ, READINTO = 0, 1

# opcode -> (kind, size): FIXED size bytes; COUNTED: size of the length field
_ARGS: dict[int, tuple[int, int, int, bool]] = {}


def _op(codes: bytes, kind: int, size: int = 0, payload: int = READ, signed: bool = False) -> None:
    for code in codes:
        _ARGS[code] = (kind, size, payload, signed)


_op(b"J", FIXED, 4)  # BININT
_op(b"K", FIXED, 1)  # BININT1
_op(b"M", FIXED, 2)  # BININT2
_op(b"G", FIXED, 8)  # BINFLOAT
_op(b"q", FIXED, 1)  # BINPUT
_op(b"r", FIXED, 4)  # LONG_BINPUT
_op(b"h", FIXED, 1)  # BINGET
_op(b"j", FIXED, 4)  # LONG_BINGET
_op(b"\x80", FIXED, 1)  # PROTO
_op(b"\x82", FIXED, 1)  # EXT1
_op(b"\x83", FIXED, 2)  # EXT2
_op(b"\x84", FIXED, 4)  # EXT4
_op(b"\x95", FIXED, 8)  # FRAME
_op(b"T", COUNTED, 4)  # BINSTRING (C reads the length unsigned on 64-bit builds)
_op(b"U", COUNTED, 1)  # SHORT_BINSTRING
_op(b"X", COUNTED, 4)  # BINUNICODE
_op(b"\x8c", COUNTED, 1)  # SHORT_BINUNICODE
_op(b"\x8d", COUNTED, 8)  # BINUNICODE8
_op(b"\x8a", COUNTED, 1)  # LONG1
_op(b"\x8b", COUNTED, 4, READ, True)  # LONG4 (signed length)
_op(b"C", COUNTED, 1, READINTO)  # SHORT_BINBYTES
_op(b"B", COUNTED, 4, READINTO)  # BINBYTES
_op(b"\x8e", COUNTED, 8, READINTO)  # BINBYTES8
_op(b"\x96", COUNTED, 8, READINTO)  # BYTEARRAY8
_op(b"ILFSVPpg", LINE)  # INT LONG FLOAT STRING UNICODE PERSID PUT GET
_op(b"ci", TWO_LINES)  # GLOBAL INST
_op(b"(.012N)]}abdelostuR\x81\x85\x86\x87\x88\x89\x8f\x90\x91\x92\x93\x94\x97\x98Q", NONE)

PROTO, FRAME, STOP = 0x80, 0x95, ord(".")
PUT, BINPUT, LONG_BINPUT, MEMOIZE = ord("p"), ord("q"), ord("r"), 0x94
GLOBAL_OPS = frozenset(b"ci\x93\x82\x83\x84")
PY_SSIZE_T_MAX = (1 << 63) - 1

NAMES = {
    0x80: "PROTO",
    0x95: "FRAME",
    ord("c"): "GLOBAL",
    ord("i"): "INST",
    0x93: "STACK_GLOBAL",
    0x82: "EXT1",
    0x83: "EXT2",
    0x84: "EXT4",
    ord("R"): "REDUCE",
    0x81: "NEWOBJ",
    0x92: "NEWOBJ_EX",
    ord("o"): "OBJ",
    ord("b"): "BUILD",
    ord("."): "STOP",
}


@dataclass(frozen=True)
class Token:
    """One opcode and its argument: ``data[start:end]``. ``payload`` is the counted payload span
    (offset, length) for strings and bytes; ``value`` the integer argument of fixed-size opcodes
    and of PUT/GET lines (``None`` when the line is not an integer)."""

    op: int
    start: int
    end: int
    payload: tuple[int, int] | None = None
    value: int | None = None
    readinto: bool = False

    @property
    def name(self) -> str:
        return NAMES.get(self.op, chr(self.op) if 32 < self.op < 127 else f"0x{self.op:02x}")


class Straddle(Exception):
    """The token at ``start`` needs bytes beyond the end of the buffer it is read from."""

    def __init__(self, start: int, op: int) -> None:
        super().__init__(f"opcode at byte {start} runs past the end of its frame")
        self.start = start
        self.op = op


class BadToken(Exception):
    """The unpickler would reject the token at ``start`` (unknown opcode, negative length...)."""

    def __init__(self, start: int, reason: str) -> None:
        super().__init__(reason)
        self.start = start


def is_opcode(op: int) -> bool:
    return op in _ARGS


class TooLong(Exception):
    """A text argument longer than the caller's bound (no newline found within it)."""


def token_at(data: Any, pos: int, limit: int, max_line: int = 16 << 20) -> Token:
    """The token starting at ``pos`` when the unpickler reads from a buffer that ends at
    ``limit`` (a frame's end, or the end of the data). Raises :class:`Straddle` if the token
    does not fit, :class:`BadToken` if the unpickler would reject it."""
    if pos >= limit:
        raise Straddle(pos, -1)
    op = data[pos]
    spec = _ARGS.get(op)
    if spec is None:
        raise BadToken(pos, f"invalid opcode 0x{op:02x}")
    kind, size, payload_kind, signed = spec
    arg = pos + 1
    if kind == NONE:
        return Token(op, pos, arg)
    if kind == FIXED:
        end = arg + size
        if end > limit:
            raise Straddle(pos, op)
        value = int.from_bytes(data[arg:end], "little", signed=(op == ord("J")))
        return Token(op, pos, end, value=value)
    if kind == COUNTED:
        body = arg + size
        if body > limit:
            raise Straddle(pos, op)
        length = int.from_bytes(data[arg:body], "little", signed=signed)
        if length < 0:
            raise BadToken(pos, "negative length")
        if length > PY_SSIZE_T_MAX:
            raise BadToken(pos, "length beyond the platform's maximum")
        end = body + length
        if end > limit:
            raise Straddle(pos, op)
        return Token(op, pos, end, payload=(body, length), readinto=payload_kind == READINTO)
    # LINE / TWO_LINES: the unpickler looks for b"\n" in what it has buffered
    window = min(limit, arg + max_line)
    first = data.find(b"\n", arg, window)
    if first < 0:
        if window < limit:
            raise TooLong(f"a line longer than {max_line} bytes at {pos}")
        raise Straddle(pos, op)
    if kind == TWO_LINES:
        window = min(limit, first + 1 + max_line)
        second = data.find(b"\n", first + 1, window)
        if second < 0:
            if window < limit:
                raise TooLong(f"a line longer than {max_line} bytes at {pos}")
            raise Straddle(pos, op)
        return Token(op, pos, second + 1)
    line_value: int | None = None
    if op in (PUT, ord("g")):
        try:
            line_value = int(bytes(data[arg:first]))
        except ValueError:
            line_value = None
    return Token(op, pos, first + 1, payload=(arg, first - arg), value=line_value)


def memo_index(token: Token) -> int | None:
    """The memo slot a PUT-family token writes (None for other tokens)."""
    if token.op in (PUT, BINPUT, LONG_BINPUT):
        return token.value
    return None


# -- a fast walk over a buffer (the contents of a FRAME) ---------------------------------------

_FIXED_SIZE = [-1] * 256
_COUNT_SIZE = [0] * 256
_LINES = [0] * 256
_NO_ARG = [False] * 256
for _code, (_kind, _size, _payload, _signed) in _ARGS.items():
    if _kind == FIXED:
        _FIXED_SIZE[_code] = _size
    elif _kind == COUNTED:
        _COUNT_SIZE[_code] = _size
    elif _kind == LINE:
        _LINES[_code] = 1
    elif _kind == TWO_LINES:
        _LINES[_code] = 2
    else:
        _NO_ARG[_code] = True
_STACK_GLOBAL = 0x93
_STRING_PAYLOAD = frozenset(b"TUX\x8c\x8d")
_BYTES_PAYLOAD = frozenset(b"CB\x8e\x96")


@dataclass
class BufferWalk:
    """What :func:`walk_buffer` found in a buffer. ``stopped_at`` is the offset of the first
    token the unpickler must not be given (a straddle, a limit), ``end`` where the walk ended."""

    end: int
    tokens: int = 0
    puts: int = 0
    proto: int = -1
    globals: list[tuple[int, int]] | None = None  # (offset, protocol in force)
    extensions: list[tuple[int, int]] | None = None  # (code, offset)
    payloads: list[tuple[int, int, bool]] | None = None  # (offset, length, is text)
    anomalies: list[tuple[int, str]] | None = None
    stopped_at: int | None = None
    stop_reason: tuple[str, str] | None = None


def walk_buffer(
    data: bytes,
    base: int,
    *,
    proto: int,
    puts: int,
    max_text: int,
    memo_slack: int,
    max_tokens: int,
) -> BufferWalk:
    """Walk ``data`` (a frame's bytes, found at offset ``base`` of the stream) token by token
    as the C unpickler consumes its input buffer. Hand-inlined: frames hold most of a pickle's
    opcodes."""
    out = BufferWalk(
        end=base, proto=proto, puts=puts, globals=[], extensions=[], payloads=[], anomalies=[]
    )
    fixed, count_size, lines, no_arg = _FIXED_SIZE, _COUNT_SIZE, _LINES, _NO_ARG
    stop = len(data)
    pos = 0
    tokens = 0
    find = data.find
    while pos < stop:
        op = data[pos]
        arg = pos + 1
        if no_arg[op]:
            nxt = arg
            if op == MEMOIZE:
                puts += 1
            elif op == _STACK_GLOBAL:
                out.globals.append((base + pos, proto))  # type: ignore[union-attr]
            elif op == STOP:
                tokens += 1
                if arg != stop:
                    out.anomalies.append((base + pos, "STOP inside a FRAME with bytes after it"))  # type: ignore[union-attr]
                pos = arg
                break
        elif fixed[op] >= 0:
            nxt = arg + fixed[op]
            if nxt > stop:
                out.anomalies.append((base + pos, "an opcode crosses the end of its FRAME"))  # type: ignore[union-attr]
                out.stopped_at, out.stop_reason = base + pos, ("anomaly", "frame boundary")
                break
            if op in (BINPUT, LONG_BINPUT):
                index = int.from_bytes(data[arg:nxt], "little")
                if index > 2 * puts + memo_slack:
                    out.stopped_at = base + pos
                    out.stop_reason = (
                        "limit",
                        f"memo index {index} after {puts} memo writes (a memory bomb)",
                    )
                    break
                puts += 1
            elif op == PROTO:
                proto = data[arg]
            elif op == FRAME:
                length = int.from_bytes(data[arg:nxt], "little")
                out.anomalies.append((base + pos, "a FRAME opens inside another FRAME"))  # type: ignore[union-attr]
                if nxt + length > stop:
                    out.stopped_at, out.stop_reason = base + pos, ("anomaly", "frame boundary")
                    break
            elif 0x82 <= op <= 0x84:
                code = int.from_bytes(data[arg:nxt], "little")
                out.extensions.append((code, base + pos))  # type: ignore[union-attr]
        elif count_size[op]:
            body = arg + count_size[op]
            if body > stop:
                out.anomalies.append((base + pos, "an opcode crosses the end of its FRAME"))  # type: ignore[union-attr]
                out.stopped_at, out.stop_reason = base + pos, ("anomaly", "frame boundary")
                break
            length = int.from_bytes(data[arg:body], "little", signed=(op == 0x8B))
            if length < 0:
                break  # the unpickler rejects it by itself
            nxt = body + length
            if nxt > stop:
                out.anomalies.append((base + pos, "an opcode crosses the end of its FRAME"))  # type: ignore[union-attr]
                out.stopped_at, out.stop_reason = base + pos, ("anomaly", "frame boundary")
                break
            if length > max_text and op not in _BYTES_PAYLOAD:
                out.stopped_at = base + pos
                out.stop_reason = ("limit", f"a {length}-byte argument (limit {max_text})")
                break
            if length >= 4 and (op in _STRING_PAYLOAD or op in _BYTES_PAYLOAD):
                out.payloads.append((base + body, length, op in _STRING_PAYLOAD))  # type: ignore[union-attr]
        elif lines[op]:
            first = find(b"\n", arg, stop)
            if first < 0 or (lines[op] == 2 and find(b"\n", first + 1, stop) < 0):
                out.anomalies.append((base + pos, "an opcode crosses the end of its FRAME"))  # type: ignore[union-attr]
                out.stopped_at, out.stop_reason = base + pos, ("anomaly", "frame boundary")
                break
            if lines[op] == 2:
                nxt = find(b"\n", first + 1, stop) + 1
                out.globals.append((base + pos, proto))  # type: ignore[union-attr]
            else:
                nxt = first + 1
                if op == PUT:
                    try:
                        index = int(data[arg:first])
                    except ValueError:
                        index = 0
                    if index > 2 * puts + memo_slack:
                        out.stopped_at = base + pos
                        out.stop_reason = (
                            "limit",
                            f"memo index {index} after {puts} memo writes (a memory bomb)",
                        )
                        break
                    puts += 1
                elif op in b"SV" and first - arg >= 4:
                    out.payloads.append((base + arg, first - arg, True))  # type: ignore[union-attr]
            if nxt - pos > max_text + 16:
                out.stopped_at = base + pos
                out.stop_reason = ("limit", f"a {nxt - pos}-byte argument (limit {max_text})")
                break
        else:
            break  # invalid opcode: the unpickler stops here by itself
        tokens += 1
        if tokens > max_tokens:
            out.stopped_at, out.stop_reason = base + pos, ("limit", "too many opcodes")
            break
        pos = nxt
    out.end = base + pos
    out.tokens = tokens
    out.puts = puts
    out.proto = proto
    return out
