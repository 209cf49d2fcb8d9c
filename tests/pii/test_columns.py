"""Column decisions: decoys stay clean, names are context not proof, thresholds are calibrated."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid

import numpy as np
import pandas as pd
import pytest

from nbsec.pii import scan_dataframe, scan_table
from nbsec.policy import Policy
from tests.pii.conftest import (
    US_PHONES,
    luhn_complete,
    luhn_failing,
    make_iban,
    make_ssn,
    person_names,
    policy_with,
)

N = 400
R = random.Random(5)


def _col(name: str, values: list[object], policy: Policy) -> list[str]:
    scan = scan_dataframe(pd.DataFrame({name: values}), policy=policy)
    return scan.columns[name].entity_types


DECOYS: list[tuple[str, list[object]]] = [
    ("request_id", [str(uuid.UUID(int=R.getrandbits(128), version=4)) for _ in range(N)]),
    ("email", [hashlib.sha256(str(i).encode()).hexdigest() for i in range(N)]),
    ("user_md5", [hashlib.md5(str(i).encode()).hexdigest() for i in range(N)]),
    ("version", [f"{R.randint(0, 4)}.{R.randint(0, 30)}.{R.randint(0, 99)}" for _ in range(N)]),
    ("version4", [f"{R.randint(1, 4)}.{R.randint(0, 9)}.{R.randint(0, 9)}.{i}" for i in range(N)]),
    ("sku", [f"SKU-{R.randint(10000, 99999)}-XL" for _ in range(N)]),
    ("card_number", [luhn_failing("4", 16, R) for _ in range(N)]),
    ("order_no", [int(luhn_failing("5", 16, R)) for _ in range(N)]),
    (
        "created_at",
        [
            (dt.datetime(2024, 1, 1) + dt.timedelta(seconds=R.randint(0, 10**7))).isoformat()
            for _ in range(N)
        ],
    ),
    ("epoch", [R.randint(1_600_000_000, 1_750_000_000) for _ in range(N)]),
    ("account_id", [R.randint(100_000_000, 899_999_999) for _ in range(N)]),
    ("phone_count", [R.randint(0, 5) for _ in range(N)]),
    (
        "isbn",
        [
            f"978-{R.randint(0, 9)}-{R.randint(100, 999)}-{R.randint(10000, 99999)}-{i % 10}"
            for i in range(N)
        ],
    ),
    ("color", [R.choice(["Brown", "White", "Green", "Black", "Gray"]) for _ in range(N)]),
    ("price", [round(R.random() * 100, 2) for _ in range(N)]),
    ("path", [f"/srv/data/run_{i}/model.pt" for i in range(N)]),
    (
        "duration",
        [f"{R.randint(0, 23):02d}:{R.randint(0, 59):02d}:{R.randint(0, 59):02d}" for _ in range(N)],
    ),
    (
        "signup_day",
        [
            (dt.date(2023, 1, 1) + dt.timedelta(days=R.randint(0, 700))).isoformat()
            for _ in range(N)
        ],
    ),
]


@pytest.mark.parametrize(("name", "values"), DECOYS, ids=[d[0] for d in DECOYS])
def test_decoys_stay_clean(name: str, values: list[object], policy: Policy) -> None:
    assert _col(name, values, policy) == []


POSITIVES: list[tuple[str, list[object], list[str]]] = [
    ("id", [f"person{i}@example.com" for i in range(N)], ["EMAIL_ADDRESS"]),  # misleading name
    ("col_7", [luhn_complete("2221", 16, R) for _ in range(N)], ["CREDIT_CARD"]),
    ("x", [luhn_complete("37", 15, R) for _ in range(N)], ["CREDIT_CARD"]),
    ("tel", US_PHONES[:N], ["PHONE_NUMBER"]),
    ("ssn", [make_ssn(R) for _ in range(N)], ["US_SSN"]),
    (
        "bank",
        [make_iban("DE", f"{R.randint(10**17, 10**18 - 1)}") for _ in range(N)],
        ["IBAN_CODE"],
    ),
    (
        "ip",
        [f"10.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}" for _ in range(N)],
        ["IP_ADDRESS"],
    ),
    ("customer", person_names(N, R), ["PERSON"]),
    (
        "street",
        [
            f"{R.randint(1, 999)} {R.choice(['Oak', 'Maple', 'Cedar'])} {suffix}"
            for suffix in ["Street", "Ave", "Road", "Blvd"] * (N // 4)
        ],
        ["LOCATION"],
    ),
    (
        "dob",
        [
            (dt.date(1950, 1, 1) + dt.timedelta(days=R.randint(0, 18000))).isoformat()
            for _ in range(N)
        ],
        ["DATE_TIME"],
    ),
    (
        "geburtsdatum",
        [
            (dt.date(1950, 1, 1) + dt.timedelta(days=R.randint(0, 18000))).strftime("%d.%m.%Y")
            for _ in range(N)
        ],
        ["DATE_TIME"],
    ),
]


def _pairs(names: list[str], joiner: str) -> list[str]:
    return [f"{names[i]}{joiner}{names[i + 1]}" for i in range(0, len(names) - 1, 2)]


def test_cells_listing_several_people_are_person(policy: Policy) -> None:
    names = person_names(N, R)
    assert _col("writers", _pairs(names, " and "), policy) == ["PERSON"]
    assert _col("plaintiff", _pairs(names, "; "), policy) == ["PERSON"]


def test_cyrillic_full_names_with_patronymics_are_person(policy: Policy) -> None:
    given = ["Иван", "Сергей", "Николай", "Алексей", "Дмитрий", "Владимир"]
    family = ["Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов"]
    fathers = ["Иванович", "Петрович", "Сергеевич", "Николаевич", "Алексеевич"]
    values = [f"{R.choice(family)} {R.choice(given)} {R.choice(fathers)}" for _ in range(N)]
    assert _col("Name", values, policy) == ["PERSON"]


def test_titles_firms_and_place_pairs_with_and_are_not_person(policy: Policy) -> None:
    values = [
        "Pride and Prejudice",
        "Sense and Sensibility",
        "Crime and Punishment",
        "War and Peace",
        "Johnson & Johnson",
        "Procter & Gamble",
        "Barnes & Noble",
        "Simon & Schuster",
        "Minneapolis and St. Paul",
        "Dallas and Fort Worth",
    ] * 20
    assert _col("title", values, policy) == []


@pytest.mark.parametrize(("name", "values", "expected"), POSITIVES, ids=[p[0] for p in POSITIVES])
def test_positives(name: str, values: list[object], expected: list[str], policy: Policy) -> None:
    assert _col(name, values, policy) == expected


def test_free_text_holds_several_entities(policy: Policy) -> None:
    notes = [f"shipment {i} left the warehouse on time" for i in range(N)]
    for i in range(0, N, 40):
        notes[i] = f"customer asked to be mailed at buyer{i}@shop.example.net"
    for i in range(5, N, 40):
        notes[i] = f"call back on {US_PHONES[i % 300]} tomorrow"
    types = _col("notes", notes, policy)
    assert sorted(types) == ["EMAIL_ADDRESS", "PHONE_NUMBER"]


@pytest.mark.parametrize(
    ("rows", "with_email", "expected"),
    [
        (4000, 20, ["EMAIL_ADDRESS"]),  # 0.5 % of rows: found
        (4000, 8, ["EMAIL_ADDRESS"]),  # 0.2 %: still found
        (4000, 1, []),  # one stray match does not label
        (4000, 2, []),
        (2, 2, ["EMAIL_ADDRESS"]),  # tiny frames: every row is one
    ],
)
def test_prevalence_thresholds(
    rows: int, with_email: int, expected: list[str], policy: Policy
) -> None:
    values = [f"comment number {i} about the product" for i in range(rows)]
    for k, i in enumerate(range(0, rows, max(1, rows // with_email))):
        if k < with_email:
            values[i] = f"write to someone{i}@example.org please"
    scan = scan_dataframe(pd.DataFrame({"comment": values}), exhaustive=True, policy=policy)
    assert scan.columns["comment"].entity_types == expected


def test_one_weak_ssn_like_number_does_not_label(policy: Policy) -> None:
    values = [f"batch {i} re-run" for i in range(N)]
    values[17] = "batch 536228726 re-run"
    assert _col("description", values, policy) == []


def test_phone_regions_come_from_the_policy() -> None:
    uk = [f"020 7946 {i:04d}" for i in range(N)]
    assert _col("phone", uk, policy_with(regions=("GB",))) == ["PHONE_NUMBER"]
    assert _col("phone", uk, policy_with(regions=("US",))) == []


def test_policy_entities_and_min_score() -> None:
    values = [f"p{i}@example.com" for i in range(N)]
    assert _col("e", values, policy_with(entities=("PHONE_NUMBER",))) == []
    assert _col("e", values, policy_with(min_score=0.99)) == []
    assert _col("e", values, policy_with(min_score=0.5)) == ["EMAIL_ADDRESS"]


def test_sampling_reports_what_it_read(policy: Policy) -> None:
    rows = 50_000
    frame = pd.DataFrame(
        {"email": [f"u{i % 977}@example.com" for i in range(rows)], "n": np.arange(rows)}
    )
    scan = scan_dataframe(frame, sample=5_000, policy=policy)
    assert (scan.rows, scan.rows_scanned, scan.exhaustive) == (rows, 5_000, False)
    assert scan.columns["email"].entity_types == ["EMAIL_ADDRESS"]
    # a settled column stops after the first stage
    assert scan.columns["email"].values_scanned == 2_000
    assert scan.columns["n"].values_scanned == 5_000
    full = scan_dataframe(frame, exhaustive=True, policy=policy)
    assert (full.rows_scanned, full.exhaustive) == (rows, True)
    assert full.columns["email"].entities[0].fraction == 1.0


def test_sampling_is_deterministic(policy: Policy) -> None:
    values = [f"note {i}" for i in range(30_000)]
    for i in range(0, 30_000, 150):
        values[i] = f"mail me at a{i}@example.com"
    frame = pd.DataFrame({"notes": values})
    a = scan_dataframe(frame, sample=3000, policy=policy).to_dict()
    b = scan_dataframe(frame, sample=3000, policy=policy).to_dict()
    assert a == b
    assert a["columns"]["notes"]["entities"][0]["type"] == "EMAIL_ADDRESS"


def test_scan_table_uses_the_header_as_context(policy: Policy) -> None:
    ssn_digits = [make_ssn(R, dashed=False) for _ in range(30)]
    scan = scan_table({"ssn": ssn_digits, "ref": ssn_digits, "mail": ["a@b.co", None, "NaN"]})
    assert scan.exhaustive is True
    assert scan.rows == 30
    assert scan.columns["ssn"].entity_types == ["US_SSN"]
    assert scan.columns["ref"].entity_types == []
    assert scan.columns["mail"].values_scanned == 1


def test_memory_stays_at_one_sampled_column(policy: Policy) -> None:
    import tracemalloc

    rows = 300_000
    pool = np.array([f"user{i}@example.com" for i in range(5000)], dtype=object)
    idx = np.random.default_rng(0).integers(0, 5000, rows)
    frame = pd.DataFrame({"a": pool[idx], "b": pool[idx[::-1]], "n": np.arange(rows)})
    one_column = frame["a"].memory_usage(deep=False)
    scan_dataframe(frame.head(100), policy=policy)  # warm caches (lexicons, regexes)
    tracemalloc.start()
    try:
        scan = scan_dataframe(frame, policy=policy)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert scan.columns["a"].entity_types == ["EMAIL_ADDRESS"]
    assert peak < one_column / 2  # far below even one column: only the sample is read
