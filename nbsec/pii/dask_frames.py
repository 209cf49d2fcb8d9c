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
from typing import Any

from nbsec.errors import InputError
from nbsec.pii.partition_sample import PartitionSample, plan
from nbsec.pii.results import FrameScan
from nbsec.policy import Policy


def is_dask_frame(obj: object) -> bool:
    if not type(obj).__module__.startswith("dask."):
        return False
    import dask.dataframe as dd

    return isinstance(obj, dd.DataFrame | dd.Series)


def _collect(part: Any, index: int, layout: PartitionSample, max_distinct: int) -> Any:
    """Evidence of one partition: ``(evidence per column, rows in the partition, rows used)``."""
    from nbsec.pii.column_evidence import ColumnEvidence, collect_frame
    from nbsec.pii.row_sample import BottomK

    if getattr(part, "ndim", 2) == 1:  # a Series partition
        part = part.to_frame()
    evidence = [ColumnEvidence(max_distinct=max_distinct) for _ in range(part.shape[1])]
    rows = len(part)
    if layout.exhaustive:
        collect_frame(part, evidence)
        return evidence, rows, rows
    picker = BottomK(layout.quota, layout.seed + index)
    picker.add(part)
    chosen = picker.frame()
    if chosen is not None:
        collect_frame(chosen, evidence)
    return evidence, rows, 0 if chosen is None else len(chosen)


def _merge(a: Any, b: Any) -> Any:
    evidence_a, rows_a, used_a = a
    evidence_b, rows_b, used_b = b
    for mine, theirs in zip(evidence_a, evidence_b, strict=True):
        mine.merge(theirs)
    return evidence_a, rows_a + rows_b, used_a + used_b


def _judge(merged: Any, names: Sequence[str], policy: Policy, exhaustive: bool) -> Any:
    """On a worker: the judged columns as JSON (masked examples only) and the counts."""
    from nbsec.pii.column_evidence import judge_columns, scan_to_json

    evidence, rows, used = merged
    scans = judge_columns(names, evidence, policy, exhaustive)
    complete = all(e.complete for e in evidence)
    return [scan_to_json(s) for s in scans], rows, used, complete


def scan_dask(
    ddf: Any,
    *,
    sample: int,
    exhaustive: bool,
    policy: Policy,
    rows: int | None = None,
    max_distinct: int | None = None,
    job_group: str | None = None,
) -> FrameScan:
    """Scan a Dask DataFrame (or Series) on the Dask workers. With a ``distributed`` client and
    a ``job_group``, the scan is a future that :func:`cancel_scan` can cancel."""
    from dask import compute, delayed  # type: ignore[attr-defined]

    from nbsec.pii.column_evidence import MAX_DISTINCT, scan_from_json

    if not hasattr(ddf, "columns"):
        ddf = ddf.to_frame()
    names = [str(c) for c in ddf.columns]
    if not names:
        return FrameScan(rows=0, rows_scanned=0, exhaustive=True)
    try:
        total = rows
        if total is None and not exhaustive:
            total = len(ddf)
        full = exhaustive or (total is not None and total <= sample)
        layout = plan(ddf.npartitions, sample, exhaustive=full)
        parts = ddf.to_delayed()
        limit = max_distinct or max(MAX_DISTINCT, sample)
        collect = delayed(_collect, pure=True)
        merge = delayed(_merge, pure=True)
        level = [collect(parts[i], i, layout, limit) for i in layout.chosen]
        while len(level) > 1:
            paired = [merge(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                paired.append(level[-1])
            level = paired
        judged = delayed(_judge, pure=True)(level[0], names, policy, full)
        client = _client() if job_group else None
        if client is not None and job_group:
            future = client.compute(judged)
            _running[job_group] = future
            try:
                scans, counted, used, complete = future.result()
            finally:
                _running.pop(job_group, None)
        else:
            computed = compute(judged)  # type: ignore[no-untyped-call]
            scans, counted, used, complete = computed[0]
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"Dask could not scan the frame: {_first_line(exc)}") from None
    result = FrameScan(
        rows=counted if full else int(total or counted),
        rows_scanned=used,
        exhaustive=full and complete,
    )
    for text in scans:
        scan = scan_from_json(text)
        key = scan.name
        i = 2
        while key in result.columns:
            key = f"{scan.name}.{i}"
            i += 1
        result.columns[key] = scan
    return result


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
