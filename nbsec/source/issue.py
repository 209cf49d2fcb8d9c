"""What a source check reports before it is placed in a notebook: an :class:`Issue`.

Checks of code and text do not know which file or cell they look at; they return issues with a
line number relative to the text they were given. :mod:`nbsec.source.scanner` turns issues into
:class:`~nbsec.findings.Finding` objects with full locations.

An issue about a value found in a text (a secret, an e-mail address) also carries the exact
:class:`Span`\\ s of that value in the text it was given, so redaction can mask it in place. Spans
live in memory only; nothing derived from them but masked evidence and hashes is ever written.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbsec.findings import Confidence, Severity


@dataclass(frozen=True)
class Span:
    """``text[start:end]`` is a found value; ``label`` names what it is (``EMAIL_ADDRESS``,
    ``SECRET``) and becomes the mask (``[EMAIL_ADDRESS]``)."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Issue:
    rule: str
    message: str
    line: int | None
    key: str
    evidence: str | None = None
    severity: Severity | None = None
    confidence: Confidence | None = None
    column: int | None = None
    spans: tuple[Span, ...] = ()
    # values the issue stands for that are not located by spans (the cells of a table column),
    # with the label each is masked as
    values: tuple[tuple[str, str], ...] = ()
    # the file a load call reads, when the source names it literally (``joblib.load("m.pkl")``,
    # ``pickle.load(open("m.pkl", "rb"))``): lets a live kernel judge it by what it knows
    target: str | None = None
