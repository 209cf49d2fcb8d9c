"""Run CPython's own unpickler over a stream, with every global replaced by an inert stand-in.

This is how the scanner decides what a pickle does: not by re-implementing the unpickler, but by
running the one the loaders run (``_pickle.Unpickler``, the C implementation behind
``pickle.load``/``loads``, ``torch.load``, ``numpy.load``, ``pandas.read_pickle``, dill and
cloudpickle; and ``pickle._Unpickler``, the pure-Python one behind ``joblib.load`` and pandas'
fallback) with ``find_class``, ``persistent_load`` and the extension registry answering with
stand-ins from :mod:`nbsec.models.inert`. Every callable a stream can reach comes through those
hooks, so the unpickler's own parser, stack, memo and dispatch decide what is imported and what
is called, and nothing runs.

The unpickler reads through :class:`_StreamReader`, a file object over the scanned buffer that
the C unpickler uses like ``pickle.load`` uses a non-peekable stream (``io.BytesIO``, which is
what ``torch.load`` hands it). The reader serves exactly the token the unpickler asks for, as
:mod:`nbsec.models.pickle_tokens` predicts it, and so bounds time and memory:

* a memo index far beyond the number of memo writes so far, a ``FRAME``, line or string larger
  than the limits, more opcodes than the limit: the opcode is not served (inside a frame, its
  first byte is served as an invalid opcode), the unpickler stops there and the limit is a
  finding;
* ``bytes`` payloads above one megabyte are never copied: the unpickler allocates them (untouched
  pages cost no memory) and ``readinto`` reports them read;
* the contents of every ``FRAME`` are walked before the unpickler gets them: an opcode that
  crosses the frame's end, or a frame opened inside a frame, is where loaders part ways
  (python/cpython#154848). It is served as an invalid opcode, so the unpickler stops exactly
  there, and it is a finding of its own.

Without such an anomaly ``pickle.load`` on a file, on a peekable file and ``pickle.loads`` read
the same opcodes (framing is then only buffering), so one run answers for all of them.
"""

from __future__ import annotations

import _pickle
import contextlib
import copyreg
import pickle
import secrets
import struct
import threading
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from nbsec.models import inert
from nbsec.models.pickle_tokens import (
    FRAME,
    GLOBAL_OPS,
    MEMOIZE,
    PROTO,
    STOP,
    BadToken,
    Straddle,
    Token,
    TooLong,
    memo_index,
    token_at,
    walk_buffer,
)

_INVALID = b"\xff"  # served in place of an opcode the unpickler must not execute
_PAYLOAD_OPS = frozenset(b"TUX\x8c\x8dCB\x8e\x96")
_TEXT_LINE_OPS = frozenset(b"SV")
_BIGGEST_PICKLE_PROTOCOL = 5


@dataclass(frozen=True)
class ReplayLimits:
    """Bounds on one unpickler run. Hitting one stops the run and is a finding."""

    max_tokens: int = 1_000_000  # opcodes (each may build an object the unpickler keeps)
    max_events: int = 500_000  # operations on stand-ins
    max_frame: int = 16 << 20
    max_text: int = 16 << 20  # one line, string, or long
    no_touch: int = 1 << 20  # bytes payloads above this are not copied
    memo_slack: int = 1 << 16  # memo index allowed beyond twice the memo writes so far


@dataclass
class Replay:
    """What one run of an unpickler over a stream did."""

    engine: str  # "c" | "python" | "joblib"
    start: int
    end: int = 0  # offset after STOP, or where the run stopped
    ok: bool = False
    error: str | None = None
    error_offset: int | None = None
    stop_kind: str | None = None  # malformed | truncated | limit | anomaly | desync | computed
    events: list[inert.Event] = field(default_factory=list)
    anomalies: list[tuple[int, str]] = field(default_factory=list)
    limits: list[tuple[int, str]] = field(default_factory=list)
    payloads: list[tuple[int, int, bool]] = field(default_factory=list)  # offset, length, text
    extensions: list[tuple[int, int]] = field(default_factory=list)  # code, offset
    side_files: list[tuple[str, str, int]] = field(default_factory=list)  # class, file, offset
    computed: list[tuple[str, int]] = field(default_factory=list)  # what, offset
    protocol: int = 0
    tokens: int = 0
    value: int | None = None  # what the stream unpickled to, when that is a plain int
    uses_lost: bool = False  # call arguments too large to list their stand-ins in full
    nonce: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    def payload_span(self, obj: Any) -> tuple[int, int] | None:
        """(offset, length) in the scanned buffer of a large bytes payload the run did not copy:
        a :class:`BigBytes` marker, or a bytes object whose first bytes carry this run's nonce
        (written by the reader, so a stream cannot forge it)."""
        if isinstance(obj, BigBytes):
            return obj.offset, obj.length
        if isinstance(obj, bytes) and len(obj) >= 24 and obj[:16] == self.nonce:
            return int.from_bytes(obj[16:24], "little"), len(obj)
        return None


class _Stop(Exception):
    """Raised by the reader to stop the unpickler; carries why."""

    def __init__(self, kind: str, message: str, offset: int) -> None:
        super().__init__(message)
        self.kind = kind
        self.offset = offset


# -- the reader ---------------------------------------------------------------------------------


class _StreamReader:
    """A file object over ``data[start:end]`` for the C unpickler (no ``peek``, so every read is
    exact and the unpickler asks for each token outside a frame)."""

    def __init__(self, data: Any, start: int, end: int, limits: ReplayLimits, replay: Replay):
        self.data = data
        self.pos = start
        self.end = end
        self.limits = limits
        self.replay = replay
        self.tok_start = start
        self.tok_end = start
        self.frame_next: int | None = None
        self.patched: dict[int, tuple[str, str]] = {}  # offset -> (kind, reason)
        self.puts = 0
        self.proto = 0
        self.global_tokens: deque[tuple[int, int]] = deque()  # (offset, protocol)

    # the file protocol the unpickler uses ------------------------------------------------------
    def read(self, n: int) -> bytes:
        if n <= 0:
            return b""
        if self.pos >= self.tok_end:
            if self.frame_next is not None:
                return self._serve_frame(n)
            if n != 1:
                raise self._desync(f"read({n}) at an opcode boundary")
            self._next_token()
        if self.pos + n > self.tok_end:
            raise self._desync(f"read({n}) beyond the token ending at {self.tok_end}")
        chunk = bytes(self.data[self.pos : self.pos + n])
        self.pos += n
        return chunk

    def readline(self) -> bytes:
        if self.pos >= self.tok_end:
            raise self._desync("readline() at an opcode boundary")
        nl = self.data.find(b"\n", self.pos, self.tok_end)
        if nl < 0:
            raise self._desync("readline() without a line in the token")
        chunk = bytes(self.data[self.pos : nl + 1])
        self.pos = nl + 1
        return chunk

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        n = view.nbytes
        if n == 0:
            return 0
        if self.pos >= self.tok_end or self.pos + n > self.tok_end:
            raise self._desync(f"readinto({n}) outside the token")
        if n <= self.limits.no_touch:
            view.cast("B")[:] = self.data[self.pos : self.pos + n]
        else:
            # larger payloads stay untouched but for a tag saying where they lie in the buffer
            view.cast("B")[:24] = self.replay.nonce + self.pos.to_bytes(8, "little")
        self.pos += n
        return n

    # tokens ---------------------------------------------------------------------------------
    def _desync(self, what: str) -> _Stop:
        return _Stop("desync", f"the unpickler read the stream unexpectedly: {what}", self.pos)

    def _next_token(self) -> None:
        try:
            token = token_at(self.data, self.pos, self.end, self.limits.max_text)
        except TooLong as exc:
            raise _Stop("limit", str(exc), self.pos) from None
        except Straddle:
            raise _Stop("truncated", "stream ends inside an opcode", self.pos) from None
        except BadToken as exc:
            raise _Stop("malformed", str(exc), exc.start) from None
        problem = self._check(token)
        if problem is not None:
            raise _Stop(problem[0], problem[1], token.start)
        self._account(token)
        self.tok_start = token.start
        self.tok_end = token.end
        if token.op == FRAME:
            length = token.value or 0
            if length > self.limits.max_frame:
                raise _Stop(
                    "limit", f"FRAME of {length} bytes (limit {self.limits.max_frame})", token.start
                )
            if token.end + length > self.end:
                raise _Stop("truncated", "FRAME runs past the end of the stream", token.start)
            self.frame_next = length if length else None

    def _check(self, token: Token) -> tuple[str, str] | None:
        """A reason to stop before the unpickler executes ``token``, or None."""
        limits = self.limits
        if self.replay.tokens >= limits.max_tokens:
            return "limit", f"more than {limits.max_tokens} opcodes"
        index = memo_index(token)
        if index is not None and index > 2 * self.puts + limits.memo_slack:
            return "limit", f"memo index {index} after {self.puts} memo writes (a memory bomb)"
        if token.payload is not None:
            length = token.payload[1]
            if token.readinto:
                return None  # a bytes payload served without copying: its size costs nothing
            if length > limits.max_text:
                return "limit", f"a {length}-byte argument (limit {limits.max_text})"
        if token.end - token.start > limits.max_text + 16:
            return "limit", f"a {token.end - token.start}-byte argument (limit {limits.max_text})"
        return None

    def _account(self, token: Token) -> None:
        replay = self.replay
        replay.tokens += 1
        op = token.op
        if memo_index(token) is not None or op == MEMOIZE:
            self.puts += 1
        if op == PROTO:
            self.proto = token.value or 0
            if token.start == replay.start:
                replay.protocol = self.proto
        elif op in GLOBAL_OPS:
            if op >= 0x82 and op <= 0x84:
                replay.extensions.append((token.value or 0, token.start))
            else:
                self.global_tokens.append((token.start, self.proto))
        if token.payload is not None and token.payload[1] >= 4:
            if op in _PAYLOAD_OPS:
                replay.payloads.append((token.payload[0], token.payload[1], op in b"TUX\x8c\x8d"))
            elif op in _TEXT_LINE_OPS:
                replay.payloads.append((token.payload[0], token.payload[1], True))

    def _serve_frame(self, n: int) -> bytes:
        if n != self.frame_next:
            raise self._desync(f"read({n}) where a FRAME of {self.frame_next} bytes follows")
        self.frame_next = None
        start, stop = self.pos, self.pos + n
        chunk = bytes(self.data[start:stop])
        replay, limits = self.replay, self.limits
        walk = walk_buffer(
            chunk,
            start,
            proto=self.proto,
            puts=self.puts,
            max_text=limits.max_text,
            memo_slack=limits.memo_slack,
            max_tokens=max(0, limits.max_tokens - replay.tokens),
        )
        replay.tokens += walk.tokens
        self.puts = walk.puts
        self.proto = walk.proto
        self.global_tokens.extend(walk.globals or ())
        replay.extensions.extend(walk.extensions or ())
        replay.payloads.extend(walk.payloads or ())
        replay.anomalies.extend(walk.anomalies or ())
        if walk.stopped_at is not None and walk.stop_reason is not None:
            # the unpickler gets an invalid opcode there and stops exactly before it
            self.patched[walk.stopped_at] = walk.stop_reason
            i = walk.stopped_at - start
            chunk = chunk[:i] + _INVALID + chunk[i + 1 :]
        self.tok_start = start
        self.pos = self.tok_end = stop
        return chunk

    def _anomaly(self, offset: int, reason: str) -> None:
        self.replay.anomalies.append((offset, reason))

    def next_global(self) -> tuple[int, int]:
        if self.global_tokens:
            return self.global_tokens.popleft()
        return self.pos, self.proto


class _PlainReader:
    """A file object for the pure-Python unpickler: reads are bounded, large byte payloads are
    handed out as :class:`BigBytes` markers instead of copies."""

    def __init__(self, data: Any, start: int, end: int, limits: ReplayLimits) -> None:
        self.data = data
        self.pos = start
        self.end = end
        self.limits = limits

    def read(self, n: int = -1) -> bytes:
        available = self.end - self.pos if n < 0 else min(n, self.end - self.pos)
        if available > self.limits.max_text:
            raise _Stop("limit", f"a {n}-byte read (limit {self.limits.max_text})", self.pos)
        chunk = bytes(self.data[self.pos : min(self.end, self.pos + n)])
        self.pos += len(chunk)
        return chunk

    def readline(self) -> bytes:
        stop = min(self.end, self.pos + self.limits.max_text)
        nl = self.data.find(b"\n", self.pos, stop)
        if nl < 0 and stop < self.end:
            raise _Stop("limit", f"a line longer than {self.limits.max_text} bytes", self.pos)
        last = stop if nl < 0 else nl + 1
        chunk = bytes(self.data[self.pos : last])
        self.pos = last
        return chunk

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        chunk = self.read(min(view.nbytes, self.limits.max_text))
        view[: len(chunk)] = chunk
        return len(chunk)

    def payload(self, n: int) -> Any:
        """A counted bytes payload: real bytes when small, a marker when large."""
        if n <= self.limits.no_touch:
            chunk = bytes(self.data[self.pos : min(self.end, self.pos + n)])
            self.pos += len(chunk)
            return chunk
        if self.pos + n > self.end:
            raise _Stop("truncated", "a bytes payload runs past the end of the stream", self.pos)
        marker = BigBytes(self.pos, n)
        self.pos += n
        return marker

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > self.end:
            raise _Stop("truncated", "array data runs past the end of the stream", self.pos)
        self.pos += n

    def tell(self) -> int:
        return self.pos


@dataclass(frozen=True)
class BigBytes:
    """A bytes payload the pure-Python run did not copy."""

    offset: int
    length: int


# -- the extension registry ---------------------------------------------------------------------

_registry_lock = threading.Lock()


@contextlib.contextmanager
def _private_extension_cache() -> Iterator[None]:
    """The C unpickler consults copyreg's process-wide extension cache before ``find_class``
    and stores what ``find_class`` returned in it. While a scan runs, the cache is emptied (so a
    cached real object is never handed to the scan) and afterwards put back exactly (so no
    stand-in stays in it). With no registered extension codes (the usual case) the unpickler
    fails on an extension code before touching the cache, and nothing needs doing."""
    if not copyreg._inverted_registry and not copyreg._extension_cache:  # type: ignore[attr-defined]
        yield
        return
    with _registry_lock:
        cache: dict[int, Any] = copyreg._extension_cache  # type: ignore[attr-defined]
        saved = dict(cache)
        cache.clear()
        try:
            yield
        finally:
            cache.clear()
            cache.update(saved)


# -- the engines --------------------------------------------------------------------------------


def _map_name(module: str, name: str, proto: int) -> tuple[str, str]:
    if proto < 3:
        if (module, name) in NAME_MAPPING:
            mapped: tuple[str, str] = NAME_MAPPING[(module, name)]
            return mapped
        if module in IMPORT_MAPPING:
            return IMPORT_MAPPING[module], name
    return module, name


class PersistentIds:
    """How a loader treats persistent ids: ``torch`` answers them, plain ``pickle`` fails."""

    def __init__(self, answered: bool) -> None:
        self.answered = answered


def _c_unpickler(trace: inert.Trace, reader: _StreamReader, persistent: bool) -> Any:
    class _Unpickler(_CBase):  # type: ignore[misc]
        def find_class(self, module: str, name: str) -> Any:
            if not isinstance(module, str) or not isinstance(name, str):
                raise pickle.UnpicklingError("find_class needs str arguments")
            offset, proto = reader.next_global()
            return _import(trace, module, name, proto, offset)

        def persistent_load(self, pid: Any) -> Any:
            ref = trace.persistent(pid)
            if not persistent:
                raise pickle.UnpicklingError(
                    "A load persistent id instruction was encountered, but no "
                    "persistent_load function was specified."
                )
            return ref

    return _Unpickler(reader, encoding="latin1")


def _import(trace: inert.Trace, module: str, name: str, proto: int, offset: int) -> Any:
    mapped = _map_name(module, name, proto)
    ref = trace.global_ref(*mapped)
    event = trace.events[-1]
    event.offset = offset
    if mapped != (module, name):
        event.args = (*mapped, f"{module}.{name}")
    return ref


def replay_c(
    data: Any,
    start: int,
    end: int,
    *,
    limits: ReplayLimits | None = None,
    persistent: bool = False,
) -> Replay:
    """Run the C unpickler over ``data[start:end]`` with stand-ins; never raises."""
    limits = limits or ReplayLimits()
    replay = Replay(engine="c", start=start)
    reader = _StreamReader(data, start, end, limits, replay)
    trace = inert.Trace(position=lambda: reader.pos, limit=limits.max_events)
    unpickler = _c_unpickler(trace, reader, persistent)
    try:
        with _private_extension_cache():
            loaded = unpickler.load()
        if type(loaded) is int:
            replay.value = loaded
        replay.ok = True
        replay.end = reader.pos
    except Exception as exc:  # ours (a limit) or the unpickler's own verdict on the stream
        if _stopped_by_limit(replay, exc, reader.pos):
            return replay
        patched = _patched_at(reader)
        message = str(exc)
        if patched is not None and "invalid load key" in message:
            _stopped(replay, patched[1][0], patched[1][1], patched[0])
        elif any(m in message for m in _NEEDS_CONCRETE) and any(
            e.kind in ("call", "new") for e in trace.events
        ):
            # a value the stream computed (a stand-in here, a real object in the loader) where
            # the unpickler needs a str, tuple or dict: what is imported or called next depends
            # on running the stream
            replay.computed.append(
                (f"a value computed while loading feeds {message}", reader.tok_start)
            )
            _stopped(replay, "computed", _describe(exc), reader.tok_start)
        else:
            _stopped(replay, "malformed", _describe(exc), reader.tok_start)
    finally:
        replay.events = trace.events
        replay.uses_lost = trace.uses_lost
    return replay


_NEEDS_CONCRETE = (
    "STACK_GLOBAL requires str",
    "argument list must be a tuple",
    "NEWOBJ expected an arg tuple",
    "NEWOBJ_EX args argument must be a tuple",
    "NEWOBJ_EX kwargs argument must be a dict",
    "after * must be an iterable",
)


def _stopped_by_limit(replay: Replay, exc: Exception, position: int) -> bool:
    """Record a stop the reader or the bounds caused (not the stream's own malformation)."""
    if isinstance(exc, _Stop):
        _stopped(replay, exc.kind, str(exc), exc.offset)
    elif isinstance(exc, inert.TraceFull):
        _stopped(replay, "limit", str(exc), position)
    elif isinstance(exc, RecursionError):
        _stopped(replay, "limit", "nesting too deep", position)
    elif isinstance(exc, MemoryError):
        _stopped(replay, "limit", "the unpickler ran out of memory", position)
    else:
        return False
    return True


def _patched_at(reader: _StreamReader) -> tuple[int, tuple[str, str]] | None:
    """The patched opcode the unpickler stopped on, if it stopped inside a served frame."""
    if not reader.patched:
        return None
    offset = min(reader.patched)
    return offset, reader.patched[offset]


def _stopped(replay: Replay, kind: str, message: str, offset: int) -> None:
    replay.ok = False
    replay.stop_kind = kind
    replay.error = message
    replay.error_offset = offset
    replay.end = offset
    if kind == "limit":
        replay.limits.append((offset, message))


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__


# -- the pure-Python unpickler (joblib, pandas' fallback) ----------------------------------------

JOBLIB_WRAPPERS = frozenset(
    (
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
    )
)
JOBLIB_SIDE_FILE_WRAPPERS = frozenset(
    (
        "joblib.numpy_pickle_compat.NDArrayWrapper",
        "joblib.numpy_pickle_compat.ZNDArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle_compat.NDArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle_compat.ZNDArrayWrapper",
    )
)


# typed as Any: the pure-Python unpickler's internals (stack, _unframer, dispatch) are untyped
_PyBase: Any = pickle._Unpickler
_CBase: Any = _pickle.Unpickler


class _PyUnpickler(_PyBase):  # type: ignore[misc]
    dispatch = dict(_PyBase.dispatch)

    def __init__(
        self,
        reader: _PlainReader,
        trace: inert.Trace,
        replay: Replay,
        *,
        persistent: bool,
        joblib: bool,
        limits: ReplayLimits,
    ) -> None:
        super().__init__(reader, encoding="latin1")
        self._reader = reader
        self._trace = trace
        self._replay = replay
        self._persistent = persistent
        self._joblib = joblib
        self._limits = limits
        self._ops = 0

    def find_class(self, module: str, name: str) -> Any:
        return _import(self._trace, module, name, self.proto, self._reader.pos)

    def persistent_load(self, pid: Any) -> Any:
        ref = self._trace.persistent(pid)
        if not self._persistent:
            raise pickle.UnpicklingError("unsupported persistent id encountered")
        return ref

    # opcodes that would otherwise call or allocate on the stream's say ----------------------
    def load_stack_global(self) -> None:
        name = self.stack.pop()
        module = self.stack.pop()
        if type(name) is not str or type(module) is not str:
            if inert.is_inert(name) or inert.is_inert(module):
                self._replay.computed.append(("a name computed while loading", self._reader.pos))
                self.append(self._trace.result(inert.CALL, None, ("STACK_GLOBAL",)))
                return
            raise pickle.UnpicklingError("STACK_GLOBAL requires str")
        self.append(self.find_class(module, name))

    def load_reduce(self) -> None:
        args = self.stack.pop()
        func = self.stack[-1]
        if inert.is_inert(args):
            self._replay.computed.append(("arguments computed while loading", self._reader.pos))
            args = ()
        self.stack[-1] = func(*args)

    def load_newobj(self) -> None:
        args = self.stack.pop()
        cls = self.stack.pop()
        if inert.is_inert(args):
            self._replay.computed.append(("arguments computed while loading", self._reader.pos))
            args = ()
        self.append(cls.__new__(cls, *args))

    def load_binbytes(self) -> None:
        (length,) = struct.unpack("<I", self.read(4))
        self.append(self._payload(length))

    def load_short_binbytes(self) -> None:
        self.append(self._payload(self.read(1)[0]))

    def load_binbytes8(self) -> None:
        (length,) = struct.unpack("<Q", self.read(8))
        self.append(self._payload(length))

    def load_bytearray8(self) -> None:
        (length,) = struct.unpack("<Q", self.read(8))
        value = self._payload(length)
        self.append(bytearray(value) if isinstance(value, bytes) else value)

    def _payload(self, length: int) -> Any:
        # what _Unframer.read does, without copying a large payload out of the file
        frame = self._unframer.current_frame
        if frame:
            data = frame.read(length)
            if data or length == 0:
                if len(data) < length:
                    raise pickle.UnpicklingError("pickle exhausted before end of frame")
                return data
            self._unframer.current_frame = None
        return self._reader.payload(length)

    def get_extension(self, code: int) -> None:
        if code <= 0:
            raise pickle.UnpicklingError("EXT specifies code <= 0")
        self._replay.extensions.append((code, self._reader.pos))
        key = copyreg._inverted_registry.get(code)  # type: ignore[attr-defined]
        if not key:
            raise ValueError(f"unregistered extension code {code}")
        self.append(self.find_class(*key))

    def load_build(self) -> None:
        super().load_build()
        if not self._joblib:
            return
        top = self.stack[-1]
        if inert.instance_of(top, JOBLIB_WRAPPERS):
            self.stack.pop()
            self.append(self._joblib_array(top))
        elif inert.instance_of(top, JOBLIB_SIDE_FILE_WRAPPERS):
            state = (inert.info(top).get("states") or [None])[-1]
            name = state.get("filename") if isinstance(state, dict) else None
            callee, _ = inert.origin(top)
            self._replay.side_files.append((str(callee), str(name), self._reader.pos))
            self.stack.pop()
            self.append(self._trace.result(inert.CALL, top, ("read side file",)))

    def _joblib_array(self, wrapper: Any) -> Any:
        """What ``NumpyArrayWrapper.read`` does after the wrapper's BUILD: read the array from
        the stream right here (object arrays as a nested ``pickle.load``)."""
        from nbsec.models.joblib_arrays import array_layout

        state = (inert.info(wrapper).get("states") or [None])[-1]
        layout = array_layout(state)
        if layout is None:
            raise _Stop(
                "malformed",
                "joblib array wrapper with an unreadable shape or dtype",
                self._reader.pos,
            )
        if self._unframer.current_frame is not None and self._unframer.current_frame.read(1):
            # joblib reads the array from the file, not from the rest of the frame
            self._replay.anomalies.append(
                (self._reader.pos, "joblib array data inside a FRAME with opcodes after it")
            )
        if layout.objects:
            nested = replay_c(
                self._reader.data, self._reader.pos, self._reader.end, limits=self._limits
            )
            self._replay.events.extend(nested.events)
            self._replay.payloads.extend(nested.payloads)
            self._replay.anomalies.extend(nested.anomalies)
            self._replay.limits.extend(nested.limits)
            if not nested.ok:
                raise _Stop(
                    nested.stop_kind or "malformed",
                    f"in a joblib object array: {nested.error}",
                    nested.error_offset or self._reader.pos,
                )
            self._reader.pos = nested.end
        else:
            if layout.aligned:
                pad = self._reader.read(1)
                if not pad:
                    raise _Stop("truncated", "joblib array padding missing", self._reader.pos)
                self._reader.skip(pad[0])
            self._reader.skip(layout.nbytes)
        return self._trace.result(inert.CALL, wrapper, ("array",))

    dispatch[pickle.STACK_GLOBAL[0]] = load_stack_global
    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.BINBYTES[0]] = load_binbytes
    dispatch[pickle.SHORT_BINBYTES[0]] = load_short_binbytes
    dispatch[pickle.BINBYTES8[0]] = load_binbytes8
    dispatch[pickle.BYTEARRAY8[0]] = load_bytearray8
    dispatch[pickle.BUILD[0]] = load_build


def replay_python(
    data: Any,
    start: int,
    end: int,
    *,
    joblib: bool = False,
    limits: ReplayLimits | None = None,
    persistent: bool = False,
) -> Replay:
    """Run the pure-Python unpickler (as ``joblib.load`` does when ``joblib``) over the stream
    with stand-ins; never raises."""
    limits = limits or ReplayLimits()
    replay = Replay(engine="joblib" if joblib else "python", start=start)
    reader = _PlainReader(data, start, end, limits)
    trace = inert.Trace(position=lambda: reader.pos, limit=limits.max_events)
    trace.events = replay.events
    try:
        unpickler = _PyUnpickler(
            reader, trace, replay, persistent=persistent, joblib=joblib, limits=limits
        )
        unpickler.load()
        replay.ok = True
        replay.end = reader.pos
        replay.protocol = unpickler.proto
    except Exception as exc:
        if not _stopped_by_limit(replay, exc, reader.pos):
            _stopped(replay, "malformed", _describe(exc), max(reader.pos - 1, start))
    finally:
        replay.uses_lost = trace.uses_lost
    return replay


def first_opcode_ok(data: Any, start: int, end: int) -> bool:
    """Would an unpickler get past the first opcode of ``data[start:end]``? (A cheap check
    before a full run on bytes that may not be a pickle at all.)"""
    if start >= end:
        return False
    try:
        token = token_at(data, start, end, 1 << 16)
    except (Straddle, BadToken, TooLong):
        return False
    if token.op == PROTO:
        return (token.value or 0) <= _BIGGEST_PICKLE_PROTOCOL
    return token.op != STOP
