"""The first look at an engine frame (what the kernel does when it first sees one) never computes
the frame whole: Spark runs tasks on the first partition only (its status tracker says so), Dask
computes the first partition only (its task stream says so); the sampled scan, by contrast, reads
every partition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from nbsec.pii.background_scan import BackgroundScan
from nbsec.pii.frame_kinds import kind_of
from nbsec.policy import PiiSettings, Policy

pytestmark = pytest.mark.slow

POLICY = Policy(pii=PiiSettings(sample=2000))
PARTITIONS = 8


def _people(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": range(rows),
            "email": [f"client{i}@mail.example.org" for i in range(rows)],
            "spend": [i * 0.5 for i in range(rows)],
        }
    )


def _spark_tasks(spark: Any, group: str) -> int:
    """Tasks of every stage of every job Spark ran in ``group``."""
    tracker = spark.sparkContext.statusTracker()
    tasks = 0
    for job in tracker.getJobIdsForGroup(group):
        info = tracker.getJobInfo(job)
        assert info is not None
        for stage in info.stageIds:
            stage_info = tracker.getStageInfo(stage)
            tasks += stage_info.numTasks if stage_info is not None else 0
    return tasks


def _spark_people(spark: Any) -> Any:
    from pyspark.sql import functions as F

    return spark.range(0, 80_000, numPartitions=PARTITIONS).select(
        F.col("id").alias("customer_id"),
        F.concat(F.lit("client"), F.col("id"), F.lit("@mail.example.org")).alias("email"),
        (F.col("id") * 0.5).alias("spend"),
    )


def test_spark_first_look_reads_the_first_partition_only(spark: Any) -> None:
    frame = _spark_people(spark)
    kind = kind_of(frame)
    assert kind is not None and kind.glance is not None
    job = BackgroundScan(kind, frame, sample=2000, exhaustive=False, policy=POLICY, glance=True)
    assert job.wait(180) and job.error is None and job.scan is not None
    scan = job.scan
    assert list(scan.pii_columns) == ["email"]
    assert scan.pii_columns["email"].entity_types == ["EMAIL_ADDRESS"]
    assert (scan.rows_scanned, scan.rows_known, scan.exhaustive) == (2000, False, False)
    assert "first 2000 rows" in scan.findings(_here(), "people")[0].message
    assert "client1@mail.example.org" not in repr(scan.to_dict())
    # one task on one partition, where a pass over the frame needs one per partition
    first_look_tasks = _spark_tasks(spark, job.group)
    assert 1 <= first_look_tasks < PARTITIONS


@pytest.mark.long
def test_spark_sampled_scan_runs_every_partition(spark: Any) -> None:
    """The contrast that makes the task count above meaningful."""
    frame = _spark_people(spark)
    kind = kind_of(frame)
    assert kind is not None
    sampled = BackgroundScan(kind, frame, sample=2000, exhaustive=False, policy=POLICY)
    assert sampled.wait(300) and sampled.error is None and sampled.scan is not None
    assert sampled.scan.rows == 80_000 and sampled.scan.rows_known
    assert _spark_tasks(spark, sampled.group) >= PARTITIONS


def test_spark_first_look_of_a_small_frame_is_all_of_it(spark: Any) -> None:
    frame = spark.createDataFrame(_people(300))
    kind = kind_of(frame)
    assert kind is not None and kind.glance is not None
    scan = kind.glance(frame, sample=2000, policy=POLICY)
    assert (scan.rows, scan.rows_scanned, scan.rows_known) == (300, 300, True)
    assert scan.exhaustive and list(scan.pii_columns) == ["email"]


def test_dask_first_look_computes_the_first_partition_only(
    dask_client: Any, tmp_path: Path
) -> None:
    import dask.dataframe as dd
    from distributed import get_task_stream

    folder = tmp_path / "people"
    folder.mkdir()
    people = _people(40_000)
    size = len(people) // PARTITIONS
    for i in range(PARTITIONS):
        people.iloc[i * size : (i + 1) * size].to_parquet(folder / f"part-{i:03d}.parquet")
    frame = dd.read_parquet(str(folder))
    assert frame.npartitions == PARTITIONS
    kind = kind_of(frame)
    assert kind is not None and kind.glance is not None

    with get_task_stream(dask_client) as stream:
        job = BackgroundScan(kind, frame, sample=2000, exhaustive=False, policy=POLICY, glance=True)
        assert job.wait(180) and job.error is None and job.scan is not None
    scan = job.scan
    assert list(scan.pii_columns) == ["email"]
    assert (scan.rows, scan.rows_scanned, scan.rows_known) == (size, 2000, False)
    assert _read_partitions(stream.data) == {0}

    with get_task_stream(dask_client) as stream:
        sampled = BackgroundScan(kind, frame, sample=2000, exhaustive=False, policy=POLICY)
        assert sampled.wait(180) and sampled.error is None and sampled.scan is not None
    assert sampled.scan.rows == 40_000
    assert _read_partitions(stream.data) == set(range(PARTITIONS))


def _read_partitions(tasks: list[dict[str, Any]]) -> set[int]:
    """Partitions of the parquet read that ran as tasks (keys ``("read_parquet-...", i)``)."""
    found: set[int] = set()
    for task in tasks:
        key = task["key"]
        if isinstance(key, tuple) and "parquet" in str(key[0]).lower():
            found.add(int(key[1]))
    return found


def _here() -> Any:
    from nbsec.findings import Location

    return Location(path="<kernel>")
