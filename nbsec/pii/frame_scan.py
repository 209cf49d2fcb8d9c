"""Scan whole frames and tables: sampling, early stop, one column at a time.

Default mode reads a seeded random sample of rows (``sample``, from the policy: 10,000) in two
stages: 2,000 rows first; a column that is already settled (one entity holds nearly all values)
stops there, the others read the rest of the sample. Every sampled row has the same chance, so a
value present in 0.5 % of rows is seen about 50 times. ``exhaustive=True`` reads every value of
every column (de-duplicated, validated without caps). Only one column's selected values are in
memory at a time; the frame itself is never copied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nbsec.errors import InputError
from nbsec.pii import column_classifier as cc
from nbsec.pii.column_values import (
    ColumnValues,
    collect,
    column_names,
    frame_height,
    is_pandas,
    is_polars,
    read_column,
)
from nbsec.pii.results import ColumnScan, FrameScan
from nbsec.policy import Policy

FIRST_STAGE = 2_000
SEED = 20240531
SETTLED_FRACTION = 0.9
_DEFAULT_VALIDATIONS = 400
_DEFAULT_LEXICON = 3_000


def _policy(policy: Policy | None) -> Policy:
    if policy is not None:
        return policy
    from nbsec.policy import load_policy

    return load_policy(None)


def _settings(policy: Policy, exhaustive: bool) -> cc.Settings:
    from nbsec.pii.validators import phone_regions

    wanted = frozenset(policy.pii.entities) if policy.pii.entities else None
    ner = None
    if policy.pii.spacy_model:
        from nbsec.pii.engine import ner_function

        ner = ner_function(policy.pii.spacy_model)
    extra: tuple[str, ...] = ()
    extra_function = None
    if wanted:
        from nbsec.pii.engine import OWN_ENTITIES, presidio_entities

        extra = tuple(sorted(wanted - OWN_ENTITIES))
        extra_function = presidio_entities if extra else None
    return cc.Settings(
        extra=extra,
        extra_function=extra_function,
        regions=phone_regions(policy.pii.regions),
        entities=wanted,
        min_score=policy.pii.min_score,
        max_validations=None if exhaustive else _DEFAULT_VALIDATIONS,
        max_lexicon_values=None if exhaustive else _DEFAULT_LEXICON,
        ner=ner,
    )


def _sample_positions(rows: int, k: int) -> tuple[Any, Any]:
    """Two sorted arrays of row positions: the first stage and the rest of the sample."""
    import random

    import numpy as np

    # random.sample draws k distinct positions in O(k) memory (numpy's choice without
    # replacement would build a permutation of every row)
    chosen = random.Random(SEED).sample(range(rows), k)  # noqa: S311 - sampling, not secrets
    first = np.sort(np.array(chosen[:FIRST_STAGE], dtype=np.int64))
    rest = np.sort(np.array(chosen[FIRST_STAGE:], dtype=np.int64))
    return first, rest


def _settled(scan: ColumnScan) -> bool:
    return any(e.fraction >= SETTLED_FRACTION for e in scan.entities)


def _merge(a: ColumnValues, b: ColumnValues) -> ColumnValues:
    return ColumnValues(
        texts=a.texts + b.texts,
        dates=a.dates + b.dates,
        has_time=a.has_time + b.has_time,
        nulls=a.nulls + b.nulls,
    )


def scan_dataframe(
    df: Any,
    *,
    sample: int | None = None,
    exhaustive: bool = False,
    policy: Policy | None = None,
) -> FrameScan:
    """Scan a pandas, polars, Spark, pandas-on-Spark or Dask DataFrame (a Series is scanned as a
    one-column frame); Spark and Dask frames are sampled inside their engine, never collected.

    ``sample`` overrides the policy's sample size (rows); ``exhaustive=True`` checks every value.
    Raises :class:`~nbsec.errors.InputError` for something that is not a frame."""
    if (is_pandas(df) or is_polars(df)) and hasattr(df, "to_frame") and not hasattr(df, "columns"):
        df = df.to_frame()
    k = sample
    if k is not None and k <= 0:
        raise InputError("scan_dataframe: sample must be a positive number of rows")
    if not (is_pandas(df) or is_polars(df)):
        # Spark, pandas-on-Spark and Dask frames are scanned inside their own engine
        from nbsec.pii.frame_kinds import kind_of, scan_frame

        kind = kind_of(df)
        if kind is not None:
            pol = _policy(policy)
            return scan_frame(
                kind, df, sample=k or pol.pii.sample, exhaustive=exhaustive, policy=pol
            )
    if not (is_pandas(df) or is_polars(df)) or not hasattr(df, "columns"):
        raise InputError(
            f"scan_dataframe expects a pandas, polars, Spark or Dask DataFrame, not {type(df)!r}"
        )
    pol = _policy(policy)
    settings = _settings(pol, exhaustive)
    rows = frame_height(df)
    k = k if k is not None else pol.pii.sample
    full = exhaustive or rows <= k
    first = rest = None
    if not full:
        first, rest = _sample_positions(rows, k)
    result = FrameScan(rows=rows, rows_scanned=rows if full else k, exhaustive=exhaustive)
    if full and not exhaustive and rows == 0:
        result.exhaustive = True
    for index, name in enumerate(column_names(df)):
        key = _unique_key(name, result.columns)
        if full:
            values = read_column(df, index, None)
            result.columns[key] = cc.classify(name, values, settings)
            continue
        values = read_column(df, index, first)
        scan = cc.classify(name, values, settings)
        if not _settled(scan) and rest is not None and len(rest):
            values = _merge(values, read_column(df, index, rest))
            scan = cc.classify(name, values, settings)
        result.columns[key] = scan
    if full:
        result.exhaustive = True
    return result


def _unique_key(name: str, taken: Mapping[str, ColumnScan]) -> str:
    if name not in taken:
        return name
    i = 2
    while f"{name}.{i}" in taken:
        i += 1
    return f"{name}.{i}"


def scan_table(
    columns: Mapping[str, Sequence[str | None]], *, policy: Policy | None = None
) -> FrameScan:
    """Scan a table parsed back from a saved output (header -> cell strings). Every value is
    checked; the header is used as context like a column name."""
    pol = _policy(policy)
    settings = _settings(pol, exhaustive=True)
    rows = max((len(v) for v in columns.values()), default=0)
    result = FrameScan(rows=rows, rows_scanned=rows, exhaustive=True)
    for name, cells in columns.items():
        values = collect(
            c
            for c in cells
            if c is not None and c.strip() not in ("", "NaN", "None", "<NA>", "NaT", "nan")
        )
        result.columns[_unique_key(str(name), result.columns)] = cc.classify(
            str(name), values, settings
        )
    return result
