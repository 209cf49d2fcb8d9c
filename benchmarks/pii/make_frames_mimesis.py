"""Labelled frames from Mimesis, a second generator independent of Faker.

nbsec was developed against Faker's frames (``make_frames.py``) and real public tables; these
frames are kept for evaluation. One customer frame per locale (names in the locale's script,
e-mails, the generator's phone numbers, street addresses, cities, birth dates, card numbers),
with decoys beside them (order ids, amounts, categories, event timestamps, booleans), plus an
aggregate table of countries with metrics (no personal data) per locale.

Truth follows what the generator means a column to be: a phone-number column is PHONE_NUMBER
even where Mimesis makes numbers no telephone plan allows (nbsec validates numbers with
libphonenumber, so those count against it).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SEED = 9001
LOCALES = ("en", "de", "fr", "pl", "ru", "tr", "pt-br", "nl", "es", "it", "el", "cs", "sv")


@dataclass
class LabelledFrame:
    name: str
    frame: pd.DataFrame
    truth: dict[str, set[str]] = field(default_factory=dict)
    locale: str = ""


def customers(locale: str, rows: int, seed: int = SEED) -> LabelledFrame:
    from mimesis import Address, Datetime, Finance, Payment, Person
    from mimesis.locales import Locale

    loc = Locale(locale)
    person, address = Person(loc, seed=seed), Address(loc, seed=seed)
    payment, finance, when = Payment(seed=seed), Finance(loc, seed=seed), Datetime(seed=seed)
    rng = random.Random(seed)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(100_000, 100_000 + rows),
            "full_name": [person.full_name() for _ in range(rows)],
            "email": [person.email() for _ in range(rows)],
            "phone": [person.phone_number() for _ in range(rows)],
            "street": [address.address() for _ in range(rows)],
            "city": [address.city() for _ in range(rows)],
            "birth_date": [
                dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 60 * 365))
                for _ in range(rows)
            ],
            "card": [payment.credit_card_number() for _ in range(rows)],
            "company": [finance.company() for _ in range(rows)],
            "amount": [round(rng.gammavariate(2.0, 30.0), 2) for _ in range(rows)],
            "segment": [rng.choice(["retail", "sme", "corporate"]) for _ in range(rows)],
            "signed_up": [
                when.datetime(start=2018, end=2024).replace(microsecond=0) for _ in range(rows)
            ],
            "active": [rng.random() < 0.7 for _ in range(rows)],
        }
    )
    truth = {c: set() for c in frame.columns}
    truth.update(
        full_name={"PERSON"},
        email={"EMAIL_ADDRESS"},
        phone={"PHONE_NUMBER"},
        street={"LOCATION"},
        city={"LOCATION"},
        birth_date={"DATE_TIME"},
        card={"CREDIT_CARD"},
    )
    return LabelledFrame(f"mimesis_customers_{locale}", frame, truth, locale)


def countries(locale: str, rows: int, seed: int = SEED) -> LabelledFrame:
    """One row per country with metrics: an aggregate table, no personal data."""
    from mimesis import Address
    from mimesis.locales import Locale

    address = Address(Locale(locale), seed=seed)
    rng = np.random.default_rng(seed)
    names = sorted({address.country() for _ in range(rows * 4)})[:rows]
    frame = pd.DataFrame(
        {
            "country": names,
            "capital_city": [address.city() for _ in names],
            "population_m": rng.gamma(2.0, 20.0, len(names)).round(1),
            "gdp_per_capita": rng.gamma(3.0, 9000.0, len(names)).round(0),
        }
    )
    return LabelledFrame(
        f"mimesis_countries_{locale}", frame, {c: set() for c in frame.columns}, locale
    )


def labelled_frames(rows: int = 1000, seed: int = SEED) -> list[LabelledFrame]:
    out = []
    for i, locale in enumerate(LOCALES):
        out.append(customers(locale, rows, seed + i))
        out.append(countries(locale, 60, seed + i))
    return out
