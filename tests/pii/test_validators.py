"""Each validator, table-driven: the check decides where a checksum or rule exists."""

from __future__ import annotations

import random

import pytest

from nbsec.pii import validators as v
from tests.pii.conftest import luhn_complete, luhn_failing, make_iban

R = random.Random(11)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        (luhn_complete("4", 16, R), True),  # Visa
        (luhn_complete("4", 13, R), True),  # Visa 13
        (luhn_complete("51", 16, R), True),  # Mastercard 51-55
        (luhn_complete("55", 16, R), True),
        (luhn_complete("2221", 16, R), True),  # Mastercard 2-series low end
        (luhn_complete("2720", 16, R), True),  # Mastercard 2-series high end
        (luhn_complete("2721", 16, R), False),  # just outside the 2-series
        (luhn_complete("34", 15, R), True),  # Amex
        (luhn_complete("37", 15, R), True),
        (luhn_complete("6011", 16, R), True),  # Discover
        (luhn_complete("65", 16, R), True),
        (luhn_complete("3530", 16, R), True),  # JCB
        (luhn_complete("36", 14, R), True),  # Diners
        (luhn_complete("62", 16, R), True),  # UnionPay
        (luhn_complete("6304", 12, R), True),  # Maestro short
        (luhn_complete("2200", 16, R), True),  # Mir
        (luhn_failing("4", 16, R), False),  # Luhn fails
        (luhn_failing("2223", 16, R), False),
        (luhn_complete("1", 16, R), False),  # no issuer starts with 1
        (luhn_complete("34", 16, R), False),  # Amex must be 15 long
        ("4111111111111111", False),  # the universal test number (too few distinct digits)
        ("0000000000000000", False),
    ],
)
def test_card_numbers(number: str, valid: bool) -> None:
    assert v.valid_card(number) is valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("4539 1488 0343 6467", True),
        ("4539-1488-0343-6467", True),
        ("4539 1488-0343 6467", False),  # mixed separators are not a card
    ],
)
def test_card_grouping(text: str, valid: bool) -> None:
    assert v.valid_card(text) is valid


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("DE89370400440532013000", True),
        ("DE89 3704 0044 0532 0130 00", True),
        ("GB82WEST12345698765432", True),
        ("GB82WEST12345698765433", False),  # checksum
        ("DE8937040044053201300", False),  # length for DE is 22
        ("XX89370400440532013000", False),  # no such country
        (make_iban("FR", "30006000011234567890189"), True),
        (make_iban("NO", "86011117947"), True),
        (make_iban("IT", "X0542811101000000123456"), True),
    ],
)
def test_iban(iban: str, valid: bool) -> None:
    assert v.valid_iban(iban) is valid


@pytest.mark.parametrize(
    ("ssn", "valid"),
    [
        ("536-22-8726", True),
        ("536228726", True),
        ("000-22-8726", False),  # area 000
        ("666-22-8726", False),  # area 666
        ("912-22-8726", False),  # area 900-999
        ("536-00-8726", False),  # group 00
        ("536-22-0000", False),  # serial 0000
        ("078-05-1120", False),  # the Woolworth wallet number
        ("123-45-6789", False),  # advertising example
        ("53-622-8726", False),
    ],
)
def test_ssn(ssn: str, valid: bool) -> None:
    assert v.valid_ssn(ssn) is valid


@pytest.mark.parametrize(
    ("number", "regions", "valid"),
    [
        ("(212) 555-0143", ("US",), True),
        ("212-555-0143", ("US",), True),
        ("(012) 555-0143", ("US",), False),  # no area code starts with 0
        ("+44 20 7946 0958", ("US",), True),  # international: its own country decides
        ("020 7946 0958", ("GB",), True),
        ("020 7946 0958", ("US",), False),  # a UK national number is not valid in the US
        ("030 12345678", ("DE",), True),
        ("01 42 68 53 00", ("FR",), True),
        ("0049 30 12345678", ("US",), True),  # 00 prefix
        ("+1 999 555 0143", ("US",), False),
    ],
)
def test_phone(number: str, regions: tuple[str, ...], valid: bool) -> None:
    assert v.valid_phone(number, regions) is valid


@pytest.mark.parametrize(
    ("ip", "valid"),
    [
        ("192.168.1.20", True),
        ("8.8.8.8", True),
        ("2001:db8::1", True),
        ("256.1.1.1", False),
        ("0.0.0.0", False),
        ("0.1.2.3", False),
        ("12:30:45", False),
    ],
)
def test_ip(ip: str, valid: bool) -> None:
    assert v.valid_ip(ip) is valid


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("jane.doe@example.com", True),
        ("j.o'brien+tag@mail.example.co.uk", True),
        ("image@2x.png", False),  # a file name, not an address
        ("a..b@example.com", False),
        (".a@example.com", False),
        ("a@-example.com", False),
        ("a@example.c0m", False),
    ],
)
def test_email(email: str, valid: bool) -> None:
    assert v.valid_email(email) is valid


@pytest.mark.parametrize(
    ("digits", "brand"),
    [("4111222233334444", "visa"), ("2221000000000009", "mastercard"), ("371449635398431", "amex")],
)
def test_card_brand(digits: str, brand: str) -> None:
    assert v.card_brand(digits) == brand


# identifiers stdnum does not validate, checked by nbsec (examples from Faker's own generators)
OWN_IDS = [
    ("RS_BA_ME_MK_JMBG", ["2810958417151", "1608981411120", "2701981413771", "3006939122612",
                          "0111937184839", "2609991140966"]),
    ("HU_PERSONAL_ID", ["18902091775", "26504047066", "29401237435", "15701010806"]),
    ("TW_NATIONAL_ID", ["E141777632", "D206690746", "X191500087", "A236083774"]),
]  # fmt: skip


@pytest.mark.parametrize(("entity", "values"), OWN_IDS, ids=[e for e, _ in OWN_IDS])
def test_own_national_id_checks(entity: str, values: list[str]) -> None:
    from nbsec.pii import national_ids

    nid = next(n for n in national_ids.NATIONAL_IDS if n.entity == entity)
    for value in values:
        assert national_ids.is_valid(nid.module, value), value
        near_miss = value[:-1] + str((int(value[-1]) + 1) % 10)
        assert not national_ids.is_valid(nid.module, near_miss), near_miss
    assert set(nid.country.split()) <= set(national_ids.verified_countries())


def test_jmbg_and_emso_split_by_region() -> None:
    from nbsec.pii import national_ids

    # the same checksum; region 50-59 is Slovenia's
    slovenian = "0101006500006"
    assert national_ids.is_valid("si.emso", slovenian)
    assert national_ids.is_valid("nbsec:emso_si", slovenian)
    assert not national_ids.is_valid("nbsec:jmbg", slovenian)
    assert national_ids.is_valid("nbsec:jmbg", "2810958417151")
    assert not national_ids.is_valid("nbsec:emso_si", "2810958417151")
