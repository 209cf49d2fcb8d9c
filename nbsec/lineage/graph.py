"""The lineage graph built from cell records, and its JSON form (the DESIGN.md contract).

Node ids: ``file:<absolute path>``, ``url:<url>``, ``var:<name>@<execution_count>``,
``cell:<cell_index>@<execution_count>``, ``model:<source>``. Edges point from what was used to
what was made: ``file -> cell`` (``read``), ``url -> cell`` (``read``), ``model -> cell``
(``loaded``), ``var -> cell`` (``used``), ``cell -> var`` (``defined`` or ``mutated``),
``cell -> file`` / ``cell -> url`` (``written``).

A local model file is the same node as the file (``file:<absolute path>``, with the load's
verdict on it): one node per file. A cell of line magics only (``%load_ext``, ``%matplotlib``)
that touched nothing is left out of the graph, so it is not a loose node.

Records are replayed in execution order, so each use links to the version of the variable that
was current *when the cell ran* -- re-executed cells, cells run out of order and cells deleted
since all get their true history. An in-place mutation makes a new version of the variable
(``var:df@7`` after ``var:df@3``), linked through the mutating cell. A cell whose index is not
known (a client that sent no id, a notebook not on disk) gets ``cell:?@<execution_count>``.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nbsec.lineage.records import Access, CellRecord


def cell_node_id(record: CellRecord) -> str:
    index = "?" if record.cell_index is None else str(record.cell_index)
    count = f"s{record.seq}" if record.execution_count is None else str(record.execution_count)
    return f"cell:{index}@{count}"


def var_node_id(name: str, record: CellRecord) -> str:
    count = f"s{record.seq}" if record.execution_count is None else str(record.execution_count)
    return f"var:{name}@{count}"


def access_node_id(access: Access) -> str:
    return f"{access.kind}:{access.uri}"


@dataclass
class LineageGraph:
    records: list[CellRecord]
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_records(cls, records: Iterable[CellRecord]) -> LineageGraph:
        graph = cls(records=[r for r in records if not (r.magic_only and r.empty)])
        graph._build()
        return graph

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LineageGraph:
        """Rebuild from :meth:`to_json` output (its ``cells`` carry the full records)."""
        return cls.from_records(CellRecord.from_dict(c) for c in data.get("cells") or [])

    # -- construction --------------------------------------------------------------------------
    def _edge(self, src: str, dst: str, kind: str, record: CellRecord, **extra: Any) -> None:
        edge = {"src": src, "dst": dst, "kind": kind, "cell_index": record.cell_index}
        edge.update({k: v for k, v in extra.items() if v is not None})
        self.edges.append(edge)

    def _build(self) -> None:
        current: dict[str, str] = {}  # variable name -> node id of its current version
        for record in self.records:
            cell = cell_node_id(record)
            self.nodes[cell] = {
                "id": cell,
                "kind": "cell",
                "cell_index": record.cell_index,
                "cell_id": record.cell_id,
                "execution_count": record.execution_count,
                "source_sha256": record.source_sha256,
                "session_id": record.session_id,
                "error": record.error,
                "unobserved": list(record.unobserved),
            }
            for access in record.reads:
                node = self._access_node(access)
                self._edge(node, cell, "read", record, sha256=access.sha256)
            for model in record.models:
                source = str(model.get("source"))
                if os.path.isabs(source):  # a local file: the file's own node
                    node = f"file:{source}"
                    self.nodes.setdefault(node, {"id": node, "kind": "file", "path": source})
                else:
                    node = f"model:{source}"
                    self.nodes.setdefault(node, {"id": node, "kind": "model", "source": source})
                self.nodes[node].update(
                    {k: model[k] for k in ("sha256", "verdict", "path") if model.get(k)}
                )
                self.nodes[node]["model"] = True
                self._edge(node, cell, "loaded", record, sha256=model.get("sha256"))
            for name in record.uses:
                if name in current:
                    self._edge(current[name], cell, "used", record)
            mutated = set(record.mutated)
            for name in (*record.defines, *record.mutated):
                node = var_node_id(name, record)
                info = record.variables.get(name)
                attrs: dict[str, Any] = {
                    "id": node,
                    "kind": "var",
                    "name": name,
                    "execution_count": record.execution_count,
                }
                if info is not None:
                    attrs.update(info.to_dict())
                self.nodes[node] = attrs
                self._edge(cell, node, "mutated" if name in mutated else "defined", record)
                current[name] = node
            for access in record.writes:
                node = self._access_node(access)
                self._edge(cell, node, "written", record, sha256=access.sha256)
            for name in record.deleted:
                current.pop(name, None)

    def _access_node(self, access: Access) -> str:
        node = access_node_id(access)
        attrs = self.nodes.setdefault(node, {"id": node, "kind": access.kind})
        attrs["path" if access.kind == "file" else "url"] = access.uri
        if access.sha256:
            attrs["sha256"] = access.sha256
            attrs["partial"] = access.partial
        if access.size is not None:
            attrs["size"] = access.size
        return node

    # -- queries ---------------------------------------------------------------------------------
    def successors(self, node: str) -> list[str]:
        return [e["dst"] for e in self.edges if e["src"] == node]

    def reachable(self, start: str) -> set[str]:
        """Every node reachable by following edges from ``start``: what was derived from it
        (``start`` itself only through a cycle, a cell that rewrote the file it read)."""
        return _closure(start, self.edges, "src", "dst")

    def ancestors(self, start: str) -> set[str]:
        """Every node from which ``start`` can be reached: what it was derived from."""
        return _closure(start, self.edges, "dst", "src")

    def latest_var(self, name: str) -> str | None:
        """The node id of the newest version of variable ``name``, or ``None``."""
        latest: tuple[int, str] | None = None
        prefix = f"var:{name}@"
        for node in self.nodes:
            if node.startswith(prefix):
                key = (_version_order(node[len(prefix) :]), node)
                if latest is None or key > latest:
                    latest = key
        return latest[1] if latest else None

    def var_ancestors(self, name: str) -> list[str]:
        """Everything the newest version of variable ``name`` was derived from, itself
        included, sorted by node kind then id. Raises ``KeyError`` when no version of it was
        recorded."""
        latest = self.latest_var(name)
        if latest is None:
            raise KeyError(name)
        found = self.ancestors(latest) | {latest}
        return sorted(found, key=lambda n: (n.split(":", 1)[0], n))

    # -- exports ---------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        cells = []
        for record in self.records:
            full = record.to_dict()
            cells.append(
                {
                    "cell_index": record.cell_index,
                    "cell_id": record.cell_id,
                    "execution_count": record.execution_count,
                    "source_sha256": record.source_sha256,
                    "defines": list(record.defines),
                    "uses": list(record.uses),
                    "reads": [_access_json(a) for a in record.reads],
                    "writes": [_access_json(a) for a in record.writes],
                    "models": [dict(m) for m in record.models],
                    **{
                        k: full[k]
                        for k in (
                            "mutated",
                            "rebound",
                            "deleted",
                            "imports",
                            "variables",
                            "unobserved",
                            "findings",
                            "error",
                            "duration_ms",
                            "started",
                            "session_id",
                            "seq",
                        )
                    },
                }
            )
        return {
            "cells": cells,
            "nodes": list(self.nodes.values()),
            "edges": [dict(e) for e in self.edges],
        }

    def to_mermaid(self) -> str:
        from nbsec.lineage.mermaid_export import to_mermaid

        return to_mermaid(self)

    def to_openlineage(
        self, *, job_namespace: str = "nbsec", job_name: str = "notebook"
    ) -> list[dict[str, Any]]:
        from nbsec.lineage.openlineage_export import to_openlineage

        return to_openlineage(self, job_namespace=job_namespace, job_name=job_name)

    def to_prov(self) -> dict[str, Any]:
        from nbsec.lineage.prov_export import to_prov

        return to_prov(self)


def _closure(start: str, edges: Iterable[Mapping[str, Any]], near: str, far: str) -> set[str]:
    adjacency: dict[str, list[str]] = {}
    for edge in edges:
        adjacency.setdefault(edge[near], []).append(edge[far])
    seen: set[str] = set()
    queue = deque(adjacency.get(start, []))
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        queue.extend(adjacency.get(node, []))
    return seen


def _version_order(version: str) -> int:
    """``var:x@12`` sorts by execution count; ``@s3`` (no count) by sequence number."""
    digits = version.removeprefix("s")
    return int(digits) if digits.isdigit() else -1


def _access_json(access: Access) -> dict[str, Any]:
    out: dict[str, Any] = {"uri": access.uri, "sha256": access.sha256, "kind": access.kind}
    if access.partial:
        out["partial"] = True
    if access.size is not None:
        out["size"] = access.size
    return out
