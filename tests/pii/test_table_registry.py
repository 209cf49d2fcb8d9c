"""Saved tables and output text load presidio's recognizers only when one of them could match:
the verdicts are the full set's either way, and a `describe()` table or a traceback costs a
static scan no presidio import."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from nbsec.pii import recognizers as rz
from nbsec.pii import scan_table, scan_text
from tests.pii.conftest import luhn_complete, person_names
from tests.pii.test_text import DECOYS, HITS


@pytest.mark.parametrize(
    "value",
    ["5.843333", "-1.2e-05", "12.5%", "150", "2001", "1,234,567", "2020-01-31", "12:30:05",
     "2020-01-31 12:30:05", "setosa", "Maria Lopez", "Rue de la Paix", ""],
)  # fmt: skip
def test_cells_no_long_tail_recognizer_can_match(value: str) -> None:
    assert not rz.value_needs_full_set(value)


@pytest.mark.parametrize(
    "value",
    ["943 476 5919", "44051401359", "10115", "SW1A 1AA", "123.456.789-09", "ABCDE1234F",
     "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "X1234567", "12.345.678", "ann@example.org",
     "dead:beef::cafe", "aa-bb-cc-dd-ee-ff"],
)  # fmt: skip
def test_cells_a_long_tail_recognizer_may_match(value: str) -> None:
    assert rz.value_needs_full_set(value)


def test_text_gate() -> None:
    assert not rz.text_needs_full_set("OSError  Traceback (most recent call last)\nCell In[2]")
    assert not rz.text_needs_full_set("Dear Maria Lopez, epoch 3 loss=0.43")
    for text in ("ssn 536-22-8726", "mail a@b.org", "fe80::abcd", "pan ABCDE1234F"):
        assert rz.text_needs_full_set(text)


def _tables() -> list[dict[str, list[str | None]]]:
    rng = random.Random(7)
    names = person_names(30, rng)
    return [
        {
            "(index)": ["count", "mean", "std", "min", "max"],
            "sepal_length": ["150.000000", "5.843333", "0.828066", "4.300000", "7.900000"],
        },
        {
            "(index)": [str(i) for i in range(30)],
            "name": names,
            "first": [n.split()[0] for n in names],
            "city": ["Utrecht", "Lyon", "Porto", "Graz", "Leeds"] * 6,
            "street": [f"Rue {n.split()[1]}" for n in names],
            "joined": [f"2021-0{1 + i % 9}-1{i % 10}" for i in range(30)],
        },
        {
            "(index)": ["France", "Germany", "Spain", "Italy", "Poland"],
            "population": ["67.8", "83.2", "47.4", "58.9", "36.8"],
            "year": ["2021", "2021", "2021", "2021", "2021"],
        },
    ]


def _table_verdicts(table: dict[str, list[str | None]]) -> dict[str, list[tuple[str, float]]]:
    scan = scan_table(table)
    return {
        name: sorted((str(e.type), round(float(e.score), 6)) for e in col.entities)
        for name, col in scan.columns.items()
    }


_TEXTS = (
    [h[0] for h in HITS]
    + DECOYS
    + [
        "OSError  Traceback (most recent call last)\nCell In[2], line 5",
        "Dear Maria Lopez, thank you. Regards, Dr. John Watson",
        "{'first_name': 'Maria', 'last_name': 'Lopez', 'city': 'Porto'}",
        "Customer(name='Li Wei', email=None)",
        "visa card holder: Anne Martin; transaction for Jean Dupont",
    ]
)


def _text_verdicts(text: str) -> list[tuple[str, int, int, float]]:
    return [(h.type, h.start, h.end, round(h.score, 6)) for h in scan_text(text)]


@pytest.mark.slow  # builds presidio's recognizer set
def test_the_core_set_judges_as_the_full_set_would(monkeypatch: pytest.MonkeyPatch) -> None:
    tables = _tables()
    assert not any(rz.value_needs_full_set(v or "") for v in tables[1]["name"])
    light_tables = [_table_verdicts(t) for t in tables]
    light_texts = [_text_verdicts(t) for t in _TEXTS]
    light_only = [t for t in _TEXTS if not rz.text_needs_full_set(t)]
    monkeypatch.setattr(rz, "value_needs_full_set", lambda _value: True)
    monkeypatch.setattr(rz, "text_needs_full_set", lambda _text: True)
    assert [_table_verdicts(t) for t in tables] == light_tables
    assert [_text_verdicts(t) for t in _TEXTS] == light_texts
    # there was something to find on the light path, so equality is not two empty results
    assert [e for e, _ in light_tables[1]["name"]] == ["PERSON"]
    found = [hits for t, hits in zip(_TEXTS, light_texts, strict=True) if t in light_only]
    assert len(light_only) >= 5 and sum(1 for hits in found if hits) >= 3


@pytest.mark.slow  # builds presidio's recognizer set
def test_a_table_with_an_identifier_is_read_by_the_long_tail() -> None:
    rng = random.Random(3)
    cards = [luhn_complete("4", 16, rng) for _ in range(20)]
    nhs = []
    while len(nhs) < 20:
        digits = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            nhs.append("".join(map(str, digits)) + str(check))
    scan = scan_table({"nhs_number": nhs, "card": cards})
    assert scan.columns["nhs_number"].entity_types == ["UK_NHS"]
    assert scan.columns["card"].entity_types == ["CREDIT_CARD"]


def test_measurements_and_a_traceback_import_no_presidio() -> None:
    code = (
        "import sys\n"
        "from nbsec.pii import scan_table, scan_text\n"
        "scan = scan_table({'(index)': ['count', 'mean'], 'x': ['150.000000', '5.84'],"
        " 'who': ['Maria Lopez', 'Jan de Vries']})\n"
        "hits = scan_text('OSError  Traceback (most recent call last)\\nDear Maria Lopez')\n"
        "print(','.join(sorted(scan.columns)), [h.type for h in hits],"
        " 'presidio_analyzer' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert out == ["(index),who,x", "['PERSON']", "False"]
