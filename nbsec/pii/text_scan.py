"""PII in free text (stream and text outputs, tracebacks, markdown): validated, with exact spans.

Every hit is ``text[hit.start:hit.end]`` of the text given, so redaction can mask in place.

* Pattern entities run through the same recognizers as frames (presidio's, stdnum's, nbsec's
  phone): a match is reported when its format is distinctive on its own (an e-mail, a grouped
  card number passing Luhn and an issuer range, an IBAN passing mod-97, ``123-45-6789``, a
  formatted phone number valid for a configured region, an IP address) or when a context word for
  its entity stands just before it (``ssn: 123456789``, ``PESEL 44051401359``); a national id
  needs its context word. Version strings, digit arrays and timestamps fail the patterns'
  boundaries or validation.
* Person names without a model where the evidence is strong: a title before capitalised names
  (``Mr. Owen Harris``), the "Last, Title. First" format (``Braund, Mr. Owen Harris``), or a known
  first name followed by a known or surname-shaped surname that is not a place. A configured spaCy
  model (``pii.spacy_model``) adds presidio's NER on top.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable

from nbsec.pii import entity_patterns as ep
from nbsec.pii import lexicons
from nbsec.pii import recognizers as rz
from nbsec.pii.results import TextHit
from nbsec.policy import Policy

_CORE = frozenset(
    ("EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "PHONE_NUMBER", "IP_ADDRESS")
)
_CONTEXT_WINDOW = 40
_TITLE = (
    r"(?:Mr|Mrs|Ms|Miss|Mx|Master|Dr|Prof|Rev|Sir|Dame|Lady|Lord|Mme|Mlle|Herr|Frau|Sr|Sra|Srta|"
    r"Don|Doña|Dott|Pan|Pani)"
)
_CAP = r"[A-Z\u00C0-\u00DE\u0400-\u042F\u0391-\u03A9](?:\w+|['\u2019]\w+)(?:['\u2019-]\w+)*"
_TITLED = re.compile(
    rf"(?<![\w.])(?:{_CAP},\s+)?{_TITLE}\.?\s+(?:[A-Z]\.\s*)*{_CAP}(?:\s+{_CAP}){{0,3}}"
)
_WORD = re.compile(rf"(?<![\w@.]){_CAP}(?![\w@])")


def scan_text(text: str, *, policy: Policy | None = None) -> list[TextHit]:
    """Validated PII in ``text``; ``text[hit.start:hit.end]`` is the value (never store it)."""
    from nbsec.pii.validators import phone_regions

    if policy is None:
        from nbsec.policy import load_policy

        policy = load_policy(None)
    pii = policy.pii
    registry = rz.registry(phone_regions(pii.regions), _yaml_files(policy))
    wanted = frozenset(pii.entities) if pii.entities else None
    deny = frozenset(pii.deny_entities)

    def allowed(entity: str) -> bool:
        if entity in deny:
            return False
        return entity in wanted if wanted is not None else entity not in rz.NOT_PERSONAL

    recs = [
        r
        for r in registry.recognizers
        if allowed(r.entity)
        and (r.entity in _CORE or r.checksum or r.source == "custom")
        and r.entity != "LOCATION"
    ]
    out: list[TextHit] = []
    lowered = text.lower()
    kept: list[tuple[bool, rz.Match]] = []
    for m in rz.find(text, recs):
        context = registry.context.get(m.entity, frozenset())
        before = lowered[max(0, m.start - _CONTEXT_WINDOW) : m.start]
        has_context = any(word in before for word in context if len(word) >= 3)
        if m.entity not in _CORE and not has_context and m.entity != "CREDIT_CARD":
            continue  # a national id in prose needs its name nearby
        if not m.strong and not has_context:
            continue
        if m.entity == "IP_ADDRESS" and not has_context and _version_like(text[m.start : m.end]):
            continue
        if m.entity != "EMAIL_ADDRESS" and not has_context and _numeric_line(text, m):
            continue  # a row of numbers (an array, a table of measurements), not an identifier
        kept.append((has_context, m))
    # the better claim wins a span: context, then a passed checksum, then format and score
    kept.sort(key=lambda c: (-c[0], -(c[1].validated is True), -c[1].strong, -c[1].score))
    taken = _Spans()
    for has_context, m in kept:
        if not taken.claim(m.start, m.end):
            continue
        spec = ep.SPECS.get(m.entity)
        base = spec.base_score if spec else 0.85
        score = min(1.0, base + (0.1 if has_context else 0.0))
        if score >= pii.min_score:
            out.append(TextHit(m.entity, m.start, m.end, score))
    if allowed("PERSON"):
        taken = _Spans()
        for hit in out:
            taken.claim(hit.start, hit.end)
        for start, end, score in _names(text, pii.spacy_model):
            if score >= pii.min_score and taken.claim(start, end):
                out.append(TextHit("PERSON", start, end, score))
    out.sort(key=lambda h: h.start)
    return out


class _Spans:
    """Non-overlapping spans, sorted, so a claim costs a binary search (an output of many
    thousand values stays linear-logarithmic)."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def claim(self, start: int, end: int) -> bool:
        """Take ``[start, end)`` unless it overlaps a span already taken."""
        i = bisect.bisect_right(self._starts, start)
        if i > 0 and self._ends[i - 1] > start:
            return False
        if i < len(self._starts) and self._starts[i] < end:
            return False
        self._starts.insert(i, start)
        self._ends.insert(i, end)
        return True


def _yaml_files(policy: Policy) -> tuple[str, ...]:
    base = policy.source.parent if policy.source else None
    return tuple(str(base / p) if base else p for p in policy.pii.recognizers)


_NUMERIC_LINE = re.compile(r"[\s\[\](),.:;eE+\-/0-9]*")


def _numeric_line(text: str, m: rz.Match) -> bool:
    """Is the match on a line of nothing but numbers, with more numbers than the match?"""
    start = text.rfind("\n", 0, m.start) + 1
    end = text.find("\n", m.end)
    line = text[start : end if end >= 0 else len(text)]
    token = text[m.start : m.end]
    if "+" in token or "(" in token:
        return False
    return bool(_NUMERIC_LINE.fullmatch(line)) and len(line.split()) > len(token.split())


def _version_like(ip: str) -> bool:
    """``1.2.3.4``-style: an IPv4 whose first octet is below 10 reads as a version number."""
    head = ip.split(".", 1)[0]
    return "." in ip and head.isdigit() and int(head) < 10


def _capitalised_runs(text: str, words: list[re.Match[str]]) -> dict[int, int]:
    """For each word's start, the length of the run of capitalised words it belongs to."""
    out: dict[int, int] = {}
    run: list[re.Match[str]] = []
    for w in words:
        if (
            run
            and text[run[-1].end() : w.start()] not in (" ",)
            and not re.fullmatch(r" [A-Z]\.? ", text[run[-1].end() : w.start()])
        ):
            for x in run:
                out[x.start()] = len(run)
            run = []
        run.append(w)
    for x in run:
        out[x.start()] = len(run)
    return out


def _names(text: str, spacy_model: str) -> Iterable[tuple[int, int, float]]:
    """Person-name spans: titled names, "Last, Title. First", known first name + surname."""
    found: list[tuple[int, int, float]] = []
    for m in _TITLED.finditer(text):
        found.append((m.start(), m.end(), 0.85))
    words = list(_WORD.finditer(text))
    runs = _capitalised_runs(text, words)
    for w1, w2 in itertools.pairwise(words):
        gap = text[w1.end() : w2.start()]
        if gap != " " and not re.fullmatch(r" [A-Z]\.? ", gap):
            continue
        if len(w1.group(0)) < 3 or len(w2.group(0)) < 3 or runs.get(w1.start(), 0) >= 4:
            continue  # initials-like tokens; a long run of capitalised words is a title
        start, end = w1.start(), w2.end()
        if any(start < e and s < end for s, e, _ in found):
            continue
        a, b = lexicons.fold(w1.group(0)), lexicons.fold(w2.group(0))
        if not lexicons.full_name([a, b], reverse=False) or lexicons.is_place(text[start:end]):
            continue
        found.append((start, end, 0.7))
    if spacy_model:
        from nbsec.pii.engine import analyzer

        engine = analyzer(spacy_model)
        for r in engine.analyze(text=text, language="en", entities=["PERSON"]):
            if r.score >= 0.6 and not any(r.start < e and s < r.end for s, e, _ in found):
                found.append((r.start, r.end, float(r.score)))
    return sorted(found)
