"""The ``nbsec`` comm target: where the JupyterLab panel talks to the kernel.

The panel opens a comm with a handshake as its open data; the kernel validates it, replies, and
keeps the comm to push updates. Every message in is validated against
:mod:`nbsec.kernel.protocol`; an invalid one gets an error reply, never an exception in the kernel.
Only available when IPython runs inside ipykernel (a terminal IPython has no comms).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nbsec._version import __version__
from nbsec.kernel import protocol

if TYPE_CHECKING:
    from nbsec.kernel.extension import NbsecExtension

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class RequestError(Exception):
    """A valid request that cannot be done (no such frame, ...); sent back as the error text."""


class PanelChannel:
    """Owns the comm target registration and the open comms of one extension instance."""

    def __init__(self, extension: NbsecExtension) -> None:
        self._extension = extension
        self._comms: dict[str, Any] = {}
        self._manager: Any = None
        self._handlers: dict[str, Handler] = {
            "handshake": self._on_handshake,
            "get_state": self._on_get_state,
            "scan_frame": self._on_scan_frame,
            "set_mode": self._on_set_mode,
            "allow": self._on_allow,
            "report": self._on_report,
        }

    # -- registration ----------------------------------------------------------------------------
    def register(self) -> bool:
        """Register the target; ``False`` when not running in a kernel with comms."""
        if getattr(self._extension.shell, "kernel", None) is None:
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
        try:
            if len(json.dumps(data)) > protocol.MAX_MESSAGE_BYTES:
                raise protocol.ProtocolError("message too large")
            kind, payload = protocol.validate_request(data)
            answer = self._handlers[kind](payload)
            comm.send(protocol.reply(kind, answer))
            if kind in ("scan_frame", "set_mode", "allow"):
                self._extension.push_update()  # other panels on this kernel follow
        except (protocol.ProtocolError, RequestError) as exc:
            shown = kind if isinstance(kind, str) and len(kind) <= 40 else "error"
            comm.send(protocol.reply(shown, error=str(exc)))
        except Exception as exc:
            self._extension.report_internal_error("comm", exc)
            comm.send(protocol.reply(str(kind)[:40], error="internal error in nbsec"))

    def broadcast(self, kind: str, payload: dict[str, Any]) -> None:
        """Send an event to every connected panel."""
        message = protocol.event(kind, payload)
        for comm in list(self._comms.values()):
            comm.send(message)

    def _on_handshake(self, payload: dict[str, Any]) -> dict[str, Any]:
        if payload["protocol"] != protocol.PROTOCOL_VERSION:
            raise protocol.ProtocolError(
                f"panel speaks protocol {payload['protocol']}, kernel speaks "
                f"{protocol.PROTOCOL_VERSION}: upgrade the older side"
            )
        ext = self._extension
        policy = ext.policy
        return {
            "nbsec_version": __version__,
            "protocol": protocol.PROTOCOL_VERSION,
            "enabled": ext.enabled,
            "mode": ext.effective_policy().mode,
            "policy_file": str(policy.source) if policy.source else None,
        }

    def _on_get_state(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._extension.update_payload()

    def _on_scan_frame(self, payload: dict[str, Any]) -> dict[str, Any]:
        from nbsec.kernel.frame_watch import is_frame

        ext = self._extension
        name = payload["name"]
        value = ext.shell.user_ns.get(name)
        if value is None or not is_frame(value):
            raise RequestError(f"no DataFrame named {name!r} in the kernel")
        watch = ext.engine("frames")
        if watch is None:
            raise RequestError("the DataFrame scanner is not running")
        findings = watch.scan(name, value, inline=False)
        ext.state.add_findings(findings)
        return {
            "name": name,
            "frame": ext.state.frames.get(name),
            "findings": [f.to_dict() for f in findings],
        }

    def _on_set_mode(self, payload: dict[str, Any]) -> dict[str, Any]:
        ext = self._extension
        if "mode" in payload:
            ext.set_mode(payload["mode"])
        if "enabled" in payload:
            ext.set_enabled(payload["enabled"])
        return {"mode": ext.effective_policy().mode, "enabled": ext.enabled}

    def _on_allow(self, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            waiver = self._extension.allow(payload["target"], payload["reason"])
        except ValueError as exc:
            raise RequestError(str(exc)) from None
        return {"waiver": waiver.to_dict()}

    def _on_report(self, payload: dict[str, Any]) -> dict[str, Any]:
        raise RequestError("the governance report builder is not part of this version yet")
