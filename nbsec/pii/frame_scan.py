"""Scan whole frames and tables: the public entry points on top of the scan job.

``scan_dataframe`` runs a :class:`~nbsec.pii.scan_job.ScanJob` to completion: a seeded random
sample of rows (``sample``, from the policy: 10,000), read in rounds so a column that one entity
already fills stops after 2,000 rows; ``exhaustive=True`` reads every value. ``scan_table`` is
for tables parsed back from saved outputs (every value read, the header as context).

Both end in the same two halves as Spark and Dask scans do: evidence collection
(:mod:`nbsec.pii.evidence`), then the column judge with the frame's row context
(:mod:`nbsec.pii.judge`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nbsec.pii import judge as jm
from nbsec.pii.results import FrameScan
from nbsec.pii.scan_job import ScanJob, scan_evidence, settings_from_policy
from nbsec.policy import Policy


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
    if policy is None:
        from nbsec.policy import load_policy

        policy = load_policy(None)
    if sample is not None and sample <= 0:
        from nbsec.errors import InputError

        raise InputError("scan_dataframe: sample must be a positive number of rows")
    # Spark, pandas-on-Spark and Dask frames are scanned inside their own engine
    from nbsec.pii.frame_kinds import kind_of, scan_frame

    kind = kind_of(df)
    if kind is not None:
        return scan_frame(
            kind, df, sample=sample or policy.pii.sample, exhaustive=exhaustive, policy=policy
        )
    job = ScanJob(df, sample=sample, exhaustive=exhaustive, policy=policy)
    job.run()
    return job.result()


def scan_table(
    columns: Mapping[str, Sequence[str | None]], *, policy: Policy | None = None
) -> FrameScan:
    """Scan a table parsed back from a saved output (header -> cell strings). Every value is
    checked; the header is used as context like a column name."""
    settings = settings_from_policy(policy, exhaustive=True)
    evidence, registry = scan_evidence(columns, settings)
    rows = max((len(v) for v in columns.values()), default=0)
    result = FrameScan(rows=rows, rows_scanned=rows, exhaustive=True)
    result.columns = jm.judge_frame(evidence, registry, settings.judge)
    return result
