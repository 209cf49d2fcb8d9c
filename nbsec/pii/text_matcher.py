"""Find validated PII in a text in one pass per pattern.

The column classifier joins a column's distinct values with newlines and calls :func:`find` once,
so every pattern runs over all values at C speed; :func:`nbsec.pii.scan_text` calls it on an
output's text directly. A match is kept only if its validator accepts it (Luhn and issuer range,
mod-97, SSN rules, libphonenumber, ``ipaddress``), and overlapping matches are resolved by
priority (an IBAN is not also a phone number). Each hit says whether it is *strong* (its format
alone is distinctive: an e-mail, a grouped card number, ``123-45-6789``, ``+44 20 7946 0958``) or
*weak* (a bare run of digits that merely validates), which the classifier and ``scan_text`` treat
differently.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from nbsec.pii import entity_patterns as ep
from nbsec.pii import validators as v


@dataclass(frozen=True)
class Match:
    entity: str
    start: int
    end: int
    strong: bool
    # False when the validation budget was spent: the match is a candidate whose validity the
    # caller estimates from the validated ones (see ``max_validations``)
    checked: bool = True


def _card_strong(text: str) -> bool:
    groups = re.split(r"[ -]", text)
    return len(groups) > 1


def _ssn_strong(text: str) -> bool:
    return not text.isdigit()


_PHONE_FORMAT = re.compile(r"^(?:\+|00|\(\d)|^\d{2,5}[ .-]\d{2,5}[ .-]\d{2,5}")


def _phone_strong(text: str) -> bool:
    return bool(_PHONE_FORMAT.match(text))


def _phone_shape_ok(text: str) -> bool:
    digits = v.digits_of(text)
    if not 7 <= len(digits) <= 15:
        return False
    if ep.ISO_DATE.match(text.strip()) or (re.search(r"\d\.\d+\.\d", text) and "+" not in text):
        return False
    return text.count("(") == text.count(")") and len(set(digits)) > 2


# (entity, pattern, validator, strength) in priority order: earlier claims its span first
_Check = tuple[str, "re.Pattern[str]", Callable[[str], bool], Callable[[str], bool]]


def _checks(regions: tuple[str, ...]) -> list[_Check]:
    def phone(text: str) -> bool:
        return _phone_shape_ok(text) and v.valid_phone(text, regions)

    return [
        ("EMAIL_ADDRESS", ep.EMAIL, v.valid_email, lambda _t: True),
        ("IBAN_CODE", ep.IBAN, v.valid_iban, lambda _t: True),
        ("CREDIT_CARD", ep.CARD, v.valid_card, _card_strong),
        ("US_SSN", ep.SSN, v.valid_ssn, _ssn_strong),
        ("IP_ADDRESS", ep.IPV4, v.valid_ip, lambda _t: True),
        ("IP_ADDRESS", ep.IPV6, lambda t: t.count(":") >= 2 and v.valid_ip(t), lambda _t: True),
        ("PHONE_NUMBER", ep.PHONE, phone, _phone_strong),
        ("LOCATION", ep.STREET, lambda _t: True, lambda _t: True),
    ]


def find(
    text: str,
    regions: tuple[str, ...],
    entities: Collection[str] | None = None,
    *,
    max_validations: int | None = None,
    tally: dict[str, list[int]] | None = None,
) -> list[Match]:
    """Every validated match in ``text``, non-overlapping, sorted by position.

    ``max_validations`` caps how many *distinct* candidates per entity are validated (the
    classifier's early stop on huge columns); candidates past the cap are returned with
    ``checked=False`` so the caller can extrapolate; ``None`` validates all. ``tally`` receives, per
    entity, ``[distinct candidates validated, distinct candidates valid]``: a column whose
    card-shaped numbers pass Luhn no more often than chance (1 in 10) holds order numbers."""
    taken = _Spans()
    out: list[Match] = []
    for entity, pattern, validator, strength in _checks(regions):
        if entities is not None and entity not in entities:
            continue
        verdicts: dict[str, bool] = {}
        for m in pattern.finditer(text):
            start, end = m.span()
            token = m.group(0)
            if entity == "PHONE_NUMBER":
                token = token.rstrip(" .-/(")
                end = start + len(token)
            if taken.overlaps(start, end):
                continue
            ok = verdicts.get(token)
            if ok is None:
                if max_validations is not None and len(verdicts) >= max_validations:
                    out.append(Match(entity, start, end, strength(token), checked=False))
                    taken.add(start, end)
                    continue
                ok = validator(token)
                verdicts[token] = ok
                if tally is not None:
                    counts = tally.setdefault(entity, [0, 0])
                    counts[0] += 1
                    counts[1] += int(ok)
            if ok:
                out.append(Match(entity, start, end, strength(token)))
                taken.add(start, end)
    out.sort(key=lambda h: h.start)
    return out


class _Spans:
    """Non-overlapping claimed spans, kept sorted for O(log n) overlap tests."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start)
        if i > 0 and self.ends[i - 1] > start:
            return True
        return i < len(self.starts) and self.starts[i] < end

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)
