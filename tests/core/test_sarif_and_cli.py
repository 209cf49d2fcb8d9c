"""The CLI frame: exit codes, formats, baselines and waivers, SARIF validated against 2.1.0."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import nbsec
from nbsec.cli import main
from nbsec.commands.findings_output import RunResult, add_output_arguments, finish
from nbsec.findings import Finding, Location, Severity
from nbsec.policy import Policy, Waiver
from nbsec.report.sarif import to_sarif

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "schemas" / "sarif-2.1.0.json").read_text(encoding="utf-8")
)


def validate_sarif(doc: dict[str, object]) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(doc)


def findings() -> list[Finding]:
    return [
        Finding.from_rule(
            "NBS-SEC-001",
            "AWS access key in cell source",
            Location(path="nb.ipynb", cell_id="c1", cell_index=2, line=3, column=5),
            evidence="AWS access key id (sha256:0123456789abcdef)",
            key="sha256:0123456789abcdef",
        ),
        Finding.from_rule(
            "NBS-PII-002",
            "Column 'email' holds EMAIL_ADDRESS in 98% of rows",
            Location(path="nb.ipynb", cell_index=4, output_index=0),
            evidence="j***@e***.com",
            key="email",
        ),
        Finding.from_rule(
            "NBS-LIN-001", "exec() in cell", Location(path="other.ipynb", cell_index=0), key="exec"
        ),
    ]


def test_sarif_log_is_valid_and_complete() -> None:
    doc = to_sarif(findings())
    validate_sarif(doc)
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "nbsec" and driver["version"] == nbsec.__version__
    assert [r["id"] for r in driver["rules"]] == ["NBS-LIN-001", "NBS-PII-002", "NBS-SEC-001"]
    sec = next(r for r in driver["rules"] if r["id"] == "NBS-SEC-001")
    assert sec["properties"]["security-severity"] == "9.5"
    assert "CWE-798" in sec["properties"]["tags"]
    results = {r["ruleId"]: r for r in run["results"]}
    first = results["NBS-SEC-001"]
    assert first["level"] == "error"
    assert driver["rules"][first["ruleIndex"]]["id"] == "NBS-SEC-001"
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 5}
    assert first["locations"][0]["logicalLocations"][0]["name"] == "cell 3"  # cell_index 2
    assert first["partialFingerprints"]["nbsecFingerprint/v1"].startswith("sha256:")
    pii = results["NBS-PII-002"]
    assert pii["level"] == "error"
    assert pii["locations"][0]["logicalLocations"][0]["name"] == "cell 5 output 1"
    assert results["NBS-LIN-001"]["level"] == "note"
    assert all(r["locations"] for r in run["results"])


def test_suppressed_results_and_errors_are_valid_sarif() -> None:
    fs = findings()
    doc = to_sarif(fs[:1], suppressed=[(fs[1], "waived: synthetic")], invocation_errors=["x: bad"])
    validate_sarif(doc)
    run = doc["runs"][0]
    assert run["results"][1]["suppressions"][0]["justification"] == "waived: synthetic"
    assert run["invocations"][0]["executionSuccessful"] is False


def args_for(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_output_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.mark.parametrize(
    ("argv", "errors", "expected"),
    [
        ((), [], 1),  # a critical finding, default gate high
        (("--fail-on", "critical"), [], 1),
        (("--fail-on", "info"), [], 1),
        ((), ["broken.ipynb: not valid JSON (line 1)"], 2),  # errors win over findings
    ],
)
def test_exit_codes(
    argv: tuple[str, ...], errors: list[str], expected: int, capsys: pytest.CaptureFixture[str]
) -> None:
    result = RunResult(findings=findings(), errors=errors, scanned=2)
    assert finish(result, args_for(*argv), Policy()) == expected
    if errors:
        assert capsys.readouterr().err.strip().splitlines() == [f"nbsec: error: {errors[0]}"]


def test_gate_passes_when_only_low_findings(capsys: pytest.CaptureFixture[str]) -> None:
    result = RunResult(findings=findings()[2:], scanned=1)
    assert finish(result, args_for(), Policy()) == 0
    assert finish(result, args_for("--fail-on", "info"), Policy()) == 1
    assert finish(result, args_for(), Policy(fail_on=Severity.INFO)) == 1


def test_waivers_and_baseline_do_not_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fs = findings()
    baseline = tmp_path / "baseline.json"
    result = RunResult(findings=fs, scanned=2)
    finish(result, args_for("--write-baseline", str(baseline), "--format", "json"), Policy())
    capsys.readouterr()
    saved = json.loads(baseline.read_text())
    assert {e["fingerprint"] for e in saved["findings"]} == {f.fingerprint for f in fs}
    assert "evidence" not in baseline.read_text()

    assert finish(result, args_for("--baseline", str(baseline), "--format", "json"), Policy()) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["findings"] == [] and len(doc["baselined"]) == 3

    policy = Policy(waivers=(Waiver(reason="accepted risk", rule="NBS-SEC-001"),))
    assert finish(RunResult(findings=fs[:1], scanned=1), args_for("--format", "json"), policy) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["waived"][0]["waiver"] == "waived: accepted risk"


def test_text_table_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    finish(RunResult(findings=findings(), scanned=2), args_for(), Policy())
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["SEVERITY", "RULE", "WHERE", "WHAT"]
    assert out[1].startswith("CRITICAL") and "nb.ipynb cell 3 line 3" in out[1]  # 1-based
    assert out[-1] == "3 finding(s) (1 critical, 1 high, 1 info) in 2 file(s)"


def test_sarif_output_through_finish_validates(capsys: pytest.CaptureFixture[str]) -> None:
    finish(RunResult(findings=findings(), scanned=2), args_for("--format", "sarif"), Policy())
    validate_sarif(json.loads(capsys.readouterr().out))


def test_version_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"nbsec {nbsec.__version__}"
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nbsec: usage error:")


def test_bad_policy_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "nbsec.toml"
    bad.write_text('mode = "sometimes"\n')
    assert main(["--policy", str(bad), "rules"]) in (0, 2)  # rules does not read the policy
    code = main(["--policy", str(bad), "rules", "NBS-NOPE-001"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "Traceback" not in err


def test_rules_command_lists_and_documents(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in rules} >= {"NBS-PKL-001", "NBS-SEC-001", "NBS-MDL-001"}
    assert main(["rules", "NBS-PKL-005"]) == 0
    assert "weights_only" in capsys.readouterr().out


def test_python_dash_m_nbsec_runs() -> None:
    env_root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "nbsec", "--version"],
        capture_output=True,
        text=True,
        cwd=env_root,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.strip() == f"nbsec {nbsec.__version__}"
