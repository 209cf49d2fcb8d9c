"""Decide which entities one column holds, from its scanned values and its name.

The decision is statistical, per column, not per cell:

* pattern entities (e-mail, card, IBAN, SSN, phone, IP, street address) come from
  :mod:`nbsec.pii.text_matcher` run once over the column's *distinct* values; prevalence is
  weighted by how often each value occurs;
* a *strong* match labels the column when it reaches the entity's ``min_fraction`` (0.2 % for
  e-mails, so a notes column where 1 row in 200 carries an address is found) and ``min_hits``
  distinct values (one stray match never labels);
* a *weak* match (bare digits that validate) labels only if most values validate and the column
  name agrees (``ssn`` over 9-digit numbers) - the name is context that lifts a weak match, never
  proof on its own; bare card numbers are the exception, since chance passes Luhn and an issuer
  range for about 1 number in 12, far below a real card column's 100 %;
* checksum entities are also compared with chance: grouped numbers that pass Luhn no more often
  than random ones are order numbers, not cards;
* PERSON and LOCATION are model-free: name-shaped values checked against name lexicons, place
  lexicons and street-address patterns, with cardinality guards (see :mod:`nbsec.pii.lexicons`);
  when a spaCy model is configured, free text is also analysed by presidio's NER;
* DATE_TIME labels birth-date-like columns (dates without time, spread over many years, mostly
  long past), never event timestamps.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

from nbsec.masking import mask
from nbsec.pii import entity_patterns as ep
from nbsec.pii import lexicons, text_matcher
from nbsec.pii.column_values import ColumnValues
from nbsec.pii.results import ColumnScan, EntityHit

MAX_EXAMPLES = 3
_NAME_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_PAIR = re.compile(
    r"(?<!\w)([A-Z][a-z\u00E0-\u00FF]+)\s+([A-Z][a-z\u00E0-\u00FF]+(?:-[A-Z][a-z]+)?)(?!\w)"
)
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y", "%m-%d-%Y")

# Free-text NER hook: (distinct texts) -> per text, the entity types found (set by frame_scan
# when a spaCy model is configured).
NerFunction = Callable[[list[str]], list[set[str]]]


@dataclass(frozen=True)
class Settings:
    regions: tuple[str, ...]
    entities: frozenset[str] | None  # None: all
    min_score: float
    max_validations: int | None  # distinct candidates validated per entity; None: all
    max_lexicon_values: int | None  # distinct values checked against lexicons; None: all
    ner: NerFunction | None = None
    # entities a policy asks for that nbsec does not recognise itself, and presidio's registry
    # function that finds them (see nbsec.pii.engine.presidio_entities)
    extra: tuple[str, ...] = ()
    extra_function: Callable[[list[str], list[str]], list[set[str]]] | None = None

    def wants(self, entity: str) -> bool:
        return self.entities is None or entity in self.entities


def name_context(column: str) -> frozenset[str]:
    """Entities whose context words appear in a column name (``customerEmail``, ``cc_num``)."""
    spaced = _CAMEL.sub("_", column).lower()
    tokens = {t for t in _NAME_SPLIT.split(spaced) if t}
    joined = "".join(tokens)
    out = set()
    for spec in ep.SPECS.values():
        for word in spec.context:
            if word in tokens or (len(word) >= 4 and word in joined):
                out.add(spec.entity)
                break
    return frozenset(out)


@dataclass
class _Tally:
    rows: int = 0
    strong_rows: int = 0
    distinct: int = 0
    distinct_strong: int = 0
    whole_rows: int = 0
    checked: int = 0
    valid: int = 0
    low_octet_rows: int = 0
    unchecked_rows: int = 0
    unchecked_whole_rows: int = 0
    unchecked_strong_rows: int = 0
    unchecked_distinct: int = 0
    example_spans: list[str] | None = None


def classify(name: str, values: ColumnValues, settings: Settings) -> ColumnScan:
    """The :class:`ColumnScan` of one column."""
    n = len(values.texts) + len(values.dates)
    scan = ColumnScan(name=name, values_scanned=n)
    if n == 0:
        return scan
    context = name_context(name)
    hits: list[EntityHit] = []
    examples: dict[str, list[str]] = {}
    if values.dates and len(values.dates) >= 0.8 * n:
        hit = _birth_dates(values.dates, values.has_time, n, "DATE_TIME" in context)
        if hit and settings.wants("DATE_TIME"):
            hits.append(hit)
            examples["DATE_TIME"] = [mask(d.isoformat(), "DATE_TIME") for d in values.dates[:3]]
    elif values.texts:
        counts = Counter(values.texts)
        hits, examples = _classify_texts(counts, n, context, settings)
    kept = [h for h in hits if h.score >= settings.min_score and settings.wants(h.type)]
    kept.sort(key=lambda h: (-h.fraction, -h.score, h.type))
    scan.entities = kept
    seen: list[str] = []
    for hit in kept:
        for example in examples.get(hit.type, []):
            if example and example not in seen and len(seen) < MAX_EXAMPLES:
                seen.append(example)
    scan.examples = seen
    return scan


def _classify_texts(
    counts: Counter[str], n: int, context: frozenset[str], settings: Settings
) -> tuple[list[EntityHit], dict[str, list[str]]]:
    distinct = list(counts)
    hits: list[EntityHit] = []
    examples: dict[str, list[str]] = {}

    # date-shaped strings: the birth-date check, nothing else
    date_strings = _parse_dates(distinct, counts, n)
    if date_strings is not None:
        dates, _rows = date_strings
        hit = _birth_dates(dates, 0, len(dates), "DATE_TIME" in context)
        if hit is not None:
            hits.append(hit)
            examples["DATE_TIME"] = [mask(d, "DATE_TIME") for d in distinct[:3]]
        return hits, examples

    tally: dict[str, list[int]] = {}
    per_entity: dict[str, _Tally] = {}
    seen: set[tuple[str, int, object]] = set()
    for offset, chunk in _chunks(distinct):
        joined = "\n".join(d.replace("\n", " ") for d in chunk)
        starts: list[int] = []
        pos = 0
        for d in chunk:
            starts.append(pos)
            pos += len(d) + 1
        matches = text_matcher.find(
            joined, settings.regions, None, max_validations=settings.max_validations, tally=tally
        )
        for m in matches:
            local = bisect.bisect_right(starts, m.start) - 1
            idx = offset + local
            value = chunk[local]
            t = per_entity.setdefault(m.entity, _Tally(example_spans=[]))
            if not m.checked:
                if (m.entity, idx, False) not in seen:
                    seen.add((m.entity, idx, False))
                    t.unchecked_rows += counts[value]
                    t.unchecked_distinct += 1
                    if m.end - m.start >= len(value.strip()) - 2:
                        t.unchecked_whole_rows += counts[value]
                    if m.strong:
                        t.unchecked_strong_rows += counts[value]
                continue
            if (m.entity, idx, "any") not in seen:
                seen.add((m.entity, idx, "any"))
                t.rows += counts[value]
                t.distinct += 1
                if m.end - m.start >= len(value.strip()) - 2:
                    t.whole_rows += counts[value]
                if t.example_spans is not None and len(t.example_spans) < MAX_EXAMPLES:
                    t.example_spans.append(mask(joined[m.start : m.end], m.entity))
            if m.entity == "IP_ADDRESS" and "." in value:
                t.low_octet_rows += counts[value] * _low_first_octet(joined[m.start : m.end])
            if m.strong and (m.entity, idx, "strong") not in seen:
                seen.add((m.entity, idx, "strong"))
                t.strong_rows += counts[value]
                t.distinct_strong += 1

    for entity, t in per_entity.items():
        checked, valid = tally.get(entity, [0, 0])
        t.checked, t.valid = checked, valid
        if t.unchecked_rows and checked:
            # the validation budget was spent: extrapolate from the validated candidates
            ratio = valid / checked
            t.rows += round(t.unchecked_rows * ratio)
            t.strong_rows += round(t.unchecked_strong_rows * ratio)
            t.distinct += round(t.unchecked_distinct * ratio)
            t.distinct_strong += round(t.unchecked_distinct * ratio)
            t.whole_rows += round(t.unchecked_whole_rows * ratio)
        hit = _decide(entity, t, n, context, checked, valid)
        if hit is not None:
            hits.append(hit)
            examples[entity] = t.example_spans or []
    # a structured column (one entity fills most values whole) holds other entities only when
    # they are a real share too: invalid card numbers shaped like phones stay cards' noise
    whole = {e: t.whole_rows / n for e, t in per_entity.items()}
    top = max(whole.values(), default=0.0)
    if top >= 0.5:
        hits = [h for h in hits if whole.get(h.type, 0.0) == top or h.fraction >= 0.2]

    dominant = max((h.fraction for h in hits), default=0.0)
    if dominant < 0.5:
        for hit, ex in _lexical(distinct, counts, n, context, settings):
            if hit.type not in {h.type for h in hits}:
                hits.append(hit)
                examples[hit.type] = ex
    if settings.extra and settings.extra_function is not None:
        for hit, ex in _presidio_extra(distinct, counts, settings):
            hits.append(hit)
            examples[hit.type] = ex
    if settings.ner is not None and dominant < 0.5:
        for hit, ex in _ner(distinct, counts, n, settings.ner):
            if hit.type not in {h.type for h in hits}:
                hits.append(hit)
                examples[hit.type] = ex
    return hits, examples


def _low_first_octet(ip: str) -> int:
    head = ip.split(".", 1)[0]
    return int(head.isdigit() and int(head) < 10)


def _required_hits(spec_hits: int, n: int) -> int:
    return min(spec_hits, max(1, math.ceil(n / 2)))


def _decide(
    entity: str,
    t: _Tally,
    n: int,
    context: frozenset[str],
    checked: int,
    valid: int,
) -> EntityHit | None:
    spec = ep.SPECS[entity]
    has_context = entity in context
    need = _required_hits(spec.min_hits, n)
    fraction = t.rows / n
    # checksum entities: a column whose candidates validate at chance rate holds other numbers
    if entity in ("CREDIT_CARD", "IBAN_CODE") and checked >= 10 and valid / checked < 0.5:
        return None
    if entity == "IP_ADDRESS" and t.rows and t.low_octet_rows >= 0.9 * t.rows:
        # four-part version strings ("2.4.1.17") are valid IPv4; real address columns spread
        # over many first octets, not only 1-9
        return None
    if entity == "LOCATION":
        # street addresses: structured columns need a real share, free text a few hits
        if t.distinct < need or (fraction < (0.1 if has_context else 0.2) and t.distinct < 5):
            return None
        if fraction < 0.01:
            return None
        score = spec.base_score + (0.15 if has_context else 0.0) + (0.1 if fraction >= 0.5 else 0)
        return EntityHit(entity, min(score, 1.0), fraction, spec.recognizer)
    strong_fraction = t.strong_rows / n
    if strong_fraction >= spec.min_fraction and t.distinct_strong >= need:
        score = spec.base_score + (0.1 if has_context else 0.0) + (0.05 if fraction >= 0.8 else 0)
        return EntityHit(entity, min(score, 1.0), fraction, spec.recognizer)
    if fraction >= ep.WEAK_MIN_FRACTION and t.distinct >= need:
        chance_proof = entity == "CREDIT_CARD" and checked >= 10 and valid / checked >= 0.9
        if has_context or chance_proof:
            score = spec.base_score - 0.15 + (0.2 if has_context else 0.0)
            recognizer = spec.recognizer + ("+context" if has_context else "")
            return EntityHit(entity, min(score, 1.0), fraction, recognizer)
    return None


def _lexical(
    distinct: list[str], counts: Counter[str], n: int, context: frozenset[str], settings: Settings
) -> list[tuple[EntityHit, list[str]]]:
    """PERSON and LOCATION without a model.

    A *proper-noun column* (most values are 1-5 capitalised alphabetic tokens, with many distinct
    values) is a person or a place; which one is decided by evidence: the share of values with a
    token in the name lexicons against the share that are known places or shaped like toponyms
    ("Port ...", "...ville", "...stadt"). The column name is context that settles a tie or lifts
    thin evidence, never proof: a column called ``city`` of SKU codes is not a proper-noun column.
    In free text, a known first name followed by a known surname marks a person."""
    budget = settings.max_lexicon_values
    pool = distinct if budget is None or len(distinct) <= budget else _spread(distinct, budget)
    scale = sum(counts[v] for v in pool)
    if scale == 0:
        return []
    shaped = known = place = pair_rows = 0
    known_distinct = place_distinct = pair_distinct = 0
    name_examples: list[str] = []
    place_examples: list[str] = []
    shaped_examples: list[str] = []
    pair_examples: list[str] = []
    first, last = lexicons.first_names(), lexicons.surnames()
    for value in pool:
        c = counts[value]
        tokens = lexicons.name_tokens(value)
        if tokens is not None:
            shaped += c
            if len(shaped_examples) < MAX_EXAMPLES:
                shaped_examples.append(value)
            if lexicons.is_place(value) or lexicons.place_shaped(tokens):
                place += c
                place_distinct += 1
                if len(place_examples) < MAX_EXAMPLES:
                    place_examples.append(mask(value, "LOCATION"))
            if lexicons.name_evidence(tokens) >= 1:
                known += c
                known_distinct += 1
                if len(name_examples) < MAX_EXAMPLES:
                    name_examples.append(mask(value, "PERSON"))
        elif len(value) > 20:
            for m in _PAIR.finditer(value):
                if m.group(1).lower() in first and m.group(2).lower() in last:
                    pair_rows += c
                    pair_distinct += 1
                    if len(pair_examples) < MAX_EXAMPLES:
                        pair_examples.append(mask(m.group(0), "PERSON"))
                    break
    known_frac, place_frac, shaped_frac = known / scale, place / scale, shaped / scale
    person_ctx, place_ctx = "PERSON" in context, "LOCATION" in context
    n_distinct = len(distinct)
    diverse = n_distinct >= 20 or n_distinct >= 0.5 * n
    need = _required_hits(5, n)
    proper_nouns = diverse and shaped_frac >= (0.6 if person_ctx or place_ctx else 0.8)

    def person() -> tuple[EntityHit, list[str]]:
        score = 0.5 + 0.4 * known_frac + (0.1 if person_ctx else 0.0)
        return EntityHit("PERSON", min(score, 1.0), shaped_frac, "name-lexicon"), name_examples

    def location() -> tuple[EntityHit, list[str]]:
        score = 0.55 + 0.35 * place_frac + (0.1 if place_ctx else 0.0)
        examples = place_examples or [mask(v, "LOCATION") for v in shaped_examples]
        return EntityHit("LOCATION", min(score, 1.0), shaped_frac, "place-lexicon"), examples

    if proper_nouns:
        if place_ctx and not person_ctx and place_frac >= 0.15 and place_distinct >= need:
            return [location()]
        if person_ctx and not place_ctx and known_frac >= 0.15 and known_distinct >= need:
            return [person()]
        if place_frac >= 0.5 and place_frac >= known_frac and place_distinct >= need:
            return [location()]
        if known_frac >= 0.3 and known_distinct >= need:
            return [person()]
    elif place_frac >= 0.5 and place_distinct >= need and place_frac >= known_frac:
        # low-cardinality place columns (country, region) are places too
        return [location()]
    if pair_distinct >= _required_hits(3, n) and pair_rows / scale >= 0.005:
        score = 0.6 + (0.1 if person_ctx else 0.0)
        return [(EntityHit("PERSON", score, pair_rows / scale, "name-lexicon"), pair_examples)]
    return []


def _ner(
    distinct: list[str], counts: Counter[str], n: int, ner: NerFunction
) -> list[tuple[EntityHit, list[str]]]:
    """Free text through presidio's NER (only when a spaCy model is configured)."""
    texts = [v for v in distinct if len(v) > 20 and " " in v][:200]
    if len(texts) < 3:
        return []
    rows = sum(counts[t] for t in texts)
    found: dict[str, int] = {}
    for text, kinds in zip(texts, ner(texts), strict=True):
        for kind in kinds:
            found[kind] = found.get(kind, 0) + counts[text]
    out: list[tuple[EntityHit, list[str]]] = []
    for kind, hit_rows in found.items():
        if kind in ("PERSON", "LOCATION") and hit_rows / rows >= 0.05:
            out.append((EntityHit(kind, 0.7, hit_rows / rows, "spacy-ner"), []))
    return out


def _presidio_extra(
    distinct: list[str], counts: Counter[str], settings: Settings
) -> list[tuple[EntityHit, list[str]]]:
    """Long-tail entities through presidio's recognizers, on a bounded spread of values."""
    assert settings.extra_function is not None
    pool = _spread(distinct, 200) if len(distinct) > 200 else distinct
    rows = sum(counts[v] for v in pool)
    found: dict[str, tuple[int, int, list[str]]] = {}
    for value, kinds in zip(pool, settings.extra_function(pool, list(settings.extra)), strict=True):
        for kind in kinds:
            hit_rows, hit_distinct, ex = found.get(kind, (0, 0, []))
            if len(ex) < MAX_EXAMPLES:
                ex = [*ex, mask(value, kind)]
            found[kind] = (hit_rows + counts[value], hit_distinct + 1, ex)
    out: list[tuple[EntityHit, list[str]]] = []
    for kind, (hit_rows, hit_distinct, ex) in found.items():
        if hit_distinct >= _required_hits(3, rows) and hit_rows / rows >= 0.3:
            out.append((EntityHit(kind, 0.6, hit_rows / rows, "presidio"), ex))
    return out


CHUNK_CHARS = 4_000_000


def _chunks(distinct: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Consecutive slices of ``distinct`` of about ``CHUNK_CHARS`` characters each, so an
    exhaustive scan of a long free-text column never builds one giant string."""
    start = size = 0
    for i, value in enumerate(distinct):
        size += len(value) + 1
        if size >= CHUNK_CHARS:
            yield start, distinct[start : i + 1]
            start, size = i + 1, 0
    if start < len(distinct):
        yield start, distinct[start:]


def _spread(items: list[str], k: int) -> list[str]:
    step = len(items) / k
    return [items[int(i * step)] for i in range(k)]


def _parse_dates(
    distinct: list[str], counts: Counter[str], n: int
) -> tuple[list[dt.date], int] | None:
    """If most values are date strings, the dates (one per row); else ``None``."""
    probe = distinct[:200]
    if not probe or sum(1 for v in probe if ep.ISO_DATE.match(v.strip())) < 0.8 * len(probe):
        return None
    fmt = None
    for candidate in _DATE_FORMATS:
        ok = 0
        for v in probe[:50]:
            try:
                dt.datetime.strptime(v.strip(), candidate)
                ok += 1
            except ValueError:
                pass
        if ok >= 0.8 * min(len(probe), 50):
            fmt = candidate
            break
    if fmt is None:
        return None
    dates: list[dt.date] = []
    for v in distinct[:5000]:
        try:
            d = dt.datetime.strptime(v.strip(), fmt).date()
        except ValueError:
            continue
        dates.extend([d] * min(counts[v], 50))
    return (dates, n) if dates else None


def _birth_dates(
    dates: Collection[dt.date], has_time: int, n: int, has_context: bool
) -> EntityHit | None:
    """Dates of birth: calendar dates (no time of day) spread over years and long past."""
    if len(dates) < 3 or has_time > 0.05 * len(dates):
        return None
    years = sorted(d.year for d in dates)
    today = dt.date.today().year
    span = years[-1] - years[0]
    median_age = today - statistics.median_low(years)
    if years[0] < 1890 or years[-1] > today:
        return None
    if has_context and span >= 1:
        return EntityHit("DATE_TIME", 0.85, len(dates) / max(n, 1), "birthdate-range+context")
    if span >= 15 and median_age >= 14:
        return EntityHit("DATE_TIME", 0.65, len(dates) / max(n, 1), "birthdate-range")
    return None
