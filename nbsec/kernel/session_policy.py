"""The policy in force in one kernel: the policy file plus what the session changed.

The file is found from the notebook's directory (``load_policy``). A broken file never breaks the
kernel: the error is kept (shown on load and in ``%nbsec status``) and the defaults apply until
``%nbsec policy --reload``. On top of the file the session may switch the mode (``%nbsec mode``,
the panel), turn watching off and on, and add or revoke waivers; :meth:`effective_policy`
merges them, cached until the next change, so every watcher sees a change at once.

A policy with ``locked = true`` makes its mode final: switching it or turning nbsec off is
refused with :class:`ModeLocked` and the attempt is recorded in the ledger. Waivers are kept in
the session's :class:`~nbsec.kernel.waiver_book.WaiverBook`; the file's own waivers are listed
there too (``origin: policy``).

Implements :class:`nbsec.kernel.context.SessionControl`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nbsec.errors import NbsecError
from nbsec.kernel.context import Services
from nbsec.kernel.session_state import SessionState
from nbsec.kernel.waiver_book import WaiverRecord, waiver_of
from nbsec.policy import Policy, append_waiver, load_policy


class ModeLocked(ValueError):
    """The policy locks the mode; the text says so in one line."""


class SessionPolicy:
    def __init__(self, state: SessionState, services: Services, start: Path) -> None:
        self._state = state
        self._services = services
        self._start = start
        self._enabled = True
        self._mode: str | None = None  # the session's choice, when it differs from the file
        self._effective: Policy | None = None
        self.policy_error: str | None = None
        self.file_policy = self._load()
        # called with the new on/off value (the extension tells its watchers)
        self.on_enabled: list[Callable[[bool], None]] = []
        self._sync_state()

    def _load(self) -> Policy:
        try:
            self.policy_error = None
            policy = load_policy(self._start)
        except NbsecError as exc:
            self.policy_error = str(exc)
            policy = Policy()
        self._state.waivers.set_policy(policy.waivers)
        return policy

    def _changed(self) -> None:
        self._effective = None
        self._sync_state()

    def _sync_state(self) -> None:
        self._state.waivers_changed()
        self._state.set_status(self.status())

    def _record(self, kind: str, data: Mapping[str, Any]) -> None:
        lineage = self._services.lineage
        if lineage is not None:
            lineage.record_event(kind, data)

    # -- PolicySource ----------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def locked(self) -> bool:
        return self.file_policy.locked

    def effective_policy(self) -> Policy:
        """The policy file's settings plus the session's mode and waivers."""
        policy = self._effective
        if policy is None:
            base = self.file_policy
            mode = base.mode if base.locked or self._mode is None else self._mode
            policy = dataclasses.replace(
                base, mode=mode, waivers=base.waivers + self._state.waivers.session_waivers()
            )
            self._effective = policy
        return policy

    def status(self) -> dict[str, Any]:
        """The protocol's ``status``: the mode the kernel enforces, and why."""
        source = self.file_policy.source
        return {
            "mode": self.effective_policy().mode,
            "enabled": self._enabled,
            "locked": self.locked,
            "policy_file": self._state.display_path(str(source)) if source else None,
            "policy_error": self.policy_error,
        }

    # -- SessionControl --------------------------------------------------------------------------
    def reload_policy(self) -> Policy:
        self.file_policy = self._load()
        self._mode = None
        self._changed()
        return self.file_policy

    def _refuse(self, what: str) -> ModeLocked:
        source = self.file_policy.source
        where = self._state.display_path(str(source)) if source else "the policy"
        self._record("refused", {"what": what, "mode": self.file_policy.mode})
        return ModeLocked(
            f"{where} locks the mode to {self.file_policy.mode}; {what} is refused "
            "(the attempt is recorded in the session ledger)"
        )

    def set_mode(self, mode: str) -> None:
        if mode not in ("warn", "block"):
            raise ValueError(f"mode must be warn or block, not {mode!r}")
        if self.locked and mode != self.file_policy.mode:
            raise self._refuse(f"switching to {mode} mode")
        if mode != self.effective_policy().mode:
            self._record("mode", {"mode": mode})
        self._mode = mode
        self._changed()

    def set_enabled(self, enabled: bool) -> None:
        if self.locked and not enabled:
            raise self._refuse("turning nbsec off")
        if enabled != self._enabled:
            self._record("enabled", {"enabled": enabled})
        self._enabled = enabled
        self._changed()
        for listener in list(self.on_enabled):
            listener(enabled)

    def preview(
        self, scope: Mapping[str, Any], reason: str, expires: dt.date | None = None
    ) -> tuple[WaiverRecord, list[str]]:
        """The waiver a scope would make, and the active findings it would cover."""
        waiver = waiver_of(scope, reason, expires)
        record = WaiverRecord(waiver, "session")
        covers = self._state.findings_covered_by(
            lambda f, subject: waiver.matches(f, subject=subject)
        )
        return record, covers

    def allow(
        self, scope: Mapping[str, Any], reason: str, expires: dt.date | None = None
    ) -> tuple[WaiverRecord, list[str]]:
        """Record a waiver of exactly ``scope`` in this session (and the ledger)."""
        record, covers = self.preview(scope, reason, expires)
        self._state.waivers.add(record)
        self._record("waiver", record.to_dict())
        self._changed()
        return record, covers

    def revoke(self, waiver_id: str) -> WaiverRecord:
        record = self._state.waivers.get(waiver_id)
        if record is None:
            raise KeyError(waiver_id)
        if record.origin == "policy":
            raise ValueError("this waiver is in the policy file; change it there")
        self._state.waivers.remove(waiver_id)
        self._record("revoke", {"id": waiver_id, "scope": record.scope})
        self._changed()
        return record

    def write_waiver(self, waiver_id: str) -> tuple[WaiverRecord, Path]:
        """Append a session or notebook waiver to the policy file (``nbsec.toml`` beside the
        notebook when there is none); it then comes from the policy."""
        record = self._state.waivers.get(waiver_id)
        if record is None:
            raise KeyError(waiver_id)
        if record.origin == "policy":
            raise ValueError("this waiver is in the policy file already")
        if self.locked:
            raise self._refuse("writing a waiver into the locked policy file")
        target = self.file_policy.source or (self._state.base_dir / "nbsec.toml")
        append_waiver(target, record.waiver)
        self._state.waivers.remove(waiver_id)
        self._record("waiver_written", {"id": waiver_id, "policy_file": target.name})
        self.file_policy = self._load()
        self._changed()
        written = self._state.waivers.get(WaiverRecord(record.waiver, "policy").id)
        return (written or record), target

    def restore(self, saved: list[Any]) -> list[str]:
        """Waivers a notebook kept in ``metadata.nbsec``; returns one-line problems."""
        problems = []
        for i, item in enumerate(saved[:500]):
            try:
                record = WaiverRecord.from_saved(item)
            except (ValueError, TypeError) as exc:
                problems.append(f"metadata.nbsec.waivers[{i}]: {exc}")
                continue
            if self._state.waivers.get(record.id) is None:
                self._state.waivers.add(record)
        if saved:
            self._changed()
        return problems
