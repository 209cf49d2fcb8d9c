"""``nbsec pii --engine local|spark|dask`` on real files and partitioned datasets (in process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from nbsec.cli import main
from nbsec.pii import file_scan
from tests.distributed.frames import customers

EXPECTED = {
    "customer_id": [],
    "full_name": ["PERSON"],
    "email": ["EMAIL_ADDRESS"],
    "ssn": ["US_SSN"],
    "card": ["CREDIT_CARD"],
    "iban": ["IBAN_CODE"],
    "balance": [],
}
KEEP = list(EXPECTED)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(["pii", *argv, "--format", "json", "--fail-on", "critical"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def _types(source: dict[str, Any]) -> dict[str, list[str]]:
    return {c: [e["type"] for e in v["entities"]] for c, v in source["columns"].items()}


@pytest.fixture(scope="module")
def hive_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``customers/region=EU/part-0000.parquet`` ... written the way Spark lays datasets out."""
    root = tmp_path_factory.mktemp("lake") / "customers"
    for i, region in enumerate(("EU", "US", "APAC")):
        part = root / f"region={region}"
        part.mkdir(parents=True)
        for j in range(2):
            frame = customers(700, seed=10 * i + j)[KEEP]
            frame["customer_id"] += (2 * i + j) * 700
            frame.to_parquet(part / f"part-{j:04d}.parquet", index=False)
    (root / "_SUCCESS").write_text("")
    return root


def test_local_engine_takes_a_hive_dataset_as_one_source(
    hive_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc, _ = _run(capsys, str(hive_dataset), "--sample", "1500")
    assert code == 0
    [source] = doc["sources"]
    assert source["path"] == str(hive_dataset)
    assert source["rows"] == 6 * 700 and source["rows_scanned"] == 1500
    # the partition key is a column too (three region codes: not personal data)
    assert _types(source) == {**EXPECTED, "region": []}


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_local_engine_streams_text_files_in_chunks(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_scan, "CHUNK_ROWS", 400)
    frame = customers(3_000)[KEEP]
    path = tmp_path / f"people.{kind}"
    if kind == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    chunks = list(file_scan._chunks(file_scan.Source(path, kind, [path])))
    assert len(chunks) == 8 and max(len(c) for c in chunks) == 400
    for argv in (("--sample", "1000"), ("--exhaustive",)):
        code, doc, _ = _run(capsys, str(path), *argv)
        [source] = doc["sources"]
        assert source["rows"] == 3_000
        assert source["rows_scanned"] == (1_000 if argv[0] == "--sample" else 3_000)
        assert source["exhaustive"] is (argv[0] == "--exhaustive")
        assert _types(source) == EXPECTED
        assert code == 0


def test_spark_engine_reads_the_dataset_in_spark(
    spark: Any, hive_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc, _ = _run(capsys, str(hive_dataset), "--engine", "spark", "--sample", "1500")
    assert code == 0
    [source] = doc["sources"]
    assert source["rows"] == 4_200 and 1_300 <= source["rows_scanned"] <= 1_700
    assert _types(source) == {**EXPECTED, "region": []}
    assert spark.range(3).count() == 3  # the test session is still running


def test_dask_engine_on_an_existing_scheduler(
    dask_client: Any, hive_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address = dask_client.scheduler.address
    code, doc, _ = _run(
        capsys, str(hive_dataset), "--engine", "dask", "--scheduler", address, "--exhaustive"
    )
    assert code == 0
    [source] = doc["sources"]
    assert source["rows"] == source["rows_scanned"] == 4_200 and source["exhaustive"]
    assert _types(source) == {**EXPECTED, "region": []}


def test_a_bad_file_is_one_error_and_the_rest_is_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    customers(300)[KEEP].to_csv(tmp_path / "good.csv", index=False)
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    code, doc, _ = _run(capsys, str(tmp_path))
    assert code == 2
    assert [Path(s["path"]).name for s in doc["sources"]] == ["good.csv"]
    [error] = doc["errors"]
    assert error.startswith(str(tmp_path / "broken.parquet")) and "\n" not in error


@pytest.mark.parametrize(
    "argv",
    [("--master", "local[1]"), ("--engine", "dask", "--master", "local[1]"), ("--scheduler", "x")],
)
def test_engine_options_must_match(argv: tuple[str, ...], tmp_path: Path) -> None:
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "a.csv", index=False)
    assert main(["pii", str(tmp_path / "a.csv"), *argv]) == 2
