"""The ``%nbsec`` magics.

``%nbsec`` alone (or ``%nbsec status``) shows what nbsec is doing in this kernel; ``%nbsec on`` /
``%nbsec off`` switch the watching on and off; ``%nbsec policy`` shows the effective policy and
``%nbsec policy --reload`` reads it again. Each returns a rich object (text and HTML) that is also
usable in code; a bad argument prints a one-line usage message.
"""

from __future__ import annotations

import html
import shlex
import sys
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, line_magic, magics_class

if TYPE_CHECKING:
    from nbsec.kernel.extension import NbsecExtension

USAGE = "usage: %nbsec [status | on | off | policy [--reload]]"


class TableView(dict[str, Any]):
    """A dict that displays as a two-column table (text and HTML, every value escaped)."""

    def __init__(self, title: str, rows: dict[str, Any]) -> None:
        super().__init__(rows)
        self.title = title

    def __repr__(self) -> str:
        width = max((len(k) for k in self), default=0)
        lines = [self.title] + [f"  {k:<{width}}  {_plain(v)}" for k, v in self.items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(_plain(v))}</td></tr>"
            for k, v in self.items()
        )
        return (
            f"<div class='nbsec-table'><strong>{html.escape(self.title)}</strong>"
            f"<table>{rows}</table></div>"
        )


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) if value else "-"
    return str(value)


@magics_class
class NbsecMagics(Magics):
    """``%nbsec`` and its subcommands."""

    def __init__(self, shell: Any, extension: NbsecExtension) -> None:
        super().__init__(shell)
        self.extension = extension

    @line_magic("nbsec")  # type: ignore[arg-type]
    def nbsec(self, line: str) -> TableView | None:
        try:
            args = shlex.split(line)
        except ValueError as exc:
            print(f"nbsec: {exc}. {USAGE}", file=sys.stderr)
            return None
        command = args[0] if args else "status"
        rest = args[1:]
        if command == "status" and not rest:
            return self._status()
        if command in ("on", "off") and not rest:
            self.extension.set_enabled(command == "on")
            return self._status()
        if command == "policy" and rest in ([], ["--reload"]):
            if rest:
                self.extension.reload_policy()
            return self._policy()
        print(f"nbsec: unknown arguments {line.strip()!r}. {USAGE}", file=sys.stderr)
        return None

    def _status(self) -> TableView:
        status = self.extension.status()
        return TableView(
            "nbsec status",
            {
                "version": status["version"],
                "watching": status["enabled"],
                "mode": status["mode"],
                "policy file": status["policy_file"] or "(defaults)",
                "policy error": status["policy_error"],
                "engines": status["engines"],
                "cells seen": status["cells_seen"],
                "panel connections": status["panel_connections"],
                "internal errors": status["internal_errors"],
            },
        )

    def _policy(self) -> TableView:
        policy = self.extension.policy.to_dict()
        rows = {k: v for k, v in policy.items() if not isinstance(v, dict)}
        rows["waivers"] = [
            f"{w['rule'] or w['path'] or w['fingerprint']}: {w['reason']}"
            for w in policy["waivers"]
        ]
        for section in ("pii", "lineage"):
            for key, value in policy[section].items():
                rows[f"{section}.{key}"] = value
        return TableView("nbsec policy", rows)
