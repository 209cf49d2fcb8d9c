"""The record of one guarded model load or download: what the ledger stores and the panel shows.

A :class:`LoadEvent` is made by the runtime guard for every load it sees (``kind="load"``) and by
the download provenance wrappers for every model download (``kind="download"``). It carries what
the file was (path, sha256, size), what the static scanner said about it (verdict, globals), what
the unpickler actually resolved at run time (``resolved_globals``, from the audit hook), where it
came from (source, requested revision, whether that revision is a pinned commit) and what the guard
did (``action``). The kernel fills ``cell`` with its cell marker; the guard leaves it ``None``.

Nothing in an event is a raw secret or personal value: paths, hashes, global names and URLs only.
URLs have their user-info and query string removed before they are stored (see
:func:`nbsec.models.provenance.redact_url`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from nbsec.findings import Finding

KINDS = ("load", "download")
ACTIONS = ("allowed", "warned", "blocked")


@dataclass
class LoadEvent:
    """One guarded load or download. Mutable only while the guard finishes it (resolved globals
    are added after the load returns); treat it as read-only once reported."""

    kind: str
    api: str
    path: str | None = None
    source: str | None = None
    revision: str | None = None
    resolved_revision: str | None = None
    pinned: bool = False
    sha256: str | None = None
    size: int | None = None
    verdict: str | None = None
    globals: list[str] = field(default_factory=list)
    resolved_globals: list[str] = field(default_factory=list)
    action: str = "allowed"
    reason: str = ""
    findings: list[Finding] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    trusted: bool = False
    cell: dict[str, Any] | None = None
    timestamp: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"LoadEvent.kind must be one of {KINDS}, got {self.kind!r}")
        if self.action not in ACTIONS:
            raise ValueError(f"LoadEvent.action must be one of {ACTIONS}, got {self.action!r}")

    @property
    def message(self) -> str:
        """One line for a warning or a log: what was loaded, what nbsec found, what it did."""
        what = self.path or self.source or "<in-memory data>"
        text = f"nbsec: {self.api} of {what}"
        if self.verdict:
            text += f": {self.verdict}"
        if self.reason:
            text += f" ({self.reason})"
        if self.action == "warned":
            text += " - loaded anyway because the policy mode is warn"
        elif self.action == "blocked":
            text += " - blocked before anything was unpickled"
            if self.sha256:
                text += (
                    f"; to load this exact file anyway: %nbsec allow {self.sha256} --reason "
                    "'...' (or allow_sha256 in nbsec.toml)"
                )
            elif self.path:
                text += "; to load it anyway, add its path to allow_paths in nbsec.toml"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by the ledger and the panel."""
        return {
            "kind": self.kind,
            "api": self.api,
            "path": self.path,
            "source": self.source,
            "revision": self.revision,
            "resolved_revision": self.resolved_revision,
            "pinned": self.pinned,
            "sha256": self.sha256,
            "size": self.size,
            "verdict": self.verdict,
            "globals": list(self.globals),
            "resolved_globals": list(self.resolved_globals),
            "action": self.action,
            "reason": self.reason,
            "trusted": self.trusted,
            "findings": [f.to_dict() for f in self.findings],
            "files": [dict(f) for f in self.files],
            "cell": self.cell,
            "timestamp": self.timestamp,
        }
