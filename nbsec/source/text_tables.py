"""DataFrame and Series ``text/plain`` reprs parsed back into columns, with each cell's span.

pandas prints a frame with a header line and one line per row; every column's values (and its
header) are right-aligned to the same character position, and columns are at least two spaces
apart. So the header's token ends give the column boundaries, and a block is accepted as a table
only if (nearly) every row has a value ending at each boundary. Handled: index columns and index
names, truncated reprs (a ``...`` column, a ``..`` row, long cells cut to ``...``), wide frames
wrapped into several blocks, the ``[5 rows x 12 columns]`` footer, and Series reprs (``0    Braund,
Mr. Owen Harris`` ... ``Name: Name, dtype: object``, ``value_counts()`` outputs).

Each cell keeps its ``(start, end)`` offsets in the text given, so redaction can mask in place.
Nothing is evaluated; anything that does not fit is left to the plain-text scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Span = tuple[int, int]
_TOKENS = re.compile(r"\S+(?: \S+)*")  # runs of text separated by two or more spaces
_SERIES_FOOTER = re.compile(r"^(?:Name: (?P<name>.*?), )?(?:Length: \d+, )?dtype: \w+")
_FRAME_FOOTER = re.compile(r"^\[\d+ rows x \d+ columns\]$")
_ELLIPSIS = frozenset({"...", "..", "…"})
_LABEL = re.compile(r"^\S+(?: \S+)*")
_DTYPE = re.compile(
    r"(?:u?int|float|complex)\d*|object|bool(?:ean)?|category|string|str|"
    r"datetime64\[\w+(?:, [\w/+-]+)?\]|timedelta64\[\w+\]|[A-Z][a-z]+\d*|period\[\w+\]"
)
MAX_ROWS = 5_000


@dataclass
class TextTable:
    """Columns by header, values in row order (``None`` for a missing cell), with spans."""

    columns: dict[str, list[str | None]] = field(default_factory=dict)
    spans: dict[str, list[Span | None]] = field(default_factory=dict)
    first_line: int = 0  # 0-based line of the header in the text
    last_line: int = 0

    @property
    def row_count(self) -> int:
        return max((len(v) for v in self.columns.values()), default=0)


def _lines(text: str) -> list[tuple[int, str]]:
    out = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def parse_text_tables(text: str) -> list[TextTable]:
    """Every frame or Series repr in ``text``."""
    if "  " not in text:
        return []
    lines = _lines(text)
    tables: list[TextTable] = []
    i = 0
    while i < len(lines):
        table, used = _frame_at(lines, i) or _series_at(lines, i) or (None, 0)
        if table is not None:
            tables.append(table)
            i += used
        else:
            i += 1
    return tables


def _frame_at(lines: list[tuple[int, str]], i: int) -> tuple[TextTable, int] | None:
    _offset, header = lines[i]
    header_clean = header.rstrip(" \\")
    tokens = list(_TOKENS.finditer(header_clean))
    if not tokens or not header.startswith(" ") or len(tokens) < 1:
        return None
    ends = [m.end() for m in tokens]
    names = [m.group(0) for m in tokens]
    first_start = tokens[0].start()
    body: list[tuple[int, str]] = []
    j = i + 1
    # pandas prints the index name on its own line under the header
    index_name = ""
    if j < len(lines):
        line = lines[j][1]
        rest = line[first_start:].split()
        if line[:1].strip() and all(r in _ELLIPSIS for r in rest) and line[:first_start].strip():
            index_name = line[:first_start].strip()
            j += 1
    while j < len(lines) and len(body) < MAX_ROWS:
        line = lines[j][1]
        if not line.strip() or _FRAME_FOOTER.match(line.strip()):
            break
        fits = all(
            end <= len(line)
            and (line[end - 1] != " " or _blank_cell(line, ends, k))
            and (end == len(line) or line[end] == " ")
            for k, end in enumerate(ends)
        )
        if not fits and not all(t in _ELLIPSIS for t in line.split()):
            break  # the table ended: the next line is something else
        body.append(lines[j])
        j += 1
    if not body:
        return None
    table = TextTable(first_line=i, last_line=j - 1)
    # the index labels are left-aligned at the start of each row; the first column's values
    # begin after the widest label
    index_width = 0
    for _, line in body:
        label_match = _LABEL.match(line)
        if label_match:
            index_width = max(index_width, label_match.end())
    index_width = min(index_width, ends[0] - 1)
    index_values: list[str | None] = []
    index_spans: list[Span | None] = []
    cols: list[list[str | None]] = [[] for _ in names]
    spans: list[list[Span | None]] = [[] for _ in names]
    for row_offset, line in body:
        left = index_width
        cells: list[tuple[str, Span]] = []
        for end in ends:
            raw = line[left:end]
            value = raw.strip()
            begin = left + (len(raw) - len(raw.lstrip()))
            cells.append((value, (row_offset + begin, row_offset + begin + len(value))))
            left = end
        texts = [c[0] for c in cells]
        if texts and all(v in _ELLIPSIS or not v for v in texts):
            continue  # the truncation row
        label = line[:index_width].strip()
        if label:
            start = line.find(label)
            index_values.append(label)
            index_spans.append((row_offset + start, row_offset + start + len(label)))
        else:
            index_values.append(None)
            index_spans.append(None)
        for k, (value, span) in enumerate(cells):
            empty = not value or value in _ELLIPSIS or value in ("NaN", "None", "<NA>", "NaT")
            cols[k].append(None if empty else value)
            spans[k].append(None if empty else span)
    if any(v for v in index_values if v and not v.isdigit() and v not in _ELLIPSIS):
        key = index_name or "(index)"
        table.columns[key] = index_values
        table.spans[key] = index_spans
    for name, values, cell_spans in zip(names, cols, spans, strict=True):
        if name in _ELLIPSIS:
            continue
        key = name
        n = 2
        while key in table.columns:
            key, n = f"{name} ({n})", n + 1
        table.columns[key] = values
        table.spans[key] = cell_spans
    return table, j - i


def _blank_cell(line: str, ends: list[int], k: int) -> bool:
    left = ends[k - 1] if k else 0
    return not line[left : ends[k]].strip()


def _series_at(lines: list[tuple[int, str]], i: int) -> tuple[TextTable, int] | None:
    """``label    value`` lines closed by a ``Name: x, dtype: y`` footer."""
    j = i
    rows: list[tuple[int, str]] = []
    while j < len(lines) and len(rows) < MAX_ROWS:
        line = lines[j][1]
        if _SERIES_FOOTER.match(line):
            break
        if not re.search(r"\S\s{2,}\S", line) and line.strip() not in _ELLIPSIS:
            return None
        rows.append(lines[j])
        j += 1
    if j >= len(lines) or not rows:
        return None
    footer = _SERIES_FOOTER.match(lines[j][1])
    assert footer is not None
    if footer.group(0).endswith("dtype: object") and all(
        _DTYPE.fullmatch(line.split()[-1]) for _, line in rows if line.split()
    ):
        return None  # ``df.dtypes``: column names and their types
    name = footer.group("name") or "(values)"
    table = TextTable(first_line=i, last_line=j)
    labels: list[str | None] = []
    label_spans: list[Span | None] = []
    values: list[str | None] = []
    value_spans: list[Span | None] = []
    for offset, line in rows:
        m = re.match(r"^(\S+(?: \S+)*)\s{2,}(\S.*?)\s*$", line)
        if not m:
            continue
        label, value = m.group(1), m.group(2)
        labels.append(label)
        label_spans.append((offset + m.start(1), offset + m.end(1)))
        empty = value in _ELLIPSIS or value in ("NaN", "None", "<NA>", "NaT")
        values.append(None if empty else value)
        value_spans.append(None if empty else (offset + m.start(2), offset + m.end(2)))
    if any(lbl and not lbl.isdigit() and lbl not in _ELLIPSIS for lbl in labels):
        table.columns["(index)"] = labels
        table.spans["(index)"] = label_spans
    table.columns[name] = values
    table.spans[name] = value_spans
    return table, j - i + 1
