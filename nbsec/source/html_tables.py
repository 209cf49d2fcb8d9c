"""HTML tables in saved outputs (a DataFrame's ``text/html``) parsed back into columns.

Uses the standard library's :class:`html.parser.HTMLParser` (no lxml, nothing rendered, no
script run). Each ``<table>`` becomes a :class:`Table`: the header row (the first ``<thead>``
row, or a first row made only of ``<th>`` cells) gives the column names, ``colspan`` is
expanded, and every body row's cells are assigned to those columns. pandas' index cells (``<th>``
in body rows) become the first column, named ``(index)`` when its header is empty. Truncation
markers (``...``) are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

_MAX_ROWS = 5_000
_ELLIPSIS = {"...", "…"}


@dataclass
class Table:
    """Columns by header, values in row order (``None`` for a missing cell)."""

    columns: dict[str, list[str | None]] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return max((len(v) for v in self.columns.values()), default=0)


@dataclass
class _RawTable:
    head_rows: list[list[tuple[str, int, bool]]] = field(default_factory=list)
    body_rows: list[list[tuple[str, int, bool]]] = field(default_factory=list)


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[_RawTable] = []
        self._stack: list[_RawTable] = []
        self._in_head = False
        self._row: list[tuple[str, int, bool]] | None = None
        self._cell: list[str] | None = None
        self._cell_span = 1
        self._cell_is_th = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append(_RawTable())
        elif not self._stack:
            return
        elif tag == "thead":
            self._in_head = True
        elif tag in ("tbody", "tfoot"):
            self._in_head = False
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._cell_is_th = tag == "th"
            span = dict(attrs).get("colspan") or "1"
            self._cell_span = int(span) if span.isdigit() and 0 < int(span) < 1000 else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            return
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            text = " ".join("".join(self._cell).split())
            self._row.append((text, self._cell_span, self._cell_is_th))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            table = self._stack[-1]
            if self._in_head:
                table.head_rows.append(self._row)
            elif len(table.body_rows) < _MAX_ROWS:
                table.body_rows.append(self._row)
            self._row = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "table":
            self.tables.append(self._stack.pop())

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _expand(row: list[tuple[str, int, bool]]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for text, span, is_th in row:
        out.extend([(text, is_th)] * span)
    return out


def _to_table(raw: _RawTable) -> Table | None:
    head = [_expand(r) for r in raw.head_rows]
    body = [_expand(r) for r in raw.body_rows]
    if not head and body and all(is_th for _, is_th in body[0]):
        head, body = [body[0]], body[1:]
    if not body:
        return None
    width = max(len(r) for r in body)
    names: list[str] = []
    header = head[0] if head else []
    for i in range(width):
        name = header[i][0] if i < len(header) else ""
        if not name:
            # pandas puts the index name in a second header row
            name = next((r[i][0] for r in head[1:] if i < len(r) and r[i][0]), "")
        if not name:
            name = "(index)" if i == 0 and body[0] and body[0][0][1] else f"column {i}"
        base, n = name, 2
        while name in names:
            name, n = f"{base} ({n})", n + 1
        names.append(name)
    columns: dict[str, list[str | None]] = {name: [] for name in names}
    for row in body:
        values = [text for text, is_th in row if text and not is_th]
        if values and all(text in _ELLIPSIS for text in values):
            continue  # pandas' truncation row
        for i, name in enumerate(names):
            value = row[i][0] if i < len(row) else None
            columns[name].append(None if value in _ELLIPSIS or value == "" else value)
    return Table(columns)


def parse_tables(html: str) -> list[Table]:
    """Every table in an HTML fragment, in document order (nested tables separately)."""
    if "<table" not in html.lower():
        return []
    parser = _TableParser()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # malformed markup: keep what was parsed
        pass
    return [t for t in (_to_table(raw) for raw in parser.tables) if t is not None]
