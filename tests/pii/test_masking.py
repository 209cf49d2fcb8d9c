"""Evidence is masked everywhere: to_dict(), findings, and the CLI's text / JSON / SARIF."""

from __future__ import annotations

import json
import random
import re

import pandas as pd
import pytest

from nbsec.findings import Location
from nbsec.pii import scan_dataframe, scan_table
from nbsec.policy import Policy
from tests.pii.conftest import US_PHONES, luhn_complete, make_iban, make_ssn, person_names

R = random.Random(9)
N = 120
RAW = {
    "email": [f"secret.person{i}@private-mail.example.com" for i in range(N)],
    "card": [luhn_complete("2221", 16, R) for _ in range(N)],
    "ssn": [make_ssn(R) for _ in range(N)],
    "iban": [make_iban("GB", f"WEST{R.randint(10**13, 10**14 - 1)}") for _ in range(N)],
    "phone": US_PHONES[:N],
    "customer": person_names(N, R),
    "notes": [f"please contact owner{i}@corp.example.org re order" for i in range(N)],
}


def _leaks(text: str) -> list[str]:
    """Raw values (or their distinctive parts) that appear in ``text``."""
    found = []
    for values in RAW.values():
        for value in values:
            core = re.sub(r"\W", "", value)
            if value in text or (len(core) >= 8 and core in re.sub(r"\W", "", text)):
                found.append(value)
    emails = re.findall(r"[\w.]+@[\w.-]+", text)
    found += [e for e in emails if not e.split("@")[0].endswith("***")]
    return found


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(RAW)


def test_to_dict_and_findings_hold_no_value(frame: pd.DataFrame, policy: Policy) -> None:
    scan = scan_dataframe(frame, policy=policy)
    assert set(scan.pii_columns) == set(RAW)
    doc = json.dumps(scan.to_dict())
    assert _leaks(doc) == []
    findings = scan.findings(Location(path="nb.ipynb", cell_index=4), "customers")
    assert {f.rule for f in findings} == {"NBS-PII-001"}
    assert {f.location.cell_index for f in findings} == {4}
    assert _leaks(json.dumps([f.to_dict() for f in findings])) == []
    for f in findings:
        assert f.evidence
        assert "customers" in f.message


@pytest.mark.parametrize(
    ("column", "shape"),
    [
        ("email", r"^s\*\*\*@p\*\*\*\.com$"),
        ("card", r"^\*{6}$"),
        ("ssn", r"^\*\*\*-\*\*-\*\*\*\*$"),
        ("phone", r"^\(\*\*\*\) \*\*\*-\*\*\*\*$"),
        ("customer", r"^[A-Z]\*+ [A-Z]\*+$"),
    ],
)
def test_examples_keep_shape(column: str, shape: str, frame: pd.DataFrame, policy: Policy) -> None:
    examples = scan_dataframe(frame, policy=policy).columns[column].examples
    assert 1 <= len(examples) <= 3
    assert all(re.match(shape, e) for e in examples), examples


def test_free_text_examples_mask_only_the_match(policy: Policy) -> None:
    scan = scan_table({"notes": RAW["notes"]}, policy=policy)
    assert scan.columns["notes"].examples[0] == "o***@c***.org"


def test_fingerprint_is_stable_and_keyed_by_frame_column_entities(
    frame: pd.DataFrame, policy: Policy
) -> None:
    loc = Location(path="nb.ipynb", cell_index=1)
    a = scan_dataframe(frame, policy=policy).findings(loc, "df")
    b = scan_dataframe(frame.iloc[::-1], policy=policy).findings(loc, "df")
    assert sorted(f.fingerprint for f in a) == sorted(f.fingerprint for f in b)
    c = scan_dataframe(frame, policy=policy).findings(loc, "other")
    assert not {f.fingerprint for f in a} & {f.fingerprint for f in c}
