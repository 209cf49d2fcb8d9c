"""Mermaid flowchart of a lineage graph (``flowchart LR``), for Markdown cells and READMEs.

Shapes: files and URLs as cylinders, cells as rectangles, variables as rounded boxes, models as
hexagons. Node ids are renumbered (``n0``, ``n1``...) and labels escaped, so any path or name is
safe to embed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbsec.findings import cell_label

if TYPE_CHECKING:
    from nbsec.lineage.graph import LineageGraph

_SHAPES = {
    "file": ('[("', '")]'),
    "url": ('[("', '")]'),
    "cell": ('["', '"]'),
    "var": ('("', '")'),
    "model": ('{{"', '"}}'),
}


def _escape(text: str) -> str:
    out = []
    for ch in text:
        if ch.isalnum() or ch in " ._-/:@?=&+,()[]":
            out.append(ch)
        else:
            out.append(f"#{ord(ch)};")
    return "".join(out)


def _label(node: dict[str, Any]) -> str:
    kind = node.get("kind")
    if kind == "cell":
        # the notebook's 1-based position, then the run: cell 4 [7]
        label = cell_label(node.get("cell_index"), node.get("cell_id"))
        return f"{label} [{node.get('execution_count')}]"
    if kind == "var":
        return f"{node.get('name')}@{node.get('execution_count')}"
    if kind == "file":
        path = str(node.get("path", ""))
        digest = str(node.get("sha256") or "")[:8]
        return f"{path.rsplit('/', 1)[-1]} {digest}".strip()
    if kind == "url":
        return str(node.get("url", ""))
    return str(node.get("source", node.get("id", "")))


def to_mermaid(graph: LineageGraph) -> str:
    ids: dict[str, str] = {}
    lines = ["flowchart LR"]
    for node in graph.nodes.values():
        ids[node["id"]] = f"n{len(ids)}"
        left, right = _SHAPES.get(str(node.get("kind")), ('["', '"]'))
        lines.append(f"    {ids[node['id']]}{left}{_escape(_label(node))}{right}")
    seen: set[tuple[str, str, str]] = set()
    for edge in graph.edges:
        key = (edge["src"], edge["dst"], edge["kind"])
        if key in seen or edge["src"] not in ids or edge["dst"] not in ids:
            continue
        seen.add(key)
        lines.append(f"    {ids[edge['src']]} -->|{edge['kind']}| {ids[edge['dst']]}")
    return "\n".join(lines) + "\n"
