"""The ``nbsec`` comm target: where the JupyterLab panel talks to the kernel.

The panel opens a comm with a handshake as its open data; the kernel validates it, replies, and
keeps the comm to push updates. Every message in is validated against the protocol's schema
(:mod:`nbsec.kernel.protocol`); an invalid one gets an error reply, never an exception in the
kernel. A valid request goes to the handler its area registered (see
:mod:`nbsec.kernel.command_table`); its reply echoes the request's ``id``.

Updates are incremental: the channel remembers, per comm, the state version that panel was last
sent (by a ``handshake`` or ``get_state`` reply or an ``update``) and sends what changed since,
bounded in items and bytes; anything bigger is sent as ``resync: true`` and the panel asks
``get_state``.

**Subshells.** JupyterLab sends comm messages over a kernel subshell when the kernel supports
them (ipykernel 7, JEP 91), so panel requests are answered on the subshell's thread while the
user's cell runs. ipykernel routes a comm's *incoming* messages to the subshell of the last
message the kernel sent on it; since updates are sent from the main thread after each cell, that
would pull every later request back onto the main shell, behind the running cell. The channel
keeps each request on the subshell the panel chose. Handlers are thread-safe: the state holds a
lock, and work that touches the user's objects (a full scan) is scheduled on the main thread
between messages (:mod:`nbsec.kernel.jobs`).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from typing import TYPE_CHECKING, Any

from nbsec.kernel import (
    frame_commands,
    lineage_commands,
    model_commands,
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
# set to 1 (the tests do) to validate every message the kernel sends against the schema
CHECK_ENV = "NBSEC_PROTOCOL_CHECK"


class _Panel:
    """One connected panel: its comm and what it was last sent."""

    def __init__(self, comm: Any) -> None:
        self.comm = comm
        self.base = -1  # the state version this panel has (-1: none yet)
        self.metadata: dict[str, Any] | None = None


class PanelChannel:
    """Owns the comm target registration and the open comms of one extension instance."""

    def __init__(self, context: FrontEndContext) -> None:
        self._ctx = context
        self._panels: dict[str, _Panel] = {}
        self._manager: Any = None
        self._lock = threading.RLock()
        self._check = os.environ.get(CHECK_ENV) == "1"

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
        with self._lock:
            panels = list(self._panels.values())
            self._panels.clear()
        for panel in panels:
            with contextlib.suppress(Exception):  # a closing comm may already be gone
                panel.comm.close()
        if self._manager is not None:
            targets = getattr(self._manager, "targets", {})
            if targets.get(protocol.TARGET_NAME) == self._on_open:
                self._manager.unregister_target(protocol.TARGET_NAME, self._on_open)
            self._manager = None

    @property
    def open_comms(self) -> int:
        return len(self._panels)

    # -- messages --------------------------------------------------------------------------------
    def _on_open(self, comm: Any, open_msg: dict[str, Any]) -> None:
        if hasattr(comm, "_reply_subshell_for"):
            # answer each request on the subshell it came from (see the module docstring)
            comm._reply_subshell_for = lambda _data, default: default
        panel = _Panel(comm)
        with self._lock:
            self._panels[comm.comm_id] = panel
        comm.on_msg(lambda msg: self._answer(panel, msg.get("content", {}).get("data", {})))
        comm.on_close(lambda _msg: self._closed(comm.comm_id))
        self._answer(panel, open_msg.get("content", {}).get("data", {}))

    def _closed(self, comm_id: str) -> None:
        with self._lock:
            self._panels.pop(comm_id, None)

    def _send(self, panel: _Panel, message: dict[str, Any]) -> None:
        if self._check:
            protocol.check_outgoing(message)
        panel.comm.send(message)

    def _answer(self, panel: _Panel, data: Any) -> None:
        kind = data.get("type") if isinstance(data, dict) else None
        shown = kind if isinstance(kind, str) and len(kind) <= 40 else "error"
        request_id = data.get("id") if isinstance(data, dict) else None
        if not (isinstance(request_id, str) and 0 < len(request_id) <= 64):
            request_id = None
        before = self._ctx.state.version
        try:
            if len(json.dumps(data)) > protocol.MAX_MESSAGE_BYTES:
                raise protocol.ProtocolError("message too large")
            kind, payload, request_id = protocol.validate_request(data)
            lineage = self._ctx.services.lineage
            if lineage is not None:
                # the answer holds the file hashes still pending: they are awaited
                self._ctx.guarded("lineage.settle", lineage.settle)
            with self._lock:
                answer = HANDLERS[kind](self._ctx, payload)
                if kind == "handshake":
                    panel.base = int(answer["state_version"])
                elif kind == "get_state":
                    panel.base = int(answer["state"]["version"])
                    panel.metadata = answer["metadata"]
                self._send(panel, protocol.reply(kind, answer, request_id=request_id))
        except protocol.ProtocolError as exc:
            message = protocol.reply(
                shown, error=str(exc), code=exc.code, request_id=request_id, v=exc.client_v
            )
            panel.comm.send(message)
        except RequestError as exc:
            self._send(
                panel, protocol.reply(shown, error=str(exc), code=exc.code, request_id=request_id)
            )
        except Exception as exc:
            self._ctx.guarded.report("comm", exc)
            panel.comm.send(
                protocol.reply(
                    shown, error="internal error in nbsec", code="internal", request_id=request_id
                )
            )
        if self._ctx.state.version != before:
            self._ctx.publish()  # a change made from one panel reaches every panel

    # -- events ----------------------------------------------------------------------------------
    def push_update(self) -> None:
        """Send every panel what changed since the version it has (nothing if nothing did)."""
        state = self._ctx.state
        with self._lock:
            panels = [p for p in self._panels.values() if p.base >= 0 and p.base < state.version]
            if not panels:
                return
            limits = protocol.limits()
            summary = state.summary()
            deltas: dict[int, dict[str, Any]] = {}
            for panel in panels:
                if panel.base not in deltas:
                    deltas[panel.base] = _bounded(
                        state.delta(panel.base, limits["max_update_items"]),
                        limits["max_update_bytes"],
                    )
                update = dict(deltas[panel.base])
                if not update.get("resync") and summary != panel.metadata:
                    update["metadata"] = summary
                    panel.metadata = summary
                self._send(panel, protocol.event("update", update))
                panel.base = int(update["version"])

    def broadcast(self, kind: str, payload: dict[str, Any]) -> None:
        """Send an event to every connected panel."""
        message = protocol.event(kind, payload)
        with self._lock:
            for panel in list(self._panels.values()):
                self._send(panel, message)


def _bounded(update: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    if update.get("resync") or len(json.dumps(update, default=str)) <= max_bytes:
        return update
    keep = ("base", "version", "status", "counts")
    return {**{k: update[k] for k in keep}, "resync": True}
