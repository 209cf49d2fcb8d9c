"""Dask frames scanned on the workers of a real LocalCluster: same entities as pandas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import nbsec
from nbsec.errors import InputError
from nbsec.pii.partition_sample import MAX_PARTITIONS
from tests.dist.frames import customers, mixed

pytestmark = pytest.mark.slow


def _types(scan: Any) -> dict[str, list[str]]:
    return {name: col.entity_types for name, col in scan.columns.items()}


def test_dask_frame_gets_the_entities_pandas_gets(dask_client: Any) -> None:
    import dask.dataframe as dd

    frame = customers(3_000)
    ddf = dd.from_pandas(frame, npartitions=5)
    scan = nbsec.scan_dataframe(ddf, exhaustive=True)
    assert _types(scan) == _types(nbsec.scan_dataframe(frame, exhaustive=True))
    assert scan.rows == scan.rows_scanned == 3_000 and scan.exhaustive
    sampled = nbsec.scan_dataframe(ddf, sample=1_000)
    assert sampled.rows == 3_000 and 900 <= sampled.rows_scanned <= 1_000
    assert _types(sampled) == _types(scan)


def test_awkward_dtypes_on_workers(dask_client: Any) -> None:
    import dask
    import dask.dataframe as dd

    frame = mixed(800)
    # keep Python objects as objects (Dask turns object columns into strings by default)
    with dask.config.set({"dataframe.convert-string": False}):
        ddf = dd.from_pandas(frame, npartitions=3)
    scan = nbsec.scan_dataframe(ddf, exhaustive=True)
    assert _types(scan) == _types(nbsec.scan_dataframe(frame, exhaustive=True))


def test_partitioned_parquet_is_sampled_from_chosen_partitions(
    dask_client: Any, tmp_path: Path
) -> None:
    import dask.dataframe as dd

    parts = MAX_PARTITIONS + 8
    for i in range(parts):
        chunk = customers(250, seed=i)
        chunk["customer_id"] += i * 250
        chunk["segment"] = chunk["segment"].astype(str)
        chunk.to_parquet(tmp_path / f"part-{i:03d}.parquet")
    ddf = dd.read_parquet(str(tmp_path))
    assert ddf.npartitions == parts
    scan = nbsec.scan_dataframe(ddf, sample=2_000)
    assert scan.rows == parts * 250
    # quota of ceil(2000 / 32) = 63 rows from each of 32 chosen partitions
    assert scan.rows_scanned == MAX_PARTITIONS * 63 and not scan.exhaustive
    assert _types(scan)["email"] == ["EMAIL_ADDRESS"]
    assert _types(scan)["ssn"] == ["US_SSN"]
    assert _types(scan)["balance"] == []


def test_dask_series_and_a_failing_graph(dask_client: Any) -> None:
    import dask.dataframe as dd

    series = dd.from_pandas(customers(300)["email"], npartitions=2)
    assert _types(nbsec.scan_dataframe(series)) == {"email": ["EMAIL_ADDRESS"]}

    def explode(part: Any) -> Any:
        raise ValueError("bad partition in the user's graph")

    broken = dd.from_pandas(customers(100), npartitions=2).map_partitions(
        explode, meta=customers(1)
    )
    with pytest.raises(InputError) as info:
        nbsec.scan_dataframe(broken, exhaustive=True)
    assert "\n" not in str(info.value) and "bad partition" in str(info.value)
