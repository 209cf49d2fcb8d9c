"""How many bytes ``joblib.load`` reads straight from the stream after a ``NumpyArrayWrapper``.

joblib writes each numpy array's bytes into the pickle stream right after the wrapper's BUILD
(object arrays as a nested pickle) and, on load, ``NumpyArrayWrapper.read_array`` reads
``prod(shape) * dtype.itemsize`` bytes there (after one padding byte and that many padding bytes
when the state has ``numpy_array_alignment_bytes``). The scanner must step over exactly those
bytes, or opcodes hidden in "array data" go unseen (or array data is read as opcodes).

The dtype in the state is whatever the stream built with ``numpy.dtype(...)`` and a BUILD. When
numpy is importable, the same constructor and ``__setstate__`` are applied to the same plain
values (strings, ints, tuples: numpy parses them, nothing from the stream is called), so the
item size is numpy's own. Without numpy (a scanner-only environment) a table of dtype codes is
used, and a dtype it cannot size exactly is reported rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nbsec.models import inert

_INT64 = 1 << 64
_SIZES = {
    "b": 1,
    "?": 1,
    "B": 1,
    "h": 2,
    "H": 2,
    "e": 2,
    "f": 4,
    "i": 4,
    "I": 4,
    "d": 8,
    "l": 8,
    "L": 8,
    "q": 8,
    "Q": 8,
    "g": 16,
    "F": 8,
    "D": 16,
    "G": 32,
}
_PLAIN = (str, bytes, int, float, bool, type(None))


@dataclass(frozen=True)
class Layout:
    nbytes: int
    objects: bool
    aligned: bool


def _plain(value: Any, depth: int = 0) -> bool:
    if depth > 8:
        return False
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, tuple | list):
        return all(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in value.items())
    return False


_DTYPE_CALLS = ("numpy.dtype", "numpy.core.multiarray.dtype", "numpy._core.multiarray.dtype")


def dtype_size(dtype: Any) -> tuple[int, bool] | None:
    """(itemsize, holds objects) of a dtype stand-in made by ``numpy.dtype(...)`` + BUILD."""
    callee, args = inert.origin(dtype)
    if callee not in _DTYPE_CALLS:
        return None
    try:
        import numpy as np
    except ImportError:
        positional, _ = args
        return _table_size(positional, inert.info(dtype).get("states") or [])
    made = _realize(dtype, np, 0)
    if made is None:
        return None
    return int(made.itemsize), bool(made.hasobject)


def _realize(dtype: Any, np: Any, depth: int) -> Any:
    """The numpy dtype the stream builds: the same constructor and ``__setstate__`` on the
    same plain values (field dtypes of structured dtypes realised the same way)."""
    if depth > 8:
        return None
    callee, args = inert.origin(dtype)
    if callee not in _DTYPE_CALLS:
        return None
    positional, keywords = args
    states = [_plain_copy(s, np, depth) for s in inert.info(dtype).get("states") or []]
    if keywords or not _plain(positional) or any(s is _UNPLAIN for s in states):
        return None
    try:
        made = np.dtype(*positional)
        for state in states:
            made.__setstate__(state)
    except Exception:
        return None
    return made


_UNPLAIN = object()


def _plain_copy(value: Any, np: Any, depth: int) -> Any:
    if inert.is_inert(value):
        made = _realize(value, np, depth + 1)
        return _UNPLAIN if made is None else made
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, tuple | list) and depth < 8:
        items = [_plain_copy(v, np, depth + 1) for v in value]
        if any(i is _UNPLAIN for i in items):
            return _UNPLAIN
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict) and depth < 8:
        out = {}
        for k, v in value.items():
            if not isinstance(k, _PLAIN):
                return _UNPLAIN
            item = _plain_copy(v, np, depth + 1)
            if item is _UNPLAIN:
                return _UNPLAIN
            out[k] = item
        return out
    return _UNPLAIN


def _table_size(positional: tuple[Any, ...], states: list[Any]) -> tuple[int, bool] | None:
    if not positional or not isinstance(positional[0], str):
        return None
    code = positional[0].lstrip("<>|=")
    if code.startswith("O"):
        return 8, True
    digits = "".join(ch for ch in code if ch.isdigit())
    kind = code[:1]
    if kind in ("S", "a", "V"):
        size = int(digits) if digits else 0
    elif kind == "U":
        size = 4 * int(digits) if digits else 0
    else:
        size = int(digits) if digits and kind in "biufc" else _SIZES.get(kind, 0)
    state = states[-1] if states else None
    if isinstance(state, tuple) and len(state) >= 6 and isinstance(state[5], int):
        if state[5] > 0:
            size = state[5]
        if len(state) >= 4 and state[3] is not None:
            return None  # a structured dtype: its layout is numpy's to decide
    return (size, False) if size > 0 else None


def array_layout(state: Any) -> Layout | None:
    """The bytes joblib reads for a wrapper whose BUILD state is ``state``; None when the
    state does not say (joblib itself would fail on it)."""
    if not isinstance(state, dict):
        return None
    shape = state.get("shape")
    sized = dtype_size(state.get("dtype"))
    if not isinstance(shape, tuple) or sized is None:
        return None
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
        return None
    itemsize, objects = sized
    count = 1
    for n in shape:  # numpy.multiply.reduce over int64: wraps around like the C loop
        count = (count * n) % _INT64
    if count >= 1 << 63:
        count -= _INT64
    if count < 0:
        return None
    aligned = state.get("numpy_array_alignment_bytes") is not None
    return Layout(nbytes=count * itemsize, objects=objects, aligned=aligned)
