"""PII in DataFrames on demand: ``%nbsec scan [NAME...]`` and the panel's ``scan_frame``; what
the session knows of its frames: ``%nbsec frames``.

Both run a complete pass (every row) through the ``frames`` service and record the findings in
the session. The magic runs it at once, shows new findings inline and returns a table of PII
columns; the request starts it as a job (:mod:`nbsec.kernel.jobs`) that reports progress, can be
cancelled (``cancel_scan``) and keeps the kernel answering between its steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbsec.kernel.command_table import MagicCommand, RequestError, RequestHandler, parser
from nbsec.kernel.views import RowsView

if TYPE_CHECKING:
    from nbsec.findings import Finding
    from nbsec.kernel.context import FrontEndContext


def scan(context: FrontEndContext, argv: list[str]) -> RowsView:
    from nbsec.kernel.display import show_findings
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
    news: list[Finding] = []
    for name in names:
        if name not in ns:
            raise ValueError(f"no variable named {name!r}")
        if not is_frame(ns[name]):
            raise ValueError(f"{name!r} is not a pandas, polars, Spark or Dask DataFrame")
        news += frames.scan(name, ns[name], inline=False)
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
    show_findings(news, "personal data")
    return RowsView("nbsec scan", ["frame", "column", "entities", "examples"], rows)


def frames(context: FrontEndContext, argv: list[str]) -> RowsView:
    """``%nbsec frames``: the frames scanned so far, what each scan read and the PII columns it
    found; frames whose pass still runs in the background are listed as ``scanning``."""
    parser("frames").parse_args(argv)
    service = context.services.frames
    if service is None:
        raise ValueError("the DataFrame scanner is not running")
    scanning = set(service.scanning())
    rows: list[dict[str, Any]] = []
    for name, summary in sorted(context.state.frames.items()):
        if summary.get("exhaustive"):
            how = "every row"
        elif not summary.get("rows_known", True):
            how = f"first {summary['rows_scanned']} rows"
        else:
            how = f"{summary['rows_scanned']} of {summary['rows']} rows"
        if summary.get("partial"):
            how += " (partial)"
        pii = [
            f"{column}: {', '.join(e['type'] for e in info['entities'])}"
            for column, info in summary["pii_columns"].items()
        ]
        rows.append(
            {
                "frame": name,
                "engine": summary.get("engine") or "local",
                "scanned": how,
                "pii": "; ".join(pii) or "no PII",
                "state": "scanning" if name in scanning else "done",
            }
        )
    for name in sorted(scanning - set(context.state.frames)):
        rows.append({"frame": name, "engine": "", "scanned": "", "pii": "", "state": "scanning"})
    return RowsView("nbsec frames", ["frame", "engine", "scanned", "pii", "state"], rows)


MAGICS: dict[str, MagicCommand] = {"scan": scan, "frames": frames}


def scan_frame(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    from nbsec.kernel.frame_watch import is_frame

    name = payload["name"]
    value = context.shell.user_ns.get(name)
    if value is None or not is_frame(value):
        raise RequestError(f"no DataFrame named {name!r} in the kernel", "not_found")
    frames = context.services.frames
    if frames is None:
        raise RequestError("the DataFrame scanner is not running", "unavailable")
    try:
        rows = int(value.shape[0])
    except Exception:
        rows = None
    job = context.jobs.start("full_scan", name, frames.full_scan(name, value), rows)
    return {"job": job}


def cancel_scan(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"job": context.jobs.cancel(payload["id"])}
    except KeyError:
        raise RequestError(f"no scan {payload['id']!r}", "not_found") from None


REQUESTS: dict[str, RequestHandler] = {"scan_frame": scan_frame, "cancel_scan": cancel_scan}
