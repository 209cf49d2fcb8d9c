"""PII in free text (stream and text outputs, tracebacks): validated, precise, fast.

Only matches whose format is distinctive on its own are reported (e-mail addresses, grouped card
numbers passing Luhn and an issuer range, IBANs passing mod-97, ``123-45-6789`` SSNs, formatted
phone numbers valid for a configured region, IP addresses). A bare run of digits that happens to
validate is reported only when a context word for that entity (``card``, ``ssn``, ``phone``...)
stands just before it. UUIDs, hashes, version strings and event timestamps do not match the
patterns' boundaries or fail validation. Names and places need a model in free text and are left
to the NER path of the column scanner.
"""

from __future__ import annotations

from nbsec.pii import entity_patterns as ep
from nbsec.pii import text_matcher
from nbsec.pii.results import TextHit
from nbsec.policy import Policy

_TEXT_ENTITIES = frozenset(
    ("EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "PHONE_NUMBER", "IP_ADDRESS")
)
_CONTEXT_WINDOW = 40


def scan_text(text: str, *, policy: Policy | None = None) -> list[TextHit]:
    """Validated PII in ``text``; ``text[hit.start:hit.end]`` is the value (never store it)."""
    from nbsec.pii.validators import phone_regions

    if policy is None:
        from nbsec.policy import load_policy

        policy = load_policy(None)
    wanted = _TEXT_ENTITIES
    if policy.pii.entities:
        wanted = wanted & frozenset(policy.pii.entities)
    regions = phone_regions(policy.pii.regions)
    out: list[TextHit] = []
    for m in text_matcher.find(text, regions, wanted):
        spec = ep.SPECS[m.entity]
        before = text[max(0, m.start - _CONTEXT_WINDOW) : m.start].lower()
        has_context = any(word in before for word in spec.context if len(word) >= 3)
        if not m.strong and not has_context:
            continue
        if m.entity == "IP_ADDRESS" and not has_context and _version_like(text[m.start : m.end]):
            continue
        score = min(1.0, spec.base_score + (0.1 if has_context else 0.0))
        if score >= policy.pii.min_score:
            out.append(TextHit(m.entity, m.start, m.end, score))
    return out


def _version_like(ip: str) -> bool:
    """``1.2.3.4``-style: an IPv4 whose first octet is below 10 reads as a version number."""
    head = ip.split(".", 1)[0]
    return "." in ip and head.isdigit() and int(head) < 10
