"""``%load_ext nbsec`` in a real kernel: magics, hooks, the comm handshake, faults and unload."""

from __future__ import annotations

import pytest

import nbsec
from tests.kernel.harness import Kernel

pytestmark = pytest.mark.kernel

HANDSHAKE = {
    "type": "handshake",
    "v": 2,
    "id": "hs-1",
    "payload": {"client": "test-frontend", "client_version": "0", "protocol": 2},
}


def test_status_magic_after_load(kernel: Kernel) -> None:
    assert kernel.execute("%load_ext nbsec").status == "ok"
    out = kernel.execute("%nbsec")
    assert out.status == "ok"
    assert "nbsec status" in out.text()
    assert f"version            {nbsec.__version__}" in out.text()
    assert "<table>" in out.html()
    rich = kernel.execute("s = %nbsec status\nprint(s['mode'], s['watching'])")
    assert rich.stdout.strip() == "warn True"


def test_handshake_over_the_comm_as_the_panel_does(kernel: Kernel) -> None:
    kernel.execute("%load_ext nbsec")
    comm_id = kernel.comm_open("nbsec", HANDSHAKE)
    kind, data = kernel.comm_next(comm_id)
    assert kind == "comm_msg"
    assert data == {
        "type": "handshake",
        "v": 2,
        "id": "hs-1",
        "success": True,
        "error": None,
        "payload": {
            "nbsec_version": nbsec.__version__,
            "protocol": 2,
            "status": {
                "mode": "warn",
                "enabled": True,
                "locked": False,
                "policy_file": None,
                "policy_error": None,
            },
            "state_version": data["payload"]["state_version"],
            "limits": {"max_message_bytes": 1 << 20, "max_update_items": 400},
            "features": ["full_scan_jobs", "write_waiver", "subshell_requests", "report"],
        },
    }
    # the connection is visible in the status
    assert "panel connections  1" in kernel.execute("%nbsec").text()


def test_a_protocol_1_panel_gets_a_version_error_it_can_read(kernel: Kernel) -> None:
    kernel.execute("%load_ext nbsec")
    old = {"type": "handshake", "v": 1, "payload": {"client": "old", "protocol": 1}}
    kind, data = kernel.comm_next(kernel.comm_open("nbsec", old))
    assert kind == "comm_msg"
    # in the old panel's own envelope version, so it shows the reason instead of dropping it
    assert (data["type"], data["v"], data["success"]) == ("handshake", 1, False)
    assert "error_code" not in data  # protocol 1 had no error codes
    assert "protocol version 1 is not supported" in data["error"]
    assert "Upgrade the panel" in data["error"]


def test_kernel_without_nbsec_closes_the_comm(kernel: Kernel) -> None:
    comm_id = kernel.comm_open("nbsec", HANDSHAKE)
    kind, _ = kernel.comm_next(comm_id)
    assert kind == "comm_close"


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"type": "exec", "v": 2, "payload": {"code": "import os"}}, "unknown message type 'exec'"),
        ({"type": "handshake", "v": 3, "payload": {}}, "protocol version 3 is not supported"),
        (
            {"type": "handshake", "v": 2, "payload": {"client": "x", "protocol": 7}},
            "protocol version 7 is not supported",
        ),
        (
            {"type": "handshake", "v": 2, "payload": {"client": 3, "protocol": 2}},
            "handshake: payload.client: expected string",
        ),
        (
            {"type": "allow", "v": 2, "payload": {"scope": {"kind": "rule"}, "reason": "x"}},
            "allow: payload.scope: matches none of the allowed forms",
        ),
        (
            {"type": "allow", "v": 2, "payload": {"scope": {"kind": "rule", "rule": "NBS-PKL"}}},
            "allow: payload: missing 'reason'",
        ),
        (
            {"type": "get_state", "v": 2, "payload": {}, "code": "import os"},
            "unexpected key 'code'",
        ),
        ("not an object", "must be a JSON object"),
    ],
)
def test_invalid_messages_get_error_replies(kernel: Kernel, message: object, error: str) -> None:
    kernel.execute("%load_ext nbsec")
    comm_id = kernel.comm_open("nbsec", HANDSHAKE)
    assert kernel.comm_next(comm_id)[1]["success"] is True
    kernel.comm_send(comm_id, message)  # type: ignore[arg-type]
    kind, data = kernel.comm_next(comm_id)
    assert kind == "comm_msg"
    assert data["success"] is False
    assert error in data["error"]
    # the kernel is fine afterwards
    assert kernel.execute("1 + 1").text() == "2"


def test_failing_hook_never_breaks_the_cell(kernel: Kernel) -> None:
    kernel.execute("%load_ext nbsec")
    setup = kernel.execute(
        "from nbsec.kernel.extension import current\n"
        "class Broken:\n"
        "    name = 'broken'\n"
        "    def pre_run_cell(self, info): raise RuntimeError('pre boom')\n"
        "    def post_run_cell(self, result): raise ValueError('post boom')\n"
        "current().add_engine(Broken())\n"
    )
    assert setup.status == "ok"
    # the engine joined mid-cell, so its post_run_cell already ran (and failed) for that cell
    assert "nbsec: internal error in broken.post_run_cell (ValueError: post boom)" in setup.stderr
    first = kernel.execute("x = 40 + 2\nprint(x)")
    assert first.status == "ok"
    assert first.stdout == "42\n"
    assert "nbsec: internal error in broken.pre_run_cell (RuntimeError: pre boom)" in first.stderr
    # reported once, not on every cell
    second = kernel.execute("y = x * 2\ny")
    assert second.status == "ok"
    assert second.text() == "84"
    assert "internal error" not in second.stderr
    # a cell that raises still raises its own error, untouched
    third = kernel.execute("1 / 0")
    assert third.status == "error"
    assert third.error is not None and third.error["ename"] == "ZeroDivisionError"
    # counted every time (setup post + 3 cells x 2 + this cell's pre), shown once per kind
    assert "internal errors    8" in kernel.execute("%nbsec").text()


def test_on_off_and_bad_arguments(kernel: Kernel) -> None:
    kernel.execute("%load_ext nbsec")
    assert "watching           no" in kernel.execute("%nbsec off").text()
    assert "watching           yes" in kernel.execute("%nbsec on").text()
    bad = kernel.execute("%nbsec frobnicate")
    assert bad.status == "ok"
    assert bad.stderr.strip().count("\n") == 0
    assert "usage: %nbsec" in bad.stderr


def test_policy_from_the_notebook_directory(kernel: Kernel, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "nbsec.toml").write_text('mode = "block"\n')
    kernel.execute("%load_ext nbsec")
    out = kernel.execute("%nbsec policy").text()
    assert "mode" in out and "block" in out
    comm_id = kernel.comm_open("nbsec", HANDSHAKE)
    status = kernel.comm_next(comm_id)[1]["payload"]["status"]
    assert (status["mode"], status["locked"]) == ("block", False)
    assert status["policy_file"] == "nbsec.toml"  # relative to the notebook: no host details


def test_broken_policy_is_reported_and_the_kernel_keeps_working(kernel: Kernel, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "nbsec.toml").write_text('mode = "sometimes"\n')
    load = kernel.execute("%load_ext nbsec")
    assert load.status == "ok"
    assert "nbsec: policy error:" in load.stderr
    assert "mode: expected one of warn, block" in load.stderr
    assert "policy error" in kernel.execute("%nbsec").text()


def test_unload_removes_everything(kernel: Kernel) -> None:
    before = kernel.execute(
        "ip = get_ipython()\n"
        "print(len(ip.events.callbacks['pre_run_cell']), len(ip.events.callbacks['post_run_cell']))"
    ).stdout
    kernel.execute("%load_ext nbsec")
    kernel.execute("%unload_ext nbsec")
    after = kernel.execute(
        "print(len(ip.events.callbacks['pre_run_cell']), len(ip.events.callbacks['post_run_cell']))"
    ).stdout
    assert after == before
    gone = kernel.execute("%nbsec")
    assert gone.status == "error"
    assert "Line magic function `%nbsec` not found" in gone.stderr
    comm_id = kernel.comm_open("nbsec", HANDSHAKE)
    assert kernel.comm_next(comm_id)[0] == "comm_close"
    # and it can be loaded again
    kernel.execute("%load_ext nbsec")
    assert "nbsec status" in kernel.execute("%nbsec").text()


def test_load_twice_is_harmless(kernel: Kernel) -> None:
    kernel.execute("%load_ext nbsec")
    kernel.execute("%reload_ext nbsec")
    kernel.execute("import nbsec; nbsec.load_ipython_extension(get_ipython())")
    counts = kernel.execute(
        "ip = get_ipython()\n"
        "from nbsec.kernel.extension import current\n"
        "print(sum(getattr(cb, '__self__', None) is current() "
        "for cb in ip.events.callbacks['pre_run_cell']))"
    )
    assert counts.stdout.strip() == "1"
