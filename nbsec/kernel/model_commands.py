"""Models and pickles seen in this session: ``%nbsec models``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbsec.kernel.command_table import MagicCommand, RequestHandler, parser
from nbsec.kernel.views import RowsView

if TYPE_CHECKING:
    from nbsec.kernel.context import FrontEndContext


def models(context: FrontEndContext, argv: list[str]) -> RowsView:
    parser("models").parse_args(argv)
    rows = [
        {
            "api": m.get("api"),
            "what": (m.get("source") if m.get("kind") == "download" else None)
            or m.get("path")
            or m.get("source"),
            "sha256": (m.get("sha256") or "")[:16],
            "verdict": m.get("verdict"),
            "action": m.get("action"),
            "revision": ("pinned " if m.get("pinned") else "") + (m.get("revision") or ""),
        }
        for m in context.state.models
    ]
    return RowsView(
        "nbsec models", ["api", "what", "sha256", "verdict", "action", "revision"], rows
    )


MAGICS: dict[str, MagicCommand] = {"models": models}
REQUESTS: dict[str, RequestHandler] = {}
