"""The example notebooks (``make demo``): each shows its risk, SARIF validates, nothing leaks."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import jsonschema
import pytest

from nbsec.cli import main
from nbsec.policy import Policy
from nbsec.source import scan_notebook

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "example_notebooks"


@pytest.mark.parametrize(
    ("notebook", "expected"),
    [
        (
            "customer_churn.ipynb",
            {("NBS-PII-002", 1, None, 0), ("NBS-SEC-004", 2, 2, None), ("NBS-PII-003", 4, 2, 0)},
        ),
        (
            "finetune_model.ipynb",
            {
                ("NBS-MDL-001", 2, 6, None),
                ("NBS-MDL-002", 2, 5, None),
                ("NBS-MDL-004", 3, 1, None),
                ("NBS-PKL-005", 4, 3, None),
                ("NBS-MDL-002", 5, 3, None),
            },
        ),
        (
            "load_pickled_pipeline.ipynb",
            {("NBS-MDL-004", 1, 7, None), ("NBS-PKL-002", 2, 1, None), ("NBS-PKL-001", 3, 5, None)},
        ),
    ],
)
def test_each_example_shows_its_risk(notebook: str, expected: set[tuple[object, ...]]) -> None:
    findings = scan_notebook(EXAMPLES / notebook, policy=Policy())
    found = {
        (f.rule, f.location.cell_index, f.location.line, f.location.output_index) for f in findings
    }
    assert expected <= found


def test_demo_scan_sarif_validates_and_leaks_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NBSEC_POLICY", raising=False)
    schema = json.loads((ROOT / "tests" / "schemas" / "sarif-2.1.0.json").read_text())
    outputs = []
    for fmt in ("text", "json", "sarif"):
        code = main(["scan", str(EXAMPLES), "--format", fmt])
        out, err = capsys.readouterr()
        assert code == 1
        outputs.append(out + err)
    jsonschema.Draft4Validator(schema).validate(json.loads(outputs[2]))
    everything = "\n".join(outputs)
    with (EXAMPLES / "data" / "customers.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for value in (row["email"], row["phone"], row["name"]):
                assert value not in everything
    assert "Wint3r-Churn-2024!" not in everything
