"""The column judge: merged evidence + column name + the frame's other columns -> entities.

This is half (b) of the engine. It reads :class:`~nbsec.pii.evidence.ColumnEvidence` (from one
process, or merged from Spark executors / Dask workers) and decides, per column:

* **pattern entities** (presidio's recognizers, stdnum's ids, phones): a *strong* match (a
  distinctive format, or a checksum that passed) labels a column from a small share of its values
  and a few distinct values; a *weak* match (a bare digit run, a pattern presidio scores low)
  labels only when it fills most values and the column name agrees; checksum entities are
  compared with chance (numbers that pass no more often than random ones hold something else);
  recognizers that are neither checksummed nor nbsec's core set always need the column name.
  In a structured column (one entity fills most values) the best-supported entity wins;
* **PERSON / LOCATION** from the proper-noun evidence (names, name formats, places);
* **DATE_TIME**: dates of birth (calendar dates spread over decades, long past, in no order),
  never a time series or event timestamps.

Then **row context** decides what is personal: a place column (countries, states, cities, teams)
is personal only beside a column that identifies people (a name, an e-mail, a phone, an id, a
street address): an aggregate table of places with metrics is not personal data, the same city
beside people's names is. Birth dates without a ``dob``-like name need such a column too.
Booleans, enumerations and digit arrays are never persons or phones. Each hit carries the reason.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace

from nbsec.masking import mask
from nbsec.pii import entity_patterns as ep
from nbsec.pii.column_names import (
    event_context,
    name_context,
    name_tokens,
    record_context,
    specific_context,
    strong_person_context,
    thing_context,
)
from nbsec.pii.evidence import MAX_EXAMPLES, ColumnEvidence, EntityTally
from nbsec.pii.recognizers import NOT_PERSONAL, Registry
from nbsec.pii.results import ColumnScan, EntityHit

# entities that identify a person by themselves: their presence makes a row personal
IDENTIFYING_CORE = frozenset(
    {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IBAN_CODE"}
)
# the pseudo-columns a scan adds: the column names are not row-aligned, so they are never row
# context for the other columns
INDEX_COLUMN = "(index)"
NAMES_COLUMN = "(column names)"
# a share of a column's proper nouns naming organisations, teams or features of places above
# which the column names things, not people ("Grant Hill" and "Kanye West" are chance)
THING_SHARE = 0.2
# a place column with as many distinct values as rows, in a table at least this long, is the
# table's key (one row per place): the rows describe places, not people
KEY_ROWS = 20
_WEAK_MIN = ep.WEAK_MIN_FRACTION
# birth dates under a column name that says birth may be this old (people born long ago)
BIRTH_CTX_MIN_YEAR = 1750
# a date column with fewer distinct values than this share of what birth dates would have
FEW_DATES = 1 / 3
# "names in free text" need a column of texts: this share of its values longer texts, not
# titles (a beer, film or style named after a person is a title)
FREE_TEXT_SHARE = 0.5


@dataclass(frozen=True)
class JudgeSettings:
    entities: frozenset[str] | None = None  # allow-list (None: every personal entity)
    deny: frozenset[str] = frozenset()
    min_score: float = 0.5

    def wants(self, entity: str) -> bool:
        if entity in self.deny:
            return False
        if self.entities is not None:
            return entity in self.entities
        return entity not in NOT_PERSONAL


@dataclass
class _Hit:
    hit: EntityHit
    examples: list[str]
    level: int  # 3 checksum-proven, 2 distinctive, 1 weak + column name
    whole: float
    kind: str  # identifier | place | date | other


def _required(spec_hits: int, n: int) -> int:
    return min(spec_hits, max(1, math.ceil(n / 2)))


def _spec(entity: str) -> ep.EntitySpec:
    return ep.SPECS.get(entity) or ep.EntitySpec(entity, "presidio", 0.8, 0.05, 3, ())


def _pattern_hits(
    ev: ColumnEvidence, context: frozenset[str], registry: Registry, settings: JudgeSettings
) -> list[_Hit]:
    n = ev.texts
    if n == 0:
        return []
    out: list[_Hit] = []
    record_id = record_context(ev.name)
    for entity, raw in ev.entities.items():
        if not settings.wants(entity):
            continue
        t = _extrapolate(raw)
        spec = _spec(entity)
        core = entity in ep.SPECS
        has_ctx = entity in context
        checksum = registry.checksum(entity)
        need = _required(spec.min_hits, n)
        fraction, whole = t.rows / n, t.whole_rows / n
        rate = t.valid / t.checked if t.checked else 0.0
        recognizer = "+".join(t.recognizers[:2]) or spec.recognizer
        if checksum and t.checked >= 10 and rate < 0.5:
            continue  # validates at chance rate: other numbers
        if entity == "IP_ADDRESS" and t.rows and t.low_octet_rows >= 0.9 * t.rows:
            continue  # "2.4.1.17": version strings
        if entity == "LOCATION":
            if t.distinct < need or (fraction < (0.1 if has_ctx else 0.2) and t.distinct < 5):
                continue
            if fraction < 0.01:
                continue
            score = spec.base_score + (0.15 if has_ctx else 0.0) + (0.1 if fraction >= 0.5 else 0)
            hit = EntityHit(entity, min(score, 1.0), fraction, "address-pattern", "street address")
            out.append(_Hit(hit, t.examples, 2, whole, "address"))
            continue
        strong = t.strong_rows / n
        level = 0
        reason = ""
        if not core and not checksum:
            # presidio patterns without a check: only with the column name, and a specific one
            # when presidio scores the pattern low
            specific = has_ctx and (t.score >= 0.3 or specific_context(ev.name, entity, registry))
            if specific and whole >= _WEAK_MIN and t.distinct >= need:
                level, reason = 1, "pattern + column name"
        elif not core:
            # a national id: with its name in the column header, a few validated values; without,
            # many, nearly all valid (about 40 checksums are tried on every number column)
            valid_distinct = round(t.distinct * rate) if t.checked else 0
            named = has_ctx and whole >= 0.5 and rate >= 0.5 and valid_distinct >= min(2, need)
            many = whole >= 0.8 and rate >= 0.9 and valid_distinct >= 8
            if named or many:
                level, reason = 3, "checksum"
        elif strong >= spec.min_fraction and t.strong_distinct >= need:
            level = 3 if checksum and t.validated_rows else 2
            reason = "checksum" if level == 3 else "format"
        elif whole >= _WEAK_MIN and t.distinct >= need:
            chance_proof = checksum and t.checked >= 10 and rate >= 0.9
            if has_ctx or chance_proof:
                level = 2 if chance_proof else 1
                reason = "checksum" if chance_proof else "pattern + column name"
        if not level:
            continue
        if level < 3 and record_id and not has_ctx:
            # "Invoice ID" 750-67-8428: the number of a record, shaped like an SSN (a team's
            # own recognizer whose context words name the record still applies)
            continue
        if has_ctx:
            reason += f" + column name {ev.name!r}"
        base = spec.base_score if core else (0.95 if checksum else 0.6)
        score = base + (0.1 if has_ctx else 0.0) + (0.05 if fraction >= 0.8 else 0.0)
        if level == 1:
            score = base - 0.15 + (0.2 if has_ctx else 0.0)
        hit = EntityHit(entity, min(score, 1.0), fraction, recognizer, reason)
        out.append(_Hit(hit, t.examples, level, whole, "identifier"))
    if not out:
        return out
    top = max(h.whole for h in out)
    if top >= 0.5:
        # a structured column: the best-supported entity, plus entities that appear inside
        # values rather than filling them
        best = max(
            (h for h in out if h.whole >= 0.5),
            key=lambda h: (
                h.level,
                h.hit.type in context,
                -registry.chance(h.hit.type),
                h.hit.score,
                h.whole,
            ),
        )
        out = [best] + [h for h in out if h is not best and h.whole < 0.3 and h.hit.fraction >= 0.2]
    return out


def _extrapolate(t: EntityTally) -> EntityTally:
    if not t.unchecked_rows or not t.checked:
        return t
    ratio = t.valid / t.checked
    strong_share = t.unchecked_strong_rows / t.unchecked_rows
    return replace(
        t,
        rows=t.rows + round(t.unchecked_rows * ratio),
        whole_rows=t.whole_rows + round(t.unchecked_whole_rows * ratio),
        strong_rows=t.strong_rows + round(t.unchecked_strong_rows * ratio),
        distinct=t.distinct + round(t.unchecked_distinct * ratio),
        strong_distinct=t.strong_distinct + round(t.unchecked_distinct * ratio * strong_share),
    )


def _enumeration(ev: ColumnEvidence) -> bool:
    """Few distinct values repeated over many rows (categories, flags, labels)."""
    distinct = ev.distinct
    return ev.values >= 30 and (distinct <= 2 or distinct <= min(12, 0.05 * ev.values))


def _lexical_hits(ev: ColumnEvidence, context: frozenset[str]) -> list[_Hit]:
    s = ev.shape
    scale = s.text_rows
    if scale == 0 or ev.digit_texts >= 0.5 * ev.texts:
        return []
    if ev.booleans >= 0.5 * max(ev.values, 1):
        return []
    # "фамилия", "Nachname", "apellido": a column name that says a person's name on its own
    person_ctx = "PERSON" in context or strong_person_context(ev.name)
    place_ctx = "LOCATION" in context
    shaped_frac = s.name_shaped / scale
    known_frac = s.known_name / scale
    full_frac = s.full_name / scale
    place_frac = s.place / scale
    major_frac = s.major_place / scale
    place_weight = major_frac + 0.5 * (place_frac - major_frac) + 0.5 * s.place_shaped / scale
    distinct = ev.distinct
    n = ev.texts
    diverse = distinct >= 20 or distinct >= 0.5 * n
    need = _required(5, n)
    enumeration = _enumeration(ev)
    proper_nouns = diverse and shaped_frac >= (0.6 if person_ctx or place_ctx else 0.8)
    # names of hospitals, airports, teams, firms or neighbourhoods ("Southeast Alabama Medical
    # Center", "Lenox Hill West"), or a column name that says things or places: not people
    things = s.thing >= THING_SHARE * max(s.name_shaped, 1) and s.name_shaped > 0
    no_person = things or thing_context(ev.name)
    # "Amateur Team", "airline", "company": places in such a column name what the thing is
    # called after, not where a person is
    no_place = thing_context(ev.name, places=False) and not place_ctx
    # "name" alone names anything (products, teams, cities); "Last Name", "surname" say person
    bare_name = name_tokens(ev.name)[0] <= {"name", "names"}
    specific_person = strong_person_context(ev.name) and not bare_name

    # a first name or a surname alone identifies nobody: such a column is personal beside
    # another name part or an identifier (first_name + last_name), not in a table of name counts
    name_part = s.single_token >= 0.8 * max(s.name_shaped, 1) and not strong_person_context(ev.name)

    def person(reason: str) -> _Hit:
        score = 0.5 + 0.4 * max(known_frac, full_frac) + (0.1 if person_ctx else 0.0)
        hit = EntityHit("PERSON", min(score, 1.0), shaped_frac, "name-lexicon", reason)
        return _Hit(
            hit, s.name_examples, 2, shaped_frac, "name-part" if name_part else "identifier"
        )

    def location(reason: str) -> _Hit:
        score = 0.55 + 0.35 * min(1.0, place_weight) + (0.1 if place_ctx else 0.0)
        hit = EntityHit("LOCATION", min(score, 1.0), shaped_frac, "place-lexicon", reason)
        return _Hit(hit, s.place_examples, 2, shaped_frac, "place")

    if proper_nouns and not enumeration:
        if (
            full_frac >= 0.3
            and full_frac >= place_weight
            and s.known_name_distinct >= need
            and not no_person
        ):
            return [person("first name + surname")]
        multi = 1 - s.single_token / max(s.name_shaped, 1)
        if place_ctx and not person_ctx and (full_frac < 0.3 or no_person):
            # the column says places and the values are proper nouns: the name decides
            return [location("proper nouns + column name")]
        if (
            strong_person_context(ev.name)
            and shaped_frac >= 0.9
            and multi >= 0.5
            and place_weight < 0.3
            and not things
            and (full_frac >= 0.3 or not bare_name)  # a bare "name" names products and teams
        ):
            # names in scripts or of origins no lexicon covers
            return [person("name-shaped values + column name")]
        if place_ctx and not person_ctx and place_weight >= 0.15 and s.place_distinct >= need:
            return [location("known places + column name")]
        surnames = (s.known_name + s.surname_only) / scale
        if (
            person_ctx
            and not place_ctx
            and surnames >= 0.15
            and s.name_shaped_distinct >= need
            and not no_person
            # "San Francisco", "Miami" under "name" or "official_name_es" are places; under
            # "Last Name", "Washington" and "Jackson" are surnames
            and (place_weight < 0.5 or specific_person)
            # under a bare "name", product and team names hold surnames too: most values must
            # be names
            and (not bare_name or full_frac >= 0.2 or (known_frac >= 0.5 and multi < 0.5))
        ):
            return [person("known names + column name")]
        if (
            place_weight >= 0.5
            and place_weight >= known_frac
            and s.place_distinct >= need
            and not no_place
            and not specific_person
        ):
            return [location("known places")]
        if (
            known_frac >= 0.3
            and s.known_name_distinct >= need
            and not no_person
            # words of several tokens are names when some are whole names ("Fast Heater" holds
            # two census surnames and is a product)
            and (multi < 0.5 or full_frac >= 0.2)
        ):
            return [person("known names")]
    elif (
        place_weight >= 0.5
        and s.place_distinct >= need
        and place_weight >= known_frac
        and not no_place
        and not specific_person
    ):
        return [location("known places")]
    if (
        place_ctx
        and not person_ctx
        and s.code >= 0.8 * scale
        and distinct >= _required(5, n)
        and not no_place
    ):
        # "TX", "USA", "NRW" under "state" or "country": the standard abbreviations of places
        # (ISO 3166, postal codes of states); like every place, personal only beside people
        hit = EntityHit(
            "LOCATION", 0.75, s.code / scale, "place-codes", "place codes + column name"
        )
        return [_Hit(hit, [], 2, s.code / scale, "place")]
    if s.ner_checked >= 3 and s.ner_person / s.ner_checked >= 0.05:
        fraction = s.ner_person / s.ner_checked
        hit = EntityHit(
            "PERSON",
            0.7 + (0.1 if person_ctx else 0.0),
            fraction,
            "spacy-ner",
            "names found by the configured NER model",
        )
        return [_Hit(hit, s.pair_examples, 2, 0.0, "identifier")]
    # two different names at least ("Pinto Beans" in every order of a menu is one phrase)
    several = len(set(s.pair_examples)) >= 2
    if (
        s.pairs_distinct >= _required(3, n)
        and s.pairs / scale >= 0.005
        and several
        and not no_person
        # a column of titles ("Sam Adams Boston Lager", "Ruby Red Grapefruit Ale") holds a
        # name in a few longer values: texts must be most of the column
        and s.free_text >= FREE_TEXT_SHARE * scale
    ):
        score = 0.6 + (0.1 if person_ctx else 0.0)
        hit = EntityHit("PERSON", score, s.pairs / scale, "name-lexicon", "names in free text")
        return [_Hit(hit, s.pair_examples, 2, 0.0, "identifier")]
    return []


def _date_hit(ev: ColumnEvidence, context: frozenset[str]) -> _Hit | None:
    d = ev.dates
    n = ev.values
    if d.count < 3 or d.count < 0.8 * max(n, 1) or d.with_time > 0.05 * d.count:
        return None
    today = dt.date.today().year
    has_ctx = "DATE_TIME" in context
    if not has_ctx and event_context(ev.name):
        return None  # "hire_date", "order_date", "death_date": when something happened
    span = d.max_year - d.min_year
    fraction = d.count / max(n, 1)
    if has_ctx and span >= 1 and d.max_year <= today and d.min_year >= BIRTH_CTX_MIN_YEAR:
        # the column name says birth: a people table sorted by age, or of people born long ago
        # (members of a parliament since 1789), still holds birth dates
        hit = EntityHit(
            "DATE_TIME", 0.85, fraction, "birthdate-range+context", "birth dates + column name"
        )
        return _Hit(hit, d.examples, 2, fraction, "identifier")
    if d.min_year < 1890 or d.max_year > today:
        return None
    if d.steps >= 10 and not 0.15 <= d.steps_up / d.steps <= 0.85:
        return None  # in order: a time series, not people's birth dates
    if _few_dates(ev, span):
        return None  # the same few dates over many rows: when something happened to a group
    years = sorted(d.years.elements())
    median_age = today - years[len(years) // 2]
    if has_ctx and span >= 1:
        hit = EntityHit(
            "DATE_TIME", 0.85, fraction, "birthdate-range+context", "birth dates + column name"
        )
        return _Hit(hit, d.examples, 2, fraction, "identifier")
    if span >= 15 and median_age >= 14:
        hit = EntityHit("DATE_TIME", 0.65, fraction, "birthdate-range", "dates spread like births")
        return _Hit(hit, d.examples, 1, fraction, "date")
    return None


def _few_dates(ev: ColumnEvidence, span: int) -> bool:
    """Far fewer distinct dates than people's birth dates would have: a date shared by many
    rows (the start of a term, a release, a census day) is an event's date.

    Birth dates are close to uniform over the days of their years, so ``n`` of them over ``D``
    days have about ``D * (1 - exp(-n / D))`` distinct values; a column with under a third of
    that repeats its dates as a category does."""
    n = ev.dates.count
    if n < 50:
        return False
    days = 365 * (span + 1)
    expected = days * (1 - math.exp(-n / days))
    return ev.distinct < FEW_DATES * expected


def judge_column(
    ev: ColumnEvidence, registry: Registry, settings: JudgeSettings | None = None
) -> list[_Hit]:
    """The candidate entities of one column, before row context."""
    settings = settings or JudgeSettings()
    context = name_context(ev.name, registry)
    hits: list[_Hit] = []
    if ev.dates.count and ev.dates.count >= 0.8 * max(ev.values, 1):
        hit = _date_hit(ev, context)
        return [hit] if hit and settings.wants("DATE_TIME") else []
    if ev.booleans >= 0.5 * max(ev.values, 1):
        return []
    hits = _pattern_hits(ev, context, registry, settings)
    dominant = max((h.hit.fraction for h in hits), default=0.0)
    if dominant < 0.5:
        taken = {h.hit.type for h in hits}
        for lex in _lexical_hits(ev, context):
            if lex.hit.type not in taken and settings.wants(lex.hit.type):
                hits.append(lex)
    if _enumeration(ev):
        hits = [h for h in hits if h.hit.type not in ("PERSON", "PHONE_NUMBER")]
    return hits


def judge_frame(
    evidence: dict[str, ColumnEvidence],
    registry: Registry,
    settings: JudgeSettings | None = None,
) -> dict[str, ColumnScan]:
    """Every column's verdict, with row context applied."""
    settings = settings or JudgeSettings()
    raw = {name: judge_column(ev, registry, settings) for name, ev in evidence.items()}
    if NAMES_COLUMN in raw:
        # column headers are people only when they are full names
        raw[NAMES_COLUMN] = [
            h for h in raw[NAMES_COLUMN] if h.hit.type != "PERSON" or "surname" in h.hit.reason
        ]
    rows = {name: hits for name, hits in raw.items() if name != NAMES_COLUMN}
    identifying = {
        name: [h.hit.type for h in hits if h.kind == "identifier"] for name, hits in rows.items()
    }
    name_parts = [name for name, hits in rows.items() if any(h.kind == "name-part" for h in hits)]
    # columns naming organisations, teams or places ("Provider Name": hospitals): the rows
    # describe those, and a street address beside them is theirs
    things = [name for name, ev in evidence.items() if name != NAMES_COLUMN and _names_things(ev)]
    # most other columns numbers: a table of statistics (a place in it once per row is its key)
    real = [ev for name, ev in evidence.items() if name not in (NAMES_COLUMN, INDEX_COLUMN)]
    numeric = sum(1 for ev in real if ev.values and _numeric(ev))
    statistics = numeric >= 0.5 * max(len(real) - 1, 1)
    out: dict[str, ColumnScan] = {}
    for name, ev in evidence.items():
        scan = ColumnScan(name=name, values_scanned=ev.values)
        others = [
            f"{types[0]} column {other!r}"
            for other, types in identifying.items()
            if other != name and types
        ]
        others += [f"PERSON column {o!r}" for o in name_parts if o != name]
        if name == NAMES_COLUMN:
            others = []  # the column names are judged on their own
        kept: list[_Hit] = []
        for h in raw[name]:
            if h.kind == "address" and not others and (things or len(real) > 1):
                # a table with other columns and none that identifies a person lists sites
                # (stores, offices, hospitals); a lone address column has no rows to judge by
                where = (
                    f"beside column {things[0]!r}, which names organisations or places, and "
                    if things
                    else "with "
                )
                scan.notes.append(
                    f"{h.hit.type} not reported: street addresses {where}no column identifying "
                    "people (the addresses of stores, sites or offices)"
                )
                continue
            if h.kind == "place" and others and statistics and _table_key(ev):
                scan.notes.append(
                    f"{h.hit.type} not reported: each place once, the key of a table of "
                    "statistics (one row per place)"
                )
                continue
            if h.kind == "name-part":
                beside = others + [f"name column {o!r}" for o in name_parts if o != name]
                if not beside:
                    scan.notes.append(
                        "PERSON not reported: single names (a first name or a surname alone) "
                        "with no other name part or identifier in the rows"
                    )
                    continue
                h.hit = replace(h.hit, reason=f"{h.hit.reason}, beside {beside[0]}")
            elif h.kind in ("place", "date"):
                if not others:
                    what = "places" if h.kind == "place" else "dates"
                    scan.notes.append(
                        f"{h.hit.type} not reported: {what} with no column identifying people "
                        "in the rows (an aggregate or reference table)"
                    )
                    continue
                h.hit = replace(h.hit, reason=f"{h.hit.reason}, beside {others[0]}")
            kept.append(h)
        kept = [h for h in kept if h.hit.score >= settings.min_score]
        kept.sort(key=lambda h: (-h.hit.fraction, -h.hit.score, h.hit.type))
        scan.entities = [h.hit for h in kept]
        seen: list[str] = []
        for h in kept:
            for example in h.examples:
                if example and example not in seen and len(seen) < MAX_EXAMPLES:
                    seen.append(example)
        scan.examples = seen
        out[name] = scan
    return out


def _names_things(ev: ColumnEvidence) -> bool:
    s = ev.shape
    return (
        s.name_shaped >= 0.5 * max(ev.texts, 1)
        and s.thing >= 0.3 * s.name_shaped
        and ev.distinct >= 5
    )


def _numeric(ev: ColumnEvidence) -> bool:
    # numbers, digit texts and decimals written as text (``fractional`` may count a float twice:
    # only the threshold matters)
    return ev.numbers + ev.digit_texts + ev.fractional >= 0.8 * ev.values


def _table_key(ev: ColumnEvidence) -> bool:
    """Each value once, and known places (not a sample of people's towns)."""
    s = ev.shape
    return (
        ev.values >= KEY_ROWS
        and ev.distinct >= ev.values
        and not ev.nulls
        and s.place >= 0.8 * max(s.text_rows, 1)
    )


def mask_examples(values: list[str], entity: str) -> list[str]:
    return [mask(v, entity) for v in values[:MAX_EXAMPLES]]
