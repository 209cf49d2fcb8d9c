"""Dask and Spark frames in a real kernel: noticed without a job, a first look in the background
(the first partition / first rows, never the whole frame) that reaches the panel and ``%nbsec
frames`` as soon as it ends, without another cell; findings after the next cell, full pass with
``%nbsec scan``, shown in the panel's state."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbsec.kernel.display import MIME_TYPE
from tests.kernel.harness import Execution, Kernel

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


# hooks around nbsec's own: ``before`` runs first (registered before the load), ``after`` last
TIMING = """\
import time as _time
_hook_times = []
def _mark(what):
    return lambda *args: _hook_times.append((what, _time.perf_counter()))
for _event in ("pre_run_cell", "post_run_cell"):
    get_ipython().events.register(_event, _mark(_event + " before"))
"""
TIMING_AFTER = """\
for _event in ("pre_run_cell", "post_run_cell"):
    get_ipython().events.register(_event, _mark(_event + " after"))
"""


def _added_ms(kernel: Kernel) -> float:
    """Milliseconds nbsec's pre/post_run_cell hooks took in the cell before the last one."""
    out = kernel.execute(
        "_t = dict(_hook_times[-10:-6]); print(round(1000 * ("
        "_t['pre_run_cell after'] - _t['pre_run_cell before']"
        " + _t['post_run_cell after'] - _t['post_run_cell before']), 2))"
    )
    return float(out.stdout)


def _upserted(kernel: Kernel, comm: str, name: str, timeout: float) -> dict[str, Any]:
    """The frame's summary from the first panel ``update`` carrying it (no cell runs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, data = kernel.comm_next(comm, timeout=max(0.1, deadline - time.monotonic()))
        if data.get("type") == "update":
            frame = data["payload"].get("frames", {}).get("upsert", {}).get(name)
            if frame is not None:
                return dict(frame)
    raise AssertionError(f"no update with {name!r} within {timeout} s")


def _first_look_without_another_cell(
    kernel: Kernel, setup: str, make: str, name: str, column: str, timeout: float
) -> tuple[dict[str, Any], Execution, float]:
    kernel.execute(setup, timeout=300)
    kernel.execute(TIMING)
    kernel.execute("%load_ext nbsec")
    kernel.execute(TIMING_AFTER)
    comm = kernel.comm_open("nbsec", HANDSHAKE)
    assert kernel.comm_next(comm)[1]["success"] is True
    made = kernel.execute(make, timeout=300)
    assert made.status == "ok" and _findings(made.results) == []
    frame = _upserted(kernel, comm, name, timeout)  # the panel has it: no cell ran meanwhile
    assert list(frame["pii_columns"]) == [column]
    assert frame["rows_known"] is False and frame["exhaustive"] is False
    # the next cell lists it (its own hooks have not run yet when the magic runs)
    listed = kernel.execute("%nbsec frames")
    assert listed.status == "ok"
    return frame, listed, _added_ms(kernel)


def test_a_dask_frame_reaches_the_panel_and_frames_without_another_cell(
    kernel: Kernel,
) -> None:
    frame, listed, added = _first_look_without_another_cell(
        kernel, IMPORTS, DASK_CELL, "customers", "contact", timeout=120
    )
    assert frame["rows_scanned"] == 750 and frame["engine"] == "dask"  # the first partition
    [line] = [ln for ln in listed.text().splitlines() if ln.strip().startswith("customers")]
    assert "dask" in line and "first 750 rows" in line and "contact: EMAIL_ADDRESS" in line
    assert line.rstrip().endswith("done")
    # the cell that made the frame ran no Dask task: nbsec's hooks stay near the 50 ms budget
    print(f"nbsec's hooks in the cell that made a Dask frame: {added} ms")
    assert added < 100
    # the findings are shown once, after the next cell, under the cell that made the frame
    later = kernel.execute("x = 1")
    shown = _findings(listed.results) + _findings(later.results)
    assert [(f["rule"], f["location"]["execution_count"]) for f in shown] == [("NBS-PII-001", 5)]


@pytest.mark.long
def test_a_spark_frame_reaches_the_panel_and_frames_without_another_cell(
    kernel: Kernel,
) -> None:
    setup = (
        "from pyspark.sql import SparkSession, functions as F\n"
        "spark = (SparkSession.builder.master('local[1]')"
        ".config('spark.ui.enabled', 'false').getOrCreate())\n"
        "spark.range(10).count()"
    )
    make = (
        "people = spark.range(0, 50000, numPartitions=4).select(F.col('id'),"
        " F.concat(F.lit('p'), F.col('id'), F.lit('@mail.example.org')).alias('email'))"
    )
    frame, listed, added = _first_look_without_another_cell(
        kernel, setup, make, "people", "email", timeout=240
    )
    assert frame["rows_scanned"] == 10_000 and frame["engine"] == "spark"
    assert "first 10000 rows" in listed.text() and "email: EMAIL_ADDRESS" in listed.text()
    # nothing asked of the JVM in the cell (a schema alone is an analysis of the plan)
    print(f"nbsec's hooks in the cell that made a Spark frame: {added} ms")
    assert added < 100
    kernel.execute("spark.stop()", timeout=60)
