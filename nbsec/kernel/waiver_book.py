"""The waivers in force in one kernel session, each with an exact scope, a reason and an origin.

A waiver comes from the policy file (``origin: policy``), from the notebook's saved
``metadata.nbsec`` (``notebook``) or from this session (``session``: ``%nbsec allow`` or the
panel). Its scope is one of (the protocol's ``scope``)::

    {"kind": "finding", "fingerprint": "sha256:..."}   one finding
    {"kind": "file", "sha256": "<64 hex>", "path": ...} one file by content: admits it to load
    {"kind": "path", "path": "models/*.pkl"}            files matching a glob: admits them
    {"kind": "column", "frame": "df", "column": "email"} personal data found in one column
    {"kind": "rule", "rule": "NBS-PII-001"}             a rule or family, only when asked for

Only ``file`` and ``path`` admit a file; the others change reporting only. A file waiver read
from a notebook is *not* trusted: anyone can write a notebook's metadata, so it is listed
inactive until confirmed in this session (``%nbsec allow`` of the same file, or the panel).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from nbsec.policy import Waiver

_RULE_OR_FAMILY = re.compile(r"NBS-(PII|SEC|PKL|MDL|SRC|LIN)(-\d{3})?")
_SHA256 = re.compile(r"(?:sha256:)?([0-9a-fA-F]{64})")
_FINGERPRINT = re.compile(r"sha256:[0-9a-f]{64}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ORIGINS = ("policy", "notebook", "session")
NOT_CONFIRMED = (
    "a file waiver saved in the notebook is not trusted until it is confirmed in this session"
)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def scope_of(waiver: Waiver) -> dict[str, Any]:
    """The protocol scope of a policy waiver."""
    scope: dict[str, Any]
    if waiver.sha256 is not None:
        scope = {"kind": "file", "sha256": waiver.sha256}
    elif waiver.file is not None:
        scope = {"kind": "path", "path": waiver.file}
    elif waiver.fingerprint is not None:
        scope = {"kind": "finding", "fingerprint": waiver.fingerprint}
    elif waiver.frame is not None:
        scope = {"kind": "column", "frame": waiver.frame, "column": waiver.column}
    elif waiver.rule is not None:
        scope = {"kind": "rule", "rule": waiver.rule}
    else:
        scope = {"kind": "notebook"}
    if waiver.path is not None and scope["kind"] in ("finding", "column", "rule", "notebook"):
        scope["notebooks"] = waiver.path
    return scope


def waiver_of(scope: Mapping[str, Any], reason: str, expires: dt.date | None = None) -> Waiver:
    """The policy waiver for a scope; raises ``ValueError`` with a one-line reason."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a waiver needs a reason: say why this is acceptable (--reason ...)")
    kind = scope.get("kind")
    notebooks = scope.get("notebooks")
    if kind == "file":
        match = _SHA256.fullmatch(str(scope.get("sha256", "")))
        if match is None:
            raise ValueError("a file waiver needs the file's sha256 (64 hex digits)")
        return Waiver(reason=reason, sha256=match.group(1).lower(), expires=expires)
    if kind == "path":
        path = str(scope.get("path", "")).strip()
        if not path:
            raise ValueError("a path waiver needs a path or glob")
        return Waiver(reason=reason, file=path, expires=expires)
    if kind == "finding":
        fingerprint = str(scope.get("fingerprint", ""))
        if not _FINGERPRINT.fullmatch(fingerprint):
            raise ValueError("a finding waiver needs the finding's fingerprint (sha256:...)")
        return Waiver(reason=reason, fingerprint=fingerprint, path=notebooks, expires=expires)
    if kind == "column":
        frame, column = str(scope.get("frame", "")), str(scope.get("column", ""))
        if not _IDENTIFIER.fullmatch(frame) or not column:
            raise ValueError("a column waiver needs a frame name and a column name")
        return Waiver(reason=reason, frame=frame, column=column, path=notebooks, expires=expires)
    if kind == "rule":
        rule = str(scope.get("rule", ""))
        if not _RULE_OR_FAMILY.fullmatch(rule):
            raise ValueError(
                f"not a rule id or family: {rule[:40]!r} (like NBS-PII-001 or NBS-PII)"
            )
        return Waiver(reason=reason, rule=rule, path=notebooks, expires=expires)
    if kind == "notebook" and notebooks:
        return Waiver(reason=reason, path=str(notebooks), expires=expires)
    raise ValueError(f"unknown waiver scope {str(kind)[:20]!r}")


@dataclass
class WaiverRecord:
    """One waiver as the session knows it."""

    waiver: Waiver
    origin: str
    at: str = field(default_factory=_now)
    active: bool = True
    note: str | None = None
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            key = json.dumps([self.origin, scope_of(self.waiver)], sort_keys=True)
            self.id = "w-" + hashlib.sha256(key.encode()).hexdigest()[:12]

    @property
    def scope(self) -> dict[str, Any]:
        return scope_of(self.waiver)

    def applies(self, today: dt.date | None = None) -> bool:
        return self.active and not self.waiver.expired(today)

    def to_dict(self) -> dict[str, Any]:
        """The protocol's ``waiver`` (also what ``metadata.nbsec.waivers`` keeps)."""
        note = self.note
        if note is None and self.waiver.expired():
            note = f"expired on {self.waiver.expires}"
        return {
            "id": self.id,
            "scope": self.scope,
            "reason": self.waiver.reason,
            "at": self.at,
            "expires": self.waiver.expires.isoformat() if self.waiver.expires else None,
            "origin": self.origin,
            "covers": self.waiver.describe(),
            "admits_file": self.waiver.admits_file,
            "active": self.applies(),
            "note": note,
        }

    @classmethod
    def from_saved(cls, data: Mapping[str, Any]) -> WaiverRecord:
        """A waiver read back from a notebook's ``metadata.nbsec.waivers`` (or a v1 entry
        ``{target, kind, reason, at}``); raises ``ValueError`` when it is malformed."""
        if not isinstance(data, Mapping):
            raise ValueError("not a table")
        if "scope" in data:
            scope = data["scope"]
        else:  # protocol 1 entries
            kind, target = data.get("kind"), data.get("target")
            scope = {
                "rule": {"kind": "rule", "rule": target},
                "sha256": {"kind": "file", "sha256": target},
                "path": {"kind": "path", "path": target},
            }.get(str(kind), {})
        if not isinstance(scope, Mapping):
            raise ValueError("bad scope")
        expires = data.get("expires")
        waiver = waiver_of(
            scope,
            str(data.get("reason", "")),
            dt.date.fromisoformat(expires) if isinstance(expires, str) else None,
        )
        at = data.get("at")
        record = cls(waiver, "notebook", at=at if isinstance(at, str) else _now())
        if waiver.admits_file:
            record.active, record.note = False, NOT_CONFIRMED
        return record


class WaiverBook:
    """Every waiver of the session, by id, in the order they were given."""

    def __init__(self) -> None:
        self._records: dict[str, WaiverRecord] = {}

    def __iter__(self) -> Iterator[WaiverRecord]:
        return iter(list(self._records.values()))

    def __len__(self) -> int:
        return len(self._records)

    def get(self, waiver_id: str) -> WaiverRecord | None:
        return self._records.get(waiver_id)

    def add(self, record: WaiverRecord) -> WaiverRecord:
        """Add or replace (same origin and scope) a waiver. A session waiver confirms an
        inactive notebook waiver of the same scope."""
        if record.origin == "session":
            for other in self._records.values():
                if other.origin == "notebook" and other.scope == record.scope:
                    other.active, other.note = False, "replaced by a waiver given in this session"
        self._records[record.id] = record
        return record

    def remove(self, waiver_id: str) -> WaiverRecord | None:
        return self._records.pop(waiver_id, None)

    def set_policy(self, waivers: Iterable[Waiver]) -> None:
        """Replace the waivers that come from the policy file."""
        for key in [k for k, r in self._records.items() if r.origin == "policy"]:
            del self._records[key]
        for waiver in waivers:
            self.add(WaiverRecord(waiver, "policy", at=""))

    def session_waivers(self) -> tuple[Waiver, ...]:
        """Active waivers given in the session or kept by the notebook (not the policy's)."""
        return tuple(r.waiver for r in self if r.origin != "policy" and r.applies())

    def matching(self, predicate: Callable[[Waiver], bool]) -> WaiverRecord | None:
        for record in self:
            if record.applies() and predicate(record.waiver):
                return record
        return None

    def saved(self) -> list[dict[str, Any]]:
        """The waivers a notebook keeps (its own and the session's; not the policy's)."""
        return [r.to_dict() for r in self if r.origin != "policy"]
