"""Background scans of Spark and Dask frames: they finish off the caller's thread and cancel."""

from __future__ import annotations

import time
from typing import Any

import pytest

from nbsec.pii.background_scan import BackgroundScan
from nbsec.pii.frame_kinds import kind_of
from nbsec.policy import Policy
from tests.distributed.frames import customers

pytestmark = pytest.mark.slow


def _slow(values):  # type: ignore[no-untyped-def]
    time.sleep(30)
    return values


@pytest.mark.long
def test_spark_scan_in_the_background_then_cancelled(spark: Any) -> None:
    from pyspark.sql import functions as F

    frame = customers(500)[["email", "ssn"]]
    sdf = spark.createDataFrame(frame)
    kind = kind_of(sdf)
    assert kind is not None and kind.name == "spark"
    assert kind.describe(sdf) == {"engine": "spark", "columns": ["email", "ssn"]}
    job = BackgroundScan(kind, sdf, sample=10_000, exhaustive=False, policy=Policy())
    assert job.wait(240) and job.error is None and job.scan is not None
    assert job.scan.columns["email"].entity_types == ["EMAIL_ADDRESS"]

    slow = sdf.select(F.udf(_slow, "string")(F.col("email")).alias("email"))
    stuck = BackgroundScan(kind, slow, sample=10_000, exhaustive=True, policy=Policy())
    assert not stuck.wait(2)
    started = time.monotonic()
    stuck.cancel()
    assert stuck.wait(25), "cancelled Spark jobs should stop well before the UDF's 30 s"
    assert stuck.error == "cancelled" and stuck.scan is None
    assert time.monotonic() - started < 25


@pytest.mark.long
def test_dask_scan_in_the_background_then_cancelled(dask_client: Any) -> None:
    import dask.dataframe as dd

    ddf = dd.from_pandas(customers(600)[["email", "iban"]], npartitions=3)
    kind = kind_of(ddf)
    assert kind is not None and kind.name == "dask"
    assert kind.describe(ddf)["partitions"] == 3
    done: list[BackgroundScan] = []
    job = BackgroundScan(
        kind, ddf, sample=10_000, exhaustive=True, policy=Policy(), on_done=done.append
    )
    assert job.wait(120) and job.error is None and done == [job]
    assert job.scan is not None and job.scan.columns["iban"].entity_types == ["IBAN_CODE"]

    slow = ddf.map_partitions(_slow, meta=ddf._meta)
    stuck = BackgroundScan(kind, slow, sample=10_000, exhaustive=True, policy=Policy())
    assert not stuck.wait(2)
    stuck.cancel()
    assert stuck.wait(20) and stuck.error == "cancelled"
    # a sampled scan first counts each partition's rows on the workers: cancelled there too
    counting = BackgroundScan(kind, slow, sample=100, exhaustive=False, policy=Policy())
    assert not counting.wait(2)
    counting.cancel()
    assert counting.wait(20) and counting.error == "cancelled"
