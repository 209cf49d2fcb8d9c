"""PII in DataFrames on demand: ``%nbsec scan [NAME...]`` and the panel's ``scan_frame``.

Both run a complete pass (every row) through the ``frames`` service and record the findings in
the session; the magic shows new findings inline and returns a table of PII columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbsec.kernel.command_table import MagicCommand, RequestError, RequestHandler, parser
from nbsec.kernel.views import RowsView

if TYPE_CHECKING:
    from nbsec.findings import Finding
    from nbsec.kernel.context import FrontEndContext


def scan(context: FrontEndContext, argv: list[str]) -> RowsView:
    from nbsec.kernel.display import heading_for, show_findings
    from nbsec.kernel.frame_watch import is_frame

    args = parser("scan")
    args.add_argument("names", nargs="*")
    names = args.parse_args(argv).names
    frames = context.services.frames
    if frames is None:
        raise ValueError("the DataFrame scanner is not running")
    ns = context.shell.user_ns
    if not names:
        names = [n for n, v in ns.items() if not n.startswith("_") and is_frame(v)]
    rows: list[dict[str, Any]] = []
    findings: list[Finding] = []
    for name in names:
        if name not in ns:
            raise ValueError(f"no variable named {name!r}")
        if not is_frame(ns[name]):
            raise ValueError(f"{name!r} is not a pandas or polars DataFrame")
        findings += frames.scan(name, ns[name], inline=False)
        summary = context.state.frames[name]
        for column, info in summary["pii_columns"].items():
            rows.append(
                {
                    "frame": name,
                    "column": column,
                    "entities": [f"{e['type']} {e['fraction']:.0%}" for e in info["entities"]],
                    "examples": info["examples"][:3],
                }
            )
        if not summary["pii_columns"]:
            rows.append({"frame": name, "column": "-", "entities": "no PII", "examples": ""})
    news = context.state.add_findings(findings)
    show_findings(news, heading_for(news, "personal data") if news else "")
    return RowsView("nbsec scan", ["frame", "column", "entities", "examples"], rows)


MAGICS: dict[str, MagicCommand] = {"scan": scan}


def scan_frame(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    from nbsec.kernel.frame_watch import is_frame

    name = payload["name"]
    value = context.shell.user_ns.get(name)
    if value is None or not is_frame(value):
        raise RequestError(f"no DataFrame named {name!r} in the kernel")
    frames = context.services.frames
    if frames is None:
        raise RequestError("the DataFrame scanner is not running")
    findings = frames.scan(name, value, inline=False)
    context.state.add_findings(findings)
    return {
        "name": name,
        "frame": context.state.frames.get(name),
        "findings": [f.to_dict() for f in findings],
    }


REQUESTS: dict[str, RequestHandler] = {"scan_frame": scan_frame}
