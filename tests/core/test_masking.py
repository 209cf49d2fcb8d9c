"""Masked evidence keeps the shape of a value, never the value."""

from __future__ import annotations

import pytest

from nbsec.masking import mask, secret_evidence, secret_hash


@pytest.mark.parametrize(
    ("value", "entity", "expected"),
    [
        ("john.doe@example.com", "EMAIL_ADDRESS", "j***@e***.com"),
        ("123-45-6789", "US_SSN", "***-**-****"),
        ("+1 (555) 123-4567", "PHONE_NUMBER", "+* (***) ***-****"),
        ("Jane Smith", "PERSON", "J*** S****"),
        ("4111 1111 1111 1111", "CREDIT_CARD", "**** **** **** ****"),
        ("", None, ""),
    ],
)
def test_mask_keeps_shape(value: str, entity: str | None, expected: str) -> None:
    assert mask(value, entity) == expected


@pytest.mark.parametrize(
    "value",
    ["john.doe@example.com", "DE89370400440532013000", "Margaret Thatcher-Roberts", "555-0199"],
)
def test_mask_never_contains_the_value_or_long_parts_of_it(value: str) -> None:
    masked = mask(value)
    assert value not in masked
    for i in range(len(value) - 3):
        chunk = value[i : i + 4]
        if chunk.isalnum():
            assert chunk not in masked


def test_long_values_are_capped() -> None:
    assert len(mask("x" * 500)) < 60


def test_secret_hash_is_stable_and_reveals_nothing() -> None:
    secret = "AKIAIOSFODNN7EXAMPLE"
    assert secret_hash(secret) == secret_hash(secret)
    assert secret_hash(secret) != secret_hash(secret + "x")
    evidence = secret_evidence(secret, "AWS access key id")
    assert secret not in evidence and secret[:8] not in evidence
    assert evidence.startswith("AWS access key id (sha256:")
