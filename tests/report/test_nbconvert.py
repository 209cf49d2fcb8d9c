"""The report through the real ``jupyter nbconvert`` command: entry points, traitlets
configuration, attachments beside the output, and a constructor that imports nothing heavy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.report.attachments import validate_files, validate_html

REPO = Path(__file__).resolve().parents[2]
JUPYTER = Path(sys.executable).with_name("jupyter")
pytestmark = pytest.mark.slow


def _nbconvert(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("NBSEC_POLICY", None)
    return subprocess.run(
        [str(JUPYTER), "nbconvert", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
        timeout=300,
    )


def test_to_nbsec_writes_the_report_notebook_and_attachments(examples: Path) -> None:
    done = _nbconvert("--to", "nbsec", "customer_churn.ipynb", cwd=examples)
    assert done.returncode == 0, done.stderr  # findings never fail a conversion
    report = validate_files(examples, "customer_churn")
    assert report["identity"]["produced"]["via"] == "nbconvert"
    assert report["summary"]["outcome"] == "fail"


def test_to_nbsec_html_with_traitlets_configuration(examples: Path, tmp_path: Path) -> None:
    policy = tmp_path / "team-policy.toml"
    policy.write_text(
        'fail_on = "critical"\n[[waivers]]\nrule = "NBS-SEC-004"\n'
        'reason = "demo warehouse, no real data"\nexpires = 2099-12-31\n'
    )
    out = tmp_path / "html"
    done = _nbconvert(
        "--to",
        "nbsec_html",
        f"--NbsecExporter.policy={policy}",
        "--output-dir",
        str(out),
        "customer_churn.ipynb",
        cwd=examples,
    )
    assert done.returncode == 0, done.stderr
    page = (out / "customer_churn.nbsec.html").read_text(encoding="utf-8")
    validate_html(page)
    report = json.loads((out / "customer_churn.nbsec.json").read_text(encoding="utf-8"))
    assert report["identity"]["policy"]["path"].endswith("team-policy.toml")
    assert report["summary"]["fail_on"] == "critical" and report["summary"]["outcome"] == "pass"
    waived = [f for f in report["findings"] if f["status"] == "waived"]
    assert [f["rule"] for f in waived] == ["NBS-SEC-004"]
    assert "demo warehouse, no real data" in page
    assert not (out / "customer_churn.nbsec.ipynb").exists()


def test_exporter_constructor_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from nbconvert.exporters import get_exporter\n"
        "exporter = get_exporter('nbsec')()\n"
        "html = get_exporter('nbsec_html')()\n"
        "assert exporter.file_extension == '.nbsec.ipynb', exporter.file_extension\n"
        "assert html.file_extension == '.nbsec.html'\n"
        "heavy = [m for m in ('pandas', 'presidio_analyzer', 'spacy', 'torch', 'numpy',\n"
        "         'nbsec.report.generate', 'nbsec.source', 'nbsec.pii', 'cyclonedx')\n"
        "         if m in sys.modules]\n"
        "print(heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
