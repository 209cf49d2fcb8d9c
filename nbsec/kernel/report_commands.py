"""The governance report: ``%nbsec report [FOLDER]`` and the panel's ``report`` request.

Both hand the report builder the session as plain data (:func:`live_session`: findings with
masked evidence, frame summaries, the models inventory, the waivers in force, the lineage records
and the ledger's head) and write the report beside the notebook (or into ``FOLDER``, relative to
it): the report notebook, its HTML page, JSON, SARIF, CycloneDX and OpenLineage files. When the
kernel does not know its notebook, the report covers the session alone and says so. The request
answers the written files' paths relative to the notebook's folder, as the panel opens them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbsec.kernel.command_table import MagicCommand, RequestError, RequestHandler, parser

if TYPE_CHECKING:
    from nbsec.kernel.context import FrontEndContext
    from nbsec.report.live_report import WrittenReport
    from nbsec.report.live_session import LiveSession


def report_available() -> bool:
    try:
        import nbsec.report.live_report  # noqa: F401
    except ImportError:
        return False
    return True


def live_session(context: FrontEndContext, *, packages: bool = True) -> LiveSession:
    """The running session as the report builder's plain data (never a data value)."""
    import datetime as dt

    from nbsec.report.environment import python_description, resolve_packages
    from nbsec.report.live_session import LiveSession, user_modules

    state = context.state.to_state()
    lineage = context.services.lineage
    tracker: Any = getattr(lineage, "tracker", None)
    summary = tracker.summary() if tracker is not None else {}
    ledger = getattr(tracker, "ledger_file", None)
    shell = context.shell
    modules = user_modules(shell.user_ns, getattr(shell, "user_ns_hidden", None))
    python, implementation = python_description()
    policy = context.session.file_policy
    status = context.status()
    session = LiveSession(
        notebook=str(context.notebook) if context.notebook else None,
        findings=[_finding(f) for f in state["findings"]],
        frames={name: dict(frame) for name, frame in state["frames"].items()},
        models=_model_events(lineage.records if lineage is not None else [], state["models"]),
        waivers=_report_waivers(state["waivers"], state["findings"]),
        records=[r.to_dict() for r in lineage.records] if lineage is not None else [],
        ledger=str(ledger) if ledger else None,
        ledger_head=summary.get("ledger_head"),
        session_id=summary.get("session_id"),
        mode=context.policy.effective_policy().mode,
        enabled=context.policy.enabled,
        policy_file=str(policy.source) if policy.source else None,
        policy_error=context.session.policy_error,
        kernel={
            "python": python,
            "implementation": implementation,
            "name": os.environ.get("JPY_KERNEL_NAME") or None,
        },
        modules=modules,
        internal_errors=int(status.get("internal_errors") or 0),
        captured_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    if packages:
        resolved, unresolved = resolve_packages(modules)
        session.packages = [p.to_dict() for p in resolved]
        session.unresolved_modules = unresolved
    return session


def _model_events(records: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every load and download with the cell that made it: from the lineage records (each
    event, exactly, completed by its file's inventory row: verdict, globals), else the
    inventory's rows (one per file, at the last cell that loaded it)."""
    by_file = {row.get("sha256") or row.get("path"): row for row in rows}
    events = [
        {
            **{
                k: v
                for k, v in by_file.get(event.get("sha256") or event.get("path"), {}).items()
                if k not in ("key", "loads", "last_cell", "own")
            },
            **{k: v for k, v in event.items() if v not in (None, [], "")},
            "cell": {
                "cell_id": record.cell_id,
                "cell_index": record.cell_index,
                "execution_count": record.execution_count,
            },
        }
        for record in records
        for event in record.models
    ]
    return events or [{**row, "cell": row.get("last_cell")} for row in rows]


def _finding(entry: dict[str, Any]) -> dict[str, Any]:
    """A finding of the state without the kernel's own fields (waiver id, subject)."""
    return {k: v for k, v in entry.items() if k not in ("waiver", "subject")}


def _report_waivers(
    waivers: list[dict[str, Any]], findings: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The session's and the notebook's waivers in force, as the report reads them (``kind`` and
    ``target``); the policy file's own waivers reach the report through the policy. A column
    waiver is given as the findings it covers."""
    out: list[dict[str, Any]] = []
    for waiver in waivers:
        if waiver.get("origin") == "policy" or not waiver.get("active"):
            continue
        scope = waiver.get("scope") or {}
        common = {
            "reason": waiver.get("reason"),
            "at": waiver.get("at"),
            "expires": waiver.get("expires"),
        }
        kind = scope.get("kind")
        targets: list[tuple[str, Any]] = []
        if kind == "rule":
            targets = [("rule", scope.get("rule"))]
        elif kind == "finding":
            targets = [("fingerprint", scope.get("fingerprint"))]
        elif kind == "file":
            targets = [("sha256", scope.get("sha256"))]
        elif kind == "path":
            targets = [("path", scope.get("path"))]
        elif kind == "column":
            targets = [
                ("fingerprint", f.get("fingerprint"))
                for f in findings
                if f.get("waiver") == waiver.get("id")
            ]
        out += [{"kind": k, "target": t, **common} for k, t in targets if t]
    return out


def write_report(
    context: FrontEndContext, folder: str | None, *, via: str, html: bool = True
) -> WrittenReport:
    """Build and write the report of this session (``folder`` relative to the notebook's)."""
    from nbsec.report.live_report import check_out_dir, report_session

    base = context.notebook.parent if context.notebook else Path.cwd()
    return report_session(
        live_session(context),
        policy=context.session.file_policy,
        notebook=context.notebook,
        out_dir=check_out_dir(folder, base),
        via=via,
        html_page=html,
    )


def report(context: FrontEndContext, argv: list[str]) -> WrittenReport:
    args = parser("report")
    args.add_argument("folder", nargs="?", help="where to write it (default: beside the notebook)")
    args.add_argument("--no-html", action="store_true", help="no HTML page")
    parsed = args.parse_args(argv)
    return _written(
        lambda: write_report(context, parsed.folder, via="magic", html=not parsed.no_html)
    )


def report_request(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        written = _written(
            lambda: write_report(
                context, payload.get("path"), via="panel", html=bool(payload.get("html", True))
            )
        )
    except ValueError as exc:
        raise RequestError(str(exc), "failed") from None
    base = context.notebook.parent if context.notebook else Path.cwd()
    folder = Path(written.folder)
    return {
        "path": _shown(folder / written.report, base),
        "html_path": _shown(folder / written.html, base) if written.html else None,
    }


def _written(build: Any) -> WrittenReport:
    """Run ``build``; the report's own errors (a bad folder, an unreadable notebook) become one
    line (``ValueError``)."""
    from nbsec.errors import NbsecError

    try:
        result: WrittenReport = build()
    except NbsecError as exc:
        raise ValueError(str(exc)) from None
    return result


def _shown(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when it lies under it, else absolute."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


MAGICS: dict[str, MagicCommand] = {"report": report}
REQUESTS: dict[str, RequestHandler] = {"report": report_request}
