"""The report document as a governance notebook: one markdown cell per section.

Every string is escaped for markdown (and the HTML markdown allows): ``<`` and ``&`` become
entities, markdown punctuation is backslash-escaped (so nothing from a notebook becomes a link,
an image, emphasis, a table break or math), newlines become spaces. Pictures are SVG made by
nbsec, embedded as ``data:`` images, which JupyterLab renders in untrusted notebooks too.
The cells get fixed ids, so the same report gives the same notebook.
"""

from __future__ import annotations

import base64
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

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:<>])")
_STRONG = {"critical", "high", "bad"}


def md(text: str) -> str:
    """Plain text as inert markdown on one line."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # after escaping, `<` and `>` are `\<` `\>`: make them entities so no tag can form
    return text.replace("\\<", "&lt;").replace("\\>", "&gt;")


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


def render_notebook(document: Document, metadata: dict[str, Any]) -> Any:
    """The governance notebook (nbformat 4.5, validated by the caller's tests)."""
    import nbformat
    from nbformat.v4 import new_markdown_cell, new_notebook

    cells = [new_markdown_cell(f"# {md(document.title)}\n\n**{md(document.subtitle)}**")]  # type: ignore[no-untyped-call]
    cells[0]["id"] = "nbsec-title"
    for section in document.sections:
        cell = new_markdown_cell(section_markdown(section))  # type: ignore[no-untyped-call]
        cell["id"] = f"nbsec-{section.id}"
        cells.append(cell)
    nb = new_notebook(cells=cells, metadata=metadata)  # type: ignore[no-untyped-call]
    nbformat.validate(nb)
    return nb
