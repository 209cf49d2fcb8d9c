"""``nbsec pii`` on real csv / tsv / parquet / jsonl files written in tmp dirs (in process)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest

from nbsec.cli import main
from tests.pii.conftest import luhn_complete, make_ssn
from tests.pii.test_masking import _leaks

R = random.Random(2)
N = 80


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": range(N),
            "mail": [f"secret.person{i}@private-mail.example.com" for i in range(N)],
            "ssn": [make_ssn(R) for _ in range(N)],
            "card": [luhn_complete("4", 16, R) for _ in range(N)],
            "qty": [R.randint(1, 9) for _ in range(N)],
        }
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    frame = _frame()
    (tmp_path / "sub").mkdir()
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.to_csv(tmp_path / "sub" / "b.tsv", sep="\t", index=False)
    frame.to_parquet(tmp_path / "sub" / "c.parquet")
    frame.to_json(tmp_path / "d.jsonl", orient="records", lines=True)
    pd.DataFrame({"qty": [1, 2, 3]}).to_csv(tmp_path / "clean.csv", index=False)
    (tmp_path / "notes.txt").write_text("not a table")
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["pii", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_shape_and_directory_recursion(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, str(data_dir), "--format", "json", "--fail-on", "medium")
    assert code == 1
    doc = json.loads(out)
    by_name = {Path(s["path"]).name: s for s in doc["sources"]}
    assert set(by_name) == {"a.csv", "b.tsv", "c.parquet", "d.jsonl", "clean.csv"}
    for name in ("a.csv", "b.tsv", "c.parquet", "d.jsonl"):
        source = by_name[name]
        assert set(source) == {"path", "rows", "rows_scanned", "exhaustive", "columns"}
        assert source["rows"] == N
        types = {c: [e["type"] for e in v["entities"]] for c, v in source["columns"].items()}
        assert types == {
            "id": [],
            "mail": ["EMAIL_ADDRESS"],
            "ssn": ["US_SSN"],
            "card": ["CREDIT_CARD"],
            "qty": [],
        }
        entity = source["columns"]["mail"]["entities"][0]
        assert set(entity) == {"type", "score", "fraction", "recognizer", "reason"}
    assert {"findings", "errors", "summary"} <= set(doc)
    rules = {(f["rule"], Path(f["location"]["path"]).name) for f in doc["findings"]}
    assert ("NBS-PII-001", "c.parquet") in rules
    assert len(doc["findings"]) == 12
    assert doc["errors"] == []
    assert _leaks(out) == []


@pytest.mark.parametrize(
    ("fmt", "fail_on", "code"),
    [("text", "high", 0), ("text", "medium", 1), ("json", "high", 0), ("sarif", "medium", 1)],
)
def test_formats_exit_codes_and_masking(
    data_dir: Path, capsys: pytest.CaptureFixture[str], fmt: str, fail_on: str, code: int
) -> None:
    got, out, _ = _run(capsys, str(data_dir / "a.csv"), "--format", fmt, "--fail-on", fail_on)
    assert got == code
    assert "mail" in out
    assert _leaks(out) == []
    if fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        assert {r["ruleId"] for r in results} == {"NBS-PII-001"}


def test_clean_file_exits_zero(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, str(data_dir / "clean.csv"), "--fail-on", "info")
    assert code == 0
    assert "no personal data found" in out


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("broken.jsonl", '{"a": 1}\n{broken\n'),
        ("broken.parquet", "PAR1 this is not parquet"),
        ("ragged.csv", 'a,b\n1,2\n3,4,5,6\n"unterminated\n'),
        ("latin1.csv", b"name\n\xe9\xff\xfe\n"),
    ],
)
def test_malformed_file_is_one_error_line_and_others_still_scan(
    data_dir: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | bytes
) -> None:
    bad = data_dir / name
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content)
    code, out, err = _run(capsys, str(bad), str(data_dir / "a.csv"), "--format", "json")
    assert code == 2
    doc = json.loads(out)
    assert [Path(s["path"]).name for s in doc["sources"]] == ["a.csv"]
    assert len(doc["errors"]) == 1
    assert doc["errors"][0].startswith(str(bad))
    assert "\n" not in doc["errors"][0]
    assert err.count("\n") == 1 and name in err


def test_missing_and_unsupported_files(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, str(data_dir / "nope.csv"), str(data_dir / "notes.txt"))
    assert code == 2
    assert "nope.csv: no such file" in err
    assert "notes.txt: not a csv" in err


def test_sample_and_exhaustive_flags(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = pd.concat([_frame()] * 50, ignore_index=True)
    big.to_parquet(data_dir / "big.parquet")
    code, out, _ = _run(
        capsys, str(data_dir / "big.parquet"), "--sample", "500", "--format", "json"
    )
    assert code == 0  # NBS-PII-001 is medium, below the default fail-on (high)
    source = json.loads(out)["sources"][0]
    assert (source["rows"], source["rows_scanned"], source["exhaustive"]) == (N * 50, 500, False)
    _, out, _ = _run(capsys, str(data_dir / "big.parquet"), "--exhaustive", "--format", "json")
    source = json.loads(out)["sources"][0]
    assert (source["rows_scanned"], source["exhaustive"]) == (N * 50, True)
    assert main(["pii", str(data_dir / "a.csv"), "--sample", "0"]) == 2
