"""What nbsec knows about the running kernel session, in one place, versioned for deltas.

The watchers add to it (findings, scanned frames, model loads, lineage, scan jobs); the magics,
the dashboard, the panel (``get_state`` and ``update`` messages) and ``metadata.nbsec`` read
from it. It holds only masked evidence, hashes, names, relative paths and counts, never values.

Every change bumps :attr:`SessionState.version` and stamps the changed item with it, so
:meth:`SessionState.delta` can say what changed since the version a panel has (upserted items
and removed keys per collection, bounded in size) instead of resending everything.

Findings are de-duplicated by fingerprint: a re-run that finds the same thing again updates the
record silently; a finding is *news* (shown inline again) only if it is new or its severity or
message changed, and it is not waived. A model load is one finding: the load's finding replaces
the source check's finding on the call that made it (same rule, cell and line). Each finding
carries the id of the waiver that covers it (``None`` when active), recomputed whenever the
waivers change.

Methods may be called from the kernel's main thread and, for panel requests over a subshell,
from another thread: every read and write holds one lock.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from nbsec.findings import Finding, count_by_severity, sort_findings
from nbsec.kernel.waiver_book import WaiverBook
from nbsec.policy import Subject

V = TypeVar("V")
MAX_TOMBSTONES = 2_000
MAX_LINEAGE_CELLS = 200
MAX_SOURCES = 200


class VersionedMap(Generic[V]):
    """A dict whose items remember the state version that last changed them."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[int, V]] = {}
        self._removed: dict[str, int] = {}
        self.horizon = 0  # deltas from a base older than this cannot list every removal

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> V | None:
        item = self._items.get(key)
        return item[1] if item else None

    def __iter__(self) -> Any:
        return iter(list(self._items))

    def values(self) -> list[V]:
        return [v for _, v in self._items.values()]

    def items(self) -> list[tuple[str, V]]:
        return [(k, v) for k, (_, v) in self._items.items()]

    def put(self, key: str, value: V, version: int) -> None:
        self._items[key] = (version, value)
        self._removed.pop(key, None)

    def drop(self, key: str, version: int) -> bool:
        if self._items.pop(key, None) is None:
            return False
        self._removed[key] = version
        if len(self._removed) > MAX_TOMBSTONES:
            oldest = min(self._removed, key=self._removed.__getitem__)
            self.horizon = max(self.horizon, self._removed.pop(oldest))
        return True

    def since(self, base: int) -> tuple[list[tuple[str, V]], list[str]]:
        upserts = [(k, v) for k, (ver, v) in self._items.items() if ver > base]
        removes = [k for k, ver in self._removed.items() if ver > base]
        return upserts, removes


@dataclass
class _FindingEntry:
    finding: Finding
    subject: Subject | None
    waiver: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = self.finding.to_dict()
        data["waiver"] = self.waiver
        subject = self.subject
        data["subject"] = (
            None
            if subject is None
            else {
                "frame": subject.frame,
                "column": subject.column,
                "sha256": subject.sha256,
                "path": subject.path,
            }
        )
        return data


class SessionState:
    def __init__(self, base_dir: Path | None = None) -> None:
        self._lock = threading.RLock()
        self.base_dir = base_dir or Path.cwd()
        self.version = 0
        self._findings: VersionedMap[_FindingEntry] = VersionedMap()
        self._frames: VersionedMap[dict[str, Any]] = VersionedMap()
        self._models: VersionedMap[dict[str, Any]] = VersionedMap()
        self._model_findings: dict[str, set[str]] = {}  # model key -> fingerprints of its loads
        self._load_findings: set[str] = set()  # fingerprints of findings made by loads
        # call-site findings a load's finding stands for: fingerprint -> the load finding's
        self._superseded: dict[str, str] = {}
        self._scans: VersionedMap[dict[str, Any]] = VersionedMap()
        self._waiver_view: VersionedMap[dict[str, Any]] = VersionedMap()
        self.waivers = WaiverBook()
        self._lineage: dict[str, Any] = {}
        self._lineage_version = 0
        self._cells: list[tuple[int, dict[str, Any]]] = []
        self._status: dict[str, Any] = {}
        self._governance: dict[str, str] = {}

    def _bump(self) -> int:
        self.version += 1
        return self.version

    def touch(self) -> None:
        """Something the views show changed outside the collections."""
        with self._lock:
            self._bump()

    # -- governance fields (``%nbsec meta``; saved in metadata.nbsec.governance) ------------------
    @property
    def governance(self) -> dict[str, str]:
        with self._lock:
            return dict(self._governance)

    def set_governance(self, key: str, value: str | None) -> None:
        """Set (or, with ``None`` or an empty value, clear) one governance field."""
        with self._lock:
            if value:
                self._governance[key] = value
            else:
                self._governance.pop(key, None)
            self._bump()

    def set_status(self, status: Mapping[str, Any]) -> None:
        """The mode, on/off, lock and policy file the kernel enforces; bumps on change."""
        with self._lock:
            if dict(status) != self._status:
                self._status = dict(status)
                self._bump()

    # -- paths -----------------------------------------------------------------------------------
    def display_path(self, path: str | None) -> str | None:
        """A path as saved or shown: relative to the notebook's directory, never absolute."""
        if not path or "://" in path:
            return path
        if not os.path.isabs(path):
            return Path(path).as_posix()
        try:
            return Path(os.path.relpath(path, self.base_dir)).as_posix()
        except ValueError:  # another drive
            return Path(path).name

    # -- findings --------------------------------------------------------------------------------
    def add_findings(
        self, findings: Iterable[Finding], subjects: Mapping[str, Subject] | None = None
    ) -> list[Finding]:
        """Record findings (``subjects`` says what each is about, by fingerprint); returns the
        ones to show: new or changed, and not waived."""
        news: list[Finding] = []
        with self._lock:
            version = self.version + 1
            changed = False
            for f in findings:
                if f.fingerprint in self._superseded:
                    continue  # the load made by that call speaks for it
                old = self._findings.get(f.fingerprint)
                subject = (subjects or {}).get(f.fingerprint) or (old.subject if old else None)
                entry = _FindingEntry(f, subject, self._waiver_id(f, subject))
                if old is None or old.to_dict() != entry.to_dict() or old.subject != subject:
                    self._findings.put(f.fingerprint, entry, version)
                    changed = True
                if entry.waiver is None and (
                    old is None
                    or (old.finding.severity, old.finding.message) != (f.severity, f.message)
                ):
                    news.append(f)
            if changed:
                self._bump()
        return news

    def _waiver_id(self, finding: Finding, subject: Subject | None) -> str | None:
        record = self.waivers.matching(lambda w: w.matches(finding, subject=subject))
        return record.id if record else None

    def is_waived(self, finding: Finding) -> bool:
        with self._lock:
            entry = self._findings.get(finding.fingerprint)
            subject = entry.subject if entry else None
            return self._waiver_id(finding, subject) is not None

    def active_findings(self) -> list[Finding]:
        with self._lock:
            return sort_findings(e.finding for e in self._findings.values() if e.waiver is None)

    def findings_covered_by(
        self, predicate: Callable[[Finding, Subject | None], bool]
    ) -> list[str]:
        """Fingerprints of active findings for which ``predicate(finding, subject)`` holds."""
        with self._lock:
            return [
                e.finding.fingerprint
                for e in self._findings.values()
                if e.waiver is None and predicate(e.finding, e.subject)
            ]

    # -- waivers ---------------------------------------------------------------------------------
    def waivers_changed(self) -> None:
        """The waiver book changed: refresh the waiver list and which findings it covers."""
        with self._lock:
            version = self.version + 1
            current = {r.id: r.to_dict() for r in self.waivers}
            for key in list(self._waiver_view):
                if key not in current:
                    self._waiver_view.drop(key, version)
            for key, data in current.items():
                if self._waiver_view.get(key) != data:
                    self._waiver_view.put(key, data, version)
            for fingerprint, entry in self._findings.items():
                waiver = self._waiver_id(entry.finding, entry.subject)
                if waiver != entry.waiver:
                    self._findings.put(
                        fingerprint, _FindingEntry(entry.finding, entry.subject, waiver), version
                    )
            self._bump()

    # -- frames ----------------------------------------------------------------------------------
    @property
    def frames(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._frames.items())

    def set_frame(self, name: str, summary: dict[str, Any]) -> None:
        with self._lock:
            self._frames.put(name, summary, self._bump())

    def drop_frame(self, name: str) -> None:
        with self._lock:
            if name in self._frames:
                self._frames.drop(name, self._bump())

    # -- models ----------------------------------------------------------------------------------
    @property
    def models(self) -> list[dict[str, Any]]:
        """The models inventory: one row per file (sha256, else path) or download source."""
        with self._lock:
            return self._models.values()

    def add_load(
        self,
        event: Mapping[str, Any],
        findings: Iterable[Finding] = (),
        own: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Count one load or download (a guard event as a dict) in its inventory row."""
        kind = "download" if event.get("kind") == "download" else "load"
        sha256 = event.get("sha256") or None
        path = self.display_path(event.get("path") or None)
        source = event.get("source") or None
        if kind == "download":
            key = f"download:{source or path}@{event.get('revision') or ''}"
        else:
            key = sha256 or f"path:{path or source or event.get('api')}"
        cell = event.get("cell") if isinstance(event.get("cell"), Mapping) else None
        with self._lock:
            old = self._models.get(key)
            row = {
                "key": key,
                "kind": kind,
                "api": str(event.get("api") or "?"),
                "path": path,
                "source": source if source != event.get("path") else path,
                "sha256": sha256,
                "verdict": event.get("verdict"),
                "action": event.get("action"),
                "loads": (old["loads"] if old else 0) + 1,
                "globals": [str(g) for g in (event.get("globals") or [])][:200],
                "reason": event.get("reason"),
                "own": dict(own) if own else (old["own"] if old else None),
                "last_cell": _cell_ref(cell),
                "revision": event.get("revision"),
                "pinned": event.get("pinned"),
                "trusted": bool(event.get("trusted")),
            }
            self._models.put(key, row, self._bump())
            fingerprints = [f.fingerprint for f in findings]
            self._model_findings.setdefault(key, set()).update(fingerprints)
            self._load_findings.update(fingerprints)
            return row

    def supersede_call_sites(self, findings: Iterable[Finding]) -> dict[str, Finding]:
        """A load's finding stands for the source check's finding on the call that made the
        load (same rule, cell and line): one load, one finding. That call-site finding leaves
        the list and the counts, and re-runs of the cell do not bring it back. Returns the load
        finding for each call-site finding it replaced, by the call-site finding's
        fingerprint."""
        replaced: dict[str, Finding] = {}
        with self._lock:
            version = self.version + 1
            for load in findings:
                where = load.location
                if where.line is None or not where.cell_id:
                    continue
                for fingerprint, entry in self._findings.items():
                    site = entry.finding
                    if (
                        fingerprint == load.fingerprint
                        or fingerprint in self._load_findings
                        or site.rule != load.rule
                        or site.location.cell_id != where.cell_id
                        or site.location.line != where.line
                        or site.location.output_index is not None
                    ):
                        continue
                    self._findings.drop(fingerprint, version)
                    self._superseded[fingerprint] = load.fingerprint
                    replaced[fingerprint] = load
            if replaced:
                self._bump()
        return replaced

    def model_subject(self, key: str) -> Subject:
        with self._lock:
            row = self._models.get(key) or {}
            return Subject(sha256=row.get("sha256"), path=row.get("path"))

    # -- lineage and jobs ------------------------------------------------------------------------
    @property
    def lineage(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._lineage)

    def set_lineage(self, summary: Mapping[str, Any], cell: Mapping[str, Any] | None) -> None:
        """The session's lineage summary and, after a cell, that cell's compact record (which
        replaces the one of the same ``seq``, sent before its file hashes were known)."""
        with self._lock:
            version = self._bump()
            self._lineage = dict(summary)
            self._lineage_version = version
            if cell is not None:
                seq = cell.get("seq")
                self._cells = [(v, c) for v, c in self._cells if c.get("seq") != seq]
                self._cells.append((version, dict(cell)))
                del self._cells[:-MAX_LINEAGE_CELLS]

    def put_job(self, job: Mapping[str, Any]) -> None:
        with self._lock:
            self._scans.put(str(job["id"]), dict(job), self._bump())

    def drop_job(self, job_id: str) -> None:
        with self._lock:
            if job_id in self._scans:
                self._scans.drop(job_id, self._bump())

    # -- views -----------------------------------------------------------------------------------
    def _counts(self) -> dict[str, int]:
        return count_by_severity(e.finding for e in self._findings.values() if e.waiver is None)

    def _findings_list(self, entries: list[_FindingEntry]) -> list[dict[str, Any]]:
        """Findings in report order (worst first), with their waiver ids."""
        by_id = {id(e.finding): e for e in entries}
        return [by_id[id(f)].to_dict() for f in sort_findings(e.finding for e in entries)]

    def to_state(self) -> dict[str, Any]:
        """The full state (``get_state``), in the protocol's ``state`` shape."""
        with self._lock:
            entries = self._findings.values()
            return {
                "version": self.version,
                "status": dict(self._status),
                "counts": self._counts(),
                "findings": self._findings_list(entries),
                "frames": dict(self._frames.items()),
                "models": self._models.values(),
                "waivers": self._waiver_view.values(),
                "lineage": {
                    "summary": self._lineage_summary(),
                    "cells": [c for _, c in self._cells],
                },
                "scans": self._scans.values(),
            }

    def delta(self, base: int, max_items: int) -> dict[str, Any]:
        """What changed since version ``base`` (the protocol's ``update``); ``resync: true``
        when the change is too large to list or ``base`` is older than what is kept."""
        with self._lock:
            update: dict[str, Any] = {
                "base": base,
                "version": self.version,
                "status": dict(self._status),
                "counts": self._counts(),
            }
            maps: dict[str, VersionedMap[Any]] = {
                "findings": self._findings,
                "frames": self._frames,
                "models": self._models,
                "waivers": self._waiver_view,
                "scans": self._scans,
            }
            if base > self.version or any(base < m.horizon for m in maps.values()):
                update["resync"] = True
                return update
            size = 0
            for name, mapping in maps.items():
                upserts, removes = mapping.since(base)
                size += len(upserts) + len(removes)
                if not upserts and not removes:
                    continue
                values: Any
                if name == "frames":
                    values = dict(upserts)
                elif name == "findings":
                    values = self._findings_list([v for _, v in upserts])
                else:
                    values = [v for _, v in upserts]
                update[name] = {"upsert": values, "remove": removes}
            cells = [c for v, c in self._cells if v > base]
            if self._lineage_version > base:
                update["lineage"] = {"summary": self._lineage_summary(), "cells": cells}
                size += len(cells)
            if size > max_items:
                for name in (*maps, "lineage"):
                    update.pop(name, None)
                update["resync"] = True
            return update

    def _lineage_summary(self) -> dict[str, Any]:
        data = self._lineage
        return {
            "session_id": data.get("session_id"),
            "ledger": data.get("ledger"),
            "ledger_head": data.get("ledger_head"),
            "ledger_lines": int(data.get("ledger_lines") or 0),
            "cells_recorded": int(data.get("cells_recorded") or 0),
            "sources": [self._access(s) for s in data.get("sources", [])[:MAX_SOURCES]],
        }

    def _access(self, access: Mapping[str, Any]) -> dict[str, Any]:
        out = {
            "uri": self.display_path(str(access.get("uri"))) or "",
            "kind": access.get("kind", "file"),
            "sha256": access.get("sha256"),
        }
        if access.get("partial"):
            out["partial"] = True
        return out

    def summary(self) -> dict[str, Any]:
        """The governance summary saved in the notebook's ``metadata.nbsec``: relative paths,
        no host details, no values."""
        with self._lock:
            active = [e.finding for e in self._findings.values() if e.waiver is None]
            lineage = self._lineage
            ledger = None
            if lineage.get("ledger") and lineage.get("ledger_head"):
                ledger = {
                    "path": lineage["ledger"],
                    "session_id": str(lineage.get("session_id") or ""),
                    "lines": int(lineage.get("ledger_lines") or 0),
                    "head": lineage["ledger_head"],
                    "keyed": bool(lineage.get("ledger_keyed")),
                }
            return {
                "v": 2,
                "counts": count_by_severity(active),
                "findings": len(active),
                "rules": sorted({f.rule for f in active}),
                "frames_with_pii": sorted(
                    n for n, s in self._frames.items() if s.get("pii_columns")
                ),
                "models": [
                    {
                        "api": m["api"],
                        "path": m["path"],
                        "source": m["source"],
                        "sha256": m["sha256"],
                        "verdict": m["verdict"],
                        "action": m["action"],
                        "loads": m["loads"],
                        "own": m["own"] is not None,
                        "pinned": m["pinned"],
                    }
                    for m in self._models.values()
                ][:500],
                "data_sources": [self._access(s) for s in lineage.get("sources", [])][:MAX_SOURCES],
                "ledger": ledger,
                "waivers": self.waivers.saved()[:500],
                "governance": dict(self._governance),
            }


def _cell_ref(cell: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not cell:
        return None
    return {
        "cell_id": cell.get("cell_id"),
        "cell_index": cell.get("cell_index"),
        "execution_count": cell.get("execution_count"),
    }
