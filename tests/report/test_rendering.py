"""The pictures and the escaping: the lineage layout draws every node once, left to right along
every edge, without overlaps; labels and markdown never turn notebook text into markup."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from typing import Any

import mistune
import pytest

from nbsec.report.charts import severity_chart
from nbsec.report.lineage_svg import MAX_NODES, NODE_H, NODE_W, render_svg
from nbsec.report.render_notebook import md

SVG = "{http://www.w3.org/2000/svg}"


def _chain(n_cells: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """file -> cell0 -> var0 -> cell1 -> var1 ... -> out file, plus a model into cell 1."""
    nodes = [{"id": "file:/d/in.csv", "kind": "file", "label": "in.csv"}]
    edges = []
    previous = "file:/d/in.csv"
    for i in range(n_cells):
        cell, var = f"cell:{i}@{i + 1}", f"var:v{i}@{i + 1}"
        nodes += [{"id": cell, "kind": "cell", "label": f"cell {i + 1}"},
                  {"id": var, "kind": "var", "label": f"v{i}"}]  # fmt: skip
        edges += [{"src": previous, "dst": cell, "kind": "read" if i == 0 else "used"},
                  {"src": cell, "dst": var, "kind": "defined"}]  # fmt: skip
        previous = var
    nodes += [
        {"id": "model:hub/m", "kind": "model", "label": "m", "flagged": True},
        {"id": "file:/d/out.csv", "kind": "file", "label": "out.csv", "output": True},
    ]
    edges += [
        {"src": "model:hub/m", "dst": "cell:1@2", "kind": "loaded"},
        {"src": f"cell:{n_cells - 1}@{n_cells}", "dst": "file:/d/out.csv", "kind": "written"},
        {"src": "file:/d/in.csv", "dst": f"cell:{n_cells - 1}@{n_cells}", "kind": "read"},
    ]
    return nodes, edges


def _boxes(svg: str) -> dict[str, tuple[float, float]]:
    """tooltip -> (x, y) of every node box."""
    root = ET.fromstring(svg)
    out = {}
    for group in root.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        rect = group.find(f"{SVG}rect")
        if title is not None and rect is not None:
            out[str(title.text)] = (float(rect.get("x", 0)), float(rect.get("y", 0)))
    return out


def test_layout_runs_left_to_right_without_overlaps() -> None:
    nodes, edges = _chain(5)
    svg, note = render_svg(nodes, edges)
    assert note is None
    boxes = _boxes(svg)
    assert len(boxes) == len(nodes)
    label = {n["id"]: n["label"] for n in nodes}
    for edge in edges:
        assert boxes[label[edge["src"]]][0] < boxes[label[edge["dst"]]][0], edge
    # the model sits right before the cell that loads it, not in the first column
    assert boxes["m"][0] == boxes["cell 2"][0] - (NODE_W + 64)
    positions = sorted(boxes.values())
    for (x1, y1), (x2, y2) in itertools.pairwise(positions):
        assert x1 != x2 or abs(y1 - y2) >= NODE_H
    paths = ET.fromstring(svg).findall(f".//{SVG}path")
    assert len(paths) == len(edges) + 1  # one per edge, plus the arrow head's marker


def test_labels_are_escaped_and_long_ones_shortened() -> None:
    evil = '<img src=x onerror="alert(1)">&amp;' + "x" * 60 + ".csv"
    svg, _ = render_svg(
        [{"id": "file:/d/e", "kind": "file", "label": evil}, {"id": "cell:0@1", "kind": "cell"}],
        [{"src": "file:/d/e", "dst": "cell:0@1", "kind": "read"}],
    )
    root = ET.fromstring(svg)  # well-formed: nothing broke out of its element
    assert not root.findall(f".//{SVG}img") and "<img" not in svg
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert any(t.startswith("…") and t.endswith(".csv") and len(t) <= 24 for t in texts)
    assert evil in _boxes(svg)  # the whole label in the tooltip


def test_large_graphs_fold_variables_then_truncate() -> None:
    nodes, edges = _chain(MAX_NODES)
    svg, note = render_svg(nodes, edges)
    assert note is not None and "variables folded" in note
    assert len(_boxes(svg)) <= MAX_NODES
    ET.fromstring(svg)


def test_a_cycle_in_a_malformed_graph_is_still_drawn() -> None:
    nodes = [{"id": i, "kind": "cell", "label": i} for i in "abc"]
    edges = [{"src": "a", "dst": "b"}, {"src": "b", "dst": "c"}, {"src": "c", "dst": "a"}]
    svg, _ = render_svg(nodes, edges)
    assert len(_boxes(svg)) == 3


def test_empty_graph_says_so() -> None:
    svg, note = render_svg([], [])
    assert "No lineage was recorded" in svg and note is None


def test_severity_chart_has_a_bar_and_count_per_severity() -> None:
    svg = severity_chart({"critical": 1, "high": 4, "medium": 0, "low": 2, "info": 0}, waived=3)
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[:2] == ["critical", "1"] and "7 open, 3 waived" in texts


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "[click](javascript:alert(1)) ![x](http://evil.example/x.png)",
        "**bold** _it_ `code` # heading | pipe | - item 1. item",
        "$x^2$ and $$\\int$$ math",
        "http://autolinked.example/path?q=1 and www.example.org",
        "a\nb\n\n---\n<img src=x onerror=alert(1)>",
        "&lt;already escaped&gt; & ampersand \\ backslash",
        "1. not a list",
        "- not a list either",
        "+ nor this",
        "k***@e***.com mail@example.org ~~struck~~",
    ],
)
@pytest.mark.parametrize(("before", "after", "wrapper"), [("", "", "p"), ("- ", "", "li")])
def test_markdown_escaping_keeps_text_as_text(
    text: str, before: str, after: str, wrapper: str
) -> None:
    import html

    rendered = mistune.html(before + md(text) + after).strip()
    inner = re.sub(rf"^(<ul>\n)?<{wrapper}>|</{wrapper}>(\n</ul>)?$", "", rendered)
    assert "<" not in inner, rendered
    assert html.unescape(inner).strip() == " ".join(text.split())


def test_markdown_table_cells_stay_in_their_column() -> None:
    from nbsec.report.render_notebook import _table

    rendered = mistune.html(_table(["a", "b"], [["x | y", "<td>z</td>"]]))
    assert rendered.count("<td>") == 2 and "&lt;td&gt;z&lt;/td&gt;" in rendered
