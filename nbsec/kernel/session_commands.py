"""Session controls: status, on/off, mode, policy and waivers, as magics and comm requests.

=================================================  ===========================================
``%nbsec`` / ``%nbsec status``                     what nbsec is doing in this kernel
``%nbsec on`` / ``%nbsec off``                     watch cells, or stop (refused when locked)
``%nbsec mode warn|block``                         switch the mode (refused when locked)
``%nbsec policy [--reload]``                       the effective policy
``%nbsec allow TARGET --reason TEXT``              waive exactly one thing (see below)
``%nbsec waivers [--write ID]``                    the waivers in force; write one to the policy
``%nbsec revoke ID``                               withdraw a session or notebook waiver
=================================================  ===========================================

``%nbsec allow`` takes one scope: ``--file PATH`` (that file's content, by sha256: admits it to
load), ``--sha256 HEX``, ``--glob PATTERN`` (files matching: admits them), ``--finding
FINGERPRINT``, ``--column FRAME.COLUMN``, or ``--rule NBS-XXX[-NNN]`` (a rule or family: changes
reporting only). A bare ``TARGET`` is read as the first of those it can be (an existing file, a
64-hex digest, a known finding's fingerprint, a glob, a frame column, a rule id), and the scope is
printed before anything else. ``--dry-run`` shows the scope without recording it.

Requests: ``handshake``, ``get_state``, ``set_mode``, ``allow``, ``revoke``, ``write_waiver``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbsec._version import __version__
from nbsec.kernel import panel_state, protocol, report_commands
from nbsec.kernel.command_table import (
    BadArguments,
    MagicCommand,
    RequestError,
    RequestHandler,
    parser,
)
from nbsec.kernel.session_policy import ModeLocked
from nbsec.kernel.views import RowsView, TableView

if TYPE_CHECKING:
    from nbsec.kernel.context import FrontEndContext

_RULE = re.compile(r"NBS-(PII|SEC|PKL|MDL|SRC|LIN)(-\d{3})?")
_HEX64 = re.compile(r"(?:sha256:)?([0-9a-fA-F]{64})")
_GLOB = re.compile(r"[*?\[]")


# -- magics ---------------------------------------------------------------------------------------
def status(context: FrontEndContext, argv: list[str]) -> TableView:
    parser("status").parse_args(argv)
    info = context.status()
    state = context.state
    counts = state.to_state()["counts"]
    mode = context.policy.effective_policy().mode
    return TableView(
        "nbsec status",
        {
            "version": info["version"],
            "watching": context.policy.enabled,
            "mode": f"{mode} (locked by the policy)" if context.session.locked else mode,
            "policy file": info["policy_file"] or "(defaults)",
            "policy error": info["policy_error"],
            "findings": ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none",
            "frames scanned": len(state.frames),
            "models loaded": len(state.models),
            "waivers": len(state.waivers),
            "engines": info["engines"],
            "cells seen": info["cells_seen"],
            "panel connections": info["panel_connections"],
            "internal errors": info["internal_errors"],
        },
    )


def on(context: FrontEndContext, argv: list[str]) -> TableView:
    parser("on").parse_args(argv)
    context.session.set_enabled(True)
    return status(context, [])


def off(context: FrontEndContext, argv: list[str]) -> TableView:
    parser("off").parse_args(argv)
    context.session.set_enabled(False)
    return status(context, [])


def mode(context: FrontEndContext, argv: list[str]) -> TableView:
    args = parser("mode")
    args.add_argument("mode", choices=("warn", "block"))
    context.session.set_mode(args.parse_args(argv).mode)
    return status(context, [])


def policy(context: FrontEndContext, argv: list[str]) -> TableView:
    args = parser("policy")
    args.add_argument("--reload", action="store_true")
    if args.parse_args(argv).reload:
        context.session.reload_policy()
    data = context.policy.effective_policy().to_dict()
    rows = {k: v for k, v in data.items() if not isinstance(v, dict) and k != "waivers"}
    rows["waivers"] = [f"{r.waiver.describe()}: {r.waiver.reason}" for r in context.state.waivers]
    for section in ("pii", "lineage"):
        for key, value in data[section].items():
            rows[f"{section}.{key}"] = value
    return TableView("nbsec policy", rows)


def allow(context: FrontEndContext, argv: list[str]) -> TableView:
    args = parser("allow")
    args.add_argument("target", nargs="?")
    args.add_argument("--file", dest="file_path")
    args.add_argument("--sha256")
    args.add_argument("--glob")
    args.add_argument("--finding")
    args.add_argument("--column")
    args.add_argument("--rule")
    args.add_argument("--reason", required=True)
    args.add_argument("--expires")
    args.add_argument("--dry-run", action="store_true")
    parsed = args.parse_args(argv)
    scope = _scope_from_arguments(context, parsed)
    expires = _date(parsed.expires)
    if parsed.dry_run:
        record, covers = context.session.preview(scope, parsed.reason, expires)
    else:
        record, covers = context.session.allow(scope, parsed.reason, expires)
    rows: dict[str, Any] = {
        "waiver": record.id if not parsed.dry_run else "(dry run: nothing recorded)",
        "covers": record.waiver.describe(),
        "lets a file load": record.waiver.admits_file,
        "reason": record.waiver.reason,
        "expires": parsed.expires,
        "findings it waives now": len(covers),
    }
    if scope["kind"] == "rule" and str(scope["rule"])[4:7] in ("PKL", "MDL"):
        rows["note"] = (
            "a rule waiver only hides findings; to let one file load use %nbsec allow --file PATH"
        )
    return TableView("nbsec allow", rows)


def _scope_from_arguments(context: FrontEndContext, parsed: Any) -> dict[str, Any]:
    given = [
        (name, value)
        for name, value in (
            ("target", parsed.target),
            ("file", parsed.file_path),
            ("sha256", parsed.sha256),
            ("glob", parsed.glob),
            ("finding", parsed.finding),
            ("column", parsed.column),
            ("rule", parsed.rule),
        )
        if value
    ]
    if len(given) != 1:
        raise BadArguments(
            "%nbsec allow: give exactly one of TARGET, --file, --sha256, --glob, --finding, "
            "--column, --rule"
        )
    kind, value = given[0]
    value = value.strip()
    if kind == "file":
        return _file_scope(value)
    if kind == "sha256":
        match = _HEX64.fullmatch(value)
        if match is None:
            raise ValueError("--sha256 takes 64 hex digits")
        return {"kind": "file", "sha256": match.group(1).lower()}
    if kind == "glob":
        return {"kind": "path", "path": value}
    if kind == "finding":
        return {"kind": "finding", "fingerprint": value}
    if kind == "column":
        frame, _, column = value.partition(".")
        return {"kind": "column", "frame": frame, "column": column}
    if kind == "rule":
        return {"kind": "rule", "rule": value}
    return _guess_scope(context, value)


def _guess_scope(context: FrontEndContext, target: str) -> dict[str, Any]:
    if Path(target).is_file():
        return _file_scope(target)
    match = _HEX64.fullmatch(target)
    if match is not None:
        digest = match.group(1).lower()
        known = {e["fingerprint"] for e in context.state.to_state()["findings"]}
        if f"sha256:{digest}" in known:
            return {"kind": "finding", "fingerprint": f"sha256:{digest}"}
        return {"kind": "file", "sha256": digest}
    if _RULE.fullmatch(target):
        return {"kind": "rule", "rule": target}
    if _GLOB.search(target):
        return {"kind": "path", "path": target}
    frame, dot, column = target.partition(".")
    summary = context.state.frames.get(frame) if dot else None
    if summary is not None and column in summary.get("pii_columns", {}):
        return {"kind": "column", "frame": frame, "column": column}
    raise ValueError(
        f"cannot tell what {target[:80]!r} is: no such file, rule id, frame column or finding; "
        "use --file, --glob, --sha256, --column, --rule or --finding"
    )


def _file_scope(path: str) -> dict[str, Any]:
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"no such file: {path[:200]!r} (use --glob for a pattern)")
    digest = hashlib.sha256()
    with file.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return {"kind": "file", "sha256": digest.hexdigest(), "path": file.as_posix()}


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--expires takes a date like 2027-01-31, not {text[:20]!r}") from None


def waivers(context: FrontEndContext, argv: list[str]) -> RowsView:
    args = parser("waivers")
    args.add_argument("--write", metavar="ID")
    parsed = args.parse_args(argv)
    if parsed.write:
        try:
            _, target = context.session.write_waiver(parsed.write)
        except KeyError:
            raise ValueError(f"no waiver {parsed.write!r} (see %nbsec waivers)") from None
        print(f"nbsec: waiver written to {context.state.display_path(str(target))}")
    rows = [
        {
            "id": r["id"],
            "from": r["origin"],
            "covers": r["covers"],
            "reason": r["reason"],
            "active": r["active"],
            "note": r["note"],
        }
        for r in (record.to_dict() for record in context.state.waivers)
    ]
    return RowsView("nbsec waivers", ["id", "from", "covers", "reason", "active", "note"], rows)


def revoke(context: FrontEndContext, argv: list[str]) -> RowsView:
    args = parser("revoke")
    args.add_argument("id")
    waiver_id = args.parse_args(argv).id
    try:
        context.session.revoke(waiver_id)
    except KeyError:
        raise ValueError(f"no waiver {waiver_id!r} (see %nbsec waivers)") from None
    return waivers(context, [])


MAGICS: dict[str, MagicCommand] = {
    "status": status,
    "on": on,
    "off": off,
    "mode": mode,
    "policy": policy,
    "allow": allow,
    "waivers": waivers,
    "revoke": revoke,
}


# -- requests -------------------------------------------------------------------------------------
def handshake(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    if payload["protocol"] != protocol.PROTOCOL_VERSION:
        raise protocol.version_error(int(payload["protocol"]))
    limits = protocol.limits()
    features = ["full_scan_jobs", "write_waiver", "subshell_requests"]
    if report_commands.report_available():
        features.append("report")
    return {
        "nbsec_version": __version__,
        "protocol": protocol.PROTOCOL_VERSION,
        "status": context.session.status(),
        "state_version": context.state.version,
        "limits": {
            "max_message_bytes": limits["max_message_bytes"],
            "max_update_items": limits["max_update_items"],
        },
        "features": features,
    }


def get_state(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    return panel_state.state_payload(context)


def set_mode(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        if "mode" in payload:
            context.session.set_mode(payload["mode"])
        if "enabled" in payload:
            context.session.set_enabled(payload["enabled"])
    except ModeLocked as exc:
        raise RequestError(str(exc), "locked") from None
    return {"status": context.session.status()}


def allow_request(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    expires = dt.date.fromisoformat(payload["expires"]) if "expires" in payload else None
    try:
        if payload.get("dry_run"):
            record, covers = context.session.preview(payload["scope"], payload["reason"], expires)
        else:
            record, covers = context.session.allow(payload["scope"], payload["reason"], expires)
    except ValueError as exc:
        raise RequestError(str(exc), "invalid") from None
    return {
        "waiver": record.to_dict(),
        "covers": covers[:400],
        "dry_run": bool(payload.get("dry_run")),
    }


def revoke_request(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        record = context.session.revoke(payload["id"])
    except KeyError:
        raise RequestError(f"no waiver {payload['id']!r}", "not_found") from None
    except ValueError as exc:
        raise RequestError(str(exc), "failed") from None
    data = record.to_dict()
    data["active"] = False
    data["note"] = "revoked"
    return {"waiver": data}


def write_waiver(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        record, target = context.session.write_waiver(payload["id"])
    except KeyError:
        raise RequestError(f"no waiver {payload['id']!r}", "not_found") from None
    except ModeLocked as exc:
        raise RequestError(str(exc), "locked") from None
    except (ValueError, OSError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise RequestError(f"could not write the policy file: {first[:300]}", "failed") from None
    return {
        "waiver": record.to_dict(),
        "policy_file": context.state.display_path(str(target)) or target.name,
    }


REQUESTS: dict[str, RequestHandler] = {
    "handshake": handshake,
    "get_state": get_state,
    "set_mode": set_mode,
    "allow": allow_request,
    "revoke": revoke_request,
    "write_waiver": write_waiver,
}
