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
