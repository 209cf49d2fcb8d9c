"""W3C PROV-JSON of a lineage graph.

Cells are ``activity`` records (``prov:startTime`` / ``prov:endTime``); files, URLs, variable
versions and models are ``entity`` records; ``used`` links a cell to what it read, used or loaded;
``wasGeneratedBy`` links what a cell defined, mutated or wrote to the cell; ``wasDerivedFrom``
links each of a cell's outputs to each of its inputs (through that cell). Identifiers are the
graph's node ids read as qualified names: prefix = node kind, local part = the rest.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.lineage.graph import LineageGraph

PREFIXES = {
    "nbsec": "https://github.com/nbsec/nbsec/ns/lineage#",
    "file": "file://",
    "url": "urn:nbsec:url:",
    "var": "urn:nbsec:var:",
    "cell": "urn:nbsec:cell:",
    "model": "urn:nbsec:model:",
}
_TYPES = {
    "file": "nbsec:File",
    "url": "nbsec:Url",
    "var": "nbsec:Variable",
    "model": "nbsec:Model",
    "cell": "nbsec:CellExecution",
}
_INPUT_EDGES = {"read", "used", "loaded"}
_OUTPUT_EDGES = {"defined", "mutated", "written"}


def _qname(node_id: str) -> str:
    kind, _, rest = node_id.partition(":")
    return f"{kind}:{rest}" if kind in PREFIXES else f"nbsec:{node_id}"


def _attributes(node: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"prov:type": {"$": _TYPES.get(node["kind"], "nbsec:Thing"),
                                         "type": "prov:QUALIFIED_NAME"}}  # fmt: skip
    for key in ("name", "path", "url", "source", "sha256", "fingerprint", "type", "verdict"):
        value = node.get(key)
        if isinstance(value, str) and value:
            out[f"nbsec:{key}"] = value
    for key in ("execution_count", "cell_index", "size"):
        value = node.get(key)
        if isinstance(value, int):
            out[f"nbsec:{key}"] = value
    return out


def to_prov(graph: LineageGraph) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "prefix": dict(PREFIXES),
        "entity": {},
        "activity": {},
        "used": {},
        "wasGeneratedBy": {},
        "wasDerivedFrom": {},
    }
    times = {}
    for record in graph.records:
        from nbsec.lineage.graph import cell_node_id

        times[cell_node_id(record)] = (record.started, record.duration_ms)
    for node in graph.nodes.values():
        qname = _qname(node["id"])
        if node["kind"] == "cell":
            attrs = _attributes(node)
            started, duration = times.get(node["id"], ("", 0.0))
            if started:
                begin = dt.datetime.fromisoformat(started.replace("Z", "+00:00"))
                end = begin + dt.timedelta(milliseconds=duration)
                attrs["prov:startTime"] = begin.isoformat()
                attrs["prov:endTime"] = end.isoformat()
            doc["activity"][qname] = attrs
        else:
            doc["entity"][qname] = _attributes(node)
    inputs: dict[str, list[str]] = {}
    outputs: dict[str, list[str]] = {}
    for number, edge in enumerate(graph.edges):
        if edge["kind"] in _INPUT_EDGES:
            cell, entity = _qname(edge["dst"]), _qname(edge["src"])
            doc["used"][f"_:u{number}"] = {"prov:activity": cell, "prov:entity": entity}
            inputs.setdefault(cell, []).append(entity)
        elif edge["kind"] in _OUTPUT_EDGES:
            cell, entity = _qname(edge["src"]), _qname(edge["dst"])
            doc["wasGeneratedBy"][f"_:g{number}"] = {"prov:entity": entity, "prov:activity": cell}
            outputs.setdefault(cell, []).append(entity)
    count = 0
    for cell, made in outputs.items():
        for generated in dict.fromkeys(made):
            for used in dict.fromkeys(inputs.get(cell, [])):
                if used == generated:
                    continue
                doc["wasDerivedFrom"][f"_:d{count}"] = {
                    "prov:generatedEntity": generated,
                    "prov:usedEntity": used,
                    "prov:activity": cell,
                }
                count += 1
    return {k: v for k, v in doc.items() if v}
