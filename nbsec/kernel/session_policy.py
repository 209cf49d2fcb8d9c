"""The policy in force in one kernel: the policy file plus what the session changed.

The file is found from the kernel's working directory (``load_policy``). A broken file never
breaks the kernel: the error is kept (shown on load and in ``%nbsec status``) and the defaults
apply until ``%nbsec policy --reload``. On top of the file the session may switch the mode
(``%nbsec mode``, the panel), turn watching off and on, and add waivers (``%nbsec allow``);
:meth:`SessionPolicy.effective_policy` merges them, cached until the next change, so every
watcher sees a change at once.

Implements :class:`nbsec.kernel.context.SessionControl`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

from nbsec.errors import NbsecError
from nbsec.kernel.context import Services
from nbsec.kernel.session_state import SessionState, SessionWaiver
from nbsec.policy import Policy, Waiver, load_policy

_RULE_OR_FAMILY = re.compile(r"NBS-(PII|SEC|PKL|MDL|SRC|LIN)(-\d{3})?")
_SHA256 = re.compile(r"(sha256:)?[0-9a-fA-F]{64}")


class SessionPolicy:
    def __init__(self, state: SessionState, services: Services, start: Path) -> None:
        self._state = state
        self._services = services
        self._start = start
        self._enabled = True
        self._effective: Policy | None = None
        self.policy_error: str | None = None
        self.file_policy = self._load()
        # called with the new on/off value (the extension tells its watchers)
        self.on_enabled: list[Callable[[bool], None]] = []

    def _load(self) -> Policy:
        try:
            self.policy_error = None
            return load_policy(self._start)
        except NbsecError as exc:
            self.policy_error = str(exc)
            return Policy()

    # -- PolicySource ----------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self._enabled

    def effective_policy(self) -> Policy:
        """The policy file's settings plus the session's mode and waivers."""
        if self._effective is None:
            waivers = self._state.waivers
            policy = self.file_policy
            self._effective = dataclasses.replace(
                policy,
                allow_paths=policy.allow_paths
                + tuple(w.target for w in waivers if w.kind == "path"),
                allow_sha256=policy.allow_sha256
                + tuple(w.target for w in waivers if w.kind == "sha256"),
                waivers=policy.waivers
                + tuple(
                    Waiver(reason=w.reason, rule=w.target) for w in waivers if w.kind == "rule"
                ),
            )
        return self._effective

    # -- SessionControl --------------------------------------------------------------------------
    def reload_policy(self) -> Policy:
        self.file_policy = self._load()
        self._effective = None
        self._state.touch()
        return self.file_policy

    def set_mode(self, mode: str) -> None:
        if mode not in ("warn", "block"):
            raise ValueError(f"mode must be warn or block, not {mode!r}")
        self.file_policy = dataclasses.replace(self.file_policy, mode=mode)
        self._effective = None
        self._state.touch()

    def set_enabled(self, enabled: bool) -> None:
        self._enabled = enabled
        self._state.touch()
        for listener in list(self.on_enabled):
            listener(enabled)

    def allow(self, target: str, reason: str) -> SessionWaiver:
        """Record a waiver for a rule (or family), a path glob or a sha256 in this session."""
        target = target.strip()
        if not reason.strip():
            raise ValueError("a waiver needs a reason (--reason ...)")
        if _RULE_OR_FAMILY.fullmatch(target):
            kind = "rule"
        elif _SHA256.fullmatch(target):
            kind, target = "sha256", target.lower().removeprefix("sha256:")
        elif target:
            kind = "path"
        else:
            raise ValueError("nothing to allow: give a rule id, a path or a sha256")
        waiver = SessionWaiver(target=target, kind=kind, reason=reason.strip())
        self._state.add_waiver(waiver)
        self._effective = None
        lineage = self._services.lineage
        if lineage is not None:
            lineage.record_waiver(waiver.to_dict())
        return waiver
