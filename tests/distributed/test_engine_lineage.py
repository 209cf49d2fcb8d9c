"""Lineage of Spark and Dask reads and writes: the paths, globs, directories and tables a call
names are recorded where the call is made (the I/O itself happens on executors / workers), and
the files behind a local dataset are hashed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.lineage.conftest import make_session, shell  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow


def _uris(accesses: list[Any], root: Path) -> list[str]:
    return sorted(a.uri.replace(str(root) + "/", "") for a in accesses)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    for region in ("EU", "US"):
        part = tmp_path / "lake" / f"region={region}"
        part.mkdir(parents=True)
        pd.DataFrame({"email": [f"a{region}@x.example.com"] * 3}).to_parquet(
            part / "part-0.parquet"
        )
    pd.DataFrame({"n": [1, 2]}).to_csv(tmp_path / "a.csv", index=False)
    pd.DataFrame({"n": [3, 4]}).to_csv(tmp_path / "b.csv", index=False)
    return tmp_path


def test_dask_reads_and_writes_name_their_paths(make_session: Any, lake: Path) -> None:  # noqa: F811
    session = make_session(
        [
            "import dask.dataframe as dd",
            "people = dd.read_parquet('lake')",
            "counts = dd.read_csv('*.csv')",
            "counts.to_csv('out-*.csv', index=False, scheduler='threads')",
        ]
    )
    session.run(0)
    reads = session.run(1).reads
    assert _uris(reads, lake) == [
        "lake",
        "lake/region=EU/part-0.parquet",
        "lake/region=US/part-0.parquet",
    ]
    hashed = [a for a in reads if a.uri.endswith(".parquet")]
    assert all(a.sha256 and len(a.sha256) == 64 for a in hashed)
    assert _uris(session.run(2).reads, lake) == ["*.csv", "a.csv", "b.csv"]
    # the local threaded scheduler writes in this process: the files themselves are recorded
    assert {"out-*.csv", "out-0.csv", "out-1.csv"} <= set(_uris(session.run(3).writes, lake))


def test_dask_write_on_a_cluster_names_its_target(
    make_session: Any,  # noqa: F811
    lake: Path,
    dask_client: Any,
) -> None:
    # the workers write (not this process): the path the call names is what is recorded
    session = make_session(
        [
            "import dask.dataframe as dd\ncounts = dd.read_csv('*.csv')",
            "counts.to_csv('cluster-*.csv', index=False)\ncounts.to_parquet('cluster.parquet')",
        ]
    )
    session.run(0)
    written = _uris(session.run(1).writes, lake)
    assert {"cluster-*.csv", "cluster.parquet"} <= set(written)
    assert (lake / "cluster-0.csv").is_file()


def test_spark_reads_writes_and_tables(spark: Any, make_session: Any, lake: Path) -> None:  # noqa: F811
    # the JVM resolves relative paths against its own working directory: name them absolutely
    session = make_session(
        [
            "from pyspark.sql import SparkSession\nspark = SparkSession.getActiveSession()",
            f"people = spark.read.parquet('{lake}/lake/region=EU', '{lake}/lake/region=US')",
            f"counts = spark.read.option('header', True).csv('{lake}/*.csv')",
            f"counts.write.mode('overwrite').parquet('{lake}/counts.parquet')",
            "counts.createOrReplaceTempView('counts_view')\nt = spark.table('counts_view')",
        ]
    )
    session.run(0)
    people = session.run(1)
    assert people.error is None
    assert _uris(people.reads, lake) == [
        "lake/region=EU",
        "lake/region=EU/part-0.parquet",
        "lake/region=US",
        "lake/region=US/part-0.parquet",
    ]
    assert _uris(session.run(2).reads, lake)[:3] == ["*.csv", "a.csv", "b.csv"]
    assert "counts.parquet" in _uris(session.run(3).writes, lake)
    assert "spark-table:counts_view" in [a.uri for a in session.run(4).reads]
