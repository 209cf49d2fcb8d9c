"""The protocol table is one schema file; the kernel's validator interprets it, and agrees with
the ``jsonschema`` package on the shared examples and on thousands of mutations of them."""

from __future__ import annotations

import copy
import functools
import json
import random
from importlib import resources
from typing import Any

import jsonschema
import pytest

from nbsec.kernel import protocol

EXAMPLES = json.loads(
    resources.files("nbsec.kernel").joinpath(protocol.EXAMPLES_FILE).read_text(encoding="utf-8")
)


def composite(direction: str, kind: str) -> dict[str, Any]:
    """The whole message's schema for ``jsonschema``: the envelope and the payload of ``kind``."""
    root = copy.deepcopy(protocol.schema())
    part = {"request": "request", "reply": "reply", "event": "event"}[direction]
    checks: list[dict[str, Any]] = [{"$ref": f"#/envelopes/{part}"}]
    entry = root["messages"].get(kind, {})
    if direction == "reply":
        # a failed reply carries an empty payload; a successful one the reply schema
        checks.append(
            {
                "if": {"properties": {"success": {"const": True}}},
                "then": {"properties": {"payload": {"$ref": f"#/messages/{kind}/reply"}}},
            }
            if "reply" in entry
            else {}
        )
    elif part in entry:
        checks.append({"properties": {"payload": {"$ref": f"#/messages/{kind}/{part}"}}})
    root["allOf"] = checks
    return root


def ours(direction: str, message: Any) -> bool:
    try:
        if direction == "request":
            protocol.validate_request(message)
        else:
            protocol.check_outgoing(message)
    except protocol.ProtocolError:
        return False
    return True


@functools.cache
def _validator(direction: str, kind: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(composite(direction, kind))


def theirs(direction: str, message: Any) -> bool:
    kind = message.get("type") if isinstance(message, dict) else None
    return bool(_validator(direction, kind if isinstance(kind, str) else "").is_valid(message))


@pytest.mark.parametrize("example", EXAMPLES["valid"], ids=[e["name"] for e in EXAMPLES["valid"]])
def test_every_recorded_message_is_valid(example: dict[str, Any]) -> None:
    assert ours(example["direction"], example["message"])
    assert theirs(example["direction"], example["message"])


@pytest.mark.parametrize(
    "example", EXAMPLES["invalid"], ids=[e["name"] for e in EXAMPLES["invalid"]]
)
def test_every_broken_message_is_rejected(example: dict[str, Any]) -> None:
    assert not ours(example["direction"], example["message"]), example["why"]
    assert not theirs(example["direction"], example["message"]), example["why"]


def test_examples_cover_every_message_type() -> None:
    table = protocol.schema()["messages"]
    seen = {(e["direction"], e["message"]["type"]) for e in EXAMPLES["valid"]}
    for kind, entry in table.items():
        if entry["direction"] == "request":
            assert ("request", kind) in seen and ("reply", kind) in seen, kind
        else:
            assert ("event", kind) in seen, kind
    assert {k for k, e in table.items() if e["direction"] == "request"} == protocol.REQUEST_TYPES
    assert {k for k, e in table.items() if e["direction"] == "event"} == protocol.EVENT_TYPES
    assert protocol.limits()["max_message_bytes"] == protocol.MAX_MESSAGE_BYTES


def _mutations(value: Any, rng: random.Random) -> Any:
    """One random change somewhere in ``value``: drop a key, add one, or swap a value's type."""
    if isinstance(value, dict) and value and rng.random() < 0.7:
        key = rng.choice(sorted(value))
        if key == "type":
            return value
        choice = rng.random()
        out = dict(value)
        if choice < 0.2:
            del out[key]
        elif choice < 0.3:
            out["unexpected"] = 1
        else:
            out[key] = _mutations(value[key], rng)
        return out
    if isinstance(value, list) and value and rng.random() < 0.7:
        out_list = list(value)
        i = rng.randrange(len(out_list))
        out_list[i] = _mutations(out_list[i], rng)
        return out_list
    return rng.choice(
        [None, True, 0, -1, 1.5, "", "x", "NBS-PII", "sha256:" + "0" * 64, "a" * 70, [], {}]
    )


def test_validator_agrees_with_jsonschema_on_mutated_messages() -> None:
    rng = random.Random(20261204)
    disagreements = []
    checked = 0
    for example in EXAMPLES["valid"]:
        for _ in range(80):
            message = _mutations(example["message"], rng)
            if not isinstance(message, dict) or message.get("v") != 2:
                continue  # the version is answered before the schema (and tested elsewhere)
            checked += 1
            a, b = ours(example["direction"], message), theirs(example["direction"], message)
            if a != b:
                disagreements.append((example["name"], a, b, json.dumps(message)[:300]))
    assert checked > 1500
    assert disagreements == []


@pytest.mark.parametrize(
    ("message", "text", "code", "v"),
    [
        ({"type": "get_state", "v": 1, "payload": {}}, "protocol version 1", "version", 1),
        ({"type": "get_state", "v": 9, "payload": {}}, "Upgrade the kernel's nbsec", "version", 9),
        ({"type": "get_state", "v": True, "payload": {}}, "no integer version", "invalid", 2),
        ({"type": "update", "v": 2, "payload": {}}, "unknown message type 'update'", "invalid", 2),
        (
            {"type": "scan_frame", "v": 2, "payload": {"name": "df; import os"}},
            "scan_frame: payload.name: has the wrong form",
            "invalid",
            2,
        ),
    ],
)
def test_request_errors_name_the_problem(message: Any, text: str, code: str, v: int) -> None:
    with pytest.raises(protocol.ProtocolError) as info:
        protocol.validate_request(message)
    assert text in str(info.value)
    assert (info.value.code, info.value.client_v) == (code, v)
    reply = protocol.reply("get_state", error=str(info.value), code=info.value.code, v=v)
    assert ("error_code" in reply) is (v >= 2)
