"""What a PII scan returns: per-entity hits, per-column verdicts, per-frame summaries.

These objects are the contract other parts rely on (the kernel panel, the static notebook scanner,
``nbsec pii`` JSON). They never hold a raw value: ``ColumnScan.examples`` are already masked with
:func:`nbsec.masking.mask` when the scan builds them, and :meth:`FrameScan.findings` puts only those
masked examples into a finding's evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nbsec.findings import Finding, Location

RULE_FRAME = "NBS-PII-001"


@dataclass(frozen=True)
class EntityHit:
    """One entity type found in one column.

    ``score`` is the confidence (0..1) that the column holds this entity; ``fraction`` is the
    share of scanned non-null values that hold it; ``recognizer`` names the check that decided
    (``luhn+iin``, ``iban-mod97``, ``phonenumbers``, ``name-lexicon``, ...)."""

    type: str
    score: float
    fraction: float
    recognizer: str
    # why the judge decided so ("checksum + column name 'pesel'", "known places, beside PERSON
    # column 'name'")
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "score": round(self.score, 2),
            "fraction": round(self.fraction, 4),
            "recognizer": self.recognizer,
        }
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass
class ColumnScan:
    """The verdict on one column: every entity type it holds (possibly several, for free text)
    and a few masked examples. A column without PII has an empty ``entities`` list."""

    name: str
    entities: list[EntityHit] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    values_scanned: int = 0
    # what the judge set aside and why (places in an aggregate table, a time series)
    notes: list[str] = field(default_factory=list)

    @property
    def has_pii(self) -> bool:
        return bool(self.entities)

    @property
    def entity_types(self) -> list[str]:
        return [e.type for e in self.entities]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "entities": [e.to_dict() for e in self.entities],
            "examples": list(self.examples),
        }
        if self.notes:
            out["notes"] = list(self.notes)
        return out


@dataclass
class FrameScan:
    """The result of scanning one frame or table. ``rows_scanned`` < ``rows`` when the scan
    sampled; ``exhaustive`` is true only when every value of every column was checked."""

    rows: int
    rows_scanned: int
    exhaustive: bool
    columns: dict[str, ColumnScan] = field(default_factory=dict)
    path: str | None = None
    # True when a deadline or a cancel stopped the scan: ``pending`` columns were not read yet
    # and the others were read in part; a later pass completes it
    partial: bool = False
    pending: list[str] = field(default_factory=list)
    # False for a first look at an engine frame (its first rows): ``rows`` is then only the
    # rows read, the frame's size is not known (counting it would run the engine)
    rows_known: bool = True

    @property
    def pii_columns(self) -> dict[str, ColumnScan]:
        return {name: col for name, col in self.columns.items() if col.entities}

    def to_dict(self) -> dict[str, Any]:
        """The JSON of one source, as in DESIGN.md (``nbsec pii --format json``)."""
        return {
            "path": self.path,
            "rows": self.rows,
            "rows_scanned": self.rows_scanned,
            "exhaustive": self.exhaustive,
            **({"partial": True, "pending": list(self.pending)} if self.partial else {}),
            "columns": {name: col.to_dict() for name, col in self.columns.items()},
        }

    def findings(
        self,
        location: Location,
        frame_name: str | None = None,
        *,
        rule_id: str = RULE_FRAME,
    ) -> list[Finding]:
        """One finding per column holding PII. The message names frame, column, entity types and
        prevalence; the evidence is the column's masked examples; the fingerprint key is
        frame + column + sorted entity types, so it survives re-runs and reordering."""
        out: list[Finding] = []
        where = f"frame {frame_name!r}" if frame_name else "table"
        for name, col in self.columns.items():
            if not col.entities:
                continue
            kinds = ", ".join(
                f"{e.type} ({_percent(e.fraction)} of {col.values_scanned or self.rows_scanned}"
                + (f"; {e.reason}" if e.reason else "")
                + ")"
                for e in col.entities
            )
            sampled = (
                ""
                if self.exhaustive
                else f", {self.rows_scanned} of {self.rows} rows"
                if self.rows_known
                else f", first {self.rows_scanned} rows"
            )
            if self.partial:
                sampled += ", partial pass"
            message = f"{where} column {name!r} holds {kinds}{sampled}"
            key = "|".join([frame_name or "", name, *sorted(col.entity_types)])
            evidence = ", ".join(col.examples) if col.examples else None
            out.append(Finding.from_rule(rule_id, message, location, evidence=evidence, key=key))
        return out


@dataclass(frozen=True)
class TextHit:
    """One validated entity in a text: ``text[start:end]`` holds ``type``."""

    type: str
    start: int
    end: int
    score: float


def _percent(fraction: float) -> str:
    if fraction >= 0.995:
        return "100%"
    if fraction >= 0.1:
        return f"{fraction * 100:.0f}%"
    if fraction >= 0.001:
        return f"{fraction * 100:.1f}%"
    return "<0.1%"
