"""Models and pickles seen in this session: ``%nbsec models``.

One row per file (by sha256, else path) or download source, with how often it was loaded, the
last verdict and action, and whether this session wrote the file itself (``own``: a model it
trained and dumped, known by its hash from the lineage record).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbsec.findings import cell_label
from nbsec.kernel.command_table import MagicCommand, RequestHandler, parser
from nbsec.kernel.views import RowsView

if TYPE_CHECKING:
    from nbsec.kernel.context import FrontEndContext

COLUMNS = ["api", "what", "sha256", "verdict", "action", "loads", "own", "revision"]


def models(context: FrontEndContext, argv: list[str]) -> RowsView:
    parser("models").parse_args(argv)
    rows = [_row(m) for m in context.state.models]
    return RowsView("nbsec models", COLUMNS, rows)


def _row(m: dict[str, Any]) -> dict[str, Any]:
    own = m.get("own")
    return {
        "api": m.get("api"),
        "what": (m.get("source") if m.get("kind") == "download" else None)
        or m.get("path")
        or m.get("source"),
        "sha256": (m.get("sha256") or "")[:16],
        "verdict": m.get("verdict"),
        "action": m.get("action"),
        "loads": m.get("loads"),
        "own": _written_in(own) if own else "",
        "revision": ("pinned " if m.get("pinned") else "") + (m.get("revision") or ""),
    }


def _written_in(cell: dict[str, Any]) -> str:
    if cell.get("cell_index") is not None:
        return f"written in {cell_label(int(cell['cell_index']))}"
    if cell.get("execution_count") is not None:
        return f"written by run [{cell['execution_count']}]"
    return "written in this session"


MAGICS: dict[str, MagicCommand] = {"models": models}
REQUESTS: dict[str, RequestHandler] = {}
