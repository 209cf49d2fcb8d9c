"""Value factories for the PII tests: valid card numbers, IBANs, SSNs, phones, built by rule."""

from __future__ import annotations

import random

import pytest

from nbsec.policy import PiiSettings, Policy


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    """A number of ``length`` digits starting with ``prefix`` whose Luhn check digit is right."""
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        candidate = body + check
        total = 0
        for i, ch in enumerate(reversed(candidate)):
            d = int(ch)
            if i % 2 == 1:
                d = d * 2 - 9 if d > 4 else d * 2
            total += d
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def luhn_failing(prefix: str, length: int, rng: random.Random) -> str:
    good = luhn_complete(prefix, length, rng)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def make_iban(country: str, bban: str) -> str:
    """An IBAN with the right mod-97 check digits for ``country`` + ``bban``."""
    rearranged = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in rearranged))
    check = 98 - number % 97
    return f"{country}{check:02d}{bban}"


def make_ssn(rng: random.Random, dashed: bool = True) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    group = rng.randint(1, 99)
    serial = rng.randint(1, 9999)
    sep = "-" if dashed else ""
    return f"{area:03d}{sep}{group:02d}{sep}{serial:04d}"


US_PHONES = [f"(212) 555-{i:04d}" for i in range(100, 400)]
FIRST = "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara"
LAST = "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Wilson Moore"


def person_names(n: int, rng: random.Random) -> list[str]:
    first, last = FIRST.split(), LAST.split()
    return [f"{rng.choice(first)} {rng.choice(last)}" for _ in range(n)]


@pytest.fixture
def rng() -> random.Random:
    return random.Random(7)


@pytest.fixture
def policy() -> Policy:
    return Policy()


def policy_with(**pii: object) -> Policy:
    return Policy(pii=PiiSettings(**pii))  # type: ignore[arg-type]
