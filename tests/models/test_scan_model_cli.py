"""``nbsec scan-model``: recursion, formats, exit codes, policy, JSON and SARIF, in process."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from nbsec.cli import main

EVIL = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00true\x85R."
UNKNOWN = b"\x80\x04\x8c\x05mypkg\x8c\x05Model\x93)\x81."


@pytest.fixture
def models(tmp_path: Path) -> Path:
    root = tmp_path / "models"
    (root / "sub").mkdir(parents=True)
    (root / "ok.pkl").write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    (root / "sub" / "weights.bin").write_bytes(EVIL)
    (root / "sub" / "custom.pkl").write_bytes(UNKNOWN)
    return root


@pytest.mark.parametrize(
    ("targets", "extra", "code"),
    [
        (["ok.pkl"], [], 0),
        (["sub/weights.bin"], [], 1),
        (["."], [], 1),
        (["sub/custom.pkl"], [], 1),  # unknown global: high, fails the default gate
        (["sub/custom.pkl"], ["--fail-on", "critical"], 0),
        (["ok.pkl", "missing.pkl"], [], 2),
    ],
)
def test_exit_codes(models: Path, targets: list[str], extra: list[str], code: int, capsys) -> None:
    argv = ["scan-model", *[str(models / t) for t in targets], *extra]
    assert main(argv) == code
    out = capsys.readouterr()
    if code == 2:
        assert "missing.pkl" in out.err
        assert len(out.err.strip().splitlines()) == 1


def test_json_lists_every_file(models: Path, capsys) -> None:
    assert main(["scan-model", str(models), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    files = {Path(f["path"]).name: f for f in doc["files"]}
    assert set(files) == {"ok.pkl", "weights.bin", "custom.pkl"}
    assert files["weights.bin"]["verdict"] == "dangerous"
    assert files["weights.bin"]["globals"] == ["os.system"]
    assert files["custom.pkl"]["verdict"] == "suspicious"
    assert files["ok.pkl"]["verdict"] == "safe"
    assert all(len(f["sha256"]) == 64 for f in files.values())
    assert set(files["weights.bin"]) == {
        "path",
        "format",
        "sha256",
        "verdict",
        "globals",
        "findings",
    }
    rules = {(f["rule"], Path(f["location"]["path"]).name) for f in doc["findings"]}
    assert rules == {("NBS-PKL-010", "weights.bin"), ("NBS-PKL-011", "custom.pkl")}
    assert doc["summary"]["scanned"] == 3


def test_sarif_output(models: Path, capsys) -> None:
    assert main(["scan-model", str(models / "sub" / "weights.bin"), "--format", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "NBS-PKL-010"
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert location.endswith("weights.bin")


def test_policy_allow_globals_and_hashes(models: Path, tmp_path: Path, capsys) -> None:
    import hashlib

    digest = hashlib.sha256(EVIL).hexdigest()
    policy = tmp_path / "nbsec.toml"
    policy.write_text(f'allow_globals = ["mypkg.Model"]\nallow_sha256 = ["{digest}"]\n')
    assert main(["scan-model", str(models), "--policy", str(policy)]) == 0
    out = capsys.readouterr().out
    assert "allowed" in out and "weights.bin" in out
