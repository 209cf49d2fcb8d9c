"""Tables parsed from saved outputs load presidio's recognizers only when a value could be one of
their identifiers: the verdicts are the same either way, and a table of measurements costs a
static scan no presidio import."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from nbsec.pii import scan_job, scan_table
from nbsec.pii.scan_job import may_hold_identifier
from tests.pii.conftest import luhn_complete, person_names


@pytest.mark.parametrize(
    "value",
    [
        "5.843333",
        "-1.2e-05",
        "12.5%",
        "150",
        "2001",
        "1,234,567",
        "2020-01-31",
        "12:30:05",
        "2020-01-31 12:30:05",
        "setosa",
        "Maria Lopez",
        "jane@example.org",
        "",
    ],
)
def test_measurements_dates_and_words_need_no_long_tail(value: str) -> None:
    assert not may_hold_identifier(value)


@pytest.mark.parametrize(
    "value",
    [
        "943 476 5919",
        "44051401359",
        "10115",
        "SW1A 1AA",
        "123.456.789-09",
        "ABCDE1234F",
        "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
        "X1234567",
        "12.345.678",
    ],
)
def test_identifier_shapes_load_the_long_tail(value: str) -> None:
    assert may_hold_identifier(value)


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
            "email": [f"{n.split()[0].lower()}.{i}@example.org" for i, n in enumerate(names)],
            "city": ["Utrecht", "Lyon", "Porto", "Graz", "Leeds"] * 6,
            "joined": [f"2021-0{1 + i % 9}-1{i % 10}" for i in range(30)],
        },
        {
            "(index)": ["France", "Germany", "Spain", "Italy", "Poland"],
            "population": ["67.8", "83.2", "47.4", "58.9", "36.8"],
            "year": ["2021", "2021", "2021", "2021", "2021"],
        },
    ]


def _verdicts(table: dict[str, list[str | None]]) -> dict[str, list[tuple[str, float]]]:
    scan = scan_table(table)
    return {
        name: sorted((str(e.type), round(float(e.score), 6)) for e in col.entities)
        for name, col in scan.columns.items()
    }


@pytest.mark.slow  # builds presidio's recognizer set
def test_the_smaller_set_judges_as_the_full_one_would(monkeypatch: pytest.MonkeyPatch) -> None:
    light = [_verdicts(t) for t in _tables()]
    monkeypatch.setattr(scan_job, "may_hold_identifier", lambda _value: True)
    full = [_verdicts(t) for t in _tables()]
    assert light == full
    # the tables hold something to find, so equality is not the emptiness of both
    assert ("PERSON" in {e for col in light[1].values() for e, _ in col}) and any(
        e == "EMAIL_ADDRESS" for col in light[1].values() for e, _ in col
    )


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


def test_a_table_of_measurements_imports_no_presidio() -> None:
    code = (
        "import sys\n"
        "from nbsec.pii import scan_table\n"
        "scan = scan_table({'(index)': ['count', 'mean'], 'x': ['150.000000', '5.84'],"
        " 'who': ['Maria Lopez', 'Jan de Vries']})\n"
        "print(','.join(sorted(scan.columns)), 'presidio_analyzer' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert out == ["(index),who,x", "False"]
