"""The kernel-to-panel protocol: a fixed, versioned message table over the comm target ``nbsec``.

The table is data: ``protocol.schema.json`` beside this module holds the envelopes and, per
message type, the JSON Schema (draft-07) of its request, reply or event payload. This module
interprets that file to validate what the panel sends (and, in the tests, everything the kernel
sends); the panel's TypeScript validators are checked against the same file and the shared
examples in ``protocol.examples.json``. ARCHITECTURE.md documents the table for people.

Every message is ``{"type", "v", "payload"}``; requests may carry an ``id`` that the reply echoes;
replies add ``"success"``, ``"error"`` and, on failure, an ``"error_code"``. Only data travels: no
message carries code, and nothing received is evaluated. A panel speaking another protocol
version gets a reply in *its* envelope version (so an old panel can read it) with
``error_code: "version"`` and a sentence saying which side to upgrade.

The validator supports the part of JSON Schema the table uses: ``type``, ``enum``, ``const``,
``properties``, ``required``, ``additionalProperties``, ``pattern``, ``minLength``,
``maxLength``, ``minimum``, ``maximum``, ``items``, ``maxItems``, ``maxProperties``, ``$ref`` to
``#/...``, ``oneOf`` and ``anyOf``. The tests check it agrees with the ``jsonschema`` package.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

PROTOCOL_VERSION = 2
TARGET_NAME = "nbsec"
SCHEMA_FILE = "protocol.schema.json"
EXAMPLES_FILE = "protocol.examples.json"

REQUEST_TYPES = frozenset(
    ("handshake", "get_state", "set_mode", "allow", "revoke", "write_waiver")
) | frozenset(("scan_frame", "cancel_scan", "report"))
EVENT_TYPES = frozenset(("update", "scan_progress"))


class ProtocolError(ValueError):
    """A message that does not match the table; the text is safe to send back to the panel.

    ``code`` is the reply's ``error_code``; ``client_v`` the envelope version to answer in."""

    def __init__(self, text: str, *, code: str = "invalid", client_v: int = PROTOCOL_VERSION):
        super().__init__(text)
        self.code = code
        self.client_v = client_v


@functools.cache
def schema() -> dict[str, Any]:
    """The message table (``protocol.schema.json``), read once."""
    text = resources.files("nbsec.kernel").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def limits() -> dict[str, int]:
    return dict(schema()["limits"])


MAX_MESSAGE_BYTES = 1 << 20


# -- the schema interpreter -------------------------------------------------------------------


def validate(node: Mapping[str, Any], value: Any, where: str = "payload") -> None:
    """Raise :class:`ProtocolError` naming the first place where ``value`` breaks ``node``."""
    problem = _check(node, value, where, schema())
    if problem is not None:
        raise ProtocolError(problem)


def is_valid(node: Mapping[str, Any], value: Any) -> bool:
    return _check(node, value, "", schema()) is None


_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: (
        not isinstance(v, bool)
        and (isinstance(v, int) or (isinstance(v, float) and math.isfinite(v) and v.is_integer()))
    ),
    "number": lambda v: not isinstance(v, bool) and isinstance(v, int | float),
}


@functools.cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _resolve(ref: str, root: Mapping[str, Any]) -> Mapping[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref are supported, not {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node  # type: ignore[no-any-return]


def _same(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _check(node: Mapping[str, Any], value: Any, where: str, root: Mapping[str, Any]) -> str | None:
    if "$ref" in node:  # draft-07: keywords beside $ref are ignored
        return _check(_resolve(node["$ref"], root), value, where, root)
    kinds = node.get("type")
    if kinds is not None:
        names = [kinds] if isinstance(kinds, str) else list(kinds)
        if not any(_TYPES[k](value) for k in names):
            return f"{where}: expected {' or '.join(names)}"
    if "const" in node and not _same(node["const"], value):
        return f"{where}: must be {json.dumps(node['const'])}"
    if "enum" in node and not any(_same(option, value) for option in node["enum"]):
        shown = ", ".join(json.dumps(o) for o in node["enum"][:8])
        return f"{where}: must be one of {shown}"
    if isinstance(value, str):
        if len(value) < node.get("minLength", 0):
            return f"{where}: too short"
        if "maxLength" in node and len(value) > node["maxLength"]:
            return f"{where}: longer than {node['maxLength']} characters"
        if "pattern" in node and not _regex(node["pattern"]).search(value):
            return f"{where}: has the wrong form"
    if _TYPES["number"](value):
        if "minimum" in node and value < node["minimum"]:
            return f"{where}: less than {node['minimum']}"
        if "maximum" in node and value > node["maximum"]:
            return f"{where}: more than {node['maximum']}"
    if isinstance(value, list):
        if "maxItems" in node and len(value) > node["maxItems"]:
            return f"{where}: more than {node['maxItems']} items"
        if "items" in node:
            for i, item in enumerate(value):
                problem = _check(node["items"], item, f"{where}[{i}]", root)
                if problem is not None:
                    return problem
    if isinstance(value, dict):
        problem = _check_object(node, value, where, root)
        if problem is not None:
            return problem
    for keyword in ("anyOf", "oneOf"):
        if keyword in node:
            matches = sum(_check(option, value, where, root) is None for option in node[keyword])
            if matches == 0 or (keyword == "oneOf" and matches > 1):
                return f"{where}: matches none of the allowed forms"
    return None


def _check_object(
    node: Mapping[str, Any], value: dict[str, Any], where: str, root: Mapping[str, Any]
) -> str | None:
    if "maxProperties" in node and len(value) > node["maxProperties"]:
        return f"{where}: more than {node['maxProperties']} keys"
    for key in node.get("required", ()):
        if key not in value:
            return f"{where}: missing {key!r}"
    properties = node.get("properties", {})
    extra = node.get("additionalProperties", True)
    for key, item in value.items():
        sub = f"{where}.{str(key)[:40]}"
        if key in properties:
            problem = _check(properties[key], item, sub, root)
        elif extra is False:
            return f"{where}: unexpected key {str(key)[:40]!r}"
        elif isinstance(extra, dict):
            problem = _check(extra, item, sub, root)
        else:
            problem = None
        if problem is not None:
            return problem
    return None


# -- messages -----------------------------------------------------------------------------------


def message_schema(kind: str, part: str) -> Mapping[str, Any]:
    """The schema of the ``part`` ("request", "reply" or "event") payload of message ``kind``."""
    entry: Mapping[str, Any] = schema()["messages"][kind]
    return entry[part]  # type: ignore[no-any-return]


def validate_request(message: Any) -> tuple[str, dict[str, Any], str | None]:
    """Check one message from the panel; returns ``(type, payload, id)`` or raises
    :class:`ProtocolError`."""
    if not isinstance(message, dict):
        raise ProtocolError("message must be a JSON object")
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in REQUEST_TYPES:
        shown = kind if isinstance(kind, str) and len(kind) <= 40 else "?"
        raise ProtocolError(f"unknown message type {shown!r}")
    version = message.get("v")
    if not isinstance(version, int | float) or not _TYPES["integer"](version):
        raise ProtocolError("message has no integer version 'v'")
    if version != PROTOCOL_VERSION:
        raise version_error(int(version))
    validate(schema()["envelopes"]["request"], message, "message")
    payload: dict[str, Any] = message["payload"]
    validate(message_schema(kind, "request"), payload, f"{kind}: payload")
    request_id = message.get("id")
    return kind, payload, request_id if isinstance(request_id, str) else None


def version_error(client_version: int) -> ProtocolError:
    older = "panel" if client_version < PROTOCOL_VERSION else "kernel's nbsec"
    return ProtocolError(
        f"protocol version {client_version} is not supported: this kernel's nbsec speaks "
        f"protocol {PROTOCOL_VERSION}. Upgrade the {older} (pip install -U nbsec in both "
        "environments, then reload the page and restart the kernel).",
        code="version",
        client_v=client_version if 0 < client_version < 1000 else PROTOCOL_VERSION,
    )


def reply(
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    error: str | None = None,
    code: str | None = None,
    request_id: str | None = None,
    v: int = PROTOCOL_VERSION,
) -> dict[str, Any]:
    """A reply to a request of type ``kind``: success with a payload, or an error."""
    message: dict[str, Any] = {"type": kind, "v": v}
    if request_id is not None:
        message["id"] = request_id
    message.update(
        {
            "success": error is None,
            "error": error,
            "payload": dict(payload or {}) if not error else {},
        }
    )
    if error is not None and v >= 2:
        message["error_code"] = code or "failed"
    return message


def event(kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """A message the kernel sends on its own (an update after a cell, scan progress)."""
    return {"type": kind, "v": PROTOCOL_VERSION, "payload": dict(payload)}


def check_outgoing(message: Mapping[str, Any]) -> None:
    """Validate a reply or event the kernel sends (the tests run every message through it)."""
    kind = message.get("type")
    if "success" in message:
        validate(schema()["envelopes"]["reply"], message, "reply")
        if message["success"] and isinstance(kind, str) and kind in REQUEST_TYPES:
            validate(message_schema(kind, "reply"), message["payload"], f"{kind}: reply payload")
        return
    validate(schema()["envelopes"]["event"], message, "event")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        raise ProtocolError(f"unknown event type {kind!r}")
    validate(message_schema(kind, "event"), message["payload"], f"{kind}: event payload")
