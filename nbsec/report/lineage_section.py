"""The lineage section: the graph of what the run read, made and wrote (nodes with readable
labels, for the picture and the report JSON) and, for every written file and loaded model, what it
was derived from."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

from nbsec.report.cell_labels import cell_label
from nbsec.report.evidence import Evidence, relative_uri
from nbsec.report.model import Derivation, LineageSection

_FLAGGED_VERDICTS = ("dangerous", "suspicious")
# names bound to code rather than data (imported classes and functions): left out of the picture
_CODE_TYPES = frozenset(
    {"type", "ABCMeta", "function", "builtin_function_or_method", "module", "method"}
)


def _label(node: dict[str, Any], base: Path) -> tuple[str, str]:
    """(label on the picture, longer tooltip) of a graph node."""
    kind = node.get("kind")
    if kind == "cell":
        count = node.get("execution_count")
        label = cell_label(node.get("cell_index"), None)
        run = f" [{count}]" if count is not None else ""
        return f"{label}{run}", cell_label(node.get("cell_index"), node.get("cell_id")) + run
    if kind == "var":
        name = str(node.get("name") or node["id"])
        count = node.get("execution_count")
        shape = node.get("shape")
        detail = f" {' x '.join(str(x) for x in shape)}" if isinstance(shape, list) else ""
        return name, f"variable {name} (run {count}){detail} {node.get('type', '')}".strip()
    if kind == "model":
        source = str(node.get("source") or node["id"])
        shown = relative_uri(source, base)
        verdict = node.get("verdict")
        return Path(shown).name or shown, f"model {shown}" + (f" ({verdict})" if verdict else "")
    uri = str(node.get("path") or node.get("url") or node["id"].split(":", 1)[-1])
    shown = relative_uri(uri, base)
    name = shown if kind == "url" else (Path(shown).name or shown)
    digest = node.get("sha256")
    return name, shown + (f" sha256:{str(digest)[:16]}" if digest else "")


def lineage_section(evidence: Evidence) -> LineageSection:
    from nbsec.lineage.graph import LineageGraph

    records = evidence.records
    if not records:
        return LineageSection(
            checked="no run of this notebook was observed (no ledger, no kernel session): "
            "lineage needs --execute or a saved session",
            available=False,
            cells_recorded=0,
            nodes=[],
            edges=[],
            derivations=[],
        )
    graph = LineageGraph.from_records(records)
    base = evidence.base_dir
    written = {e["dst"] for e in graph.edges if e["kind"] == "written"}
    nodes = []
    for node in graph.nodes.values():
        label, title = _label(node, base)
        uri = node.get("path") or node.get("url") or node.get("source")
        nodes.append(
            {
                "id": node["id"],
                "kind": node["kind"],
                "label": label,
                "title": title,
                "uri": relative_uri(str(uri), base) if uri else None,
                "output": node["id"] in written,
                "flagged": node.get("verdict") in _FLAGGED_VERDICTS,
                "code": node["kind"] == "var" and node.get("type") in _CODE_TYPES,
            }
        )
    edges = [{"src": e["src"], "dst": e["dst"], "kind": e["kind"]} for e in graph.edges]
    labels = {n["id"]: n["title"] for n in nodes}
    labels.update(
        {f"source:{n['id']}": n["uri"] for n in nodes if n["kind"] == "model" and n["uri"]}
    )
    derivations = _derivations(graph, written, labels)
    return LineageSection(
        checked=f"{len(records)} cell executions of the {_run_name(evidence)}: files and URLs "
        "read and written, variables defined and used, models loaded",
        available=True,
        cells_recorded=len(records),
        nodes=nodes,
        edges=edges,
        derivations=derivations,
    )


def _run_name(evidence: Evidence) -> str:
    return {"executed": "executed run", "live": "kernel session"}.get(
        evidence.mode, "recorded session"
    )


def _ancestors(edges: list[dict[str, Any]], start: str) -> set[str]:
    parents: dict[str, list[str]] = {}
    for edge in edges:
        parents.setdefault(edge["dst"], []).append(edge["src"])
    seen: set[str] = set()
    queue = deque(parents.get(start, []))
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        queue.extend(parents.get(node, []))
    return seen


def _derivations(graph: Any, written: set[str], labels: dict[str, str]) -> list[Derivation]:
    out: list[Derivation] = []
    for node_id in sorted(written):
        upstream = _ancestors(graph.edges, node_id)
        sources = sorted(
            labels.get(n, n) for n in upstream if n.split(":", 1)[0] in ("file", "url", "model")
        )
        cells = sorted(labels.get(n, n) for n in upstream if n.startswith("cell:"))
        kind = node_id.split(":", 1)[0]
        out.append(
            Derivation(
                output=labels.get(node_id, node_id), kind=kind, derived_from=sources, cells=cells
            )
        )
    for node_id, node in graph.nodes.items():
        if node.get("kind") != "model":
            continue
        users = sorted(labels.get(e["dst"], e["dst"]) for e in graph.edges if e["src"] == node_id)
        origin = [labels.get(f"source:{node_id}", "")] if node.get("source") else []
        origin = [o for o in origin if o]
        out.append(
            Derivation(
                output=labels.get(node_id, node_id), kind="model", derived_from=origin, cells=users
            )
        )
    return out
