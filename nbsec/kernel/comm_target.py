"""The ``nbsec`` comm target: where the JupyterLab panel talks to the kernel.

The panel opens a comm with a handshake as its open data; the kernel validates it, replies, and
keeps the comm to push updates. Every message in is validated against
:mod:`nbsec.kernel.protocol`; an invalid one gets an error reply, never an exception in the kernel.
A valid request goes to the handler its area registered (see :mod:`nbsec.kernel.command_table`).
Only available when IPython runs inside ipykernel (a terminal IPython has no comms).
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from nbsec.kernel import (
    frame_commands,
    lineage_commands,
    model_commands,
    panel_state,
    protocol,
    report_commands,
    session_commands,
)
from nbsec.kernel.command_table import RequestError, RequestHandler

if TYPE_CHECKING:
    from nbsec.kernel.context import FrontEndContext

HANDLERS: dict[str, RequestHandler] = {
    **session_commands.REQUESTS,
    **frame_commands.REQUESTS,
    **model_commands.REQUESTS,
    **lineage_commands.REQUESTS,
    **report_commands.REQUESTS,
}


class PanelChannel:
    """Owns the comm target registration and the open comms of one extension instance."""

    def __init__(self, context: FrontEndContext) -> None:
        self._ctx = context
        self._comms: dict[str, Any] = {}
        self._manager: Any = None
        self._sent_version = -1

    # -- registration ----------------------------------------------------------------------------
    def register(self) -> bool:
        """Register the target; ``False`` when not running in a kernel with comms."""
        if getattr(self._ctx.shell, "kernel", None) is None:
            return False
        try:
            import comm
        except ImportError:  # pragma: no cover - ipykernel always brings comm
            return False
        self._manager = comm.get_comm_manager()
        self._manager.register_target(protocol.TARGET_NAME, self._on_open)
        return True

    def unregister(self) -> None:
        for c in list(self._comms.values()):
            with contextlib.suppress(Exception):  # a closing comm may already be gone
                c.close()
        self._comms.clear()
        if self._manager is not None:
            targets = getattr(self._manager, "targets", {})
            if targets.get(protocol.TARGET_NAME) == self._on_open:
                self._manager.unregister_target(protocol.TARGET_NAME, self._on_open)
            self._manager = None

    @property
    def open_comms(self) -> int:
        return len(self._comms)

    # -- messages --------------------------------------------------------------------------------
    def _on_open(self, comm: Any, open_msg: dict[str, Any]) -> None:
        self._comms[comm.comm_id] = comm
        comm.on_msg(lambda msg: self._on_msg(comm, msg))
        comm.on_close(lambda _msg: self._comms.pop(comm.comm_id, None))
        data = open_msg.get("content", {}).get("data", {})
        self._answer(comm, data)

    def _on_msg(self, comm: Any, msg: dict[str, Any]) -> None:
        self._answer(comm, msg.get("content", {}).get("data", {}))

    def _answer(self, comm: Any, data: Any) -> None:
        kind = data.get("type") if isinstance(data, dict) else None
        before = self._ctx.state.version
        try:
            if len(json.dumps(data)) > protocol.MAX_MESSAGE_BYTES:
                raise protocol.ProtocolError("message too large")
            kind, payload = protocol.validate_request(data)
            answer = HANDLERS[kind](self._ctx, payload)
            comm.send(protocol.reply(kind, answer))
        except (protocol.ProtocolError, RequestError) as exc:
            shown = kind if isinstance(kind, str) and len(kind) <= 40 else "error"
            comm.send(protocol.reply(shown, error=str(exc)))
        except Exception as exc:
            self._ctx.guarded.report("comm", exc)
            comm.send(protocol.reply(str(kind)[:40], error="internal error in nbsec"))
        if self._ctx.state.version != before:
            self._ctx.publish()  # a change made from one panel reaches every panel

    def push_update(self) -> None:
        """Send the state to every panel if it changed since the last push."""
        version = self._ctx.state.version
        if not self._comms or version == self._sent_version:
            return
        self._sent_version = version
        self.broadcast("update", panel_state.state_payload(self._ctx))

    def broadcast(self, kind: str, payload: dict[str, Any]) -> None:
        """Send an event to every connected panel."""
        message = protocol.event(kind, payload)
        for comm in list(self._comms.values()):
            comm.send(message)
