"""Subcommands of the ``nbsec`` command line, one module each (see :mod:`nbsec.cli`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from nbsec.policy import Policy, load_policy, load_policy_file


def policy_for(args: argparse.Namespace, start: str | Path | None = None) -> Policy:
    """The policy for a command: ``--policy FILE`` if given, else the one found from ``start``."""
    if getattr(args, "policy", None):
        return load_policy_file(args.policy)
    return load_policy(start)


def one_line_error(exc: BaseException) -> str:
    """An unexpected failure on one input, as one line: ``internal error (ValueError: ...)``."""
    if isinstance(exc, RecursionError | MemoryError):
        return f"too complex to analyse ({type(exc).__name__})"
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return (
        f"internal error ({type(exc).__name__}: {text})"
        if text
        else (f"internal error ({type(exc).__name__})")
    )
