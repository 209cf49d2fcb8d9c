"""Secrets and personal data in one text of a notebook (a :class:`~nbsec.source.notebook.TextSite`).

Each text is searched through its decoded views (:mod:`nbsec.source.text_views`): the text itself,
its HTML view (element text and attribute values, entities decoded) for markup, and its
percent-decoded view when it holds ``%XX`` sequences. Secrets are searched in every view; personal
data in the view that shows what a reader sees (the HTML view for markup, the text itself
otherwise) and in the percent-decoded one. Tables in HTML go to the PII engine column by column.
Every value found comes back as a :class:`~nbsec.source.issue.Span` in the site's own text, so a
hit in any view is masked in place by redaction. Textual ``data:`` URIs are decoded and searched
as texts of their own (:func:`child_sites`).

Very long texts are searched in pieces of :data:`CHUNK` characters (with an overlap, so a value
on a boundary is seen whole): time and memory grow linearly with the size of a notebook.
"""

from __future__ import annotations

import bisect
import csv
import io
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from nbsec.policy import Policy
from nbsec.source.html_tables import Table, parse_tables
from nbsec.source.issue import Issue, Span
from nbsec.source.notebook import Piece, TextSite
from nbsec.source.output_pii import TEXT_BUDGET, pii_engine, table_issues, text_issues
from nbsec.source.secret_scan import find_secrets
from nbsec.source.text_views import View, blank_data_uris, data_uris, html_view, percent_view

CHUNK = 1_000_000
OVERLAP = 4_096
_HTML_KINDS = frozenset({"text/html", "image/svg+xml", "text/markdown", "application/xml"})
_MAX_CHILD_DEPTH = 2


@dataclass
class SiteScan:
    """What one text holds: issues with spans in the site's text, and decoded children."""

    site: TextSite
    issues: list[Issue] = field(default_factory=list)
    children: list[TextSite] = field(default_factory=list)


def is_markup(site: TextSite) -> bool:
    if site.kind in _HTML_KINDS:
        return True
    return site.kind == "source" and site.cell_type == "markdown"


def views_of(site: TextSite) -> tuple[View, View | None, View | None]:
    """(the text with binary data URIs blanked, its HTML view, its percent-decoded view)."""
    plain = View(blank_data_uris(site.text))
    markup = html_view(site.text) if is_markup(site) else None
    percent = percent_view(plain.text)
    return plain, markup, percent


def _chunks(text: str, size: int, overlap: int) -> Iterable[tuple[int, str]]:
    """``(offset, piece)`` covering ``text``; pieces end at a line break when one is near."""
    if len(text) <= size:
        yield 0, text
        return
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            cut = text.rfind("\n", start + size // 2, end)
            end = cut + 1 if cut != -1 else end
        yield start, text[start : min(end + overlap, len(text))]
        if end >= len(text):
            break
        start = end


def _lines_before(text: str, offset: int) -> int:
    return text.count("\n", 0, offset)


def _shift(issue: Issue, view: View, offset: int, line_offset: int) -> Issue:
    spans = tuple(
        Span(*view.to_source(s.start + offset, s.end + offset), s.label) for s in issue.spans
    )
    line = issue.line + line_offset if issue.line is not None and view.is_identity else None
    return replace(issue, spans=spans, line=line, column=issue.column if line else None)


def secret_issues_in(view: View, chunk: int = CHUNK) -> list[Issue]:
    """Secret issues in a view, spans in the site's text."""
    out: list[Issue] = []
    seen: set[int] = set()
    for offset, piece in _chunks(view.text, chunk, OVERLAP):
        line_offset = _lines_before(view.text, offset) if offset else 0
        for hit in find_secrets(piece):
            if hit.start + offset in seen:
                continue  # found again in the overlap with the previous piece
            seen.add(hit.start + offset)
            out.append(_shift(hit.to_issue(), view, offset, line_offset))
    return out


# what Jupyter itself writes about the kernel (`display_name: Python 3`, `name: python3`,
# `pygments_lexer: ipython3`): never personal data, and reading it would load the PII engine
# for every notebook
_JUPYTER_FIELDS = (("metadata", "kernelspec"), ("metadata", "language_info"))


def _without_jupyter_fields(site: TextSite, view: View) -> View:
    """``view`` with the strings of Jupyter's kernel and language metadata blanked (offsets
    kept), for the personal-data pass; secrets are still searched there."""
    spans = [p for p in site.pieces if tuple(p.path[:2]) in _JUPYTER_FIELDS]
    if not spans or view.runs:
        return view
    text = list(view.text)
    for piece in spans:
        for i in range(piece.start, min(piece.end, len(text))):
            if text[i] != "\n":
                text[i] = " "
    return View("".join(text), view.name, view.runs)


def pii_issues_in(view: View, policy: Policy) -> list[Issue]:
    engine = pii_engine()
    if engine is None:
        return []
    out: list[Issue] = []
    for offset, piece in _chunks(view.text, TEXT_BUDGET, 0):
        line_offset = _lines_before(view.text, offset) if offset else 0
        out.extend(_shift(i, view, offset, line_offset) for i in text_issues(piece, policy, engine))
    return out


def table_issues_in(text: str, policy: Policy, kind: str = "text/html") -> list[Issue]:
    """Column issues of the tables in an HTML text or a CSV text."""
    engine = pii_engine()
    if engine is None:
        return []
    if kind == "text/csv":
        tables = csv_tables(text)
    elif "<table" in text.lower():
        tables = parse_tables(text)
    else:
        return []
    issues: list[Issue] = []
    for table in tables:
        issues.extend(table_issues(table, policy, engine))
    return issues


def csv_tables(text: str, max_rows: int = 5_000) -> list[Table]:
    """A CSV text (a ``text/csv`` output, a CSV download link) as one table, header first."""
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = list(itertools.islice(csv.reader(io.StringIO(text), dialect), max_rows + 1))
    if len(rows) < 2:
        return []
    header, body = rows[0], rows[1:]
    names: list[str] = []
    for i, name in enumerate(header):
        base = name.strip() or f"column {i}"
        unique, n = base, 2
        while unique in names:
            unique, n = f"{base} ({n})", n + 1
        names.append(unique)
    columns: dict[str, list[str | None]] = {name: [] for name in names}
    for row in body:
        for i, name in enumerate(names):
            value = row[i].strip() if i < len(row) else ""
            columns[name].append(value or None)
    return [Table(columns)]


def _merge(issues: Iterable[Issue]) -> list[Issue]:
    """One issue per (rule, key): the same secret seen in two views is one issue whose spans
    are the union."""
    merged: dict[tuple[str, str], Issue] = {}
    spans: dict[tuple[str, str], dict[Span, None]] = {}
    for issue in issues:
        marker = (issue.rule, issue.key)
        known = merged.get(marker)
        if known is None:
            merged[marker] = issue
            spans[marker] = dict.fromkeys(issue.spans)
            continue
        spans[marker].update(dict.fromkeys(issue.spans))
        if known.line is None and issue.line is not None:
            merged[marker] = replace(known, line=issue.line)
    return [replace(issue, spans=tuple(spans[marker])) for marker, issue in merged.items()]


def scan_site(
    site: TextSite, policy: Policy, *, pii: bool = True, secrets_only: bool = False
) -> SiteScan:
    """Secrets (and, unless ``pii`` is False, personal data) in one non-code text."""
    result = SiteScan(site)
    plain, markup, percent = views_of(site)
    views = [v for v in (plain, markup, percent) if v is not None]
    issues: list[Issue] = []
    for view in views:
        issues.extend(secret_issues_in(view))
    if secrets_only:
        result.issues = _merge(issues)
        return result
    if pii:
        reading = [markup if markup is not None else plain]
        if percent is not None:
            reading.append(percent)
        for view in reading:
            issues.extend(pii_issues_in(_without_jupyter_fields(site, view), policy))
        if site.kind in ("text/html", "text/csv"):
            issues.extend(table_issues_in(site.text, policy, site.kind))
    result.issues = _secrets_first(_merge(issues))
    result.children = child_sites(site)
    return result


def _secrets_first(issues: list[Issue]) -> list[Issue]:
    """A value found as a secret is not personal data as well: ``user:S3cret!@db.example.net``
    is a password in a URL, not an e-mail address. Personal-data spans that overlap a secret's
    are dropped (the secret's mask covers them), and so is an issue left without spans."""
    secret = sorted(
        (s.start, s.end) for i in issues if i.rule.startswith("NBS-SEC") for s in i.spans
    )
    if not secret:
        return issues
    starts = [start for start, _ in secret]
    reach = list(itertools.accumulate((end for _, end in secret), max))

    def overlaps(span: Span) -> bool:
        i = bisect.bisect_left(starts, span.end)  # the secrets that start before the span ends
        return i > 0 and reach[i - 1] > span.start

    out: list[Issue] = []
    for issue in issues:
        if not issue.rule.startswith("NBS-PII") or not issue.spans:
            out.append(issue)
            continue
        kept = tuple(s for s in issue.spans if not overlaps(s))
        if kept:
            out.append(replace(issue, spans=kept) if len(kept) < len(issue.spans) else issue)
    return out


def child_sites(site: TextSite) -> list[TextSite]:
    """The decoded texts of the textual ``data:`` URIs in a site (a CSV download link, an
    inline SVG), each a site of its own whose one piece is the encoded span of its parent."""
    depth = sum(1 for p in site.pieces if p.path and p.path[-1] == "data:")
    if depth >= _MAX_CHILD_DEPTH:
        return []
    out: list[TextSite] = []
    for uri in data_uris(site.text):
        piece = Piece(uri.start, uri.end, (*site.path, "data:"))
        out.append(
            replace(
                site,
                kind=uri.mime,
                text=uri.text,
                pieces=(piece,),
                codec="base64",
                lines_are_real=False,
                container=site,
            )
        )
    return out
