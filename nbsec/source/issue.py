"""What a source check reports before it is placed in a notebook: an :class:`Issue`.

Checks of code and text do not know which file or cell they look at; they return issues with a
line number relative to the text they were given. :mod:`nbsec.source.scanner` turns issues into
:class:`~nbsec.findings.Finding` objects with full locations.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbsec.findings import Confidence, Severity


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
