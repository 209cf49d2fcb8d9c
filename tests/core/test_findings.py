"""The Finding model: JSON round trip, stable fingerprints, ordering."""

from __future__ import annotations

import json

import pytest

from nbsec.errors import InputError
from nbsec.findings import (
    Confidence,
    Finding,
    Location,
    Severity,
    compute_fingerprint,
    count_by_severity,
    sort_findings,
)


def make(rule: str = "NBS-PKL-001", **loc: object) -> Finding:
    location = Location(path="nb.ipynb", cell_id="a1b2", cell_index=3, line=2, **loc)  # type: ignore[arg-type]
    return Finding.from_rule(rule, "pickle.load of data.pkl", location, key="pickle.load")


def test_from_rule_takes_metadata_from_registry() -> None:
    f = make()
    assert f.title == "Pickle load of untrusted data"
    assert f.severity is Severity.CRITICAL
    assert f.confidence is Confidence.HIGH
    assert "CWE-502" in f.tags
    assert f.remediation
    assert f.fingerprint.startswith("sha256:") and len(f.fingerprint) == 7 + 64


def test_json_round_trip_is_lossless() -> None:
    f = make(execution_count=5, output_index=None)
    data = json.loads(f.to_json())
    assert data["location"] == {
        "path": "nb.ipynb",
        "cell_id": "a1b2",
        "cell_index": 3,
        "execution_count": 5,
        "line": 2,
        "output_index": None,
        "column": None,
    }
    assert set(data) == {
        "rule",
        "title",
        "severity",
        "confidence",
        "message",
        "remediation",
        "location",
        "evidence",
        "tags",
        "fingerprint",
    }
    assert Finding.from_json(f.to_json()) == f


@pytest.mark.parametrize(
    ("change", "same"),
    [
        ({"line": 40}, True),  # moving code within the cell keeps the fingerprint
        ({"execution_count": 9}, True),  # re-running keeps it
        ({"cell_id": "other"}, False),
        ({"path": "other.ipynb"}, False),
    ],
)
def test_fingerprint_is_stable_across_moves_but_not_across_places(
    change: dict[str, object], same: bool
) -> None:
    base = Location(path="nb.ipynb", cell_id="a1b2", cell_index=3, line=2)
    moved = Location(**{**base.to_dict(), **change})  # type: ignore[arg-type]
    a = compute_fingerprint("NBS-SEC-001", base, "sha256:abc")
    b = compute_fingerprint("NBS-SEC-001", moved, "sha256:abc")
    assert (a == b) is same


def test_fingerprint_depends_on_rule_and_key() -> None:
    loc = Location(path="nb.ipynb", cell_index=0)
    assert compute_fingerprint("NBS-SEC-001", loc, "k1") != compute_fingerprint(
        "NBS-SEC-001", loc, "k2"
    )
    assert compute_fingerprint("NBS-SEC-001", loc, "k1") != compute_fingerprint(
        "NBS-PKL-001", loc, "k1"
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"title": "t", "severity": "high", "message": "m"}, "missing the key 'rule'"),
        (
            {"rule": "NBS-X", "title": "t", "severity": "urgent", "message": "m"},
            "unknown severity",
        ),
        (
            {"rule": "r", "title": "t", "severity": "low", "message": "m", "location": {"x": 1}},
            "unknown keys",
        ),
    ],
)
def test_invalid_finding_json_is_a_clear_error(payload: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        Finding.from_dict(payload)


def test_sorting_and_counts() -> None:
    low = Finding.from_rule("NBS-LIN-001", "m", Location(path="a.ipynb", cell_index=0))
    crit = Finding.from_rule("NBS-SEC-001", "m", Location(path="b.ipynb", cell_index=5))
    high = Finding.from_rule("NBS-PKL-002", "m", Location(path="a.ipynb", cell_index=1))
    assert [f.rule for f in sort_findings([low, high, crit])] == [
        "NBS-SEC-001",
        "NBS-PKL-002",
        "NBS-LIN-001",
    ]
    assert count_by_severity([low, high, crit]) == {
        "critical": 1,
        "high": 1,
        "medium": 0,
        "low": 0,
        "info": 1,
    }


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("critical", "high", True),
        ("high", "high", True),
        ("medium", "high", False),
        ("info", "low", False),
    ],
)
def test_severity_order(a: str, b: str, expected: bool) -> None:
    assert Severity.parse(a).at_least(Severity.parse(b)) is expected
