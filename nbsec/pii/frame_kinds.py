"""Frame kinds beyond pandas and polars: how to recognise, describe and scan each one.

:func:`nbsec.pii.scan_dataframe` and the kernel's frame watch ask this registry about any value
that is not a pandas or polars frame. A kind is recognised by its class's top-level module first
(a string compare), so nothing here imports pyspark or dask unless the value already comes from
them. Each kind says:

* ``describe(frame)``: what can be known without running anything (columns, partitions), used to
  notice a new or changed frame cheaply;
* ``scan(frame, sample=, exhaustive=, policy=, rows=, job_group=)``: the PII scan inside the
  frame's own engine;
* ``cancel(frame, job_group)``: stop the engine work of a scan started with that ``job_group``;
* ``glance(frame, sample=, policy=, job_group=)``: a first look that never computes the frame
  whole (Spark's first rows, Dask's first partition), for the kernel's first sight of a frame.

Add a kind with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nbsec.pii.results import FrameScan
from nbsec.policy import Policy

ScanFunction = Callable[..., FrameScan]


@dataclass(frozen=True)
class FrameKind:
    name: str  # "spark", "pandas-on-spark", "dask"
    modules: tuple[str, ...]  # top-level modules whose classes may be of this kind
    matches: Callable[[object], bool]
    describe: Callable[[Any], dict[str, Any]]
    scan: ScanFunction
    cancel: Callable[[Any, str], None]  # (frame, job group): stop a scan's running work
    # glance(frame, sample=, policy=, job_group=): a first look that never computes the frame
    # whole (its first rows / first partition); the scan itself when None
    glance: ScanFunction | None = None


_KINDS: list[FrameKind] = []


def register(kind: FrameKind) -> None:
    """Add (or replace, by name) a frame kind."""
    _KINDS[:] = [k for k in _KINDS if k.name != kind.name]
    _KINDS.append(kind)


def kind_of(obj: object) -> FrameKind | None:
    """The kind of ``obj``, or ``None``; imports nothing for values of other libraries."""
    top = type(obj).__module__.split(".", 1)[0]
    for kind in _KINDS:
        if top in kind.modules and kind.matches(obj):
            return kind
    return None


def _spark_describe(frame: Any) -> dict[str, Any]:
    from nbsec.pii.spark_frames import spark_frame_of

    df = spark_frame_of(frame)
    return {"engine": "spark", "columns": [str(c) for c in df.columns]}


def _dask_describe(frame: Any) -> dict[str, Any]:
    columns = list(frame.columns) if hasattr(frame, "columns") else [frame.name]
    return {
        "engine": "dask",
        "columns": [str(c) for c in columns],
        "partitions": int(frame.npartitions),
    }


def _spark_scan(frame: Any, **kwargs: Any) -> FrameScan:
    from nbsec.pii.spark_frames import scan_spark

    return scan_spark(frame, **kwargs)


def _dask_scan(frame: Any, **kwargs: Any) -> FrameScan:
    from nbsec.pii.dask_frames import scan_dask

    return scan_dask(frame, **kwargs)


def _spark_glance(frame: Any, **kwargs: Any) -> FrameScan:
    from nbsec.pii.spark_frames import glance_spark

    return glance_spark(frame, **kwargs)


def _dask_glance(frame: Any, **kwargs: Any) -> FrameScan:
    from nbsec.pii.dask_frames import glance_dask

    return glance_dask(frame, **kwargs)


def _spark_cancel(frame: Any, group: str) -> None:
    from nbsec.pii.spark_frames import cancel_jobs

    cancel_jobs(frame, group)


def _dask_cancel(frame: Any, group: str) -> None:
    from nbsec.pii.dask_frames import cancel_scan

    cancel_scan(group)


def _is_spark(obj: object) -> bool:
    from nbsec.pii.spark_frames import is_spark_frame

    return is_spark_frame(obj)


def _is_pandas_on_spark(obj: object) -> bool:
    from nbsec.pii.spark_frames import is_pandas_on_spark

    return is_pandas_on_spark(obj)


def _is_dask(obj: object) -> bool:
    from nbsec.pii.dask_frames import is_dask_frame

    return is_dask_frame(obj)


def scan_frame(
    kind: FrameKind,
    frame: Any,
    *,
    sample: int,
    exhaustive: bool,
    policy: Policy,
    rows: int | None = None,
) -> FrameScan:
    """Scan ``frame`` with its kind's engine (the sample size is the caller's)."""
    return kind.scan(frame, sample=sample, exhaustive=exhaustive, policy=policy, rows=rows)


register(
    FrameKind(
        "pandas-on-spark",
        ("pyspark",),
        _is_pandas_on_spark,
        _spark_describe,
        _spark_scan,
        _spark_cancel,
        _spark_glance,
    )
)
register(
    FrameKind(
        "spark", ("pyspark",), _is_spark, _spark_describe, _spark_scan, _spark_cancel, _spark_glance
    )
)
register(
    FrameKind("dask", ("dask",), _is_dask, _dask_describe, _dask_scan, _dask_cancel, _dask_glance)
)
