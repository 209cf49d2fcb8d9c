"""The report document as a governance notebook: one markdown cell per section.

Every string is escaped for markdown (and the HTML markdown allows): ``<`` and ``&`` become
entities, markdown punctuation is backslash-escaped (so nothing from a notebook becomes a link,
an image, emphasis, a table break or math), newlines become spaces. Pictures are SVG made by
nbsec, embedded as ``data:`` images, which JupyterLab renders in untrusted notebooks too.
The cells get fixed ids, so the same report gives the same notebook.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from nbsec.report.document import (
    Block,
    Bullets,
    Cell,
    Document,
    Facts,
    Para,
    Picture,
    Section,
    Subheading,
    Table,
    Tag,
)

# characters that mean something anywhere in a line of markdown (GFM, as JupyterLab renders it):
# emphasis, code, links and images, tables, math, strikethrough, e-mail autolinks
_MD_INLINE = re.compile(r"([\\`*_\[\]|$~@])")
# what starts a block when it opens a line: headings, lists, quotes, setext and thematic breaks
_MD_BLOCK_START = re.compile(r"^(\s*)([#+=-]|\d+(?=[.)]))")
_STRONG = {"critical", "high", "bad"}


def md(text: str) -> str:
    """Plain text as inert markdown on one line: no markup, link, image, math or HTML can form."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    # bare URLs would become links: break the scheme and the www. prefix
    text = text.replace("://", "\\://").replace("www.", "www\\.")
    return _MD_BLOCK_START.sub(_escape_block_start, text)


def _escape_block_start(match: re.Match[str]) -> str:
    lead, marker = match.group(1), match.group(2)
    if marker.isdigit():  # "1." / "1)": escape the punctuation, a digit cannot be escaped
        return lead + marker + "\\"
    return lead + "\\" + marker


def _cell(value: Cell) -> str:
    if isinstance(value, Tag):
        text = md(value.text)
        if value.tone in _STRONG:
            return f"**{text}**"
        if value.tone == "muted":
            return f"*{text}*"
        return text
    return md(value) if value else "-"


def _table(columns: list[str], rows: list[list[Cell]]) -> str:
    head = "| " + " | ".join(md(c) if c else " " for c in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join([head, rule, *body])


def _picture(picture: Picture) -> str:
    data = base64.b64encode(picture.svg.encode("utf-8")).decode("ascii")
    return f"![{md(picture.alt)}](data:image/svg+xml;base64,{data})"


def block_markdown(block: Block) -> str:
    if isinstance(block, Para):
        text = md(block.text)
        if block.tone == "bad":
            return f"> **{text}**"
        if block.tone in ("warn", "ok"):
            return f"> {text}"
        return text
    if isinstance(block, Facts):
        return _table(["Item", "Value"], [[label, value] for label, value in block.rows])
    if isinstance(block, Table):
        if not block.rows:
            return f"*{md(block.empty)}*"
        return _table(block.columns, block.rows)
    if isinstance(block, Bullets):
        return "\n".join(f"- {md(item)}" for item in block.items)
    if isinstance(block, Picture):
        return _picture(block)
    if isinstance(block, Subheading):
        return f"### {md(block.text)}"
    raise TypeError(f"unknown block {type(block).__name__}")


def section_markdown(section: Section) -> str:
    parts = [f"## {md(section.title)}", f"*Checked: {md(section.checked)}.*"]
    parts += [block_markdown(b) for b in section.blocks]
    return "\n\n".join(parts)


def _markdown_cell(cell_id: str, text: str) -> dict[str, Any]:
    return {
        "cell_type": "markdown",
        "id": cell_id,
        "metadata": {},
        "source": text.splitlines(keepends=True),
    }


def render_notebook(document: Document, metadata: dict[str, Any]) -> dict[str, Any]:
    """The governance notebook as nbformat 4.5 JSON (a plain dict: building it needs no
    ``nbformat`` import, which costs seconds; the tests validate it with ``nbformat``)."""
    cells = [
        _markdown_cell("nbsec-title", f"# {md(document.title)}\n\n**{md(document.subtitle)}**")
    ]
    cells += [_markdown_cell(f"nbsec-{s.id}", section_markdown(s)) for s in document.sections]
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def notebook_json(notebook: dict[str, Any]) -> str:
    """The notebook as Jupyter writes it (sorted keys, one-space indent, UTF-8 as is)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
