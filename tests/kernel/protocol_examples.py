"""Write ``nbsec/kernel/protocol.examples.json``: real messages of every type in the protocol
table, recorded from a real kernel driven as the panel drives it, and invalid messages made from
them by one change each (what a validator must reject, and why).

Both sides' tests read the file: the kernel's validator and the ``jsonschema`` package must accept
every valid example and reject every invalid one, and so must the panel's TypeScript parsers.
Regenerate only on purpose, and review the diff::

    .venv/bin/python -m tests.kernel.protocol_examples
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

from tests.kernel.harness import Kernel

OUT = Path(__file__).resolve().parents[2] / "nbsec" / "kernel" / "protocol.examples.json"

SETUP = """\
import pickle, pandas as pd
customers = pd.DataFrame({
    "customer_id": range(1, 41),
    "contact": [f"user{i}@example.com" for i in range(40)],
    "iban": ["DE89370400440532013000"] * 40,
})
with open("rf.pkl", "wb") as fh:
    pickle.dump({"weights": [1, 2, 3]}, fh)
"""
LOAD = "import pickle\nmodel = pickle.load(open('rf.pkl', 'rb'))\nlen(model)"


def record() -> dict[str, Any]:
    valid: list[dict[str, Any]] = []

    def keep(name: str, direction: str, message: dict[str, Any]) -> None:
        valid.append({"name": name, "direction": direction, "message": message})

    with tempfile.TemporaryDirectory() as tmp:
        kernel = Kernel(cwd=Path(tmp))
        try:
            kernel.execute("%load_ext nbsec")
            hello = {
                "type": "handshake",
                "v": 2,
                "id": "1",
                "payload": {
                    "client": "nbsec-labextension",
                    "client_version": "0.2.0",
                    "protocol": 2,
                },
            }
            keep("handshake request (comm open data)", "request", hello)
            comm = kernel.comm_open("nbsec", hello)
            keep("handshake reply", "reply", kernel.comm_next(comm)[1])

            def ask(name: str, kind: str, payload: dict[str, Any], rid: str) -> dict[str, Any]:
                request = {"type": kind, "v": 2, "id": rid, "payload": payload}
                keep(f"{name} request", "request", request)
                kernel.comm_send(comm, request)
                while True:
                    data = kernel.comm_next(comm)[1]
                    if "success" in data:
                        keep(f"{name} reply", "reply", data)
                        return data
                    keep(f"{data['type']} event before the {name} reply", "event", data)

            kernel.execute(SETUP)
            keep("update event after a cell", "event", _next_event(kernel, comm, "update"))
            kernel.execute(LOAD)
            keep("update event after a model load", "event", _next_event(kernel, comm, "update"))
            state = ask("get_state", "get_state", {}, "2")
            fingerprint = state["payload"]["state"]["findings"][0]["fingerprint"]
            sha = state["payload"]["state"]["models"][0]["sha256"]
            ask("set_mode to block", "set_mode", {"mode": "block"}, "3")
            ask("set_mode off", "set_mode", {"enabled": False}, "4")
            ask("set_mode on", "set_mode", {"enabled": True}, "5")
            ask(
                "allow one finding, dry run",
                "allow",
                {"scope": {"kind": "finding", "fingerprint": fingerprint}, "reason": "reviewed",
                 "dry_run": True},
                "6",
            )  # fmt: skip
            column = ask(
                "allow one frame column",
                "allow",
                {"scope": {"kind": "column", "frame": "customers", "column": "contact"},
                 "reason": "synthetic test data", "expires": "2030-01-31"},
                "7",
            )  # fmt: skip
            ask(
                "allow one file by sha256",
                "allow",
                {"scope": {"kind": "file", "sha256": sha, "path": "rf.pkl"}, "reason": "ours"},
                "8",
            )
            ask(
                "allow a rule, asked for explicitly",
                "allow",
                {"scope": {"kind": "rule", "rule": "NBS-SRC-001"}, "reason": "reviewed"},
                "9",
            )
            waiver_id = column["payload"]["waiver"]["id"]
            ask("write_waiver", "write_waiver", {"id": waiver_id}, "10")
            ask("revoke an unknown waiver", "revoke", {"id": "w-000000000000"}, "11")
            job = ask("scan_frame", "scan_frame", {"name": "customers"}, "12")
            keep(
                "scan_progress event",
                "event",
                _next_event(kernel, comm, "scan_progress", job["payload"]["job"]["id"]),
            )
            ask("cancel_scan", "cancel_scan", {"id": job["payload"]["job"]["id"]}, "13")
            ask("report", "report", {"path": "governance.ipynb"}, "14")
            ask("get_state after the changes", "get_state", {}, "15")
        finally:
            kernel.stop()
    return {
        "protocol": 2,
        "note": (
            "Messages of the nbsec kernel-panel protocol (nbsec/kernel/protocol.schema.json). "
            "'valid' were recorded from a real kernel; each 'invalid' one is a valid message with "
            "one change, which every validator of the protocol must reject. Regenerate with "
            "'python -m tests.kernel.protocol_examples'."
        ),
        "valid": valid,
        "invalid": invalid_from(valid),
    }


def _next_event(kernel: Kernel, comm: str, kind: str, job: str | None = None) -> dict[str, Any]:
    while True:
        data = kernel.comm_next(comm)[1]
        if data.get("type") == kind and (job is None or data["payload"]["job"]["id"] == job):
            return data


def _find(valid: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return copy.deepcopy(next(v["message"] for v in valid if v["name"] == name))


def invalid_from(valid: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def bad(name: str, direction: str, why: str, message: Any) -> None:
        out.append({"name": name, "direction": direction, "why": why, "message": message})

    m = _find(valid, "handshake request (comm open data)")
    m["payload"]["protocol"] = "2"
    bad("handshake with a text protocol", "request", "payload.protocol is not an integer", m)
    m = _find(valid, "get_state request")
    m["code"] = "import os"
    bad("request with code attached", "request", "unexpected envelope key", m)
    m = _find(valid, "allow one frame column request")
    m["payload"]["reason"] = "   "
    bad("allow with a blank reason", "request", "a reason must hold a non-space character", m)
    m = _find(valid, "allow one frame column request")
    m["payload"]["scope"]["rule"] = "NBS-PII-001"
    bad("allow with a mixed scope", "request", "a scope names one kind of thing", m)
    m = _find(valid, "allow one file by sha256 request")
    m["payload"]["scope"]["sha256"] = "ABC"
    bad("allow a file by a short hash", "request", "sha256 is 64 lower-case hex digits", m)
    m = _find(valid, "scan_frame request")
    m["payload"]["name"] = "1st frame"
    bad("scan_frame of a non-identifier", "request", "frame names are Python identifiers", m)
    m = _find(valid, "handshake reply")
    m["payload"]["status"]["mode"] = "off"
    bad("handshake reply with an unknown mode", "reply", "mode is warn or block", m)
    m = _find(valid, "get_state reply")
    del m["success"]
    bad("reply without success", "reply", "replies carry success", m)
    m = _find(valid, "get_state reply")
    m["payload"]["state"]["findings"][0]["severity"] = "urgent"
    bad("finding with an unknown severity", "reply", "severity is one of five", m)
    m = _find(valid, "get_state reply")
    m["payload"]["state"]["findings"][0]["location"]["cell_index"] = -1
    bad("finding in cell -1", "reply", "cell_index is 0-based, never negative", m)
    m = _find(valid, "get_state reply")
    m["payload"]["state"]["models"][0]["loads"] = "1"
    bad("model row with a text load count", "reply", "loads is an integer", m)
    m = _find(valid, "update event after a cell")
    m["v"] = 1
    bad("update in protocol 1", "event", "events are v 2", m)
    m = _find(valid, "update event after a cell")
    del m["payload"]["counts"]
    bad("update without counts", "event", "every update carries counts", m)
    m = _find(valid, "update event after a cell")
    m["payload"]["frames"] = {"upsert": [], "remove": []}
    bad("update with frames as a list", "event", "frames.upsert maps names to frames", m)
    m = _find(valid, "scan_progress event")
    m["payload"]["job"]["progress"] = 1.5
    bad("scan progress over 100%", "event", "progress is 0..1", m)
    return out


def main() -> None:
    data = record()
    OUT.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(data['valid'])} valid, {len(data['invalid'])} invalid)")


if __name__ == "__main__":
    main()
