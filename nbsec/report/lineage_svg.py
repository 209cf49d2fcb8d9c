"""The lineage graph as a picture: a layered left-to-right SVG laid out here, no JavaScript, no
fonts or scripts fetched, so it renders the same in JupyterLab, in the offline HTML and on paper.

Layout (a small Sugiyama-style pipeline):

1. layers by longest path from the sources, then every source moved right next to its first
   consumer (a model sits just before the cell that loads it, not in column 0);
2. edges spanning several layers get invisible waypoints, one per layer, so they route between
   nodes instead of through them;
3. within each layer nodes are ordered by the barycentre of their neighbours, sweeping left to
   right and back a few times to reduce crossings;
4. coordinates on a grid; edges are cubic curves through their waypoints.

Every label is escaped (node labels come from file names, URLs and variable names of the
notebook); a long label is shortened on the picture and given whole in the node's tooltip. A
graph too large to read is reduced: variables are folded into cell-to-cell edges first.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

NODE_W = 176
NODE_H = 30
GAP_X = 64
GAP_Y = 14
MARGIN = 16
LEGEND_H = 30
MAX_NODES = 140
MAX_LABEL = 24

STYLE = {
    # kind: (fill, stroke, text)
    "file": ("#dbeafe", "#1d4ed8", "#1e3a8a"),
    "url": ("#e0f2fe", "#0369a1", "#0c4a6e"),
    "cell": ("#f3f4f6", "#4b5563", "#111827"),
    "var": ("#dcfce7", "#15803d", "#14532d"),
    "model": ("#fef3c7", "#b45309", "#78350f"),
    "output": ("#ede9fe", "#6d28d9", "#4c1d95"),
    "danger": ("#fee2e2", "#b91c1c", "#7f1d1d"),
}
LEGEND = (
    ("file", "input file"),
    ("url", "URL"),
    ("cell", "cell run"),
    ("var", "variable"),
    ("model", "model"),
    ("output", "written file"),
    ("danger", "flagged"),
)


@dataclass
class _Node:
    id: str
    kind: str
    label: str
    title: str
    style: str
    dummy: bool = False
    layer: int = 0
    order: float = 0.0
    x: float = 0.0
    y: float = 0.0
    preds: list[str] = field(default_factory=list)
    succs: list[str] = field(default_factory=list)


def _short(text: str) -> str:
    if len(text) <= MAX_LABEL:
        return text
    return "…" + text[-(MAX_LABEL - 1) :]


def fold_variables(
    nodes: Sequence[Mapping[str, Any]], edges: Sequence[Mapping[str, Any]]
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The graph without variable nodes: ``cell -> var -> cell`` becomes ``cell -> cell``."""
    kinds = {str(n["id"]): str(n.get("kind")) for n in nodes}
    producers: dict[str, list[str]] = {}
    consumers: dict[str, list[str]] = {}
    kept: list[Mapping[str, Any]] = []
    for edge in edges:
        src, dst = str(edge["src"]), str(edge["dst"])
        if kinds.get(dst) == "var":
            producers.setdefault(dst, []).append(src)
        elif kinds.get(src) == "var":
            consumers.setdefault(src, []).append(dst)
        else:
            kept.append(edge)
    seen = {(str(e["src"]), str(e["dst"])) for e in kept}
    for var, makers in producers.items():
        for maker in makers:
            for user in consumers.get(var, []):
                if maker != user and (maker, user) not in seen:
                    seen.add((maker, user))
                    kept.append({"src": maker, "dst": user, "kind": "via"})
    return [n for n in nodes if n.get("kind") != "var"], kept


def render_svg(
    nodes: Sequence[Mapping[str, Any]],
    edges: Sequence[Mapping[str, Any]],
    *,
    title: str = "Lineage",
) -> tuple[str, str | None]:
    """The SVG text and a note when the graph had to be reduced (``None`` otherwise).

    ``nodes`` carry ``id``, ``kind`` (file, url, cell, var, model), ``label`` and optionally
    ``title`` (tooltip), ``output`` (a written file), ``flagged`` and ``code`` (an imported class
    or function, left out); ``edges`` carry ``src``, ``dst`` and ``kind``."""
    note = None
    code = {str(n["id"]) for n in nodes if n.get("code")}
    if code:  # imported classes and functions: code, not data
        nodes = [n for n in nodes if str(n["id"]) not in code]
        edges = [e for e in edges if str(e["src"]) not in code and str(e["dst"]) not in code]
    if len(nodes) > MAX_NODES:
        nodes, edges = fold_variables(nodes, edges)
        note = "variables folded into cell-to-cell edges to keep the picture readable"
    if len(nodes) > MAX_NODES:
        keep = {str(n["id"]) for n in nodes[:MAX_NODES]}
        dropped = len(nodes) - MAX_NODES
        nodes = [n for n in nodes if str(n["id"]) in keep]
        edges = [e for e in edges if str(e["src"]) in keep and str(e["dst"]) in keep]
        note = (
            f"variables folded and the last {dropped} nodes left out of the picture "
            "(the report JSON has the whole graph)"
        )
    graph = _build(nodes, edges)
    if not graph:
        return _empty(title), note
    _layer(graph)
    links = _split_long_edges(graph, edges)
    _order(graph)
    width, height = _place(graph)
    return _draw(graph, links, width, height, title), note


def _build(
    nodes: Sequence[Mapping[str, Any]], edges: Sequence[Mapping[str, Any]]
) -> dict[str, _Node]:
    graph: dict[str, _Node] = {}
    for raw in nodes:
        node_id = str(raw["id"])
        kind = str(raw.get("kind") or "file")
        label = str(raw.get("label") or node_id)
        style = kind if kind in STYLE else "file"
        if raw.get("output"):
            style = "output"
        if raw.get("flagged"):
            style = "danger"
        graph[node_id] = _Node(
            id=node_id,
            kind=kind,
            label=_short(label),
            title=str(raw.get("title") or label),
            style=style,
        )
    for edge in edges:
        src, dst = str(edge["src"]), str(edge["dst"])
        if src in graph and dst in graph and src != dst and dst not in graph[src].succs:
            graph[src].succs.append(dst)
            graph[dst].preds.append(src)
    _break_cycles(graph)
    return graph


def _break_cycles(graph: dict[str, _Node]) -> None:
    """Lineage graphs are acyclic by construction; a malformed one still gets drawn."""
    state: dict[str, int] = {}
    for start in graph:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        state[start] = 1
        while stack:
            node, i = stack.pop()
            succs = graph[node].succs
            if i < len(succs):
                stack.append((node, i + 1))
                nxt = succs[i]
                if state.get(nxt) == 1:  # back edge
                    succs.remove(nxt)
                    graph[nxt].preds.remove(node)
                    stack[-1] = (node, i)
                elif not state.get(nxt):
                    state[nxt] = 1
                    stack.append((nxt, 0))
            else:
                state[node] = 2


def _layer(graph: dict[str, _Node]) -> None:
    indegree = {n: len(node.preds) for n, node in graph.items()}
    queue = [n for n, d in indegree.items() if d == 0]
    order: list[str] = []
    while queue:
        current = queue.pop(0)
        order.append(current)
        for succ in graph[current].succs:
            graph[succ].layer = max(graph[succ].layer, graph[current].layer + 1)
            indegree[succ] -= 1
            if indegree[succ] == 0:
                queue.append(succ)
    # sources sit right before their first consumer
    for node in graph.values():
        if not node.preds and node.succs:
            node.layer = max(0, min(graph[s].layer for s in node.succs) - 1)


def _split_long_edges(
    graph: dict[str, _Node], edges: Sequence[Mapping[str, Any]]
) -> list[tuple[list[str], str]]:
    """Each edge as the list of node ids it passes through (waypoints added), with its kind."""
    kinds = {(str(e["src"]), str(e["dst"])): str(e.get("kind") or "") for e in edges}
    links: list[tuple[list[str], str]] = []
    counter = 0
    for node in list(graph.values()):
        if node.dummy:
            continue
        for succ_id in list(node.succs):
            succ = graph[succ_id]
            path = [node.id]
            previous = node
            for layer in range(node.layer + 1, succ.layer):
                counter += 1
                dummy = _Node(
                    id=f"~{counter}", kind="dummy", label="", title="", style="", dummy=True
                )
                dummy.layer = layer
                graph[dummy.id] = dummy
                previous.succs[previous.succs.index(succ_id)] = dummy.id
                dummy.preds.append(previous.id)
                dummy.succs.append(succ_id)
                succ.preds[succ.preds.index(previous.id)] = dummy.id
                path.append(dummy.id)
                previous = dummy
            path.append(succ_id)
            links.append((path, kinds.get((node.id, succ_id), "")))
    return links


def _order(graph: dict[str, _Node]) -> None:
    layers: dict[int, list[_Node]] = {}
    rank = {"file": 0, "url": 1, "model": 2, "cell": 3, "var": 4, "dummy": 5}
    for node in graph.values():
        layers.setdefault(node.layer, []).append(node)
    for members in layers.values():
        members.sort(key=lambda n: (rank.get(n.kind, 9), n.label))
        for i, node in enumerate(members):
            node.order = float(i)
    depth = max(layers)
    for _sweep in range(4):
        for layer in range(1, depth + 1):
            _reorder(layers.get(layer, []), graph, use_preds=True)
        for layer in range(depth - 1, -1, -1):
            _reorder(layers.get(layer, []), graph, use_preds=False)


def _reorder(members: list[_Node], graph: dict[str, _Node], *, use_preds: bool) -> None:
    def centre(node: _Node) -> float:
        near = node.preds if use_preds else node.succs
        if not near:
            return node.order
        return sum(graph[n].order for n in near) / len(near)

    members.sort(key=lambda n: (centre(n), n.order))
    for i, node in enumerate(members):
        node.order = float(i)


def _place(graph: dict[str, _Node]) -> tuple[float, float]:
    layers: dict[int, list[_Node]] = {}
    for node in graph.values():
        layers.setdefault(node.layer, []).append(node)
    tallest = max(len(m) for m in layers.values())
    height = tallest * (NODE_H + GAP_Y) - GAP_Y
    for layer, members in layers.items():
        members.sort(key=lambda n: n.order)
        own = len(members) * (NODE_H + GAP_Y) - GAP_Y
        top = MARGIN + LEGEND_H + (height - own) / 2
        for i, node in enumerate(members):
            node.x = MARGIN + layer * (NODE_W + GAP_X)
            node.y = top + i * (NODE_H + GAP_Y)
    width = MARGIN * 2 + (max(layers) + 1) * (NODE_W + GAP_X) - GAP_X
    return max(width, 560), MARGIN * 2 + LEGEND_H + height


def _point(node: _Node, side: str) -> tuple[float, float]:
    if node.dummy:
        return node.x + NODE_W / 2, node.y + NODE_H / 2
    x = node.x + (NODE_W if side == "out" else 0)
    return x, node.y + NODE_H / 2


def _edge_path(points: list[tuple[float, float]]) -> str:
    (x0, y0) = points[0]
    d = [f"M{x0:.1f},{y0:.1f}"]
    for (x1, y1), (x2, y2) in itertools.pairwise(points):
        mid = (x1 + x2) / 2
        d.append(f"C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}")
    return " ".join(d)


def _draw(
    graph: dict[str, _Node],
    links: list[tuple[list[str], str]],
    width: float,
    height: float,
    title: str,
) -> str:
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="nbsec-arrow" viewBox="0 0 8 8" refX="8" refY="4" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#6b7280"/></marker></defs>',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    x = MARGIN
    for style, text in LEGEND:
        fill, stroke, ink = STYLE[style]
        out.append(
            f'<rect x="{x}" y="{MARGIN}" width="12" height="12" rx="2" fill="{fill}" '
            f'stroke="{stroke}"/><text x="{x + 16}" y="{MARGIN + 10}" fill="#374151">'
            f"{escape(text)}</text>"
        )
        x += 30 + 7 * len(text)
    for path, kind in links:
        points: list[tuple[float, float]] = []
        for i, node_id in enumerate(path):
            points.append(_point(graph[node_id], "out" if i == 0 else "in"))
        dash = ' stroke-dasharray="4 3"' if kind in ("used", "via") else ""
        out.append(
            f'<path d="{_edge_path(points)}" fill="none" stroke="#9ca3af" stroke-width="1.2"'
            f'{dash} marker-end="url(#nbsec-arrow)"/>'
        )
    for node in graph.values():
        if node.dummy:
            continue
        fill, stroke, ink = STYLE[node.style]
        radius = 14 if node.kind == "var" else 3 if node.kind == "cell" else 6
        out.append(
            f"<g><title>{escape(node.title)}</title>"
            f'<rect x="{node.x:.1f}" y="{node.y:.1f}" width="{NODE_W}" height="{NODE_H}" '
            f'rx="{radius}" fill="{fill}" stroke="{stroke}" stroke-width="1.3"/>'
            f'<text x="{node.x + NODE_W / 2:.1f}" y="{node.y + NODE_H / 2 + 4:.1f}" '
            f'text-anchor="middle" fill="{ink}">{escape(node.label)}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)


def _empty(title: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="560" height="60" viewBox="0 0 560 60" '
        f'role="img" aria-label="{escape(title)}" font-family="Helvetica, Arial, sans-serif" '
        f'font-size="12"><title>{escape(title)}</title><rect width="560" height="60" '
        'fill="#ffffff" stroke="#e5e7eb"/><text x="16" y="34" fill="#6b7280">No lineage was '
        "recorded for this notebook.</text></svg>"
    )
