"""The governance report in a live kernel: ``%nbsec report [PATH]``, ``%nbsec meta key=value``
and the panel's ``report`` request.

``%nbsec report`` reports the session itself (everything the kernel saw, captured as plain data
by :func:`nbsec.report.live_session.capture`, plus the saved notebook's static findings), written
beside the notebook: ``NAME.nbsec.ipynb``, ``NAME.nbsec.html`` and the attachments. ``PATH`` is a
folder, or a file name ending in ``.ipynb`` (every file then takes that name). ``%nbsec meta``
sets the governance fields the report asks for (purpose, intended use, owner, legal basis, ...):
kept in the session, recorded in the ledger and saved by the panel in
``metadata.nbsec.governance``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbsec.errors import NbsecError
from nbsec.kernel.command_table import (
    BadArguments,
    MagicCommand,
    RequestError,
    RequestHandler,
    parser,
)
from nbsec.kernel.views import TableView

if TYPE_CHECKING:
    from nbsec.kernel.context import FrontEndContext
    from nbsec.report.live_report import WrittenReport


def report_available() -> bool:
    import nbsec

    return "build_report" in dir(nbsec)


def _write(context: FrontEndContext, target: str | None, html: bool, via: str) -> WrittenReport:
    from nbsec.report.live_report import output_target, report_session
    from nbsec.report.live_session import capture

    base_dir = context.notebook.parent if context.notebook is not None else Path.cwd()
    folder, base = output_target(target, base_dir)
    session = capture(context)
    return report_session(
        session,
        policy=context.policy.effective_policy(),
        notebook=context.notebook,
        out_dir=folder,
        base=base,
        via=via,
        html_page=html,
    )


def report(context: FrontEndContext, argv: list[str]) -> WrittenReport:
    args = parser("report")
    args.add_argument("path", nargs="?")
    args.add_argument("--no-html", action="store_true")
    ns = args.parse_args(argv)
    try:
        return _write(context, ns.path, not ns.no_html, "magic")
    except NbsecError as exc:
        raise ValueError(str(exc)) from None


def report_request(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Write the report; reply with where it is, relative to the notebook's folder when it is
    inside it (the panel opens it from there)."""
    try:
        written = _write(context, payload.get("path"), bool(payload.get("html", True)), "panel")
    except NbsecError as exc:
        raise RequestError(str(exc)) from None
    folder = Path(written.folder)
    base = context.notebook.parent if context.notebook is not None else Path.cwd()

    def shown(name: str | None) -> str | None:
        if name is None:
            return None
        path = (folder / name).resolve()
        try:
            return path.relative_to(base.resolve()).as_posix()
        except ValueError:
            return str(path)

    return {"path": shown(written.report), "html_path": shown(written.html)}


def meta(context: FrontEndContext, argv: list[str]) -> TableView:
    """``%nbsec meta`` shows the governance fields; ``%nbsec meta owner=data team`` sets one
    (words after a ``key=`` belong to its value; ``key=`` alone clears it)."""
    from nbsec.report.governance import FIELDS, validate

    changes: list[tuple[str, str]] = []
    for token in argv:
        if "=" in token:
            key, _, value = token.partition("=")
            changes.append((key, value))
        elif changes:
            key, value = changes[-1]
            changes[-1] = (key, f"{value} {token}".strip())
        else:
            raise BadArguments(f"%nbsec meta: expected key=value, got {token!r}")
    checked = []
    for key, value in changes:
        try:
            checked.append(validate(key, value))
        except ValueError as exc:
            raise BadArguments(f"%nbsec meta: {exc}") from None
    for key, value in checked:
        context.state.set_governance(key, value or None)
        lineage = context.services.lineage
        if lineage is not None:  # the ledger keeps every change, for the audit
            context.guarded(
                "lineage.record_event", lineage.record_event, "governance", {key: value}
            )
    if checked:
        context.publish()
    values = context.state.governance
    return TableView(
        "nbsec governance fields (saved in metadata.nbsec.governance)",
        {label: values.get(key) or "not stated" for key, label, _ in FIELDS},
    )


MAGICS: dict[str, MagicCommand] = {"report": report, "meta": meta}
REQUESTS: dict[str, RequestHandler] = {"report": report_request}
