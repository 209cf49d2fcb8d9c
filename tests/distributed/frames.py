"""Customer-like frames for the distribution tests, built by rule (valid checksums) in pandas."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from tests.pii.conftest import luhn_complete, make_iban, make_ssn, person_names

CITIES = "Springfield Riverside Fairview Greenville Madison Georgetown Salem Clinton Franklin"


def customers(rows: int, seed: int = 11) -> Any:
    """A frame of people with contact details, ids, money and notes (mixed dtypes, nulls)."""
    import pandas as pd

    rng = random.Random(seed)
    names = person_names(rows, rng)
    emails = [
        f"{n.split()[0].lower()}.{n.split()[1].lower()}{i}@example.{rng.choice(['com', 'org'])}"
        for i, n in enumerate(names)
    ]
    return pd.DataFrame(
        {
            "customer_id": list(range(100_000, 100_000 + rows)),
            "full_name": names,
            "email": emails,
            "phone": [f"+1 212-555-{rng.randint(1000, 9999)}" for _ in range(rows)],
            "ssn": [make_ssn(rng) for _ in range(rows)],
            "card": [luhn_complete("4", 16, rng) for _ in range(rows)],
            "iban": [make_iban("DE", f"{rng.randint(10**17, 10**18 - 1)}") for _ in range(rows)],
            "birth_date": [
                dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 60 * 365))
                for _ in range(rows)
            ],
            "balance": [round(rng.uniform(-500, 5000), 2) for _ in range(rows)],
            "segment": pd.Categorical(
                [rng.choice(["gold", "silver", "bronze"]) for _ in range(rows)]
            ),
            "active": [rng.random() < 0.7 for _ in range(rows)],
            "notes": [
                rng.choice(["", None, "called back", "prefers e-mail", f"wrote from {emails[i]}"])
                for i in range(rows)
            ],
        }
    )


def mixed(rows: int, seed: int = 5) -> Any:
    """Columns of awkward dtypes: lists, dicts, bytes, nullable ints, timestamps, mixed objects."""
    import pandas as pd

    rng = random.Random(seed)
    return pd.DataFrame(
        {
            "tags": [[f"t{rng.randint(0, 5)}", f"user{i}@mail.example.com"] for i in range(rows)],
            "meta": [
                {"ip": f"10.{i % 250}.{rng.randint(1, 250)}.{rng.randint(1, 250)}"}
                for i in range(rows)
            ],
            "raw": [f"id-{i}".encode() for i in range(rows)],
            "n": pd.array([None if i % 7 == 0 else i for i in range(rows)], dtype="Int64"),
            "seen_at": pd.to_datetime(
                [dt.datetime(2024, 1, 1, 8) + dt.timedelta(minutes=13 * i) for i in range(rows)]
            ),
            "anything": [rng.choice([1, "x", 2.5, None, dt.date(2020, 1, 2)]) for _ in range(rows)],
            "phone_int": [2125550000 + rng.randint(100, 9999) for _ in range(rows)],
            "city": [rng.choice(CITIES.split()) for _ in range(rows)],
        }
    )
