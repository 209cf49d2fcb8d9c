"""Render a lineage graph in one of the formats users ask for (CLI and ``%nbsec lineage``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from nbsec.errors import UsageError

if TYPE_CHECKING:
    from nbsec.lineage.graph import LineageGraph

FORMATS = ("json", "mermaid", "openlineage", "prov")


def render(graph: LineageGraph, fmt: str, *, job_name: str = "notebook") -> str:
    """The graph as text: ``json`` (DESIGN.md contract), ``mermaid``, ``openlineage`` (a JSON
    array of RunEvents) or ``prov`` (PROV-JSON)."""
    if fmt == "json":
        return json.dumps(graph.to_json(), indent=2) + "\n"
    if fmt == "mermaid":
        return graph.to_mermaid()
    if fmt == "openlineage":
        return json.dumps(graph.to_openlineage(job_name=job_name), indent=2) + "\n"
    if fmt == "prov":
        return json.dumps(graph.to_prov(), indent=2) + "\n"
    raise UsageError(f"unknown lineage format {fmt!r} (choose from {', '.join(FORMATS)})")
