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
# initials before a known surname: "R.A. Fisher", "J. R. R. Tolkien" (not "U.S. Army": the
# word must be a known surname, and name no organisation)
_PLACE_INITIALS = lexicons.words("US UK DC NY LA SF EU UN GB NZ NYC USA UAE USSR")
_INITIALS = re.compile(rf"(?<![\w.])(?:[A-Z]\.\s?){{1,3}}({_CAP})(?![\w@])")
# "Last, First" as a quoted item of a list or index repr: ``Index(['Smith, John', ...])``
_QUOTED_LAST_FIRST = re.compile(rf"(?<=['\"])({_CAP}), ({_CAP})(?=['\"])")


def scan_text(text: str, *, policy: Policy | None = None) -> list[TextHit]:
    """Validated PII in ``text``; ``text[hit.start:hit.end]`` is the value (never store it)."""
    from nbsec.pii.validators import phone_regions

    if policy is None:
        from nbsec.policy import load_policy

        policy = load_policy(None)
    pii = policy.pii
    regions, yaml_files = phone_regions(pii.regions), _yaml_files(policy)
    # presidio's recognizers take seconds to load in a fresh process: only when they could match
    wide = bool(yaml_files) or rz.text_needs_full_set(text)
    registry = rz.registry(regions, yaml_files) if wide else rz.core_registry(tuple(regions))
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
        if m.entity == "IP_ADDRESS" and not has_context and _version_at(text, m):
            continue
        if m.entity == "US_SSN" and not has_context and text[m.start : m.end].isdigit():
            continue  # nine bare digits ("Length: 267967963"): a size, a count, an id
        if m.entity != "EMAIL_ADDRESS" and not has_context and _numeric_line(text, m):
            continue  # a row of numbers (an array, a table of measurements), not an identifier
        if m.entity == "PHONE_NUMBER" and not has_context and _in_array(text, m):
            continue  # "[20 21 22 23]]", "tf.Tensor([14 16 18  0  2  4  6], ...)"
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
    out = [_trim_email(text, h) if h.type == "EMAIL_ADDRESS" else h for h in out]
    taken = _Spans()
    for hit in out:
        taken.claim(hit.start, hit.end)
    if allowed("PERSON"):
        for start, end, score in _names(text, pii.spacy_model):
            if score >= pii.min_score and taken.claim(start, end):
                out.append(TextHit("PERSON", start, end, score))
        for start, end in _keyed_names(text):
            if taken.claim(start, end):
                out.append(TextHit("PERSON", start, end, 0.8))
    if allowed("LOCATION"):
        for start, end in _addresses(text):
            if taken.claim(start, end):
                out.append(TextHit("LOCATION", start, end, 0.75))
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


_ARRAY_GAP = re.compile(r"[ \t]*")


def _in_array(text: str, m: rz.Match) -> bool:
    """Is the match a run of numbers inside an unquoted ``[...]`` (a numpy or tensor repr)?
    A phone number printed inside a list is quoted (``['555 123 4567']``)."""
    token = text[m.start : m.end]
    if not re.fullmatch(r"\d+(?:[ \t]+\d+)+", token):
        return False
    before = text.rfind("\n", 0, m.start) + 1
    head = text[before : m.start].rstrip(" \t")
    line_end = text.find("\n", m.end)
    tail = text[m.end : line_end if line_end >= 0 else len(text)].lstrip(" \t")
    opened = head.endswith("[") or bool(re.search(r"\[[\d\s.,eE+-]*$", head))
    closed = tail.startswith("]") or bool(re.match(r"[\d\s.,eE+-]*\]", tail))
    return opened or closed


def _trim_email(text: str, hit: TextHit) -> TextHit:
    """``email=jane@doe.org`` and ``email='jane@doe.org``: e-mail patterns allow ``=`` and
    quotes in the local part, so a printed key sticks to the address; the span starts after it."""
    local = text[hit.start : hit.end].split("@", 1)[0]
    cut = max(local.rfind(ch) for ch in "='\"`:")
    start = hit.start + cut + 1
    if text[start - 1 : start] == "\\":
        # an escape of a printed repr glued to the address: b'\x07a@b.com', '\nann@x.org'
        escape = _ESCAPE.match(text, start)
        if escape is not None:
            start = escape.end()
    if start == hit.start:
        return hit
    return TextHit(hit.type, start, hit.end, hit.score)


_ESCAPE = re.compile(r"x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[nrtabfv0]")


# a printed key and its value: ``'first_name': 'Maria'``, ``name='Li Wei'``, ``Name: Carlos
# Mendes``, ``customer=Olga Ivanova``; the key decides what the value is
_KEYED = re.compile(
    r"(?P<key>[A-Za-zÀ-ɏЀ-ӿ][\wÀ-ɏЀ-ӿ -]{0,30}?)"
    r"['\"]?[ \t]*[:=][ \t]*(?P<q>['\"]?)"
    r"(?P<value>[^'\",;:=\n{}()\[\]<>|\t]{2,60}?)(?P=q)[ \t]*(?=[,;})\]\n|]|\t|  |$)"
)


# keys that name one part of a name: a lone first name or surname under them is a person's
_NAME_PART_KEY = re.compile(
    r"(?i)first|last|given|family|sur|fore|middle|vorname|nachname|apellido|prénom|prenom|"
    r"cognome|nazwisko|imi|имя|фамилия|отчество"
)


# a field of a record printed as a Series (``df.iloc[0]``): the key, two spaces or more, the value
_RECORD_LINE = re.compile(
    r"^(?P<key>[A-Za-z\u00C0-\u024F\u0400-\u04FF][\w\u00C0-\u024F\u0400-\u04FF]{0,30}) {2,}"
    r"(?P<value>[^\n]{2,60}?)[ \t]*$",
    re.MULTILINE,
)
# keys that are one part of a name by themselves (``Customer(first='Ann', last='Lee')``)
_NAME_PART_WORDS = lexicons.words("first last given family surname forename middle")


def _keyed_names(text: str) -> Iterable[tuple[int, int]]:
    """Values printed under a key that says a person's name (``first_name``, ``Nachname``,
    ``customer``): a name-shaped value that is no place and names no organisation."""

    if ":" not in text and "=" not in text and "  " not in text:
        return
    matches = [*_KEYED.finditer(text), *_RECORD_LINE.finditer(text)]
    for m in matches:
        key = m.group("key").strip()
        value = m.group("value").strip()
        quote = m.groupdict().get("q") or ""
        if text.startswith((", dtype", ", Length", ", Freq"), m.end("value") + len(quote)):
            continue  # the footer of a Series repr: "Name: Close, dtype: float64"
        if _keyed_name(key, value):
            start = m.start("value") + m.group("value").find(value)
            yield start, start + len(value)


def _keyed_name(key: str, value: str) -> bool:
    """Is ``value``, printed under ``key``, a person's name?"""
    from nbsec.pii.column_names import name_tokens, strong_person_context

    tokens_of_key, joined = name_tokens(key)
    part_key = bool(tokens_of_key & _NAME_PART_WORDS) or bool(_NAME_PART_KEY.search(joined))
    if not (strong_person_context(key) or (tokens_of_key and tokens_of_key <= _NAME_PART_WORDS)):
        return False
    parsed = lexicons.parse_name(value)
    if parsed is None or lexicons.names_a_thing(value):
        return False
    tokens, formatted = parsed
    evidence = lexicons.name_evidence(tokens)
    if lexicons.is_place(value) and not evidence:
        return False
    if joined in ("name", "names"):
        # a bare "name" key: a whole name ({'name': 'Adam'} is an optimizer)
        return formatted or lexicons.full_name(tokens)
    if part_key:
        # short names count here ("Li", "Bo"): the key already says what the value is
        known = evidence or any(lexicons.is_first_name(t) for t in tokens)
        return bool(known) or lexicons.surname_shaped(tokens[-1])
    # "customer", "patient_name", "full_name", "author": a name with a known part
    return bool(evidence) or formatted or lexicons.surname_shaped(tokens[-1])


# a street address in a line: a house number and a street, then a town (``742 Evergreen
# Terrace, Springfield, IL 62704``; ``Hauptstraße 5, 10115 Berlin``)
_TOWN_AFTER = re.compile(
    r",?[ \t]+(?:\d{4,5}[ \t]+)?[A-ZÀ-Þ][\w'À-ɏ.-]*"
    r"(?:[ \t]+[A-ZÀ-Þ][\w'À-ɏ.-]*){0,3}"
    r"(?:,[ \t]*[A-Z]{2}(?:[ \t]+\d{5}(?:-\d{4})?)?|[ \t]+\d{5}(?:-\d{4})?)?"
)


def _addresses(text: str) -> Iterable[tuple[int, int]]:
    if not any(ch.isdigit() for ch in text):
        return
    for m in ep.STREET.finditer(text):
        after = _TOWN_AFTER.match(text, m.end())
        if after is None or not after.group(0).lstrip().startswith(","):
            continue  # a street alone in prose ("the 3 Main Street offices"): not enough
        end = after.end()
        yield m.start(), end


def _version_at(text: str, m: rz.Match) -> bool:
    """A version string rather than an address: ``1.2.3.4``-like, or written where versions
    are (``nvidia-cublas-cu12==12.1.3.1``, ``v10.2.0.1``, ``pkg-11.4.5.107``)."""
    if _version_like(text[m.start : m.end]):
        return True
    before = text[max(0, m.start - 2) : m.start]
    return bool(before) and (before[-1] in "=<>~vV-_/@" or before.endswith(("ver", "v.")))


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


# capitalised words that open sentences and titles, listed as given names somewhere ("See
# Duda & Hart", "The Witches' Mountain"): never the first half of a name in prose
_NOT_GIVEN = lexicons.words(
    "the see this that these those when where what which while after before from with into "
    "about over under each every some any all both our your his her its their thank thanks "
    "happy merry dear hello welcome via per also then than only just more most many much"
)
# roles and common nouns that are listed as names somewhere ("Vice President", "General
# Services", "Wolf Man")
_NOT_SURNAME = lexicons.words(
    "president services session man woman men women boy girl king queen prince princess "
    "general office officer manager director minister secretary council committee"
)
_NOT_GIVEN = _NOT_GIVEN | lexicons.words(
    "vice general major captain chief judge king queen prince princess bishop pope saint "
    "senior junior lieutenant sergeant colonel admiral governor mayor senator"
)


_PLACE_PREPOSITION = re.compile(r"\b(?:[Ii]n|at|near|from|to)\s+$")


def _camel(word: str) -> bool:
    """Mixed case ending in a capital ("LoRA", "iPhone" starts lower anyway): no name."""
    return len(word) > 2 and word[-1].isupper() and not word.isupper()


_AFTER = re.compile(r"(?: & [A-Z]\w*| [A-Z][\w'\u2019-]*)")


_FIRM_AFTER_AND = lexicons.words("sons son co company partners associates brothers bros")


def _names_a_thing_after(text: str, end: int) -> bool:
    """Is the pair followed by a word that makes it a firm, an institution or a place ("James
    Cook University", "John Wiley & Sons", "Alberta Rocky Mountains")?"""
    m = _AFTER.match(text, end)
    if m is None:
        return False
    word = m.group(0).strip()
    if word.startswith("&"):
        return word[1:].strip().lower() in _FIRM_AFTER_AND
    return lexicons.names_a_thing(word)


def _names(text: str, spacy_model: str) -> Iterable[tuple[int, int, float]]:
    """Person-name spans: titled names, "Last, Title. First", known first name + surname."""
    found: list[tuple[int, int, float]] = []
    for m in _TITLED.finditer(text):
        found.append((m.start(), m.end(), 0.85))
    for m in _INITIALS.finditer(text):
        if any(m.start() < e and s < m.end() for s, e, _ in found):
            continue
        surname = m.group(1)
        if re.sub(r"[\s.]", "", m.group(0)[: m.start(1) - m.start()]) in _PLACE_INITIALS:
            continue  # "D.C. Metro", "U.S. Army"
        if lexicons.fold(surname) in lexicons.surnames() and not lexicons.names_a_thing(surname):
            found.append((m.start(), m.end(), 0.7))
    for m in _QUOTED_LAST_FIRST.finditer(text):
        last, first = lexicons.fold(m.group(1)), lexicons.fold(m.group(2))
        if lexicons.full_name([first, last], reverse=False):
            found.append((m.start(), m.end(), 0.75))
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
        if a in _NOT_GIVEN or b in _NOT_SURNAME or not lexicons.full_name([a, b], reverse=False):
            continue
        if _camel(w1.group(0)) or _camel(w2.group(0)):
            continue  # "LoRA MAE": an acronym, not a name
        if (
            _PLACE_PREPOSITION.search(text[max(0, start - 8) : start])
            and lexicons.place_rank(w2.group(0)) == 2
            and lexicons.is_place(w1.group(0))
        ):
            continue  # "in Lourdes France": a place and its country
        if lexicons.is_place(text[start:end]) or _names_a_thing_after(text, end):
            continue
        found.append((start, end, 0.7))
    if spacy_model:
        from nbsec.pii.engine import analyzer

        engine = analyzer(spacy_model)
        for r in engine.analyze(text=text, language="en", entities=["PERSON"]):
            if r.score >= 0.6 and not any(r.start < e and s < r.end for s, e, _ in found):
                found.append((r.start, r.end, float(r.score)))
    return sorted(found)
