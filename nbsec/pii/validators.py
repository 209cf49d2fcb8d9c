"""Checksum and structure validators: where a value can be checked, the check decides.

Each function takes the matched text (separators allowed where the format has them) and answers
``True`` only for values that can really be issued: card numbers pass Luhn *and* fall in an issuer
range (including Mastercard's 2221-2720 series), IBANs pass ISO 13616 mod-97 with their country's
length, SSNs follow the SSA's allocation rules, phone numbers are valid for one of the configured
regions according to libphonenumber. Nothing here imports anything heavy.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from functools import lru_cache

from nbsec.pii.entity_patterns import CARD_RANGES, IBAN_LENGTHS, SSN_KNOWN_FAKE

_NON_DIGIT = re.compile(r"\D")


def digits_of(text: str) -> str:
    return _NON_DIGIT.sub("", text)


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) checksum over a string of digits."""
    total = 0
    parity = len(digits) % 2
    for i, ch in enumerate(digits):
        d = ord(ch) - 48
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The card scheme whose issuer range and length fit ``digits``, or ``None``."""
    n = len(digits)
    for brand, prefixes, lengths in CARD_RANGES:
        if n not in lengths:
            continue
        for low, high in prefixes:
            width = len(str(low))
            head = int(digits[:width])
            if low <= head <= high:
                return brand
    return None


def valid_card(text: str) -> bool:
    """A payment card number: 13-19 digits, consistent grouping, issuer range and Luhn."""
    digits = digits_of(text)
    if not 12 <= len(digits) <= 19 or len(set(digits)) < 3:
        return False
    seps = {c for c in text if not c.isdigit()}
    if len(seps) > 1:
        return False
    return card_brand(digits) is not None and luhn_ok(digits)


def valid_iban(text: str) -> bool:
    """ISO 13616: known country, that country's length, and mod-97 == 1."""
    compact = text.replace(" ", "").upper()
    country = compact[:2]
    if IBAN_LENGTHS.get(country) != len(compact) or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(c, 36)) for c in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


_SSN_SHAPE = re.compile(r"^\d{3}([- ]?)\d{2}\1\d{4}$")


def valid_ssn(text: str) -> bool:
    """US SSN allocation rules: area not 000, 666 or 900-999; group not 00; serial not 0000;
    not a number the SSA lists as never valid (advertising and example numbers)."""
    if not _SSN_SHAPE.match(text.strip()):
        return False
    digits = digits_of(text)
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return digits not in SSN_KNOWN_FAKE and len(set(digits)) > 1


def valid_ip(text: str) -> bool:
    """An IPv4 or IPv6 address that is neither unspecified nor a version-like ``0.x.y.z``."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if address.version == 4 and text.split(".", 1)[0] == "0":
        return False
    return not address.is_unspecified


_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
_EMAIL_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def valid_email(text: str) -> bool:
    """RFC 5321 shape: sane local part, domain labels, an alphabetic top-level domain that is not
    a file extension (``image@2x.png`` is not an address)."""
    local, _, domain = text.rpartition("@")
    if not local or not domain or ".." in text or local[0] == "." or local[-1] == ".":
        return False
    if not _EMAIL_LOCAL.match(local):
        return False
    labels = domain.split(".")
    if len(labels) < 2 or not all(_EMAIL_LABEL.match(label) for label in labels):
        return False
    tld = labels[-1].lower()
    return tld.isalpha() and 2 <= len(tld) <= 24 and tld not in _FILE_SUFFIXES


_FILE_SUFFIXES = frozenset(
    "png jpg jpeg gif svg webp py ipynb js ts css html json csv txt md pdf zip gz tar whl".split()  # noqa: SIM905
)


@lru_cache(maxsize=65536)
def valid_phone(text: str, regions: tuple[str, ...]) -> bool:
    """Valid for one of ``regions`` (or, with a leading ``+``/``00``, for its own country)
    according to libphonenumber's metadata."""
    import phonenumbers

    candidate = text.strip()
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    try:
        if candidate.startswith("+"):
            return bool(phonenumbers.is_valid_number(phonenumbers.parse(candidate, None)))
        for region in regions:
            number = phonenumbers.parse(candidate, region)
            if phonenumbers.is_valid_number_for_region(number, region):
                return True
    except phonenumbers.NumberParseException:
        return False
    return False


def phone_regions(regions: Sequence[str]) -> tuple[str, ...]:
    return tuple(r.upper() for r in regions) or ("US",)
