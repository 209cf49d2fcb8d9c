"""Lineage of this session: ``%nbsec lineage [--format F] [--var NAME]``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbsec.findings import cell_label
from nbsec.kernel.command_table import MagicCommand, RequestHandler, parser
from nbsec.kernel.views import LineageView, RowsView

if TYPE_CHECKING:
    from nbsec.kernel.context import FrontEndContext
    from nbsec.lineage.graph import LineageGraph

FORMATS = ("json", "mermaid", "openlineage", "prov", "table")


def ancestor_rows(graph: LineageGraph, var: str) -> list[dict[str, Any]]:
    """What the newest version of ``var`` was derived from, as ``{kind, node}`` rows."""
    try:
        nodes = graph.var_ancestors(var)
    except KeyError:
        raise ValueError(f"no lineage recorded for a variable named {var!r}") from None
    return [{"kind": n.split(":", 1)[0], "node": n.split(":", 1)[1]} for n in nodes]


def lineage(context: FrontEndContext, argv: list[str]) -> Any:
    args = parser("lineage")
    args.add_argument("--format", choices=FORMATS, default="table")
    args.add_argument("--var", default=None)
    parsed = args.parse_args(argv)
    service = context.services.lineage
    if service is None:
        raise ValueError("the lineage tracker is not running")
    graph = service.graph()
    if parsed.var:
        return RowsView(
            f"lineage of {parsed.var}", ["kind", "node"], ancestor_rows(graph, parsed.var)
        )
    if parsed.format == "json":
        return LineageView("json", graph.to_json())
    if parsed.format == "mermaid":
        return LineageView("mermaid", graph.to_mermaid())
    if parsed.format == "openlineage":
        return LineageView("openlineage", graph.to_openlineage())
    if parsed.format == "prov":
        return LineageView("prov", graph.to_prov())
    rows = [
        {
            "cell": cell_label(cell.get("cell_index"), cell.get("cell_id")),
            "run": cell.get("execution_count"),
            "reads": [r["uri"] for r in cell.get("reads", [])],
            "writes": [w["uri"] for w in cell.get("writes", [])],
            "defines": cell.get("defines", []),
            "uses": cell.get("uses", []),
        }
        for cell in graph.to_json()["cells"]
    ]
    return RowsView("nbsec lineage", ["cell", "run", "reads", "writes", "defines", "uses"], rows)


MAGICS: dict[str, MagicCommand] = {"lineage": lineage}
REQUESTS: dict[str, RequestHandler] = {}
