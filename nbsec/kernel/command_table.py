"""The two extension points of the front ends: ``%nbsec`` subcommands and comm requests.

Each area keeps its own module (``session_commands``, ``frame_commands``, ``model_commands``,
``lineage_commands``, ``report_commands``) with two tables:

* ``MAGICS: dict[str, MagicCommand]`` -- ``%nbsec <name> ...`` calls ``fn(context, argv)``; a bad
  argument raises :class:`BadArguments` (or ``ValueError`` for a one-line message without the
  usage), and the return value is displayed;
* ``REQUESTS: dict[str, RequestHandler]`` -- a validated comm request of type ``<name>`` calls
  ``fn(context, payload)`` and its return value is the reply payload; :class:`RequestError` is
  sent back as the reply's error text.

``magics.py`` and ``comm_target.py`` merge the areas' tables. Adding a subcommand or a request is
a function and a table row in the area's module (plus, for a request, its message schema in
``protocol.py``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.kernel.context import FrontEndContext

MagicCommand = Callable[["FrontEndContext", list[str]], Any]
RequestHandler = Callable[["FrontEndContext", dict[str, Any]], dict[str, Any]]


class BadArguments(Exception):
    """A ``%nbsec`` subcommand got arguments it does not take; shown with the usage line."""


class RequestError(Exception):
    """A valid request that cannot be done (no such frame, ...); sent back as the error text
    with ``code`` as the reply's ``error_code`` (``not_found``, ``locked``, ``unavailable``,
    ``failed``)."""

    def __init__(self, text: str, code: str = "failed") -> None:
        super().__init__(text)
        self.code = code


class ArgParser(argparse.ArgumentParser):
    """argparse that raises :class:`BadArguments` instead of exiting the kernel."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise BadArguments(f"{self.prog}: {message}")


def parser(subcommand: str) -> ArgParser:
    return ArgParser(prog=f"%nbsec {subcommand}", add_help=False)
