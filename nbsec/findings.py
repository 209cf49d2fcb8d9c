"""The finding: what every nbsec check reports, in one JSON shape.

A :class:`Finding` names a rule (``NBS-PKL-001``), where it was seen (:class:`Location`), how bad it
is (:class:`Severity`) and how sure we are (:class:`Confidence`). ``evidence`` is always masked
(personal data keeps its shape, never its value) or, for secrets, a hash.

The ``fingerprint`` identifies a finding across scans so that baselines and waivers keep working
when lines move: it hashes the rule, the file, the cell (id, or index when the notebook has no
ids) and a stable ``key`` chosen by the check (for example the hash of a secret or the resolved
call name), but not the line number or the message wording.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from nbsec.errors import InputError


class Severity(enum.StrEnum):
    """How bad a finding is; ordered from ``info`` to ``critical``."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info, for comparisons and sorting."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls(value.strip().lower())
        except ValueError:
            choices = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {value!r} (choose from {choices})") from None


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Confidence(enum.StrEnum):
    """How sure the check is that the finding is real."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @classmethod
    def parse(cls, value: str) -> Confidence:
        try:
            return cls(value.strip().lower())
        except ValueError:
            choices = ", ".join(c.value for c in cls)
            raise ValueError(f"unknown confidence {value!r} (choose from {choices})") from None


@dataclass(frozen=True)
class Location:
    """Where a finding was seen. ``cell_index`` is 0-based; ``line`` is 1-based within the cell
    source (or within the file for plain files); ``output_index`` is 0-based within the cell's
    outputs when the finding is in an output rather than the source."""

    path: str | None = None
    cell_id: str | None = None
    cell_index: int | None = None
    execution_count: int | None = None
    line: int | None = None
    output_index: int | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "cell_id": self.cell_id,
            "cell_index": self.cell_index,
            "execution_count": self.execution_count,
            "line": self.line,
            "output_index": self.output_index,
            "column": self.column,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Location:
        unknown = set(data) - _LOCATION_KEYS
        if unknown:
            raise InputError(f"location has unknown keys: {', '.join(sorted(unknown))}")
        return cls(**{k: data.get(k) for k in _LOCATION_KEYS})

    def describe(self) -> str:
        """A short human form, numbered as people count: ``nb.ipynb cell 4 line 2 output 1``
        for ``cell_index`` 3 and ``output_index`` 0 (see :func:`cell_label`)."""
        parts: list[str] = []
        if self.path:
            parts.append(self.path)
        if self.cell_index is not None or self.cell_id:
            parts.append(cell_label(self.cell_index, self.cell_id))
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.output_index is not None:
            parts.append(output_label(self.output_index))
        return " ".join(parts) if parts else "-"


def cell_label(cell_index: int | None, cell_id: str | None = None) -> str:
    """How a person sees a cell: the 1-based position the notebook shows (``cell 4`` for
    ``cell_index`` 3), or its id when the position is unknown. JSON fields keep ``cell_index``
    0-based; every text meant for people (CLI, SARIF messages and names, lineage labels, magics,
    panel, report) numbers cells through here."""
    if cell_index is not None:
        return f"cell {cell_index + 1}"
    if cell_id:
        return f"cell id {cell_id[:16]}"
    return "cell ?"


def output_label(output_index: int) -> str:
    """``output 1`` for a cell's first output (``output_index`` 0)."""
    return f"output {output_index + 1}"


_LOCATION_KEYS = frozenset(
    ("path", "cell_id", "cell_index", "execution_count", "line", "output_index", "column")
)


@dataclass(frozen=True)
class Finding:
    """One result of one check. Build it with :meth:`from_rule` so the rule's metadata is used."""

    rule: str
    title: str
    severity: Severity
    confidence: Confidence
    message: str
    remediation: str
    location: Location = field(default_factory=Location)
    evidence: str | None = None
    tags: tuple[str, ...] = ()
    fingerprint: str = ""

    def __post_init__(self) -> None:
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", compute_fingerprint(self.rule, self.location))

    @classmethod
    def from_rule(
        cls,
        rule_id: str,
        message: str,
        location: Location,
        *,
        evidence: str | None = None,
        key: str | None = None,
        severity: Severity | None = None,
        confidence: Confidence | None = None,
    ) -> Finding:
        """A finding whose title, default severity, tags and remediation come from the rule
        registry. ``key`` is the stable part of the fingerprint (see the module docstring);
        ``evidence`` must already be masked or hashed."""
        from nbsec.rules import get_rule

        rule = get_rule(rule_id)
        return cls(
            rule=rule.id,
            title=rule.title,
            severity=severity or rule.severity,
            confidence=confidence or rule.confidence,
            message=message,
            remediation=rule.remediation,
            location=location,
            evidence=evidence,
            tags=rule.tags,
            fingerprint=compute_fingerprint(rule.id, location, key),
        )

    def with_location(self, **changes: Any) -> Finding:
        """A copy at another location; the fingerprint is kept, so a finding moved (for example to
        a report cell) still matches its baseline entry."""
        return replace(self, location=replace(self.location, **changes))

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "title": self.title,
            "severity": self.severity.value,
            "confidence": self.confidence.value,
            "message": self.message,
            "remediation": self.remediation,
            "location": self.location.to_dict(),
            "evidence": self.evidence,
            "tags": list(self.tags),
            "fingerprint": self.fingerprint,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        try:
            return cls(
                rule=str(data["rule"]),
                title=str(data["title"]),
                severity=Severity.parse(str(data["severity"])),
                confidence=Confidence.parse(str(data.get("confidence", "medium"))),
                message=str(data["message"]),
                remediation=str(data.get("remediation", "")),
                location=Location.from_dict(data.get("location") or {}),
                evidence=data.get("evidence"),
                tags=tuple(str(t) for t in data.get("tags", ())),
                fingerprint=str(data.get("fingerprint", "")),
            )
        except KeyError as exc:
            raise InputError(f"finding is missing the key {exc.args[0]!r}") from None
        except ValueError as exc:
            raise InputError(f"finding is invalid: {exc}") from None

    @classmethod
    def from_json(cls, text: str) -> Finding:
        return cls.from_dict(json.loads(text))

    @property
    def sort_key(self) -> tuple[Any, ...]:
        loc = self.location
        return (
            -self.severity.rank,
            loc.path or "",
            loc.cell_index if loc.cell_index is not None else -1,
            loc.output_index if loc.output_index is not None else -1,
            loc.line or 0,
            self.rule,
        )


def compute_fingerprint(rule_id: str, location: Location, key: str | None = None) -> str:
    """``sha256:<hex>`` over rule, path, cell (id, else index) and the check's stable key."""
    cell: str | int | None = location.cell_id if location.cell_id else location.cell_index
    material = json.dumps(
        [rule_id, location.path or "", cell, location.output_index is not None, key or ""],
        separators=(",", ":"),
    )
    return "sha256:" + hashlib.sha256(material.encode("utf-8")).hexdigest()


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by file, cell, output and line."""
    return sorted(findings, key=lambda f: f.sort_key)


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    counts = {s.value: 0 for s in Severity}
    for f in findings:
        counts[f.severity.value] += 1
    return counts
