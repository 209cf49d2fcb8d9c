"""Turn one column of any dtype into the strings the classifier reads, without copying the frame.

Only the selected rows of one column are materialised at a time. Every dtype is accepted and none
raises: strings as they are; integers (including nullable ints and integral floats, where SSNs and
card numbers often end up) as their digits; bytes decoded as UTF-8; lists, tuples, sets and dicts
flattened into ``a ; b ; c``; dates and datetimes marked as such for the birth-date check;
categoricals through their values; NaN / None / NA / NaT skipped; anything else through ``str``
capped in length. Floats with a fractional part and booleans carry no PII we recognise and are
skipped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

MAX_TEXT = 2000  # characters of one value that are scanned (free text is truncated, not skipped)
_MAX_ITEMS = 20


@dataclass
class ColumnValues:
    """The scanned values of one column: ``texts`` (non-null, in row order) and ``dates`` (the
    values that were dates or datetimes, for the birth-date check)."""

    texts: list[str] = field(default_factory=list)
    dates: list[dt.date] = field(default_factory=list)
    has_time: int = 0
    nulls: int = 0
    numbers: int = 0  # numeric values (integral ones are also in ``texts`` as digits)
    fractional: int = 0  # numbers with a fractional part (not scanned)
    booleans: int = 0  # booleans (never personal data, counted for the judge)

    def extend(self, other: ColumnValues) -> ColumnValues:
        return ColumnValues(
            texts=self.texts + other.texts,
            dates=self.dates + other.dates,
            has_time=self.has_time + other.has_time,
            nulls=self.nulls + other.nulls,
            numbers=self.numbers + other.numbers,
            fractional=self.fractional + other.fractional,
            booleans=self.booleans + other.booleans,
        )


def to_text(value: Any, out: ColumnValues) -> None:
    """Append the text form of one value to ``out`` (or count it as null / date)."""
    if value is None:
        out.nulls += 1
        return
    if isinstance(value, str):
        if value.strip():
            out.texts.append(value[:MAX_TEXT])
        else:
            out.nulls += 1
        return
    if isinstance(value, bool):
        out.booleans += 1
        return
    if isinstance(value, int):
        out.numbers += 1
        out.texts.append(str(value))
        return
    if isinstance(value, float | Decimal):
        if not math.isfinite(float(value)):
            out.nulls += 1
            return
        out.numbers += 1
        if value == int(value) and abs(int(value)) < 10**19:
            out.texts.append(str(int(value)))
        else:
            out.fractional += 1
        return
    if isinstance(value, dt.datetime):
        out.dates.append(value.date())
        if value.time() != dt.time(0, 0):
            out.has_time += 1
        return
    if isinstance(value, dt.date):
        out.dates.append(value)
        return
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            out.texts.append(bytes(value[:MAX_TEXT]).decode("utf-8"))
        except UnicodeDecodeError:
            return
        return
    if isinstance(value, dict):
        _flatten(list(value.values()), out)
        return
    if isinstance(value, list | tuple | set | frozenset):
        _flatten(list(value), out)
        return
    _other(value, out)


def _flatten(items: list[Any], out: ColumnValues) -> None:
    inner = ColumnValues()
    for item in items[:_MAX_ITEMS]:
        to_text(item, inner)
    parts = inner.texts + [d.isoformat() for d in inner.dates]
    if parts:
        out.texts.append(" ; ".join(parts)[:MAX_TEXT])
    else:
        out.nulls += 1


def _other(value: Any, out: ColumnValues) -> None:
    """numpy scalars and arrays, pandas Timestamp / NA / NaT, and anything else."""
    module = type(value).__module__
    if module.startswith("numpy"):
        kind = getattr(getattr(value, "dtype", None), "kind", "")
        if getattr(value, "ndim", 0) >= 1:
            _flatten(list(value.tolist()), out)
        elif kind == "M":
            item = value.astype("datetime64[us]").item()
            if item is None:
                out.nulls += 1
            else:
                to_text(item, out)
        elif kind != "m" and hasattr(value, "item"):
            to_text(value.item(), out)
        return
    if module.startswith("pandas"):
        name = type(value).__name__
        if name in ("NAType", "NaTType"):
            out.nulls += 1
            return
        if name == "Timestamp":
            to_text(value.to_pydatetime(), out)
            return
    try:
        text = str(value)
    except Exception:
        return
    if text:
        out.texts.append(text[:MAX_TEXT])


def collect(values: Iterable[Any]) -> ColumnValues:
    out = ColumnValues()
    for value in values:
        to_text(value, out)
    return out


def is_pandas(obj: object) -> bool:
    return type(obj).__module__.startswith("pandas")


def is_polars(obj: object) -> bool:
    return type(obj).__module__.startswith("polars")


def column_names(frame: Any) -> list[str]:
    return [str(c) for c in frame.columns]


def frame_height(frame: Any) -> int:
    if is_polars(frame):
        return int(frame.height)
    return len(frame.index)


def read_column(frame: Any, index: int, rows: Sequence[int] | None) -> ColumnValues:
    """The values of column number ``index`` at ``rows`` (all rows when ``None``)."""
    if is_polars(frame):
        series = frame.to_series(index)
        if rows is not None:
            series = series.gather(list(rows))
        return _polars_values(series)
    series = frame.iloc[:, index]
    if rows is not None:
        series = series.iloc[list(rows)] if not hasattr(rows, "dtype") else series.iloc[rows]
    return _pandas_values(series)


def _pandas_values(series: Any) -> ColumnValues:
    import numpy as np
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        series = series.astype(object)
        dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        valid = series.dropna()
        return ColumnValues(nulls=len(series) - len(valid), booleans=len(valid))
    if pd.api.types.is_integer_dtype(dtype):
        valid = series.dropna()
        out = ColumnValues(nulls=len(series) - len(valid), numbers=len(valid))
        out.texts = valid.to_numpy(dtype=np.int64).astype(str).tolist()
        return out
    if pd.api.types.is_float_dtype(dtype):
        arr = series.to_numpy(dtype=np.float64, na_value=np.nan)
        finite = arr[np.isfinite(arr)]
        integral = finite[(finite == np.floor(finite)) & (np.abs(finite) < 1e18)]
        out = ColumnValues(nulls=len(arr) - len(finite), numbers=len(finite))
        out.fractional = len(finite) - len(integral)
        out.texts = integral.astype(np.int64).astype(str).tolist()
        return out
    if pd.api.types.is_datetime64_any_dtype(dtype):
        valid = series.dropna()
        out = ColumnValues(nulls=len(series) - len(valid))
        if len(valid):
            naive = valid.dt.tz_localize(None) if getattr(valid.dt, "tz", None) else valid
            out.dates = naive.dt.date.tolist()
            out.has_time = int((naive != naive.dt.normalize()).sum())
        return out
    if pd.api.types.is_timedelta64_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
        return ColumnValues()
    return collect(series.tolist())


def _polars_values(series: Any) -> ColumnValues:
    import polars as pl

    dtype = series.dtype
    if dtype == pl.Boolean:
        return ColumnValues(nulls=series.null_count(), booleans=len(series) - series.null_count())
    if dtype == pl.Duration or dtype == pl.Null:
        return ColumnValues(nulls=series.null_count())
    if dtype.is_integer():
        valid = series.drop_nulls()
        return ColumnValues(
            texts=valid.cast(pl.String).to_list(),
            nulls=len(series) - len(valid),
            numbers=len(valid),
        )
    if dtype in (pl.Categorical, pl.Enum):
        series = series.cast(pl.String)
    return collect(series.to_list())
