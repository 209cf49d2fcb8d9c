"""The opcode walker: which globals a stream imports and calls, across protocols and tricks."""

from __future__ import annotations

import collections
import datetime
import pickle
import pickletools

import pytest

from nbsec.models.pickle_walker import walk


def _su(text: str) -> bytes:
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


@pytest.mark.parametrize("protocol", range(6))
@pytest.mark.parametrize(
    ("value", "expected_globals"),
    [
        ({"a": [1, 2.5, "x", None, True, b"\x00"]}, []),
        (collections.OrderedDict(a=1), ["collections.OrderedDict"]),
        (datetime.timedelta(days=1), ["datetime.timedelta"]),
        (complex(1, 2), ["builtins.complex"]),
    ],
)
def test_plain_values_at_every_protocol(
    value: object, expected_globals: list[str], protocol: int
) -> None:
    data = pickle.dumps(value, protocol=protocol)
    res = walk(data)
    assert res.ok
    assert res.end == len(data)
    names = [g.name for g in res.globals if g.name != "_codecs.encode"]
    assert sorted(set(names)) == sorted(expected_globals)


@pytest.mark.parametrize(
    ("data", "global_name", "opcode"),
    [
        (b"cos\nsystem\n(S'x'\ntR.", "os.system", "GLOBAL"),
        (b"(S'x'\nios\nsystem\n.", "os.system", "INST"),
        (b"\x80\x04" + _su("os") + _su("system") + b"\x93N\x85R.", "os.system", "STACK_GLOBAL"),
        # names put in the memo with BINPUT and fetched with BINGET
        (b"\x80\x04" + _su("os") + b"q\x05" + _su("system") + b"q\x060h\x05h\x06\x93.",
         "os.system", "STACK_GLOBAL"),
        # MEMOIZE then DUP and POP juggling
        (b"\x80\x04" + _su("os") + b"\x94" + _su("system") + b"\x94" + b"2" + b"0" + b"\x93.",
         "os.system", "STACK_GLOBAL"),
        # Python 2 names are mapped as the unpickler maps them
        (b"c__builtin__\neval\n.", "builtins.eval", "GLOBAL"),
        # protocol 0 text PUT / GET
        (b"S'os'\np0\nS'system'\np1\n0g0\ng1\n\x93.", "os.system", "STACK_GLOBAL"),
    ],
)  # fmt: skip
def test_globals_resolved_through_memo_and_stack(
    data: bytes, global_name: str, opcode: str
) -> None:
    res = walk(data)
    assert res.ok, res.error
    ref = res.globals[0]
    opcode_byte = {"GLOBAL": b"c", "INST": b"i", "STACK_GLOBAL": b"\x93"}[opcode]
    assert (ref.name, ref.opcode, ref.offset) == (global_name, opcode, data.index(opcode_byte))


def test_calls_record_their_targets() -> None:
    data = b"\x80\x02cos\nsystem\nX\x01\x00\x00\x00x\x85R."
    res = walk(data)
    assert [(c.target, c.opcode) for c in res.calls] == [("os.system", "REDUCE")]


def test_computed_stack_global_is_dynamic() -> None:
    # the module name is the result of a call, not a constant string
    data = b"\x80\x04cbuiltins\nstr\n" + _su("os") + b"\x85R" + _su("system") + b"\x93."
    res = walk(data)
    assert res.dynamic_globals == [len(data) - 2]


@pytest.mark.parametrize(
    ("data", "error_fragment", "globals_before"),
    [
        (b"cos\nsystem\n(S'x'\ntR", "without STOP", ["os.system"]),
        (b"cos\nsystem\n(S'x'\ntR\xff.", "invalid opcode", ["os.system"]),
        (b"\x80\x02X\xff\xff\x00\x00ab", "past the end", []),
        (b"\x80\x09.", "protocol", []),
        (b"h\x01.", "memo key", []),
        (b"R.", "underflow", []),
    ],
)
def test_broken_streams_keep_what_came_before(
    data: bytes, error_fragment: str, globals_before: list[str]
) -> None:
    res = walk(data)
    assert not res.ok
    assert error_fragment in (res.error or "")
    assert [g.name for g in res.globals] == globals_before


def test_large_bytes_are_stepped_over() -> None:
    blob = b"\x00" * (8 << 20)
    data = pickle.dumps({"blob": blob}, protocol=5)
    res = walk(data)
    assert res.ok
    assert res.opcodes < 20


def test_embedded_pickles_are_located() -> None:
    inner = pickle.dumps([1, 2], protocol=2)
    data = pickle.dumps({"x": inner}, protocol=4)
    res = walk(data)
    ((offset, length),) = res.nested
    assert data[offset : offset + length] == inner


def test_op_dense_stream_is_walked_in_full() -> None:
    data = pickle.dumps([float(i) for i in range(50_000)], protocol=4)
    res = walk(data)
    assert res.ok
    assert res.opcodes == sum(1 for _ in pickletools.genops(data))
