"""Golden reports of the example notebooks, built statically in process and compared with
``tests/report/golden/<name>.report.json`` after volatile fields (times, versions, the packages of
this environment, attachment hashes) are normalised; every file written is validated too.

Regenerate only on purpose, then review the diff::

    .venv/bin/python -m pytest tests/report/test_golden.py --regen-report-golden
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbsec.report.generate import generate, write
from tests.report.attachments import validate_files

GOLDEN = Path(__file__).resolve().parent / "golden"
NOTEBOOKS = ["customer_churn", "finetune_model", "load_pickled_pipeline"]
VOLATILE = "<volatile>"


def normalise(report: dict[str, Any]) -> dict[str, Any]:
    data = json.loads(json.dumps(report))
    produced = data["identity"]["produced"]
    for key in ("at", "seconds", "nbsec_version"):
        produced[key] = VOLATILE
    data["identity"]["git"] = None
    env = data["environment"]
    env["python"] = env["implementation"] = VOLATILE
    env["packages"] = sorted(p["name"] for p in env["packages"] if p["direct"])
    data["attachments"] = [
        {"name": a["name"], "media_type": a["media_type"]} for a in data["attachments"]
    ]
    return data


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_golden_static_report(
    name: str, examples: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    files = generate(examples / f"{name}.ipynb", via="api")
    out = tmp_path / "out"
    write(files, out)
    report = validate_files(out, name)
    actual = normalise(report)
    golden = GOLDEN / f"{name}.report.json"
    if request.config.getoption("--regen-report-golden", default=False):
        golden.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n", "utf-8")
    assert actual == json.loads(golden.read_text(encoding="utf-8"))


def test_the_three_ways_agree(examples: Path) -> None:
    """The notebook and the HTML say what the JSON says: every finding's rule and message, the
    outcome and every section title appear in both."""
    files = generate(examples / "load_pickled_pipeline.ipynb", via="api")
    markdown = "\n".join("".join(c["source"]) for c in files.notebook["cells"])
    html = files.html or ""
    from nbsec.report.render_notebook import md

    for row in files.model.findings:
        assert md(row["rule"]) in markdown and row["rule"] in html
        assert md(row["message"]) in markdown
    assert "FAIL" in markdown and "FAIL" in html
    for section in ("Executive summary", "Lineage", "Limitations", "Attachments"):
        assert section in markdown and section in html


def test_build_report_is_the_public_api(examples: Path) -> None:
    import nbformat

    import nbsec

    nb = nbsec.build_report(examples / "finetune_model.ipynb")
    assert isinstance(nb, nbformat.NotebookNode)
    nbformat.validate(nb)
    assert nb.cells[0].source.startswith("# Governance report: finetune\\_model.ipynb")
    assert [c.id for c in nb.cells][:3] == ["nbsec-title", "nbsec-summary", "nbsec-identity"]
    assert nb.metadata.nbsec_report.outcome == "fail"
    assert not list(examples.glob("*.nbsec.*"))  # the API writes nothing
