"""A large customer dataset on disk for ``bench_distributed.py``: 12 columns, parquet, partitioned.

Values are realistic rather than drawn from a tiny pool: names combine Faker's first names and
surnames of eight locales; e-mail addresses combine those with numbers and forty domains (tens of
millions of distinct addresses at 100M rows); phone numbers come in national and international
formats of four countries; SSNs follow the SSA's area rules; IBANs and card numbers carry valid
check digits (drawn from pools of 500,000 each, built once); streets are a building number and a
Faker street name of one of those locales. ``customer_id`` and ``amount`` are not personal data.

Rows are generated in chunks of 1,000,000 with pyarrow's vectorised string kernels and written as
one parquet file per chunk (row groups of 250,000 rows), so 100M rows take a few minutes and
little memory. The dataset lives under ``benchmarks/.cache/`` (never committed) and is reused
while its ``_COMPLETE`` marker exists; an interrupted generation resumes (each file is written
under a temporary name and renamed when whole).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

CHUNK = 1_000_000
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL")
COLUMNS = (
    "customer_id",
    "full_name",
    "email",
    "phone",
    "ssn",
    "birth_date",
    "street",
    "city",
    "iban",
    "card",
    "ip_address",
    "amount",
)
TRUTH = {
    "customer_id": set(),
    "full_name": {"PERSON"},
    "email": {"EMAIL_ADDRESS"},
    "phone": {"PHONE_NUMBER"},
    "ssn": {"US_SSN"},
    "birth_date": {"DATE_TIME"},
    "street": {"LOCATION"},
    "city": {"LOCATION"},
    "iban": {"IBAN_CODE"},
    "card": {"CREDIT_CARD"},
    "ip_address": {"IP_ADDRESS"},
    "amount": set(),
}


def _luhn(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body + "0")):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def _iban(country: str, bban: str) -> str:
    number = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - number % 97:02d}{bban}"


def _pools(seed: int) -> dict[str, list[str]]:
    from faker import Faker

    rng = random.Random(seed)
    first: set[str] = set()
    last: set[str] = set()
    cities: set[str] = set()
    streets: set[str] = set()
    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(seed)
        provider = fake.provider("faker.providers.person")
        for attr in ("first_names", "first_names_male", "first_names_female"):
            names = getattr(provider, attr, ())
            first.update(names if not isinstance(names, dict) else names.keys())
        names = getattr(provider, "last_names", ())
        last.update(names if not isinstance(names, dict) else names.keys())
        for _ in range(3_000):
            cities.add(fake.city())
            streets.add(fake.street_name())
    cards = []
    for _ in range(500_000):
        kind = rng.random()
        if kind < 0.5:
            number = _luhn("4" + "".join(rng.choice("0123456789") for _ in range(14)))
        elif kind < 0.85:
            number = _luhn(
                str(rng.randint(51, 55)) + "".join(rng.choice("0123456789") for _ in range(13))
            )
        else:
            number = _luhn(
                rng.choice(("34", "37")) + "".join(rng.choice("0123456789") for _ in range(12))
            )
        style = rng.random()
        if style < 0.4 and len(number) == 16:
            number = " ".join(number[i : i + 4] for i in range(0, 16, 4))
        elif style < 0.6 and len(number) == 16:
            number = "-".join(number[i : i + 4] for i in range(0, 16, 4))
        cards.append(number)
    ibans = []
    for _ in range(500_000):
        country = rng.choice(("DE", "FR", "GB", "NL", "ES"))
        if country == "DE":
            bban = "".join(rng.choice("0123456789") for _ in range(18))
        elif country == "FR":
            bban = "".join(rng.choice("0123456789") for _ in range(23))
        elif country == "GB":
            bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + "".join(
                rng.choice("0123456789") for _ in range(14)
            )
        elif country == "NL":
            bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + "".join(
                rng.choice("0123456789") for _ in range(10)
            )
        else:
            bban = "".join(rng.choice("0123456789") for _ in range(20))
        ibans.append(_iban(country, bban))
    domains = [
        "gmail.com",
        "yahoo.com",
        "outlook.com",
        "hotmail.com",
        "icloud.com",
        "aol.com",
        "proton.me",
        "gmx.de",
        "web.de",
        "t-online.de",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
        "virgilio.it",
        "wp.pl",
        "onet.pl",
        "o2.pl",
        "ziggo.nl",
        "kpnmail.nl",
        "btinternet.com",
        "sky.com",
        "virginmedia.com",
        "telefonica.net",
        "yahoo.es",
        "mail.ru",
        "seznam.cz",
        "comcast.net",
        "verizon.net",
        "att.net",
        "cox.net",
        "example-corp.com",
        "acme-industries.com",
        "globex.org",
        "initech.io",
        "umbrella.co.uk",
        "stark-enterprises.com",
        "wayne-foundation.org",
        "university.edu",
        "hospital.org",
    ]
    return {
        "first": sorted(first),
        "last": sorted(last),
        "cities": sorted(cities),
        "streets": sorted(streets),
        "cards": cards,
        "ibans": ibans,
        "domains": domains,
    }


def _chunk(pools: dict[str, Any], start: int, rows: int, seed: int) -> Any:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)

    def pick(pool: Any, n: int = rows) -> Any:
        return pc.take(pool, pa.array(rng.integers(0, len(pool), n)))

    def num(low: int, high: int, width: int = 0) -> Any:
        text = pc.cast(pa.array(rng.integers(low, high, rows)), pa.string())
        return pc.utf8_lpad(text, width, padding="0") if width else text

    join = pc.binary_join_element_wise
    first, last = pick(pools["first"]), pick(pools["last"])
    full_name = join(first, last, " ")
    lower_first, lower_last = pc.utf8_lower(first), pc.utf8_lower(last)
    # e-mail local parts: first.last, flast, first_last42, last.first7 ...
    style = rng.integers(0, 4, rows)
    initial = pc.utf8_slice_codeunits(lower_first, 0, 1)
    local = pc.case_when(
        pc.make_struct(pa.array(style == 0), pa.array(style == 1), pa.array(style == 2)),
        join(lower_first, lower_last, "."),
        join(initial, lower_last, num(1, 99), ""),
        join(lower_first, lower_last, "_"),
        join(lower_last, lower_first, num(1, 9999), "."),
    )
    local = pc.replace_substring_regex(pc.utf8_normalize(local, "NFKD"), r"[^a-z0-9._]", "")
    email = join(local, pick(pools["domains"]), "@")
    area = pa.array(np.where((a := rng.integers(1, 900, rows)) == 666, 667, a))
    ssn = join(
        pc.utf8_lpad(pc.cast(area, pa.string()), 3, padding="0"),
        num(1, 100, 2),
        num(1, 10_000, 4),
        "-",
    )
    pstyle = rng.integers(0, 4, rows)
    phone = pc.case_when(
        pc.make_struct(pa.array(pstyle == 0), pa.array(pstyle == 1), pa.array(pstyle == 2)),
        join(pa.scalar("+1 (212)"), join(num(200, 999), num(1000, 9999, 4), "-"), " "),
        join(num(201, 989), num(200, 999), num(1000, 9999, 4), "-"),
        join(pa.scalar("+44 20"), num(7000, 8999), num(1000, 9999, 4), " "),
    )
    phone = pc.if_else(
        pa.array(pstyle == 3), join(pa.scalar("+49 30"), num(1000000, 9999999), " "), phone
    )
    days = rng.integers(-25_000, 12_000, rows)  # 1901 .. 2002
    birth = pc.cast(pa.array(days, pa.int32()), pa.date32())
    street = join(num(1, 9_999), pick(pools["streets"]), " ")
    ip = join(num(1, 224), num(0, 256), num(0, 256), num(1, 255), ".")
    amount = pa.array(np.round(rng.gamma(2.0, 80.0, rows), 2))
    return pa.table(
        {
            "customer_id": pa.array(np.arange(start, start + rows, dtype=np.int64)),
            "full_name": full_name,
            "email": email,
            "phone": phone,
            "ssn": ssn,
            "birth_date": birth,
            "street": street,
            "city": pick(pools["cities"]),
            "iban": pick(pools["ibans"]),
            "card": pick(pools["cards"]),
            "ip_address": ip,
            "amount": amount,
        }
    )


def ensure_dataset(root: Path, rows: int, *, seed: int = 2024, log: Any = print) -> Path:
    """The dataset of ``rows`` rows under ``root`` (generated once, then reused)."""
    import pyarrow.parquet as pq

    target = root / f"customers-{rows}"
    marker = target / "_COMPLETE"
    if marker.exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    pools: dict[str, Any] | None = None
    chunk = min(CHUNK, rows)
    for index, start in enumerate(range(0, rows, chunk)):
        n = min(chunk, rows - start)
        path = target / f"part-{index:05d}.parquet"
        if _complete(path, n):
            continue  # resumed: an earlier run wrote this file whole
        if pools is None:
            pools = _pools(seed)
        table = _chunk(pools, start, n, seed + index)
        partial = path.with_name("." + path.name + ".tmp")
        pq.write_table(table, partial, row_group_size=250_000, compression="snappy")
        partial.replace(path)
        if index % 10 == 9:
            log(f"  generated {start + n:,} of {rows:,} rows")
    marker.write_text(json.dumps({"rows": rows, "seed": seed, "columns": list(COLUMNS)}))
    return target


def _complete(path: Path, rows: int) -> bool:
    import pyarrow.parquet as pq

    try:
        return bool(path.exists() and pq.read_metadata(path).num_rows == rows)
    except Exception:
        return False
