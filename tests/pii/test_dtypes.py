"""Every dtype is scanned without raising, and PII stored in odd dtypes is still found."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from nbsec.pii import scan_dataframe
from nbsec.policy import Policy
from tests.pii.conftest import luhn_complete, make_ssn

N = 60
R = random.Random(3)
EMAILS = [f"user{i}.name@example{i % 7}.org" for i in range(N)]
BIRTHS = [dt.date(1950, 1, 1) + dt.timedelta(days=R.randint(0, 365 * 50)) for _ in range(N)]
EVENTS = [dt.datetime(2024, 3, 1, 8) + dt.timedelta(minutes=37 * i) for i in range(N)]
CARDS = [int(luhn_complete("4", 16, R)) for _ in range(N)]
SSNS = [int(make_ssn(R, dashed=False)) for _ in range(N)]


def _column(name: str) -> tuple[Any, set[str]]:
    """(pandas column values, expected entity types) by case name."""
    cases: dict[str, tuple[Any, set[str]]] = {
        "birth_datetime64": (pd.to_datetime(BIRTHS), {"DATE_TIME"}),
        "birth_date_objects": (BIRTHS, {"DATE_TIME"}),
        "birth_tz_aware": (pd.to_datetime(BIRTHS).tz_localize("Europe/Berlin"), {"DATE_TIME"}),
        "event_datetime64": (pd.to_datetime(EVENTS), set()),
        "emails_in_lists": ([[e, "x"] for e in EMAILS], {"EMAIL_ADDRESS"}),
        "emails_in_dicts": ([{"mail": e, "n": 1} for e in EMAILS], {"EMAIL_ADDRESS"}),
        "emails_as_bytes": ([e.encode() for e in EMAILS], {"EMAIL_ADDRESS"}),
        "emails_categorical": (pd.Categorical(EMAILS), {"EMAIL_ADDRESS"}),
        "emails_json_strings": ([json.dumps({"u": {"e": e}}) for e in EMAILS], {"EMAIL_ADDRESS"}),
        "emails_arrow_strings": (pd.array(EMAILS, dtype="string[pyarrow]"), {"EMAIL_ADDRESS"}),
        "ssn_nullable_int": (
            pd.array([s if i % 9 else None for i, s in enumerate(SSNS)], dtype="Int64"),
            {"US_SSN"},
        ),
        "card_int64": (np.array(CARDS, dtype=np.int64), {"CREDIT_CARD"}),
        "card_float_with_nan": ([float(c) if i % 5 else np.nan for i, c in enumerate(SSNS)], set()),
        "decimals": ([Decimal(i) / 3 for i in range(N)], set()),
        "all_null": ([None] * N, set()),
        "all_nan": ([np.nan] * N, set()),
        "mixed_objects": (
            [R.choice([1, 2.5, "x", None, b"\xff", (1, 2)]) for _ in range(N)],
            set(),
        ),
        "booleans": ([i % 2 == 0 for i in range(N)], set()),
        "timedeltas": (pd.to_timedelta(range(N), unit="s"), set()),
        "complex": ([complex(i, 1) for i in range(N)], set()),
        "nested_arrays": ([np.arange(3) for _ in range(N)], set()),
        "plain_ints": (np.arange(N), set()),
    }
    return cases[name]


CASES = [
    "birth_datetime64",
    "birth_date_objects",
    "birth_tz_aware",
    "event_datetime64",
    "emails_in_lists",
    "emails_in_dicts",
    "emails_as_bytes",
    "emails_categorical",
    "emails_json_strings",
    "emails_arrow_strings",
    "ssn_nullable_int",
    "card_int64",
    "card_float_with_nan",
    "decimals",
    "all_null",
    "all_nan",
    "mixed_objects",
    "booleans",
    "timedeltas",
    "complex",
    "nested_arrays",
    "plain_ints",
]


@pytest.mark.parametrize("case", CASES)
def test_pandas_dtypes(case: str, policy: Policy) -> None:
    values, expected = _column(case)
    name = {"ssn_nullable_int": "ssn", "card_int64": "payment_ref"}.get(case, case)
    name = "dob" if case.startswith("birth") else name
    frame = pd.DataFrame({name: values})
    scan = scan_dataframe(frame, policy=policy)
    assert set(scan.columns) == {name}
    assert set(scan.columns[name].entity_types) == expected


def test_ssn_digits_need_the_column_name(policy: Policy) -> None:
    frame = pd.DataFrame({"ssn": SSNS, "account_id": SSNS})
    scan = scan_dataframe(frame, policy=policy)
    assert scan.columns["ssn"].entity_types == ["US_SSN"]
    assert scan.columns["account_id"].entity_types == []


POLARS_CASES: list[tuple[str, Any, set[str]]] = [
    ("email", pl.Series(EMAILS), {"EMAIL_ADDRESS"}),
    ("dob", pl.Series(BIRTHS), {"DATE_TIME"}),
    ("dob_dt", pl.Series([dt.datetime.combine(d, dt.time()) for d in BIRTHS]), {"DATE_TIME"}),
    ("seen_at", pl.Series(EVENTS), set()),
    ("mail_list", pl.Series([[e] for e in EMAILS]), {"EMAIL_ADDRESS"}),
    ("mail_struct", pl.Series([{"e": e, "n": 1} for e in EMAILS]), {"EMAIL_ADDRESS"}),
    ("mail_binary", pl.Series([e.encode() for e in EMAILS]), {"EMAIL_ADDRESS"}),
    ("mail_cat", pl.Series(EMAILS, dtype=pl.Categorical), {"EMAIL_ADDRESS"}),
    ("payment_ref", pl.Series(CARDS, dtype=pl.Int64), {"CREDIT_CARD"}),
    ("ssn", pl.Series([s if i % 9 else None for i, s in enumerate(SSNS)]), {"US_SSN"}),
    ("nothing", pl.Series([None] * N, dtype=pl.Null), set()),
    ("flags", pl.Series([True] * N), set()),
    ("floats", pl.Series([0.5] * N), set()),
    ("dur", pl.Series([dt.timedelta(seconds=i) for i in range(N)]), set()),
]


@pytest.mark.parametrize(("name", "series", "expected"), POLARS_CASES)
def test_polars_dtypes(name: str, series: Any, expected: set[str], policy: Policy) -> None:
    frame = pl.DataFrame({name: series})
    scan = scan_dataframe(frame, policy=policy)
    assert set(scan.columns[name].entity_types) == expected


def test_polars_sampled_frame(policy: Policy) -> None:
    frame = pl.DataFrame({"email": EMAILS * 400, "n": list(range(N * 400))})
    scan = scan_dataframe(frame, sample=1000, policy=policy)
    assert scan.rows == N * 400
    assert scan.rows_scanned == 1000
    assert scan.exhaustive is False
    assert scan.columns["email"].entity_types == ["EMAIL_ADDRESS"]


def test_series_and_duplicate_column_names(policy: Policy) -> None:
    scan = scan_dataframe(pd.Series(EMAILS, name="e"), policy=policy)
    assert scan.columns["e"].entity_types == ["EMAIL_ADDRESS"]
    frame = pd.DataFrame([[e, e] for e in EMAILS], columns=["x", "x"])
    scan = scan_dataframe(frame, policy=policy)
    assert set(scan.columns) == {"x", "x.2"}


def test_empty_and_non_frames(policy: Policy) -> None:
    scan = scan_dataframe(pd.DataFrame({"a": []}), policy=policy)
    assert scan.rows == 0
    assert scan.columns["a"].entities == []
    from nbsec.errors import InputError

    with pytest.raises(InputError):
        scan_dataframe([1, 2, 3], policy=policy)
