"""Evidence collection: a batch of one column's values -> picklable, mergeable counts.

This is half (a) of the engine: it looks at values and counts what it sees; it decides nothing.
:class:`ColumnEvidence` holds only counts, a bounded sketch of value hashes (for the distinct
count), and masked examples, so it can be built on a Spark executor or a Dask worker, pickled,
sent back and merged (:meth:`ColumnEvidence.merge`) before the column judge
(:mod:`nbsec.pii.judge`) reads it. Merging is associative and commutative; evidence built from
two halves of a column and merged equals (up to the distinct sketch's estimate and the examples
kept) the evidence of the whole column.

What is counted, per batch:

* per entity, over the recognizers of :mod:`nbsec.pii.recognizers` run in bulk over the batch's
  distinct values: rows with a match, rows the match fills whole, strong rows, distinct values,
  validated and checked candidates, the best score, masked examples;
* the shape of the values: numbers, booleans, name-shaped proper nouns, known first names and
  surnames, "Last, First" and titled names, known places (major and minor), toponym-shaped
  values, first-name + surname pairs inside free text;
* dates: how many, with a time of day, the year range, and how often consecutive dates (in row
  order) go up, which tells a time series from birth dates.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from nbsec.masking import mask
from nbsec.pii import entity_patterns as ep
from nbsec.pii import lexicons
from nbsec.pii import recognizers as rz
from nbsec.pii.column_values import ColumnValues

MAX_EXAMPLES = 3
SKETCH_SIZE = 1024
PROBE_VALUES = 80
CHUNK_CHARS = 2_000_000
# recognizers always run over every distinct value: the entities that hide in free text
CORE_ENTITIES = frozenset(
    {"EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "PHONE_NUMBER", "IP_ADDRESS"}
)
_PAIR = re.compile(
    r"(?<!\w)([A-Z][a-z\u00E0-\u024F]+)\s+(?:[A-Z]\.\s+)?"
    r"([A-Z][a-z\u00E0-\u024F]+(?:-[A-Z][a-z]+)?)(?!\w)"
)
_TITLED = re.compile(r"(?<!\w)(?:Mr|Mrs|Ms|Miss|Dr|Prof|Master|Mme|Mlle|Herr|Frau|Sr|Sra)\.?\s")
_HASH_SPACE = 1 << 64
_DECIMAL = re.compile(r"^[+-]?\d+\.\d+(?:[eE][+-]?\d+)?$|^[+-]?\d+[eE][+-]?\d+$")
BOOL_WORDS = frozenset(
    [
        "true",
        "false",
        "yes",
        "no",
        "y",
        "n",
        "t",
        "f",
        "si",
        "sí",
        "non",
        "oui",
        "ja",
        "nein",
        "да",
        "нет",
    ]
)
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y", "%m-%d-%Y")


@dataclass
class EntityTally:
    rows: int = 0  # rows holding a match that did not fail validation
    whole_rows: int = 0  # ... where the match is the whole value
    strong_rows: int = 0
    distinct: int = 0
    strong_distinct: int = 0
    validated_rows: int = 0
    checked: int = 0  # distinct candidates validated
    valid: int = 0  # ... that passed
    unchecked_rows: int = 0  # past the validation budget: extrapolated by the judge
    unchecked_distinct: int = 0
    unchecked_strong_rows: int = 0
    unchecked_whole_rows: int = 0
    low_octet_rows: int = 0  # IPv4 with a first octet below 10 (version strings)
    score: float = 0.0
    recognizers: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    def merge(self, other: EntityTally) -> EntityTally:
        out = EntityTally()
        for name in (
            "rows",
            "whole_rows",
            "strong_rows",
            "distinct",
            "strong_distinct",
            "validated_rows",
            "checked",
            "valid",
            "unchecked_rows",
            "unchecked_distinct",
            "unchecked_strong_rows",
            "unchecked_whole_rows",
            "low_octet_rows",
        ):
            setattr(out, name, getattr(self, name) + getattr(other, name))
        out.score = max(self.score, other.score)
        out.recognizers = _union(self.recognizers, other.recognizers, 4)
        out.examples = _union(self.examples, other.examples, MAX_EXAMPLES)
        return out


@dataclass
class ShapeTally:
    """Proper-noun and free-text evidence for PERSON and LOCATION (rows, weighted)."""

    text_rows: int = 0
    name_shaped: int = 0
    name_shaped_distinct: int = 0
    known_name: int = 0  # a token is a known first name or surname
    known_name_distinct: int = 0
    surname_only: int = 0  # lone tokens known only as surnames (need the column name)
    single_token: int = 0  # name-shaped values of one token (a first name or a surname alone)
    full_name: int = 0  # a known first name and a known surname (or "Last, First" / titled)
    place: int = 0  # a known place (whole value, or its part before a comma)
    place_distinct: int = 0
    major_place: int = 0  # a country, region or city of 15,000+ inhabitants
    place_shaped: int = 0
    code: int = 0  # short upper-case codes ("TX", "USA", "NRW"): places under a place header
    # proper nouns holding a word that names an organisation, a team or a feature of a place
    thing: int = 0
    free_text: int = 0  # longer texts with spaces
    pairs: int = 0  # free text holding a first name + surname pair or a title + name
    pairs_distinct: int = 0
    ner_checked: int = 0  # free texts given to NER (rows)
    ner_person: int = 0
    ner_location: int = 0
    name_examples: list[str] = field(default_factory=list)
    place_examples: list[str] = field(default_factory=list)
    pair_examples: list[str] = field(default_factory=list)

    def merge(self, other: ShapeTally) -> ShapeTally:
        out = ShapeTally()
        for name in (
            "text_rows",
            "name_shaped",
            "name_shaped_distinct",
            "known_name",
            "known_name_distinct",
            "surname_only",
            "single_token",
            "full_name",
            "place",
            "place_distinct",
            "major_place",
            "place_shaped",
            "code",
            "thing",
            "free_text",
            "pairs",
            "pairs_distinct",
            "ner_checked",
            "ner_person",
            "ner_location",
        ):
            setattr(out, name, getattr(self, name) + getattr(other, name))
        out.name_examples = _union(self.name_examples, other.name_examples, MAX_EXAMPLES)
        out.place_examples = _union(self.place_examples, other.place_examples, MAX_EXAMPLES)
        out.pair_examples = _union(self.pair_examples, other.pair_examples, MAX_EXAMPLES)
        return out


@dataclass
class DateTally:
    count: int = 0
    with_time: int = 0
    min_year: int = 9999
    max_year: int = 0
    years: Counter[int] = field(default_factory=Counter)
    steps: int = 0  # consecutive (row order) pairs of distinct dates
    steps_up: int = 0  # ... where the later row has the later date
    examples: list[str] = field(default_factory=list)

    def merge(self, other: DateTally) -> DateTally:
        return DateTally(
            count=self.count + other.count,
            with_time=self.with_time + other.with_time,
            min_year=min(self.min_year, other.min_year),
            max_year=max(self.max_year, other.max_year),
            years=self.years + other.years,
            steps=self.steps + other.steps,
            steps_up=self.steps_up + other.steps_up,
            examples=_union(self.examples, other.examples, MAX_EXAMPLES),
        )


@dataclass
class ColumnEvidence:
    """Everything the judge needs to know about one column, and nothing it does not."""

    name: str
    values: int = 0  # non-null values looked at (texts, numbers, dates, booleans)
    nulls: int = 0
    texts: int = 0
    numbers: int = 0  # numeric values (integers are also scanned as digit texts)
    fractional: int = 0  # numbers with a fractional part (metrics)
    booleans: int = 0
    digit_texts: int = 0  # texts made only of digits
    chars: int = 0  # characters of the texts (sizes the scan's steps)
    sketch: list[int] = field(default_factory=list)  # the smallest value hashes (KMV)
    entities: dict[str, EntityTally] = field(default_factory=dict)
    shape: ShapeTally = field(default_factory=ShapeTally)
    dates: DateTally = field(default_factory=DateTally)
    batches: int = 0
    complete: bool = True  # False when a batch stopped early (a deadline)

    @property
    def distinct(self) -> int:
        """Distinct values, exact below :data:`SKETCH_SIZE`, else a KMV estimate."""
        if len(self.sketch) < SKETCH_SIZE:
            return len(self.sketch)
        return int((SKETCH_SIZE - 1) * _HASH_SPACE / max(self.sketch[-1], 1))

    def merge(self, other: ColumnEvidence) -> ColumnEvidence:
        out = ColumnEvidence(name=self.name)
        for name in (
            "values",
            "nulls",
            "texts",
            "numbers",
            "fractional",
            "booleans",
            "digit_texts",
            "chars",
            "batches",
        ):
            setattr(out, name, getattr(self, name) + getattr(other, name))
        out.sketch = sorted(set(self.sketch) | set(other.sketch))[:SKETCH_SIZE]
        out.entities = dict(self.entities)
        for entity, tally in other.entities.items():
            mine = out.entities.get(entity)
            out.entities[entity] = mine.merge(tally) if mine else tally
        out.shape = self.shape.merge(other.shape)
        out.dates = self.dates.merge(other.dates)
        out.complete = self.complete and other.complete
        return out


def merge_all(items: Iterable[ColumnEvidence]) -> ColumnEvidence | None:
    out: ColumnEvidence | None = None
    for item in items:
        out = item if out is None else out.merge(item)
    return out


def _union(a: list[str], b: list[str], cap: int) -> list[str]:
    out = list(a[:cap])
    for x in b:
        if len(out) >= cap:
            break
        if x not in out:
            out.append(x)
    return out


def _hash(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8", "replace"), digest_size=8).digest())


@dataclass(frozen=True)
class CollectOptions:
    """How much work one batch may do (``None``: no cap)."""

    max_validations: int | None = 400
    max_lexicon_values: int | None = 3000
    entities: frozenset[str] | None = None  # None: every recognizer
    # presidio NER over free text (when a spaCy model is configured): texts -> entity types
    ner: Callable[[list[str]], list[set[str]]] | None = None
    # proper-noun evidence from the name and place lists (off in a kernel's first pass while
    # the lists are still loading in the background)
    shape: bool = True


def collect(
    name: str,
    values: ColumnValues,
    registry: rz.Registry,
    options: CollectOptions | None = None,
) -> ColumnEvidence:
    """The evidence of one batch of one column's values."""
    opts = options or CollectOptions()
    ev = ColumnEvidence(name=name, batches=1)
    ev.nulls = values.nulls
    ev.numbers = values.numbers
    ev.fractional = values.fractional
    ev.booleans = values.booleans
    ev.texts = len(values.texts)
    ev.values = ev.texts + len(values.dates) + values.fractional + values.booleans
    if values.texts and not values.dates:
        parsed = _date_strings(values.texts)
        if parsed is not None:
            values = ColumnValues(dates=parsed, nulls=values.nulls)
            ev.texts = 0
            ev.values = len(parsed)
    if values.dates:
        _collect_dates(values, ev.dates)
    if not values.texts:
        ev.sketch = sorted({_hash(d.isoformat()) for d in values.dates})[:SKETCH_SIZE]
        return ev
    counts = Counter(values.texts)
    distinct = list(counts)
    ev.sketch = sorted({_hash(d) for d in distinct})[:SKETCH_SIZE]
    ev.digit_texts = sum(c for d, c in counts.items() if d.isdigit())
    ev.chars = sum(len(d) * c for d, c in counts.items())
    # decimal numbers written as text (a CSV read as strings) hold no identifier
    decimals = [d for d in distinct if _DECIMAL.match(d)]
    if decimals:
        ev.fractional += sum(counts[d] for d in decimals)
        if len(decimals) == len(distinct):
            return ev
        if len(decimals) >= 0.5 * len(distinct):
            skip = set(decimals)
            distinct = [d for d in distinct if d not in skip]
    ev.booleans += sum(c for d, c in counts.items() if len(d) <= 5 and d.lower() in BOOL_WORDS)
    _collect_entities(name, distinct, counts, registry, opts, ev.entities)
    if opts.shape:
        _collect_shape(distinct, counts, opts, ev.shape)
    if opts.ner is not None:
        _collect_ner(distinct, counts, opts.ner, ev.shape)
    return ev


def _collect_ner(
    distinct: list[str],
    counts: Counter[str],
    ner: Callable[[list[str]], list[set[str]]],
    s: ShapeTally,
) -> None:
    texts = [v for v in distinct if len(v) > 20 and " " in v][:200]
    if not texts:
        return
    for text, kinds in zip(texts, ner(texts), strict=True):
        c = counts[text]
        s.ner_checked += c
        s.ner_person += c if "PERSON" in kinds else 0
        s.ner_location += c if "LOCATION" in kinds else 0
        if "PERSON" in kinds and len(s.pair_examples) < MAX_EXAMPLES:
            s.pair_examples.append(mask(text[:40], "PERSON"))


def _date_strings(texts: list[str]) -> list[dt.date] | None:
    """If (nearly) every value is a calendar date string, the dates in row order."""
    from nbsec.pii.entity_patterns import ISO_DATE

    probe = texts[:: max(1, len(texts) // 200)][:200]
    if not probe or sum(1 for v in probe if ISO_DATE.match(v.strip())) < 0.8 * len(probe):
        return None
    fmt = None
    for candidate in _DATE_FORMATS:
        ok = 0
        for text in probe[:50]:
            try:
                dt.datetime.strptime(text.strip(), candidate)
                ok += 1
            except ValueError:
                pass
        if ok >= 0.8 * min(len(probe), 50):
            fmt = candidate
            break
    if fmt is None:
        return None
    cache: dict[str, dt.date | None] = {}
    out: list[dt.date] = []
    for text in texts:
        if text not in cache:
            try:
                cache[text] = dt.datetime.strptime(text.strip(), fmt).date()
            except ValueError:
                cache[text] = None
        day = cache[text]
        if day is not None:
            out.append(day)
    return out or None


def _collect_dates(values: ColumnValues, tally: DateTally) -> None:
    dates = values.dates
    tally.count = len(dates)
    tally.with_time = values.has_time
    years = Counter(d.year for d in dates)
    tally.years = years
    tally.min_year = min(years)
    tally.max_year = max(years)
    prev: dt.date | None = None
    for d in dates:
        if prev is not None and d != prev:
            tally.steps += 1
            tally.steps_up += int(d > prev)
        prev = d
    tally.examples = [mask(d.isoformat(), "DATE_TIME") for d in dates[:MAX_EXAMPLES]]


def _active_recognizers(
    name: str, distinct: list[str], registry: rz.Registry, opts: CollectOptions
) -> list[rz.Recognizer]:
    """The recognizers worth running over a column's values.

    The core set always runs (it finds e-mails or cards hidden in free text). A recognizer
    without a checksum that is not in the core set can only ever label a column together with
    its column name (the judge's rule), so it runs only when the name speaks of its entity, the
    policy lists the entity, or it is the team's own; a checksum recognizer runs when a good
    share of its candidates in a spread probe validate."""
    from nbsec.pii.column_names import specific_context

    wanted = opts.entities
    recs = [r for r in registry.recognizers if wanted is None or r.entity in wanted]
    core = [r for r in recs if r.entity in CORE_ENTITIES]
    named = {
        r.entity
        for r in recs
        if r.entity not in CORE_ENTITIES and specific_context(name, r.entity, registry)
    }
    listed = wanted or frozenset()
    keep = [
        r
        for r in recs
        if r.entity not in CORE_ENTITIES
        and (r.entity in named or r.entity in listed or r.source == "custom")
    ]
    candidates = [r for r in recs if r.checksum and r.entity not in CORE_ENTITIES and r not in keep]
    if candidates:
        step = max(1.0, len(distinct) / PROBE_VALUES)
        probe_values = [distinct[int(i * step)] for i in range(min(PROBE_VALUES, len(distinct)))]
        probe = "\n".join(d.replace("\n", " ") for d in probe_values)
        tally: dict[str, list[int]] = {}
        per_recognizer: dict[str, list[int]] = {}
        for m in rz.find(probe, candidates, max_validations=40, tally=tally):
            seen = per_recognizer.setdefault(m.recognizer, [0, 0])
            seen[0] += 1
            seen[1] += int(bool(m.validated))
        # the judge wants most candidates valid: numbers that pass at chance rate are not ids
        keep += [
            r
            for r in candidates
            if r.name in per_recognizer
            and per_recognizer[r.name][1] >= 0.3 * per_recognizer[r.name][0]
        ]
    return core + keep


def _chunks(distinct: list[str]) -> Iterable[tuple[int, list[str]]]:
    start = size = 0
    for i, value in enumerate(distinct):
        size += len(value) + 1
        if size >= CHUNK_CHARS:
            yield start, distinct[start : i + 1]
            start, size = i + 1, 0
    if start < len(distinct):
        yield start, distinct[start:]


def _collect_entities(
    name: str,
    distinct: list[str],
    counts: Counter[str],
    registry: rz.Registry,
    opts: CollectOptions,
    out: dict[str, EntityTally],
) -> None:
    recs = _active_recognizers(name, distinct, registry, opts)
    cap = opts.max_lexicon_values
    if cap is not None and len(distinct) > cap:
        # a sampled scan reads a spread of the distinct values and scales the counts
        pool = _spread(distinct, cap)
        found: dict[str, EntityTally] = {}
        _entities_of(pool, counts, recs, opts, found)
        row_w = sum(counts.values()) / max(1, sum(counts[v] for v in pool))
        distinct_w = len(distinct) / len(pool)
        for entity, t in found.items():
            mine = out.get(entity)
            scaled = _scaled(t, row_w, distinct_w)
            out[entity] = mine.merge(scaled) if mine else scaled
        return
    _entities_of(distinct, counts, recs, opts, out)


_ROW_FIELDS = (
    "rows",
    "whole_rows",
    "strong_rows",
    "validated_rows",
    "unchecked_rows",
    "unchecked_strong_rows",
    "unchecked_whole_rows",
    "low_octet_rows",
)
_DISTINCT_FIELDS = ("distinct", "strong_distinct", "unchecked_distinct")


def _scaled(t: EntityTally, row_w: float, distinct_w: float) -> EntityTally:
    out = EntityTally(**{k: getattr(t, k) for k in t.__dataclass_fields__})
    for name in _ROW_FIELDS:
        setattr(out, name, round(getattr(t, name) * row_w))
    for name in _DISTINCT_FIELDS:
        setattr(out, name, round(getattr(t, name) * distinct_w))
    return out


def _entities_of(
    distinct: list[str],
    counts: Counter[str],
    recs: list[rz.Recognizer],
    opts: CollectOptions,
    out: dict[str, EntityTally],
) -> None:
    tally: dict[str, list[int]] = {}
    seen: set[tuple[str, int, str]] = set()
    for offset, chunk in _chunks(distinct):
        joined = "\n".join(d.replace("\n", " ") for d in chunk)
        starts: list[int] = []
        pos = 0
        for d in chunk:
            starts.append(pos)
            pos += len(d) + 1
        found = rz.find(
            joined, recs, max_validations=opts.max_validations, tally=tally, values=chunk
        )
        for m in found:
            local = bisect.bisect_right(starts, m.start) - 1
            value = chunk[local]
            key = offset + local
            c = counts[value]
            t = out.setdefault(m.entity, EntityTally())
            if not m.checked:
                if (m.entity, key, "u") not in seen:
                    seen.add((m.entity, key, "u"))
                    t.unchecked_rows += c
                    t.unchecked_distinct += 1
                    t.unchecked_strong_rows += c if m.strong else 0
                    t.unchecked_whole_rows += c if m.end - m.start >= len(value.strip()) - 2 else 0
                continue
            whole = m.end - m.start >= len(value.strip()) - 2
            if (m.entity, key, "a") not in seen:
                seen.add((m.entity, key, "a"))
                t.rows += c
                t.distinct += 1
                t.whole_rows += c if whole else 0
                t.validated_rows += c if m.validated else 0
                if len(t.examples) < MAX_EXAMPLES:
                    example = mask(joined[m.start : m.end], m.entity)
                    if example not in t.examples:
                        t.examples.append(example)
                if m.entity == "IP_ADDRESS" and "." in value:
                    head = joined[m.start : m.end].split(".", 1)[0]
                    t.low_octet_rows += c * int(head.isdigit() and int(head) < 10)
            if m.strong and (m.entity, key, "s") not in seen:
                seen.add((m.entity, key, "s"))
                t.strong_rows += c
                t.strong_distinct += 1
            t.score = max(t.score, m.score)
            if m.recognizer not in t.recognizers and len(t.recognizers) < 4:
                t.recognizers.append(m.recognizer)
    for entity, (checked, valid) in tally.items():
        t = out.setdefault(entity, EntityTally())
        t.checked += checked
        t.valid += valid


def _spread(items: list[str], k: int) -> list[str]:
    step = len(items) / k
    return [items[int(i * step)] for i in range(k)]


def _collect_shape(
    distinct: list[str], counts: Counter[str], opts: CollectOptions, s: ShapeTally
) -> None:
    budget = opts.max_lexicon_values
    pool = distinct if budget is None or len(distinct) <= budget else _spread(distinct, budget)
    scale = sum(counts[v] for v in pool)
    total = sum(counts.values())
    weight = total / scale if scale else 1.0
    first, last = lexicons.first_names(), lexicons.surnames()
    rows: Counter[str] = Counter()
    pair_seen: set[str] = set()
    for value in pool:
        c = counts[value]
        rows["text"] += c
        if 2 <= len(value) <= 3 and value.isupper() and value.isalpha():
            rows["code"] += c
            continue
        parsed = lexicons.parse_name(value)
        if parsed is None:
            # several people in one cell ("Dick Baker and Frank Boggs"), each a full name
            listed = lexicons.parse_name_list(value)
            parsed = (listed, True) if listed else None
        if parsed is not None:
            tokens, formatted = parsed
            if formatted and lexicons.place_with_region(value):
                formatted = False  # "DOTHAN, AL", "Springfield, Illinois": a place
            if lexicons.names_a_thing(value):
                rows["thing"] += c
            rows["shaped"] += c
            rows["shaped_d"] += 1
            rows["single"] += c if len(tokens) == 1 else 0
            place = lexicons.place_rank(value)
            if place:
                rows["place"] += c
                rows["place_d"] += 1
                rows["major"] += c if place >= 2 else 0
                if len(s.place_examples) < MAX_EXAMPLES:
                    s.place_examples.append(mask(value, "LOCATION"))
            elif lexicons.place_shaped(tokens):
                rows["place_shaped"] += c
            evidence = lexicons.name_evidence(tokens)
            # most tokens of a name are names; one in a product description is chance. A lone
            # token counts as a name when it is a first name ("High", "Close" are surnames too)
            full = formatted or lexicons.full_name(tokens)
            # "Denver Nuggets", "Boston Celtics", "Phoenix Suns": a place and a word after it
            # names a team or a firm, even when the place is also a first name
            place_led = (
                not full
                and len(tokens) > 1
                and evidence < len(tokens)
                and lexicons.place_rank(tokens[0]) > 0
                and not lexicons.place_rank(value)
            )
            lone = len(tokens) == 1 and not lexicons.is_first_name(tokens[0])
            if lone and (evidence or lexicons.surname_shaped(tokens[0])):
                # a known surname, or one shaped like a surname (Иванов, Kowalczyk, Papadopoulos)
                # that no list holds: personal only where the column name says so
                rows["surname_only"] += c
            elif evidence >= 1 and evidence * 2 >= len(tokens) and not place_led:
                rows["known"] += c
                rows["known_d"] += 1
                if len(s.name_examples) < MAX_EXAMPLES:
                    s.name_examples.append(mask(value, "PERSON"))
            if full:
                rows["full"] += c
        elif len(value) > 20 and " " in value:
            rows["free"] += c
            hit = _TITLED.search(value)
            found = hit.group(0) if hit and _PAIR.search(value, hit.end() - 1) else None
            if found is None:
                for m in _PAIR.finditer(value):
                    a, b = lexicons.fold(m.group(1)), lexicons.fold(m.group(2))
                    if (
                        a in first
                        and (b in last or b in first)
                        and not lexicons.is_place(m.group(0))
                    ):
                        found = m.group(0)
                        break
            if found is not None and ep.STREET.search(value):
                found = None  # a street address: streets are named after people
            if found is not None:
                rows["pairs"] += c
                # distinct names, not distinct texts: one pair in every label of a category
                # column ("Vital Lines" in "2. Urgences logistiques | Vital Lines, ...") is
                # a phrase, not people
                if found not in pair_seen:
                    pair_seen.add(found)
                    rows["pairs_d"] += 1
                if len(s.pair_examples) < MAX_EXAMPLES:
                    s.pair_examples.append(mask(found, "PERSON"))

    def scaled(key: str) -> int:
        return round(rows[key] * weight)

    s.text_rows = total
    s.name_shaped = scaled("shaped")
    s.name_shaped_distinct = rows["shaped_d"]
    s.known_name = scaled("known")
    s.known_name_distinct = rows["known_d"]
    s.surname_only = scaled("surname_only")
    s.single_token = scaled("single")
    s.full_name = scaled("full")
    s.place = scaled("place")
    s.place_distinct = rows["place_d"]
    s.major_place = scaled("major")
    s.place_shaped = scaled("place_shaped")
    s.code = scaled("code")
    s.thing = scaled("thing")
    s.free_text = scaled("free")
    s.pairs = scaled("pairs")
    s.pairs_distinct = rows["pairs_d"]
