"""Errors nbsec raises on purpose.

Every error a user can cause (a bad policy, a malformed notebook, a missing file, a wrong
argument) is an :class:`NbsecError` whose message is one line that names the file or argument at
fault. The CLI prints that line and exits 2; anything else is a bug, reported as an internal error.
"""

from __future__ import annotations


class NbsecError(Exception):
    """Base class of the errors nbsec reports to users as one line."""


class UsageError(NbsecError):
    """A command was called with arguments that cannot work."""


class InputError(NbsecError):
    """A file to scan could not be read or parsed (malformed notebook, truncated archive, ...)."""


class PolicyError(NbsecError):
    """A policy file is invalid; the message names the file and the key."""


class BlockedLoad(NbsecError):
    """Raised instead of loading an untrusted model or pickle when the policy mode is ``block``."""

    def __init__(self, reason: str, *, path: str | None = None, verdict: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path
        self.verdict = verdict
