"""Dask frames scanned on the workers of a real LocalCluster: same entities as pandas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import nbsec
from nbsec.errors import InputError
from nbsec.pii.partition_sample import MIN_PARTITIONS
from tests.distributed.frames import customers, mixed

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

    parts = MIN_PARTITIONS + 8
    for i in range(parts):
        chunk = customers(250, seed=i)
        chunk["customer_id"] += i * 250
        chunk["segment"] = chunk["segment"].astype(str)
        chunk.to_parquet(tmp_path / f"part-{i:03d}.parquet")
    ddf = dd.read_parquet(str(tmp_path))
    assert ddf.npartitions == parts
    scan = nbsec.scan_dataframe(ddf, sample=2_000)
    assert scan.rows == parts * 250
    # 32 chosen partitions (8,000 rows) hold the sample: ceil(2000 * 250 / 8000) = 63 rows each
    assert scan.rows_scanned == MIN_PARTITIONS * 63 and not scan.exhaustive
    assert _types(scan)["email"] == ["EMAIL_ADDRESS"]
    assert _types(scan)["ssn"] == ["US_SSN"]
    assert _types(scan)["balance"] == []


def _contacts(rows: int, email_every: int, start: int = 0) -> Any:
    """Rows whose ``contact`` is an e-mail address every ``email_every`` rows (0: never)."""
    import pandas as pd

    ids = range(start, start + rows)
    return pd.DataFrame(
        {
            "order_id": list(ids),
            "contact": [
                f"buyer{i}@shop.example.com"
                if email_every and i % email_every == 0
                else "none given"
                for i in ids
            ],
        }
    )


def _email_share(scan: Any) -> float:
    (hit,) = scan.columns["contact"].entities
    assert hit.type == "EMAIL_ADDRESS"
    return float(hit.fraction)


def test_many_small_partitions_give_the_whole_sample(dask_client: Any) -> None:
    import dask.dataframe as dd
    from distributed import get_task_stream

    from nbsec.pii.dask_frames import counted_lengths, partition_lengths

    # 400 partitions of 25 rows; the filter hides the lengths from Dask's metadata, so they are
    # counted on the workers
    frame = dd.from_pandas(_contacts(10_000, 10), npartitions=400)
    ddf = frame[frame["order_id"] >= 0]
    with get_task_stream(dask_client) as stream:
        lengths = partition_lengths(ddf)
    assert lengths == (25,) * 400 == counted_lengths(ddf)
    assert len(stream.data) >= 400  # one len task per partition ran on the workers
    assert partition_lengths(frame) == lengths  # from the frame's metadata: nothing computed

    scan = nbsec.scan_dataframe(ddf, sample=2_000)
    # 32 partitions of 25 rows would give 800 rows: 80 whole partitions give the 2,000
    assert scan.rows == 10_000 and scan.rows_scanned == 2_000 and not scan.exhaustive
    assert _email_share(scan) == pytest.approx(0.10, abs=0.01)
    assert scan.columns["order_id"].entities == []


def test_uneven_partitions_keep_the_frames_shares(dask_client: Any, tmp_path: Path) -> None:
    import dask.dataframe as dd

    # 6,000 rows without an e-mail address, then 4,000 rows of addresses in smaller files: 40 %
    sizes = (6_000, 3_000, 600, 300, 100)
    start = 0
    for i, size in enumerate(sizes):
        _contacts(size, 0 if i == 0 else 1, start).to_parquet(tmp_path / f"part-{i}.parquet")
        start += size
    ddf = dd.read_parquet(str(tmp_path))
    assert ddf.npartitions == len(sizes)
    scan = nbsec.scan_dataframe(ddf, sample=2_000)
    assert scan.rows == 10_000 and 2_000 <= scan.rows_scanned < 2_000 + len(sizes)
    # an even split (400 rows of each) would scan 1,600 rows, 75 % of them addresses
    assert _email_share(scan) == pytest.approx(0.40, abs=0.02)


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
