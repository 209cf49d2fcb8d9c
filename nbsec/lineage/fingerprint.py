"""Cheap fingerprints of frames and arrays: shape, dtypes and a hash of a few sampled values.

A fingerprint is computed without importing pandas, numpy or polars (the object's type is
recognised by its module and name) and without copying the data: at most :data:`SAMPLE_ROWS`
rows (and :data:`MAX_COLUMNS` columns) are read. It detects appends, drops, dtype changes and most
in-place edits; an edit to a row that is not sampled, keeping shape and dtypes, can be missed --
which is why stores through a subscript are also recorded from the cell's AST.

Builtin containers get ``(type, len)``. Other objects get no fingerprint (``None``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from nbsec.lineage.records import VariableInfo

SAMPLE_ROWS = 5
MAX_COLUMNS = 64
_BUILTIN_CONTAINERS = (list, dict, set, bytearray)


def type_name(value: Any) -> str:
    cls = type(value)
    module = cls.__module__
    if module == "builtins":
        return cls.__qualname__
    top = module.split(".", 1)[0]
    return f"{top}.{cls.__qualname__}"


def kind_of(value: Any) -> str | None:
    """``"pandas"``, ``"polars"``, ``"numpy"``, ``"container"`` or ``None`` (not fingerprinted)."""
    cls = type(value)
    if cls in _BUILTIN_CONTAINERS:
        return "container"
    top = cls.__module__.partition(".")[0]
    if top == "pandas" and cls.__name__ in ("DataFrame", "Series"):
        return "pandas"
    if top == "polars" and cls.__name__ in ("DataFrame", "Series"):
        return "polars"
    if top == "numpy" and cls.__name__ == "ndarray":
        return "numpy"
    return None


def fingerprint(value: Any) -> str | None:
    """A short fingerprint string, or ``None`` for objects nbsec does not fingerprint."""
    info = describe(value)
    return info.fingerprint if info is not None else None


def describe(value: Any) -> VariableInfo | None:
    kind = kind_of(value)
    if kind is None:
        return None
    try:
        if kind == "container":
            return VariableInfo(type_name(value), f"len:{len(value)}")
        if kind == "numpy":
            return _numpy(value)
        if kind == "pandas":
            return _pandas(value)
        return _polars(value)
    except Exception:  # a broken or exotic object must never break the cell
        return VariableInfo.of_type(type_name(value))


def _sample_positions(n: int) -> list[int]:
    if n <= SAMPLE_ROWS:
        return list(range(n))
    step = (n - 1) / (SAMPLE_ROWS - 1)
    return sorted({round(i * step) for i in range(SAMPLE_ROWS)})


def _digest(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode("utf-8", "replace"))
        h.update(b"\x1f")
    return h.hexdigest()[:16]


def _numpy(arr: Any) -> VariableInfo:
    shape = tuple(int(x) for x in arr.shape)
    size = int(arr.size)
    sampled = b""
    if size and arr.dtype.kind != "O":
        idx = _sample_positions(size)
        sampled = arr.flat[idx].tobytes()
    elif size:
        sampled = repr([arr.flat[i] for i in _sample_positions(size)]).encode()
    return VariableInfo(
        type_name(arr), _digest(shape, str(arr.dtype), sampled), shape=shape, columns=None
    )


def _pandas(obj: Any) -> VariableInfo:
    shape = tuple(int(x) for x in obj.shape)
    positions = _sample_positions(shape[0])
    index_sample = obj.index[positions].tolist() if shape[0] else []
    if obj.ndim == 1:
        columns: tuple[tuple[str, str], ...] = ((str(obj.name), str(obj.dtype)),)
        sample: Any = _take(obj.array, positions)
    else:
        try:
            columns, sample = _pandas_blocks(obj, positions)
        except Exception:  # internals moved: the slower public route
            names = list(obj.columns[:MAX_COLUMNS])
            dtypes = obj.dtypes.iloc[:MAX_COLUMNS]
            columns = tuple((str(n), str(t)) for n, t in zip(names, dtypes, strict=True))
            sample = obj.iloc[positions, :MAX_COLUMNS].to_numpy().tolist() if shape[0] else []
    return VariableInfo(
        type_name(obj), _digest(shape, columns, sample, index_sample), shape=shape, columns=columns
    )


def _pandas_blocks(obj: Any, positions: list[int]) -> tuple[tuple[tuple[str, str], ...], Any]:
    """Dtypes and sampled values straight from pandas' blocks: no Series or copy is built."""
    names = obj.columns
    dtype_at: dict[int, str] = {}
    samples = []
    for block in obj._mgr.blocks:
        locs = block.mgr_locs.as_array
        dtype = str(block.dtype)
        for loc in locs[:MAX_COLUMNS]:
            dtype_at[int(loc)] = dtype
        values = block.values
        if getattr(values, "ndim", 1) == 2:
            samples.append((locs[:MAX_COLUMNS].tolist(), _rows(values[:MAX_COLUMNS], positions)))
        else:
            samples.append((locs[:1].tolist(), _take(values, positions)))
    columns = tuple(
        (str(names[i]), dtype_at[i]) for i in range(min(len(names), MAX_COLUMNS)) if i in dtype_at
    )
    return columns, samples


def _rows(values: Any, positions: list[int]) -> Any:
    picked = values[:, positions]
    return picked.tobytes() if picked.dtype.kind != "O" else picked.tolist()


def _take(values: Any, positions: list[int]) -> list[Any]:
    """Values at ``positions``: one ``take`` (4-8x faster than indexing an Arrow or categorical
    array element by element), else element by element."""
    try:
        taken = values.take(positions)
        return list(taken.tolist())
    except Exception:
        return [values[i] for i in positions]


def _polars(obj: Any) -> VariableInfo:
    shape = tuple(int(x) for x in obj.shape)
    if len(shape) == 1:
        columns: tuple[tuple[str, str], ...] = ((str(obj.name), str(obj.dtype)),)
        sample = [obj[i] for i in _sample_positions(shape[0])]
    else:
        schema = list(obj.schema.items())[:MAX_COLUMNS]
        columns = tuple((str(n), str(t)) for n, t in schema)
        sample = [obj.row(i) for i in _sample_positions(shape[0])]
    return VariableInfo(
        type_name(obj), _digest(shape, columns, sample), shape=shape, columns=columns
    )
