"""Session controls: status, on/off, mode, policy and waivers, as magics and comm requests.

=============================================  ===============================================
``%nbsec`` / ``%nbsec status``                 what nbsec is doing in this kernel
``%nbsec on`` / ``%nbsec off``                 watch cells, or stop (the guard stands down)
``%nbsec mode warn|block``                     switch the guard's mode for this session
``%nbsec policy [--reload]``                   the effective policy
``%nbsec allow TARGET --reason TEXT``          waive a rule, a path glob or a sha256
=============================================  ===============================================

Requests: ``handshake``, ``get_state``, ``set_mode``, ``allow``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbsec._version import __version__
from nbsec.kernel import panel_state, protocol
from nbsec.kernel.command_table import MagicCommand, RequestError, RequestHandler, parser
from nbsec.kernel.views import TableView

if TYPE_CHECKING:
    from nbsec.kernel.context import FrontEndContext


# -- magics ---------------------------------------------------------------------------------------
def status(context: FrontEndContext, argv: list[str]) -> TableView:
    parser("status").parse_args(argv)
    info = context.status()
    state = context.state
    counts = state.to_state()["counts"]
    return TableView(
        "nbsec status",
        {
            "version": info["version"],
            "watching": context.policy.enabled,
            "mode": context.policy.effective_policy().mode,
            "policy file": info["policy_file"] or "(defaults)",
            "policy error": info["policy_error"],
            "findings": ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none",
            "frames scanned": len(state.frames),
            "models loaded": len(state.models),
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
    rows = {k: v for k, v in data.items() if not isinstance(v, dict)}
    rows["waivers"] = [
        f"{w['rule'] or w['path'] or w['fingerprint']}: {w['reason']}" for w in data["waivers"]
    ]
    for section in ("pii", "lineage"):
        for key, value in data[section].items():
            rows[f"{section}.{key}"] = value
    return TableView("nbsec policy", rows)


def allow(context: FrontEndContext, argv: list[str]) -> TableView:
    args = parser("allow")
    args.add_argument("target")
    args.add_argument("--reason", required=True)
    parsed = args.parse_args(argv)
    waiver = context.session.allow(parsed.target, parsed.reason)
    return TableView("nbsec allow", waiver.to_dict())


MAGICS: dict[str, MagicCommand] = {
    "status": status,
    "on": on,
    "off": off,
    "mode": mode,
    "policy": policy,
    "allow": allow,
}


# -- requests -------------------------------------------------------------------------------------
def handshake(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    if payload["protocol"] != protocol.PROTOCOL_VERSION:
        raise protocol.ProtocolError(
            f"panel speaks protocol {payload['protocol']}, kernel speaks "
            f"{protocol.PROTOCOL_VERSION}: upgrade the older side"
        )
    source = context.session.file_policy.source
    return {
        "nbsec_version": __version__,
        "protocol": protocol.PROTOCOL_VERSION,
        "enabled": context.policy.enabled,
        "mode": context.policy.effective_policy().mode,
        "policy_file": str(source) if source else None,
    }


def get_state(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    return panel_state.state_payload(context)


def set_mode(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    if "mode" in payload:
        context.session.set_mode(payload["mode"])
    if "enabled" in payload:
        context.session.set_enabled(payload["enabled"])
    return {"mode": context.policy.effective_policy().mode, "enabled": context.policy.enabled}


def allow_request(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        waiver = context.session.allow(payload["target"], payload["reason"])
    except ValueError as exc:
        raise RequestError(str(exc)) from None
    return {"waiver": waiver.to_dict()}


REQUESTS: dict[str, RequestHandler] = {
    "handshake": handshake,
    "get_state": get_state,
    "set_mode": set_mode,
    "allow": allow_request,
}
