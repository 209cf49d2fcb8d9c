"""The seam between the PII engine and everything that scans data it cannot hold at once.

Spark executors, Dask workers and files streamed in chunks all go through three calls:

* :func:`collect_frame` - *collect evidence for these column values*: one
  :class:`~nbsec.pii.evidence.ColumnEvidence` per column of a pandas batch, from the engine's own
  collection (:func:`nbsec.pii.evidence.collect`, presidio's recognizers in bulk over the batch's
  distinct values);
* :func:`merge_columns` - evidence of other batches of the same columns, in any grouping;
* :func:`judge_columns` - *judge these merged columns*: the engine's column judge with the
  frame's row context (:func:`nbsec.pii.judge.judge_frame`).

The engine's evidence holds counts, a bounded sketch of value hashes and masked examples, never
a value, so it can travel from the executors to the driver; it travels as JSON
(:func:`evidence_to_json`), never pickled: nbsec does not unpickle. The engine settings a policy
asks for (:class:`~nbsec.pii.scan_job.EngineSettings`) are plain data, built on the driver and
sent along; the recognizer registry is built (once per process, cached) where the values are.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from nbsec.pii.results import ColumnScan

if TYPE_CHECKING:
    from nbsec.pii.evidence import ColumnEvidence
    from nbsec.pii.scan_job import EngineSettings
    from nbsec.policy import Policy


def engine_settings(policy: Policy, exhaustive: bool) -> EngineSettings:
    """The engine settings of a policy (what the scans of pandas frames use too)."""
    from nbsec.pii.scan_job import settings_from_policy

    return settings_from_policy(policy, exhaustive)


def unique_names(names: Iterable[object]) -> list[str]:
    """Column names made unique the way frame scans key them (``email``, ``email.2``)."""
    out: list[str] = []
    for raw in names:
        name = str(raw)
        key, i = name, 2
        while key in out:
            key = f"{name}.{i}"
            i += 1
        out.append(key)
    return out


def collect_frame(
    frame: Any,
    names: Sequence[str],
    settings: EngineSettings,
    into: list[ColumnEvidence] | None = None,
) -> list[ColumnEvidence]:
    """Evidence of every column of a pandas batch (by position, named ``names``), merged into
    ``into`` when given (the same columns of earlier batches)."""
    from nbsec.pii import evidence as evm
    from nbsec.pii.column_values import read_column

    registry = settings.registry()
    options = settings.collect_options()
    frame = _plain_dates(frame)
    out: list[ColumnEvidence] = []
    for i, name in enumerate(names):
        ev = evm.collect(name, read_column(frame, i, None), registry, options)
        out.append(into[i].merge(ev) if into is not None else ev)
    return out


def _plain_dates(frame: Any) -> Any:
    """Dates held in pyarrow storage (``date32[pyarrow]``, what Dask and pyarrow-backed parquet
    reads give) as ``datetime.date`` objects, which the column reader understands."""
    positions = [
        i
        for i, dtype in enumerate(frame.dtypes)
        if _is_arrow_date(getattr(dtype, "pyarrow_dtype", None))
    ]
    if not positions:
        return frame
    frame = frame.copy(deep=False)
    for i in positions:
        frame.isetitem(i, frame.iloc[:, i].astype(object))
    return frame


def _is_arrow_date(arrow_type: Any) -> bool:
    if arrow_type is None:
        return False
    import pyarrow as pa

    return bool(pa.types.is_date(arrow_type))


def empty_evidence(names: Sequence[str]) -> list[ColumnEvidence]:
    from nbsec.pii.evidence import ColumnEvidence

    return [ColumnEvidence(name=n) for n in names]


def merge_columns(parts: Iterable[Sequence[ColumnEvidence]]) -> list[ColumnEvidence] | None:
    """Merge lists of per-column evidence column by column (``None`` for no parts)."""
    merged: list[ColumnEvidence] | None = None
    for part in parts:
        if merged is None:
            merged = list(part)
        else:
            merged = [a.merge(b) for a, b in zip(merged, part, strict=True)]
    return merged


def judge_columns(
    evidence: Sequence[ColumnEvidence], settings: EngineSettings
) -> dict[str, ColumnScan]:
    """The verdict on every column, with row context (names must be unique)."""
    from nbsec.pii import judge as jm

    return jm.judge_frame({ev.name: ev for ev in evidence}, settings.registry(), settings.judge)


# -- wire format: the engine's evidence dataclasses as JSON ---------------------------------------


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return [[k, _encode(v)] for k, v in value.items()]
    if isinstance(value, list | tuple | set | frozenset):
        return [_encode(v) for v in value]
    return value


def _decode(hint: Any, data: Any) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        hints = typing.get_type_hints(hint)
        kwargs = {
            f.name: _decode(hints[f.name], data[f.name])
            for f in dataclasses.fields(hint)
            if f.init and f.name in data
        }
        return hint(**kwargs)
    if origin in (dict, Counter) or hint in (dict, Counter):
        args = typing.get_args(hint)
        key_hint, value_hint = args if len(args) == 2 else (args[0] if args else Any, int)
        pairs = {_decode(key_hint, k): _decode(value_hint, v) for k, v in data}
        return Counter(pairs) if origin is Counter or hint is Counter else pairs
    if origin in (list, tuple, set, frozenset):
        args = typing.get_args(hint)
        items = [_decode(args[0] if args else Any, v) for v in data]
        return origin(items) if origin is not list else items
    if origin is typing.Union or type(hint).__name__ == "UnionType":
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return None if data is None else _decode(options[0], data)
    if hint is int and isinstance(data, int | float):
        return int(data)
    if hint is float and isinstance(data, int | float):
        return float(data)
    return data


def evidence_to_json(evidence: Sequence[ColumnEvidence]) -> str:
    return json.dumps([_encode(ev) for ev in evidence], ensure_ascii=False, separators=(",", ":"))


def evidence_from_json(text: str) -> list[ColumnEvidence]:
    from nbsec.pii.evidence import ColumnEvidence

    return [_decode(ColumnEvidence, item) for item in json.loads(text)]


def scans_to_json(scans: dict[str, ColumnScan]) -> str:
    """Judged columns for the trip to the driver (masked examples only, never a value)."""
    return json.dumps([[name, _encode(scan)] for name, scan in scans.items()], ensure_ascii=False)


def scans_from_json(text: str) -> dict[str, ColumnScan]:
    return {str(name): _decode(ColumnScan, data) for name, data in json.loads(text)}


def judge_on_worker(
    parts: Iterable[Sequence[ColumnEvidence]], settings: EngineSettings
) -> tuple[str, bool]:
    """Merge and judge where the evidence already is (an executor, a worker), so the driver
    never loads the recognizers: ``(judged columns as JSON, every column complete)``."""
    merged = merge_columns(parts)
    if merged is None:
        return scans_to_json({}), True
    return scans_to_json(judge_columns(merged, settings)), all(e.complete for e in merged)
