"""The kernel-to-panel protocol: a fixed, versioned message table over the comm target ``nbsec``.

Every message is a JSON object ``{"type": str, "v": int, "payload": object}``; replies add
``"success": bool`` and ``"error": str | null``. Only data travels: no message carries code, and
nothing received is evaluated. Both ends validate each message against the table below and answer
anything else with an error reply. ARCHITECTURE.md documents the table for people.

Version 1:

============  ==========  ===================================================================
type          direction   payload
============  ==========  ===================================================================
handshake     panel →     ``{client: str, client_version: str, protocol: int}`` (comm open data)
handshake     ← kernel    ``{nbsec_version, protocol, enabled, mode, policy_file}`` (reply)
get_state     panel →     ``{}``
get_state     ← kernel    ``{state: State, metadata: Summary}`` (reply)
scan_frame    panel →     ``{name: str}`` (a complete PII pass over one DataFrame)
scan_frame    ← kernel    ``{name, frame: FrameSummary, findings: [Finding]}`` (reply)
set_mode      panel →     ``{mode: "warn" | "block"}`` and/or ``{enabled: bool}``
set_mode      ← kernel    ``{mode, enabled}`` (reply)
allow         panel →     ``{target: str, reason: str}`` (rule id, path glob or sha256)
allow         ← kernel    ``{waiver: {target, kind, reason, at}}`` (reply)
report        panel →     ``{path?: str}``
report        ← kernel    error reply until the report builder exists
update        ← kernel    ``{state: State, metadata: Summary}`` after a cell changed anything
============  ==========  ===================================================================

``State`` is ``{version, counts, findings, frames, models, waivers, lineage}`` and ``Summary`` the
object the panel writes to the notebook's ``metadata.nbsec`` on save (see ARCHITECTURE.md).

A panel speaking another major protocol version gets ``success: false`` with the reason, so it can
tell the user to upgrade one side instead of misreading messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PROTOCOL_VERSION = 1
TARGET_NAME = "nbsec"
MAX_MESSAGE_BYTES = 1 << 20


class ProtocolError(ValueError):
    """A message that does not match the table; the text is safe to send back to the panel."""


FieldCheck = Callable[[Any], bool]


def _is_str(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 1024


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class MessageSpec:
    """The payload fields a request of one type must (and may) carry."""

    required: Mapping[str, FieldCheck]
    optional: Mapping[str, FieldCheck]


def _is_mode(value: Any) -> bool:
    return value in ("warn", "block")


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and value.isidentifier() and len(value) <= 200


def _is_reason(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value.strip()) <= 1024


REQUESTS: dict[str, MessageSpec] = {
    "handshake": MessageSpec(
        required={"client": _is_str, "protocol": _is_int},
        optional={"client_version": _is_str},
    ),
    "get_state": MessageSpec(required={}, optional={}),
    "scan_frame": MessageSpec(required={"name": _is_name}, optional={}),
    "set_mode": MessageSpec(required={}, optional={"mode": _is_mode, "enabled": _is_bool}),
    "allow": MessageSpec(required={"target": _is_str, "reason": _is_reason}, optional={}),
    "report": MessageSpec(required={}, optional={"path": _is_str}),
}


def validate_request(message: Any) -> tuple[str, dict[str, Any]]:
    """Check one message from the panel; returns ``(type, payload)`` or raises ProtocolError."""
    if not isinstance(message, dict):
        raise ProtocolError("message must be a JSON object")
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in REQUESTS:
        shown = kind if isinstance(kind, str) and len(kind) <= 40 else "?"
        raise ProtocolError(f"unknown message type {shown!r}")
    version = message.get("v")
    if not _is_int(version):
        raise ProtocolError("message has no integer version 'v'")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            f"protocol version {version} is not supported (kernel speaks {PROTOCOL_VERSION})"
        )
    extra = set(message) - {"type", "v", "payload"}
    if extra:
        raise ProtocolError(f"unexpected keys: {', '.join(sorted(extra))[:80]}")
    payload = message.get("payload", {})
    if not isinstance(payload, dict):
        raise ProtocolError("payload must be a JSON object")
    spec = REQUESTS[kind]
    for name, check in spec.required.items():
        if name not in payload:
            raise ProtocolError(f"{kind}: payload is missing {name!r}")
        if not check(payload[name]):
            raise ProtocolError(f"{kind}: payload field {name!r} has the wrong type")
    for name, value in payload.items():
        if name in spec.required:
            continue
        if name not in spec.optional:
            raise ProtocolError(f"{kind}: unexpected payload field {name[:40]!r}")
        if not spec.optional[name](value):
            raise ProtocolError(f"{kind}: payload field {name!r} has the wrong type")
    return kind, payload


def reply(
    kind: str, payload: Mapping[str, Any] | None = None, *, error: str | None = None
) -> dict[str, Any]:
    """A reply to a request of type ``kind``: success with a payload, or an error."""
    return {
        "type": kind,
        "v": PROTOCOL_VERSION,
        "success": error is None,
        "error": error,
        "payload": dict(payload or {}),
    }


def event(kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """A message the kernel sends on its own (for example after a cell ran)."""
    return {"type": kind, "v": PROTOCOL_VERSION, "payload": dict(payload)}
