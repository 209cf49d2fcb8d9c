"""A real local SparkSession and a real Dask LocalCluster, each started once per test session.

Both are started only when a test asks for them and stopped at the end. Without Java or pyspark
(or dask) the tests that need them are skipped, except under ``CI=true``, where a missing engine
fails them: ``make install`` installs everything they need.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing; `make install` should have installed it")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        _missing("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _missing("a Java runtime")
    # the executors' Python must be this one (it has nbsec and pandas)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("nbsec-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        _missing("dask.distributed")
    from nbsec.commands.batch_runner import _startable_main

    # an IPython shell made by an earlier test replaced ``__main__`` (no ``__spec__``): the
    # nannies' worker processes must start all the same
    with _startable_main():
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            scheduler_port=0,
            memory_limit="1GiB",
        )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
