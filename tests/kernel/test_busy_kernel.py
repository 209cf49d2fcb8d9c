"""A busy kernel: panel requests over a subshell are answered while the user's cell runs and
print nothing into it; a full scan runs in steps that keep the kernel answering, with progress
and cancel."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.kernel.harness import Kernel

pytestmark = pytest.mark.kernel

HANDSHAKE = {"type": "handshake", "v": 2, "id": "h", "payload": {"client": "t", "protocol": 2}}
LONG_CELL = "import time\nfor _ in range(40):\n    time.sleep(0.1)\nprint('cell done')"


def subshell(kernel: Kernel) -> str:
    request = kernel.kc.session.msg("create_subshell_request", {})
    kernel.kc.control_channel.send(request)
    reply = kernel.kc.control_channel.get_msg(timeout=10)
    return str(reply["content"]["subshell_id"])


def send_on(kernel: Kernel, subshell_id: str, msg_type: str, content: dict[str, Any]) -> None:
    msg = kernel.kc.session.msg(msg_type, content)
    msg["header"]["subshell_id"] = subshell_id  # as JupyterLab sends comms over a subshell
    kernel.kc.shell_channel.send(msg)


def test_requests_over_a_subshell_are_answered_while_a_cell_runs(kernel: Kernel) -> None:
    kernel.execute("%load_ext nbsec")
    sub = subshell(kernel)
    comm = uuid.uuid4().hex
    send_on(kernel, sub, "comm_open", {"comm_id": comm, "target_name": "nbsec", "data": HANDSHAKE})
    assert kernel.comm_next(comm)[1]["success"] is True
    # a cell pushes an update from the main thread: later requests must still use the subshell
    kernel.execute("import pandas as pd\ndf = pd.DataFrame({'email': ['a@example.com'] * 5})")
    assert kernel.comm_next(comm)[1]["type"] == "update"
    cell = kernel.kc.execute(LONG_CELL)
    time.sleep(0.5)
    started = time.monotonic()
    for i, (kind, payload) in enumerate(
        [("get_state", {}), ("set_mode", {"mode": "block"}), ("get_state", {})]
    ):
        message = {"type": kind, "v": 2, "id": str(i), "payload": payload}
        send_on(kernel, sub, "comm_msg", {"comm_id": comm, "data": message})
        while True:
            data = kernel.comm_next(comm, timeout=3)[1]
            if data.get("id") == str(i):
                break
        assert data["success"] is True, data
    assert time.monotonic() - started < 2.5  # the 4 s cell is still running
    # the running cell shows only its own output
    outputs: list[str] = []
    while True:
        msg = kernel.kc.get_iopub_msg(timeout=20)
        if msg["parent_header"].get("msg_id") != cell:
            continue
        if msg["msg_type"] == "stream":
            outputs.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    assert "".join(outputs) == "cell done\n"
    assert kernel.kc.get_shell_msg(timeout=10)["content"]["status"] == "ok"


SLOW_JOB = """\
import time
from nbsec.kernel.extension import current

class SlowScan:
    steps = 0
    cancelled = False
    @property
    def progress(self):
        return self.steps / 400
    def cancel(self):
        self.cancelled = True
    def run(self, deadline=None):
        while self.steps < 400 and not self.cancelled and time.perf_counter() < deadline:
            time.sleep(0.005)
            self.steps += 1
        return self.steps >= 400

current().services.frames.full_scan = lambda name, frame: SlowScan()
"""


def test_a_full_scan_runs_in_steps_reports_progress_and_can_be_cancelled(
    kernel: Kernel,
) -> None:
    kernel.execute("%load_ext nbsec")
    kernel.execute("import pandas as pd\nbig = pd.DataFrame({'n': range(10)})")
    assert kernel.execute(SLOW_JOB).status == "ok"
    comm = kernel.comm_open("nbsec", HANDSHAKE)
    kernel.comm_next(comm)
    events: list[dict[str, Any]] = []

    def ask(kind: str, payload: dict[str, Any], rid: str) -> dict[str, Any]:
        kernel.comm_send(comm, {"type": kind, "v": 2, "id": rid, "payload": payload})
        while True:
            data = kernel.comm_next(comm)[1]
            if data.get("id") == rid:
                return data
            events.append(data)

    job = ask("scan_frame", {"name": "big"}, "1")["payload"]["job"]
    time.sleep(0.6)
    # the kernel answers between steps: the job is still running
    state = ask("get_state", {}, "2")["payload"]["state"]
    running = {j["id"]: j for j in state["scans"]}[job["id"]]
    assert running["state"] == "running"
    assert 0 < running["progress"] < 1
    cancelled = ask("cancel_scan", {"id": job["id"]}, "3")["payload"]["job"]
    assert cancelled["state"] == "cancelled"
    progress = [e["payload"]["job"] for e in events if e["type"] == "scan_progress"]
    assert progress and all(p["id"] == job["id"] for p in progress)
    assert [p["progress"] for p in progress] == sorted(p["progress"] for p in progress)
    # and it stays cancelled: no further step runs
    time.sleep(0.3)
    after = ask("get_state", {}, "4")["payload"]["state"]
    assert {j["id"]: j for j in after["scans"]}[job["id"]]["state"] == "cancelled"
    assert kernel.execute("current().services.frames").status == "ok"
