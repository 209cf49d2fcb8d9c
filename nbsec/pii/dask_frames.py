"""PII in Dask DataFrames, scanned on the Dask workers.

One task graph, computed once with whatever scheduler is active (a ``distributed.Client`` if one
is, else Dask's default): a collect task per chosen partition (see
:mod:`nbsec.pii.partition_sample`: partitions chosen in a seeded order until they hold the sample,
each sampled in proportion to its rows, or every row of every partition in a full pass) turns its
rows into per-column evidence (:mod:`nbsec.pii.column_evidence`); a binary tree of merge tasks
folds the evidence together and one judge task classifies the columns. Only the judged columns
(entity types, shares, masked examples) and row counts are returned to the client; the frame is
never computed into it.

A sampled scan first asks Dask for the rows of each partition (:func:`partition_lengths`): read
from the files' metadata when Dask has it (parquet without filters, frames made from pandas),
else one ``len`` task per partition on the workers, of which only the counts come back. A full
pass counts the rows itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nbsec.errors import InputError
from nbsec.pii.partition_sample import PartitionSample, every_row, plan
from nbsec.pii.results import FrameScan
from nbsec.policy import Policy

if TYPE_CHECKING:
    from nbsec.pii.scan_job import EngineSettings


def is_dask_frame(obj: object) -> bool:
    if not type(obj).__module__.startswith("dask."):
        return False
    import dask.dataframe as dd

    return isinstance(obj, dd.DataFrame | dd.Series)


def _collect(
    part: Any, seed: int, quota: int, names: Sequence[str], settings: EngineSettings
) -> Any:
    """Evidence of one partition, of a seeded uniform sample of ``quota`` of its rows (every row
    for 0): ``(evidence per column, rows in the partition, rows used)``."""
    from nbsec.pii.column_evidence import collect_frame, empty_evidence
    from nbsec.pii.row_sample import BottomK

    if getattr(part, "ndim", 2) == 1:  # a Series partition
        part = part.to_frame()
    rows = len(part)
    if quota:
        picker = BottomK(quota, seed)
        picker.add(part)
        part = picker.frame()
        if part is None:
            return empty_evidence(names), rows, 0
    return collect_frame(part, names, settings), rows, len(part)


def _merge(a: Any, b: Any) -> Any:
    from nbsec.pii.column_evidence import merge_columns

    evidence_a, rows_a, used_a = a
    evidence_b, rows_b, used_b = b
    merged = merge_columns([evidence_a, evidence_b])
    return merged, rows_a + rows_b, used_a + used_b


def _judge(merged: Any, settings: EngineSettings) -> Any:
    """On a worker: the judged columns as JSON (masked examples only) and the counts, so the
    client never loads the recognizers."""
    from nbsec.pii.column_evidence import judge_on_worker

    evidence, rows, used = merged
    judged, complete = judge_on_worker([evidence], settings)
    return judged, rows, used, complete


def scan_dask(
    ddf: Any,
    *,
    sample: int,
    exhaustive: bool,
    policy: Policy,
    rows: int | None = None,
    job_group: str | None = None,
) -> FrameScan:
    """Scan a Dask DataFrame (or Series) on the Dask workers. With a ``distributed`` client and
    a ``job_group``, the scan is a future that :func:`cancel_scan` can cancel. ``rows`` is
    accepted like every frame kind's, and not used: the sample plan needs each partition's rows
    (:func:`partition_lengths`), whose sum is the frame's."""
    from nbsec.pii.column_evidence import engine_settings, scans_from_json, unique_names

    ddf = _as_frame(ddf)
    names = unique_names(ddf.columns)
    if not names:
        return FrameScan(rows=0, rows_scanned=0, exhaustive=True)
    try:
        total = 0
        if exhaustive:
            layout = every_row(ddf.npartitions)
        else:
            lengths = partition_lengths(ddf, job_group)
            total = sum(lengths)
            layout = plan(lengths, sample)
        full = layout.exhaustive
        settings = engine_settings(policy, full)
        text, counted, used, complete = _compute(ddf, names, layout, settings, job_group)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"Dask could not scan the frame: {_first_line(exc)}") from None
    result = FrameScan(
        rows=counted if full else total,
        rows_scanned=used,
        exhaustive=full and complete,
    )
    result.columns = scans_from_json(text)
    return result


def glance_dask(
    ddf: Any, *, sample: int, policy: Policy, job_group: str | None = None, **_: Any
) -> FrameScan:
    """A first look that computes one partition, never the frame: a seeded uniform sample of
    ``sample`` rows of the first partition, scanned on a worker (what the kernel does when it
    first sees a frame; no ``len``, which would read every partition's metadata or data)."""
    from nbsec.pii.column_evidence import engine_settings, scans_from_json, unique_names
    from nbsec.pii.row_sample import SEED

    ddf = _as_frame(ddf)
    names = unique_names(ddf.columns)
    if not names:
        return FrameScan(rows=0, rows_scanned=0, exhaustive=True)
    only = ddf.npartitions == 1
    layout = PartitionSample(ddf.npartitions, (0,), (max(1, sample),), SEED)
    try:
        settings = engine_settings(policy, False)
        text, counted, used, complete = _compute(ddf, names, layout, settings, job_group)
    except Exception as exc:
        raise InputError(f"Dask could not scan the frame: {_first_line(exc)}") from None
    whole = only and used == counted
    result = FrameScan(rows=counted, rows_scanned=used, exhaustive=whole and complete)
    result.rows_known = only
    result.columns = scans_from_json(text)
    return result


def _as_frame(ddf: Any) -> Any:
    return ddf if hasattr(ddf, "columns") else ddf.to_frame()


def _compute(
    ddf: Any,
    names: Sequence[str],
    layout: PartitionSample,
    settings: EngineSettings,
    job_group: str | None,
) -> tuple[str, int, int, bool]:
    """One graph: collect the chosen partitions, merge in a binary tree, judge on a worker."""
    from dask import delayed  # type: ignore[attr-defined]

    parts = ddf.to_delayed()
    collect = delayed(_collect, pure=True)
    merge = delayed(_merge, pure=True)
    level = [
        collect(parts[i], layout.seed + i, layout.quota(k), names, settings)
        for k, i in enumerate(layout.chosen)
    ]
    while len(level) > 1:
        paired = [merge(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    wire = delayed(_judge, pure=True)(level[0], settings)
    text, counted, used, complete = _run(wire, job_group)
    return str(text), int(counted), int(used), bool(complete)


def partition_lengths(ddf: Any, job_group: str | None = None) -> tuple[int, ...]:
    """The rows of each partition: from metadata when Dask knows them (parquet statistics, a
    frame made from pandas), else one ``len`` task per partition computed by Dask (only the
    counts come back)."""
    planner = _query_planner()
    if planner is None or not hasattr(ddf, "expr"):
        return counted_lengths(ddf, job_group)
    lengths, literal, new_collection = planner
    expr = lengths(ddf.expr).optimize()
    if isinstance(expr, literal):  # known from metadata: nothing to compute
        return tuple(int(n) for n in expr.value)
    return tuple(int(n) for n in _run(new_collection(expr), job_group))


def counted_lengths(ddf: Any, job_group: str | None = None) -> tuple[int, ...]:
    """The rows of each partition, one ``len`` task per partition (any Dask frame)."""
    return tuple(int(n) for n in _run(ddf.map_partitions(len), job_group))


def _query_planner() -> tuple[Any, Any, Any] | None:
    """Dask's query planner's partition-lengths expression, its literal and ``new_collection``
    (inside ``dask.dataframe`` since Dask 2025.1, the ``dask_expr`` package before)."""
    try:
        from dask.dataframe.dask_expr import _collection, _expr
    except ImportError:
        try:
            from dask_expr import _collection, _expr  # type: ignore[import-not-found,no-redef]
        except ImportError:
            return None
    return _expr.Lengths, _expr.Literal, _collection.new_collection  # type: ignore[attr-defined]


def _run(graph: Any, job_group: str | None) -> Any:
    """Compute ``graph`` with the active scheduler; through the ``distributed`` client as a
    future that :func:`cancel_scan` can cancel when there is a client and a ``job_group``."""
    from dask import compute  # type: ignore[attr-defined]

    client = _client() if job_group else None
    if client is not None and job_group:
        future = client.compute(graph)
        _running[job_group] = future
        try:
            return future.result()
        finally:
            _running.pop(job_group, None)
    return compute(graph)[0]  # type: ignore[no-untyped-call]


_running: dict[str, Any] = {}


def _client() -> Any:
    """The current ``distributed`` client, if there is one (never starts one)."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()  # type: ignore[no-untyped-call]
    except ValueError:
        return None


def cancel_scan(group: str) -> None:
    """Cancel the running scan started with ``job_group=group`` (distributed only)."""
    future = _running.get(group)
    if future is not None:
        future.cancel()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
