"""What nbsec knows about the running kernel session, in one place.

The engines add to it (findings, scanned frames, model loads, lineage summaries); the magics, the
dashboard, the panel (``get_state`` and ``update`` messages) and ``metadata.nbsec`` read from it.
It holds only masked evidence, hashes, names and counts, never data values.

Findings are de-duplicated by fingerprint: a re-run that finds the same thing again updates the
record silently; a finding is *news* (shown inline again) only if it is new or its severity or
message changed.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nbsec.findings import Finding, count_by_severity, sort_findings


@dataclass
class SessionWaiver:
    """``%nbsec allow``: a decision recorded in the session (and the ledger)."""

    target: str  # a rule id / family, a path glob, or a sha256
    kind: str  # "rule" | "path" | "sha256"
    reason: str
    at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, str]:
        return {"target": self.target, "kind": self.kind, "reason": self.reason, "at": self.at}


class SessionState:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.findings: dict[str, Finding] = {}
        self.frames: dict[str, dict[str, Any]] = {}
        self.models: list[dict[str, Any]] = []
        self.waivers: list[SessionWaiver] = []
        self.lineage: dict[str, Any] = {}
        self.version = 0  # bumped on every change, so views can refresh cheaply

    # -- findings --------------------------------------------------------------------------------
    def add_findings(self, findings: Iterable[Finding]) -> list[Finding]:
        """Record findings; returns the ones that are new or changed (to be shown)."""
        news: list[Finding] = []
        with self._lock:
            for f in findings:
                old = self.findings.get(f.fingerprint)
                if old is None or (old.severity, old.message) != (f.severity, f.message):
                    news.append(f)
                self.findings[f.fingerprint] = f
            if news:
                self.version += 1
        return news

    def active_findings(self) -> list[Finding]:
        return sort_findings(f for f in self.findings.values() if not self.waived(f))

    def waived(self, finding: Finding) -> bool:
        for w in self.waivers:
            if w.kind == "rule" and (
                finding.rule == w.target or finding.rule.startswith(w.target + "-")
            ):
                return True
        return False

    # -- frames and models -----------------------------------------------------------------------
    def set_frame(self, name: str, summary: dict[str, Any]) -> None:
        with self._lock:
            self.frames[name] = summary
            self.version += 1

    def drop_frame(self, name: str) -> None:
        with self._lock:
            if self.frames.pop(name, None) is not None:
                self.version += 1

    def add_model(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.models.append(event)
            self.version += 1

    def add_waiver(self, waiver: SessionWaiver) -> None:
        with self._lock:
            self.waivers.append(waiver)
            self.version += 1

    def set_lineage(self, summary: dict[str, Any]) -> None:
        with self._lock:
            self.lineage = summary
            self.version += 1

    def touch(self) -> None:
        """Something the views show changed outside the collections (mode, on/off)."""
        with self._lock:
            self.version += 1

    # -- views -----------------------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        """The full state for the panel's ``get_state`` and the dashboard."""
        active = self.active_findings()
        return {
            "version": self.version,
            "counts": count_by_severity(active),
            "findings": [f.to_dict() for f in active],
            "frames": dict(self.frames),
            "models": list(self.models),
            "waivers": [w.to_dict() for w in self.waivers],
            "lineage": dict(self.lineage),
        }

    def summary(self) -> dict[str, Any]:
        """The governance summary saved in the notebook's ``metadata.nbsec``."""
        active = self.active_findings()
        models = []
        for m in self.models:
            models.append(
                {
                    k: m.get(k)
                    for k in ("api", "path", "source", "sha256", "verdict", "action", "pinned")
                    if m.get(k) is not None
                }
            )
        return {
            "counts": count_by_severity(active),
            "findings": len(active),
            "rules": sorted({f.rule for f in active}),
            "frames_with_pii": sorted(n for n, s in self.frames.items() if s.get("pii_columns")),
            "models": models,
            "data_sources": list(self.lineage.get("sources", [])),
            "ledger": self.lineage.get("ledger"),
            "ledger_head": self.lineage.get("ledger_head"),
            "waivers": [w.to_dict() for w in self.waivers],
        }
