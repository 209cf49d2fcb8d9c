"""Rich return values of the ``%nbsec`` magics: tables that print as text and render as HTML.

Every value is escaped in the HTML form, so text from notebooks and frames shows as text.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from typing import Any


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


class RowsView(list[dict[str, Any]]):
    """A list of records that displays as a table with the given columns."""

    def __init__(self, title: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
        super().__init__(rows)
        self.title = title
        self.columns = list(columns)

    def __repr__(self) -> str:
        if not self:
            return f"{self.title}: none"
        cells = [[_plain(r.get(c)) for c in self.columns] for r in self]
        widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(self.columns)]
        lines = [
            self.title,
            "  " + "  ".join(c.upper().ljust(w) for c, w in zip(self.columns, widths, strict=True)),
        ]
        lines += [
            "  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<th style='text-align:left'>{esc(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td style='text-align:left'>{esc(_plain(r.get(c)))}</td>" for c in self.columns
            )
            + "</tr>"
            for r in self
        )
        if not self:
            body = f"<tr><td colspan='{len(self.columns)}'>none</td></tr>"
        return (
            f"<div class='nbsec-table'><strong>{esc(self.title)}</strong>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )


class LineageView(dict[str, Any]):
    """Lineage in one export format; displays as JSON, a Mermaid diagram or text."""

    def __init__(self, fmt: str, data: Any) -> None:
        super().__init__({"format": fmt, "data": data})

    def __repr__(self) -> str:
        data = self["data"]
        return data if isinstance(data, str) else json.dumps(data, indent=1)

    def _repr_markdown_(self) -> str | None:
        if self["format"] == "mermaid":
            return f"```mermaid\n{self['data']}\n```"
        return None

    def _repr_json_(self) -> Any:
        return None if isinstance(self["data"], str) else self["data"]


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) if value else "-"
    return str(value)
