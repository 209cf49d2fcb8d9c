"""Golden notebooks: ``tests/golden/<case>.ipynb`` scanned in process and compared with
``<case>.expected.json`` (rule, cell_index, line, output_index of every finding).

Regenerate only on purpose, then review the diff::

    PYTHONPATH=. .venv/bin/python -m pytest tests/source/test_golden.py --regen-golden
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbsec.policy import Policy, load_policy_file
from nbsec.source import scan_notebook

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.ipynb"))


def _policy(case: str) -> Policy:
    file = GOLDEN / f"{case}.policy.toml"
    return load_policy_file(file) if file.exists() else Policy()


def _actual(case: str) -> list[dict[str, Any]]:
    findings = scan_notebook(GOLDEN / f"{case}.ipynb", policy=_policy(case))
    rows = [
        {
            "rule": f.rule,
            "cell_index": f.location.cell_index,
            "line": f.location.line,
            "output_index": f.location.output_index,
        }
        for f in findings
    ]
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))


def test_there_are_golden_cases() -> None:
    assert {"pickle_calls", "model_sources", "secrets_everywhere", "decoys"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, request: pytest.FixtureRequest) -> None:
    expected_file = GOLDEN / f"{case}.expected.json"
    actual = _actual(case)
    if request.config.getoption("--regen-golden", default=False):
        expected_file.write_text(json.dumps(actual, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    assert actual == expected


def test_decoys_case_is_clean() -> None:
    assert _actual("decoys") == []


def test_every_static_rule_has_a_golden_case() -> None:
    from nbsec.rules import all_rules

    seen = set()
    for case in CASES:
        seen |= {row["rule"] for row in json.loads((GOLDEN / f"{case}.expected.json").read_text())}
    static = {
        r
        for r in all_rules()
        if r.split("-")[1] in ("SEC", "SRC", "MDL")
        or r in {f"NBS-PKL-00{i}" for i in range(1, 8)}
        or r in {"NBS-PII-002", "NBS-PII-003", "NBS-PII-004"}
    } - {
        "NBS-SEC-007",  # values of the kernel's environment: a live-kernel check
        # model signatures: checked on model files (nbsec scan-model), not in notebooks
        "NBS-MDL-007",
        "NBS-MDL-008",
        "NBS-MDL-009",
        "NBS-MDL-010",
    }
    assert static - seen == set()
