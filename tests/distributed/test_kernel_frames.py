"""Dask and Spark frames in a real kernel: noticed without a job, a first look in the background
(the first partition / first rows, never the whole frame), findings after a later cell, full pass
with ``%nbsec scan``, shown in the panel's state."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbsec.kernel.display import MIME_TYPE
from tests.kernel.harness import Kernel

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

IMPORTS = "import dask, pandas as pd, dask.dataframe as dd"

DASK_CELL = """\
dask.config.set(scheduler="threads")
customers = dd.from_pandas(pd.DataFrame({
    "customer_id": range(1, 3001),
    "contact": [f"user{i}@example.com" for i in range(3000)],
    "spend": [i * 1.5 for i in range(3000)],
}), npartitions=4)
"""

HANDSHAKE = {"type": "handshake", "v": 2, "payload": {"client": "t", "protocol": 2}}


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[Kernel]:
    k = Kernel(cwd=tmp_path, env={**os.environ, "PYSPARK_PYTHON": sys.executable})
    try:
        yield k
    finally:
        k.stop()


def _findings(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The personal-data findings shown (dask's own pickle round trips also make the load
    guard speak; that is the guard's matter, not this test's)."""
    out: list[dict[str, Any]] = []
    for r in results:
        if MIME_TYPE in r:
            out += [f for f in r[MIME_TYPE]["findings"] if f["rule"].startswith("NBS-PII")]
    return out


def _until_found(kernel: Kernel, tries: int = 60) -> list[dict[str, Any]]:
    """Run trivial cells until the background scan's findings are shown (or give up)."""
    for _ in range(tries):
        found = _findings(kernel.execute("import time; time.sleep(0.5)").results)
        if found:
            return found
    return []


def test_dask_frame_is_noticed_without_computing_and_scanned_in_the_background(
    kernel: Kernel,
) -> None:
    kernel.execute(IMPORTS, timeout=120)
    kernel.execute("%load_ext nbsec")
    made = kernel.execute(DASK_CELL, timeout=120)
    assert made.status == "ok"
    assert _findings(made.results) == []  # the cell itself is not held up by the scan
    found = _until_found(kernel)
    assert [(f["rule"], "'contact'" in f["message"]) for f in found] == [("NBS-PII-001", True)]
    # the first look computed the first of the 4 partitions only, not the frame
    assert found[0]["message"].endswith(", first 750 rows")
    assert "user1@example.com" not in json.dumps(found)
    table = kernel.execute("%nbsec scan customers", timeout=180)
    assert table.status == "ok" and "EMAIL_ADDRESS" in table.text()
    # the panel sees it like a pandas frame: rows counted by the full pass, PII columns
    comm = kernel.comm_open("nbsec", HANDSHAKE)
    assert kernel.comm_next(comm)[1]["success"] is True
    kernel.comm_send(comm, {"type": "get_state", "v": 2, "id": "s", "payload": {}})
    while True:
        reply = kernel.comm_next(comm)[1]
        if "success" in reply:
            break
    frame = reply["payload"]["state"]["frames"]["customers"]
    assert frame["rows"] == 3000 and frame["exhaustive"] is True
    assert list(frame["pii_columns"]) == ["contact"]


@pytest.mark.long
def test_spark_frame_in_the_kernel(kernel: Kernel) -> None:
    kernel.execute("%load_ext nbsec")
    made = kernel.execute(
        "from pyspark.sql import SparkSession, functions as F\n"
        "spark = (SparkSession.builder.master('local[1]')"
        ".config('spark.ui.enabled', 'false').getOrCreate())\n"
        "people = spark.range(0, 50000, numPartitions=4).select("
        "F.col('id'),"
        " F.concat(F.lit('p'), F.col('id'), F.lit('@mail.example.org')).alias('email'))",
        timeout=300,
    )
    assert made.status == "ok"
    found = _until_found(kernel, tries=240)
    assert [(f["rule"], "'email'" in f["message"]) for f in found] == [("NBS-PII-001", True)]
    assert found[0]["message"].endswith(", first 10000 rows")  # Spark's first rows only
    full = kernel.execute("%nbsec scan people", timeout=300)
    assert full.status == "ok" and "EMAIL_ADDRESS" in full.text()
    kernel.execute("spark.stop()", timeout=60)
