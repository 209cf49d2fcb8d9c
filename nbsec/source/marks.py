"""Marks: the exact places of a notebook that redaction masks, and how a found value is followed
to every other place the notebook shows it.

A :class:`Mark` is a span of one :class:`~nbsec.source.notebook.TextSite` with the finding it
belongs to (by fingerprint, so waivers and baselines apply to it) and the label that replaces it.
Detectors see a value where its context gives it away (``password = "..."`` in a cell, an e-mail
column in a table); the same value printed bare elsewhere (``print(password)``, the ``text/plain``
twin of a DataFrame's HTML, a CSV download link) is found by :func:`follow_values`, which
searches every text for the values already found, also in their HTML-escaped and percent-encoded
forms, as whole tokens. One compiled trie-shaped expression searches all values at once, so the
cost grows with the size of the texts, not with the number of values.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from nbsec.source.notebook import TextSite

# values shorter than this are followed only inside the output they were found in
MIN_FOLLOWED = 6
_NOT_VALUES = frozenset(
    {"nan", "none", "null", "<na>", "nat", "n/a", "na", "-", "--", "true", "false"}
)


@dataclass(frozen=True)
class Mark:
    """``site.text[start:end]`` is masked as ``[label]``, on behalf of the finding
    ``fingerprint`` (rule ``rule``)."""

    site: TextSite
    start: int
    end: int
    rule: str
    fingerprint: str
    label: str

    @property
    def replacement(self) -> str:
        return mask_label(self.label)


def mask_label(label: str) -> str:
    """What a masked value becomes: ``[EMAIL_ADDRESS]``, ``[REDACTED]`` for secrets."""
    return "[REDACTED]" if label == "SECRET" else f"[{label}]"


@dataclass(frozen=True)
class FoundValue:
    """A value some finding stands for (in memory only), and where it may be followed."""

    value: str
    rule: str
    fingerprint: str
    label: str
    key: str = ""
    evidence: str | None = None
    # follow only inside these sites (a table's cells, short values); None: everywhere
    within: tuple[TextSite, ...] | None = None


def worth_following(value: str, *, local: bool) -> bool:
    text = value.strip()
    if text.lower() in _NOT_VALUES or not any(c.isalnum() for c in text):
        return False
    return len(text) >= (2 if local else MIN_FOLLOWED)


def trie_pattern(words: Iterable[str]) -> str:
    """A regular expression matching any of ``words`` (longest first), shaped as a trie."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not ends else f"(?:{'|'.join(branches)})"
        if ends:
            body = f"(?:{'|'.join(branches)})?"
        return body

    return build(trie)


def _forms(value: str) -> set[str]:
    """The ways a value appears in stored text: as is, HTML-escaped, percent-encoded."""
    return {value, html.escape(value, quote=True), html.escape(value, quote=False), quote(value)}


def find_occurrences(
    texts: Iterable[tuple[TextSite, str]], values: list[FoundValue]
) -> Iterator[Mark]:
    """Every whole-token occurrence of ``values`` in ``texts`` (``(site, text)`` pairs)."""
    if not values:
        return
    by_form: dict[str, FoundValue] = {}
    for found in sorted(values, key=lambda v: -len(v.value)):
        for form in _forms(found.value):
            by_form.setdefault(form, found)
    body = trie_pattern(by_form)
    if not body:
        return
    pattern = re.compile(rf"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9])")
    for site, text in texts:
        for match in pattern.finditer(text):
            hit = by_form.get(match.group(0))
            if hit is None:
                continue
            if hit.within is not None and not any(site is s for s in hit.within):
                continue
            yield Mark(site, match.start(), match.end(), hit.rule, hit.fingerprint, hit.label)


def merge_marks(marks: Iterable[Mark]) -> list[Mark]:
    """Marks sorted by place, with marks contained in another of the same site dropped and
    overlapping ones joined (the first mark's finding is kept)."""
    by_site: dict[int, list[Mark]] = {}
    order: list[int] = []
    for mark in marks:
        key = id(mark.site)
        if key not in by_site:
            by_site[key] = []
            order.append(key)
        by_site[key].append(mark)
    out: list[Mark] = []
    for key in order:
        current: Mark | None = None
        for mark in sorted(by_site[key], key=lambda m: (m.start, -m.end)):
            if current is not None and mark.start < current.end:
                if mark.end > current.end:
                    current = Mark(
                        current.site,
                        current.start,
                        mark.end,
                        current.rule,
                        current.fingerprint,
                        current.label,
                    )
                continue
            if current is not None:
                out.append(current)
            current = mark
        if current is not None:
            out.append(current)
    return out
