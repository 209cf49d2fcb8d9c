"""PII in Dask DataFrames, scanned on the Dask workers.

One task graph, computed once with whatever scheduler is active (a ``distributed.Client`` if one
is, else Dask's default): a collect task per chosen partition (a seeded choice of
:data:`~nbsec.pii.partition_sample.MAX_PARTITIONS` partitions, each sampled uniformly, or every
row of every partition in a full pass) turns its rows into per-column evidence
(:mod:`nbsec.pii.column_evidence`); a binary tree of merge tasks folds the evidence together and
one judge task classifies the columns. Only the judged columns (entity types, shares, masked
examples) and row counts are returned to the client; the frame is never computed into it.

The row count comes from Dask (``len``, which for parquet reads the files' metadata) unless the
caller passes it; a full pass counts the rows itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nbsec.errors import InputError
from nbsec.pii.partition_sample import PartitionSample, plan
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
    part: Any, index: int, layout: PartitionSample, names: Sequence[str], settings: EngineSettings
) -> Any:
    """Evidence of one partition: ``(evidence per column, rows in the partition, rows used)``."""
    from nbsec.pii.column_evidence import collect_frame, empty_evidence
    from nbsec.pii.row_sample import BottomK

    if getattr(part, "ndim", 2) == 1:  # a Series partition
        part = part.to_frame()
    rows = len(part)
    if not layout.exhaustive:
        picker = BottomK(layout.quota, layout.seed + index)
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
    a ``job_group``, the scan is a future that :func:`cancel_scan` can cancel."""
    from nbsec.pii.column_evidence import engine_settings, scans_from_json, unique_names

    ddf = _as_frame(ddf)
    names = unique_names(ddf.columns)
    if not names:
        return FrameScan(rows=0, rows_scanned=0, exhaustive=True)
    try:
        total = rows
        if total is None and not exhaustive:
            total = len(ddf)
        full = exhaustive or (total is not None and total <= sample)
        layout = plan(ddf.npartitions, sample, exhaustive=full)
        settings = engine_settings(policy, full)
        text, counted, used, complete = _compute(ddf, names, layout, settings, job_group)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"Dask could not scan the frame: {_first_line(exc)}") from None
    result = FrameScan(
        rows=counted if full else int(total or counted),
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
    layout = PartitionSample(ddf.npartitions, (0,), max(1, sample), SEED)
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
    from dask import compute, delayed  # type: ignore[attr-defined]

    parts = ddf.to_delayed()
    collect = delayed(_collect, pure=True)
    merge = delayed(_merge, pure=True)
    level = [collect(parts[i], i, layout, names, settings) for i in layout.chosen]
    while len(level) > 1:
        paired = [merge(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    wire = delayed(_judge, pure=True)(level[0], settings)
    client = _client() if job_group else None
    if client is not None and job_group:
        future = client.compute(wire)
        _running[job_group] = future
        try:
            text, counted, used, complete = future.result()
        finally:
            _running.pop(job_group, None)
    else:
        computed = compute(wire)  # type: ignore[no-untyped-call]
        text, counted, used, complete = computed[0]
    return str(text), int(counted), int(used), bool(complete)


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
