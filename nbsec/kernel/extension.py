"""``%load_ext nbsec``: the wiring between IPython and nbsec's engines.

Loading registers the ``%nbsec`` magics, one ``pre_run_cell`` and one ``post_run_cell`` handler, and
the ``nbsec`` comm target. The handlers dispatch to *engines* (objects with optional
``pre_run_cell(info)``, ``post_run_cell(result)`` and ``close()`` methods): the static source check,
the load guard, the lineage tracker, the DataFrame scanner. Each engine call is guarded: an
exception inside nbsec is reported once, as an nbsec error naming the engine and hook, and the
user's cell runs and returns exactly as it would without nbsec.

Unloading removes every event handler, magic and comm target that loading added and closes the
engines, which remove their own wrappers. Loading twice is harmless (the second load is a no-op).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import logging
import sys
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nbsec.errors import NbsecError
from nbsec.kernel.session_state import SessionState, SessionWaiver
from nbsec.policy import Policy, Waiver, load_policy

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from nbsec.kernel.comm_target import PanelChannel

log = logging.getLogger("nbsec")


class Engine(Protocol):
    """What the extension calls; every method is optional (looked up with ``getattr``)."""

    name: str


# Engines in the order their pre_run_cell hooks run (post_run_cell runs in the same order):
# the source check first so its warnings sit above the cell's own output.
ENGINE_FACTORIES = (
    "nbsec.kernel.source_watch:SourceWatch",
    "nbsec.kernel.lineage_watch:LineageWatch",
    "nbsec.kernel.load_watch:LoadWatch",
    "nbsec.kernel.frame_watch:FrameWatch",
)

_current: NbsecExtension | None = None


def current() -> NbsecExtension | None:
    """The extension loaded in this process, if any."""
    return _current


class NbsecExtension:
    """The state of nbsec in one IPython shell."""

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        self.enabled = True
        self.engines: list[Any] = []
        self.policy_error: str | None = None
        self.policy = self._load_policy()
        self.errors_reported: set[tuple[str, str, str]] = set()
        self.internal_errors = 0
        self.cells_seen = 0
        self.channel: PanelChannel | None = None
        self._handlers: list[tuple[str, Callable[..., None]]] = []
        self.state = SessionState()
        self.dashboards: weakref.WeakSet[Any] = weakref.WeakSet()
        self._effective: Policy | None = None
        self._broadcast_version = -1

    # -- policy ----------------------------------------------------------------------------------
    def _load_policy(self) -> Policy:
        try:
            self.policy_error = None
            return load_policy(Path.cwd())
        except NbsecError as exc:
            # A broken policy must not break the kernel; it is shown on load and in the status,
            # and the defaults apply until it is fixed and reloaded with %nbsec policy --reload.
            self.policy_error = str(exc)
            return Policy()

    def reload_policy(self) -> Policy:
        self.policy = self._load_policy()
        self._effective = None
        return self.policy

    def effective_policy(self) -> Policy:
        """The policy file's settings plus the waivers given in this session (``%nbsec allow``)."""
        if self._effective is None:
            extra_paths = tuple(w.target for w in self.state.waivers if w.kind == "path")
            extra_sha = tuple(w.target for w in self.state.waivers if w.kind == "sha256")
            extra_waivers = tuple(
                Waiver(reason=w.reason, rule=w.target)
                for w in self.state.waivers
                if w.kind == "rule"
            )
            self._effective = dataclasses.replace(
                self.policy,
                allow_paths=self.policy.allow_paths + extra_paths,
                allow_sha256=self.policy.allow_sha256 + extra_sha,
                waivers=self.policy.waivers + extra_waivers,
            )
        return self._effective

    def set_mode(self, mode: str) -> None:
        if mode not in ("warn", "block"):
            raise ValueError(f"mode must be warn or block, not {mode!r}")
        self.policy = dataclasses.replace(self.policy, mode=mode)
        self._effective = None
        self.state.touch()

    def allow(self, target: str, reason: str) -> SessionWaiver:
        """Record a waiver for a rule (or family), a path glob or a sha256 in this session."""
        import re

        target = target.strip()
        if not reason.strip():
            raise ValueError("a waiver needs a reason (--reason ...)")
        if re.fullmatch(r"NBS-(PII|SEC|PKL|MDL|SRC|LIN)(-\d{3})?", target):
            kind = "rule"
        elif re.fullmatch(r"(sha256:)?[0-9a-fA-F]{64}", target):
            kind, target = "sha256", target.lower().removeprefix("sha256:")
        elif target:
            kind = "path"
        else:
            raise ValueError("nothing to allow: give a rule id, a path or a sha256")
        waiver = SessionWaiver(target=target, kind=kind, reason=reason.strip())
        self.state.add_waiver(waiver)
        self._effective = None
        tracker = self.lineage_tracker()
        if tracker is not None:
            self.call(tracker, "record_waiver", waiver.to_dict())
        return waiver

    # -- lifecycle -------------------------------------------------------------------------------
    def register(self) -> None:
        from nbsec.kernel.comm_target import PanelChannel
        from nbsec.kernel.magics import NbsecMagics

        self.shell.register_magics(NbsecMagics(self.shell, extension=self))
        for event, handler in (
            ("pre_run_cell", self._pre_run_cell),
            ("post_run_cell", self._post_run_cell),
        ):
            self.shell.events.register(event, handler)
            self._handlers.append((event, handler))
        channel = PanelChannel(self)
        if channel.register():
            self.channel = channel
        for factory in ENGINE_FACTORIES:
            self._start_engine(factory)
        if self.policy_error:
            print(f"nbsec: policy error: {self.policy_error} (using defaults)", file=sys.stderr)

    def unregister(self) -> None:
        for event, handler in self._handlers:
            with contextlib.suppress(ValueError):
                self.shell.events.unregister(event, handler)
        self._handlers.clear()
        magics = self.shell.magics_manager.magics
        for kind in ("line", "cell"):
            owner = getattr(magics[kind].get("nbsec"), "__self__", None)
            if getattr(owner, "extension", None) is self:
                del magics[kind]["nbsec"]
        registry = self.shell.magics_manager.registry
        for key in [k for k, v in registry.items() if getattr(v, "extension", None) is self]:
            del registry[key]
        if self.channel is not None:
            self.channel.unregister()
            self.channel = None
        for engine in reversed(self.engines):
            self.call(engine, "close")
        self.engines.clear()

    # -- engines ---------------------------------------------------------------------------------
    def _start_engine(self, factory: str) -> None:
        module_name, _, class_name = factory.partition(":")
        try:
            module = importlib.import_module(module_name)
            self.engines.append(getattr(module, class_name)(self))
        except Exception as exc:
            self.report_internal_error(f"starting {class_name}", exc)

    def add_engine(self, engine: Any) -> None:
        self.engines.append(engine)

    def engine(self, name: str) -> Any:
        return next((e for e in self.engines if getattr(e, "name", None) == name), None)

    def lineage_tracker(self) -> Any:
        watch = self.engine("lineage")
        return getattr(watch, "tracker", None)

    def call(self, engine: Any, hook: str, *args: Any) -> Any:
        """Call ``engine.hook(*args)`` if it exists; never raise."""
        method = getattr(engine, hook, None)
        if method is None:
            return None
        try:
            return method(*args)
        except Exception as exc:
            name = getattr(engine, "name", type(engine).__name__)
            self.report_internal_error(f"{name}.{hook}", exc)
            return None

    def report_internal_error(self, where: str, exc: BaseException) -> None:
        """Tell the user once per (place, error type, message) that nbsec failed there."""
        self.internal_errors += 1
        key = (where, type(exc).__name__, str(exc)[:200])
        log.debug("nbsec internal error in %s", where, exc_info=exc)
        if key in self.errors_reported:
            return
        self.errors_reported.add(key)
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        print(
            f"nbsec: internal error in {where} ({type(exc).__name__}: {first}); "
            "your cell was not affected.",
            file=sys.stderr,
        )

    def _pre_run_cell(self, info: Any) -> None:
        if not self.enabled:
            return
        self.cells_seen += 1
        for engine in list(self.engines):
            self.call(engine, "pre_run_cell", info)

    def _post_run_cell(self, result: Any) -> None:
        if not self.enabled:
            return
        for engine in list(self.engines):
            self.call(engine, "post_run_cell", result)
        if self.dashboards:
            from nbsec.kernel.dashboard import refresh_all

            try:
                refresh_all(self.dashboards)
            except Exception as exc:
                self.report_internal_error("dashboard", exc)
        self.push_update()

    def update_payload(self) -> dict[str, Any]:
        """What the panel gets after a cell: the state and the summary for metadata.nbsec."""
        state = self.state.to_state()
        policy = self.effective_policy()
        state["status"] = {
            "mode": policy.mode,
            "enabled": self.enabled,
            "policy_file": str(policy.source) if policy.source else None,
        }
        return {"state": state, "metadata": self.state.summary()}

    def push_update(self) -> None:
        """Send the state to every panel now (after a change made outside a cell)."""
        if self.channel is None or self.state.version == self._broadcast_version:
            return
        try:
            self._broadcast_version = self.state.version
            self.channel.broadcast("update", self.update_payload())
        except Exception as exc:
            self.report_internal_error("panel update", exc)

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        self.state.touch()
        for engine in self.engines:
            self.call(engine, "set_enabled", enabled)

    def status(self) -> dict[str, Any]:
        from nbsec._version import __version__

        return {
            "version": __version__,
            "enabled": self.enabled,
            "mode": self.policy.mode,
            "policy_file": str(self.policy.source) if self.policy.source else None,
            "policy_error": self.policy_error,
            "engines": [getattr(e, "name", type(e).__name__) for e in self.engines],
            "cells_seen": self.cells_seen,
            "internal_errors": self.internal_errors,
            "panel_connections": self.channel.open_comms if self.channel else 0,
            "in_kernel": self.channel is not None,
        }


def load(shell: InteractiveShell) -> NbsecExtension:
    global _current
    if _current is not None and _current.shell is shell:
        return _current
    extension = NbsecExtension(shell)
    extension.register()
    _current = extension
    return extension


def unload(shell: InteractiveShell) -> None:
    global _current
    if _current is None or _current.shell is not shell:
        return
    _current.unregister()
    _current = None
