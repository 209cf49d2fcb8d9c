"""A real IPython kernel driven the way JupyterLab drives it: execute requests and comms.

Used by the kernel tests of every part of nbsec. The kernel runs the interpreter of the test
session with the repository on ``PYTHONPATH`` (so it also works before ``pip install -e .``).
"""

from __future__ import annotations

import os
import queue
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Execution:
    """What one execute request produced."""

    status: str
    stdout: str = ""
    stderr: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)  # execute_result/display_data
    error: dict[str, Any] | None = None
    value: str | None = None  # text/plain of the execute_result (the cell's own value)
    updates: int = 0  # outputs changed in place (update_display_data)

    def text(self) -> str:
        parts = [r.get("text/plain", "") for r in self.results]
        return "\n".join(parts)

    def html(self) -> str:
        return "\n".join(r.get("text/html", "") for r in self.results)


class Kernel:
    def __init__(self, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.km = KernelManager(kernel_name="python3")
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO), full_env.get("PYTHONPATH", "")) if p
        )
        full_env.pop("NBSEC_POLICY", None)
        full_env["NBSEC_PROTOCOL_CHECK"] = "1"  # every message the kernel sends is validated
        full_env.update(env or {})
        self.km.start_kernel(cwd=str(cwd), env=full_env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        self._comm_buffer: list[dict[str, Any]] = []  # comm messages seen while executing

    def stop(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    # -- execution -------------------------------------------------------------------------------
    def execute(self, code: str, timeout: float = 60, silent: bool = False) -> Execution:
        """Run ``code`` as a cell (``silent``: as JupyterLab runs hidden code, without the
        pre/post_run_cell events and history)."""
        msg_id = self.kc.execute(code, store_history=not silent, silent=silent)
        out = Execution(status="?")
        shown: dict[str, int] = {}  # display id -> index in out.results
        deadline = time.monotonic() + timeout
        while True:
            msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            if msg["msg_type"] in ("comm_msg", "comm_close"):
                self._comm_buffer.append(msg)
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                if content["name"] == "stdout":
                    out.stdout += content["text"]
                else:
                    out.stderr += content["text"]
            elif kind in ("execute_result", "display_data"):
                out.results.append(content["data"])
                display_id = content.get("transient", {}).get("display_id")
                if display_id:
                    shown[display_id] = len(out.results) - 1
                if kind == "execute_result":
                    out.value = content["data"].get("text/plain")
            elif kind == "update_display_data":
                # as a front end does: the output shown under that display id changes in place
                where = shown.get(content.get("transient", {}).get("display_id"))
                if where is not None:
                    out.results[where] = content["data"]
                    out.updates += 1
            elif kind == "error":
                out.error = content
            elif kind == "status" and content["execution_state"] == "idle":
                break
        while True:  # skip stale replies (kernel_info requests sent while waiting for ready)
            reply = self.kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        out.status = reply["content"]["status"]
        return out

    # -- comms as the frontend -------------------------------------------------------------------
    def comm_open(self, target: str, data: dict[str, Any]) -> str:
        comm_id = uuid.uuid4().hex
        msg = self.kc.session.msg(
            "comm_open", {"comm_id": comm_id, "target_name": target, "data": data}
        )
        self.kc.shell_channel.send(msg)
        return comm_id

    def comm_send(self, comm_id: str, data: dict[str, Any]) -> None:
        msg = self.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        self.kc.shell_channel.send(msg)

    def comm_next(self, comm_id: str, timeout: float = 15) -> tuple[str, dict[str, Any]]:
        """The next comm_msg or comm_close on ``comm_id``: ``(msg_type, data)``."""
        for msg in list(self._comm_buffer):
            if msg["content"].get("comm_id") == comm_id:
                self._comm_buffer.remove(msg)
                return msg["msg_type"], msg["content"].get("data", {})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if msg["msg_type"] in ("comm_msg", "comm_close") and (
                msg["content"].get("comm_id") == comm_id
            ):
                return msg["msg_type"], msg["content"].get("data", {})
        raise TimeoutError(f"no message on comm {comm_id} within {timeout} s")
