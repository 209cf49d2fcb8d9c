"""``%load_ext nbsec``: the one place where nbsec's kernel parts are built and wired.

Nothing in nbsec imports this module except ``nbsec.load_ipython_extension``. Loading builds:

* the session: :class:`SessionState` (what was found) and :class:`SessionPolicy` (the policy file
  plus the session's mode, on/off and waivers), and :class:`InternalErrors` (the guarded call);
* the **watchers**, in the order of :data:`WATCHERS`, each given a :class:`KernelContext`; a
  watcher has optional ``loaded()`` (once, after every watcher started: look at what the kernel
  already holds), ``pre_run_cell(info)``, ``post_run_cell(result)``, ``set_enabled(on)`` and
  ``close()`` methods and may fill a slot of :class:`Services` for the other parts;
* the **front ends**, each given a :class:`FrontEndContext`: the ``%nbsec`` magics, the ``nbsec``
  comm target, and live views (``%nbsec dashboard``).

It registers one ``pre_run_cell`` and one ``post_run_cell`` handler that call the watchers through
the guarded call: an exception inside nbsec is reported once, naming the watcher and hook, and the
user's cell runs and returns exactly as it would without nbsec. After each cell the live views are
refreshed and the panels get an ``update``.

Unloading removes every event handler, magic and comm target that loading added and closes the
watchers, which remove their own wrappers. Loading twice is harmless (the second load is a no-op).

To add a watcher: write a class taking a ``KernelContext`` (see ``frame_watch.py``) and add it to
:data:`WATCHERS`. Magic subcommands and comm requests are added in their area's module (see
``command_table.py``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import sys
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbsec.kernel import notebook_file
from nbsec.kernel.context import FrontEndContext, KernelContext, LiveView, Services
from nbsec.kernel.internal_errors import InternalErrors
from nbsec.kernel.jobs import JobRunner
from nbsec.kernel.session_policy import SessionPolicy
from nbsec.kernel.session_state import SessionState
from nbsec.kernel.tracebacks import CleanTracebacks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from IPython.core.interactiveshell import InteractiveShell

    from nbsec.kernel.comm_target import PanelChannel

# Watchers in the order their pre_run_cell hooks run (post_run_cell runs in the same order):
# the output watch first so it counts every output of the cell (nbsec's own included); the
# source check next so its warnings sit above the cell's own output; lineage before the guard so
# a load is attributed to the running cell.
WATCHERS = (
    "nbsec.kernel.output_watch:OutputWatch",
    "nbsec.kernel.source_watch:SourceWatch",
    "nbsec.kernel.lineage_watch:LineageWatch",
    "nbsec.kernel.load_watch:LoadWatch",
    "nbsec.kernel.frame_watch:FrameWatch",
)

_current: NbsecExtension | None = None


def current() -> NbsecExtension | None:
    """The extension loaded in this process, if any (for debugging and tests)."""
    return _current


class NbsecExtension:
    """nbsec in one IPython shell: builds the parts and dispatches cell events to watchers."""

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        notebook = notebook_file.notebook_path(shell.user_ns)
        base_dir = notebook.parent if notebook else Path.cwd()
        self.state = SessionState(base_dir)
        self.services = Services()
        self.errors = InternalErrors()
        self.session = SessionPolicy(self.state, self.services, base_dir)
        self.session.on_enabled.append(self._tell_watchers)
        self.watchers: list[Any] = []
        self.cells_seen = 0
        self._cell_open = True  # the cell running %load_ext: its post_run_cell is dispatched
        self.channel: PanelChannel | None = None
        self.live_views: weakref.WeakSet[LiveView] = weakref.WeakSet()
        self._handlers: list[tuple[str, Callable[..., None]]] = []
        self.tracebacks = CleanTracebacks(shell)
        self.jobs = JobRunner(self.state, self.errors, self._job_progress, self.publish)
        self.context = KernelContext(
            shell=shell,
            state=self.state,
            policy=self.session,
            guarded=self.errors,
            services=self.services,
            notebook=notebook,
            publish=self.publish,
        )
        self.front_end = FrontEndContext(
            **{f.name: getattr(self.context, f.name) for f in dataclasses.fields(KernelContext)},
            session=self.session,
            status=self.status,
            live_views=self.live_views,
            jobs=self.jobs,
        )

    # -- lifecycle -------------------------------------------------------------------------------
    def register(self) -> None:
        from nbsec.kernel.comm_target import PanelChannel
        from nbsec.kernel.magics import NbsecMagics

        self.shell.register_magics(NbsecMagics(self.shell, self.front_end))
        for event, handler in (
            ("pre_run_cell", self._pre_run_cell),
            ("post_run_cell", self._post_run_cell),
        ):
            self.shell.events.register(event, handler)
            self._handlers.append((event, handler))
        channel = PanelChannel(self.front_end)
        if channel.register():
            self.channel = channel
        self.tracebacks.install()
        for factory in WATCHERS:
            self._start_watcher(factory)
        if self.session.policy_error:
            print(
                f"nbsec: policy error: {self.session.policy_error} (using defaults)",
                file=sys.stderr,
            )
        saved_meta = notebook_file.saved_metadata(self.context.notebook)
        saved = saved_meta.get("waivers")
        if isinstance(saved, list):
            for problem in self.session.restore(saved)[:3]:
                print(f"nbsec: ignored a saved waiver: {problem}", file=sys.stderr)
        self._restore_governance(saved_meta.get("governance"))
        for watcher in list(self.watchers):
            self._call(watcher, "loaded")
        self.publish()

    def _restore_governance(self, saved: Any) -> None:
        """The governance fields the notebook was saved with (``%nbsec meta``), kept in the
        session so the summary the panel saves carries them on."""
        from nbsec.report.governance import validate

        if not isinstance(saved, dict):
            return
        for key, value in list(saved.items())[:20]:
            if isinstance(key, str) and isinstance(value, str):
                try:
                    name, text = validate(key, value)
                except ValueError:
                    continue
                self.state.set_governance(name, text)

    def unregister(self) -> None:
        for event, handler in self._handlers:
            with contextlib.suppress(ValueError):
                self.shell.events.unregister(event, handler)
        self._handlers.clear()
        magics = self.shell.magics_manager.magics
        for kind in ("line", "cell"):
            owner = getattr(magics[kind].get("nbsec"), "__self__", None)
            if getattr(owner, "context", None) is self.front_end:
                del magics[kind]["nbsec"]
        registry = self.shell.magics_manager.registry
        for key in [
            k for k, v in registry.items() if getattr(v, "context", None) is self.front_end
        ]:
            del registry[key]
        if self.channel is not None:
            self.channel.unregister()
            self.channel = None
        self.tracebacks.uninstall()
        for watcher in reversed(self.watchers):
            self._call(watcher, "close")
        self.watchers.clear()

    # -- watchers --------------------------------------------------------------------------------
    def _start_watcher(self, factory: str) -> None:
        module_name, _, class_name = factory.partition(":")
        try:
            module = importlib.import_module(module_name)
            self.watchers.append(getattr(module, class_name)(self.context))
        except Exception as exc:
            self.errors.report(f"starting {class_name}", exc)

    def add_engine(self, watcher: Any) -> None:
        """Add a watcher after loading (tests use it to inject faults)."""
        self.watchers.append(watcher)

    def engine(self, name: str) -> Any:
        """The running watcher called ``name`` (for debugging and tests)."""
        return next((w for w in self.watchers if getattr(w, "name", None) == name), None)

    def _call(self, watcher: Any, hook: str, *args: Any) -> None:
        method = getattr(watcher, hook, None)
        if method is not None:
            name = getattr(watcher, "name", type(watcher).__name__)
            self.errors(f"{name}.{hook}", method, *args)

    def _tell_watchers(self, enabled: bool) -> None:
        for watcher in self.watchers:
            self._call(watcher, "set_enabled", enabled)

    def _pre_run_cell(self, info: Any) -> None:
        self._cell_open = self.session.enabled
        if not self._cell_open:
            return
        self.cells_seen += 1
        with _collector_paused():
            for watcher in list(self.watchers):
                self._call(watcher, "pre_run_cell", info)

    def _post_run_cell(self, result: Any) -> None:
        # a cell's post_run_cell goes to the watchers exactly when its pre_run_cell did: the
        # cell that ran %nbsec off is closed properly, the one that ran %nbsec on is not
        # mistaken for a cell they watched from the start
        with _collector_paused():
            if self._cell_open:
                self._cell_open = False
                for watcher in list(self.watchers):
                    self._call(watcher, "post_run_cell", result)
            self.publish()

    # -- front ends ------------------------------------------------------------------------------
    def _job_progress(self, job: dict[str, Any]) -> None:
        if self.channel is not None:
            self.channel.broadcast("scan_progress", {"job": job})

    def publish(self) -> None:
        """Refresh the live views and push the state to every panel (if it changed)."""
        for view in list(self.live_views):
            self.errors("dashboard", view.refresh)
        if self.channel is not None:
            self.errors("panel update", self.channel.push_update)

    def status(self) -> dict[str, Any]:
        from nbsec._version import __version__

        policy = self.session.file_policy
        return {
            "version": __version__,
            "enabled": self.session.enabled,
            "mode": policy.mode,
            "policy_file": str(policy.source) if policy.source else None,
            "policy_error": self.session.policy_error,
            "engines": [getattr(w, "name", type(w).__name__) for w in self.watchers],
            "cells_seen": self.cells_seen,
            "internal_errors": self.errors.count,
            "panel_connections": self.channel.open_comms if self.channel else 0,
            "in_kernel": self.channel is not None,
        }


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while nbsec's cell hooks run. They make many
    short-lived objects (a cell binding 10,000 names gets a record per name and a dict per
    record for the ledger); a collection in the middle would promote the live ones to the
    oldest generation, and promotions make the interpreter walk every object of the kernel in a
    later cell (about 30 ms with 10,000 names). Objects freed by reference counting, as nbsec's
    are, need no collector; the collector's own schedule resumes after."""
    import gc

    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# Above this many memory blocks (``sys.getallocatedblocks``: about 1.2 million objects the
# collector tracks, a collection of some 200 ms) loading does not settle the collector: nbsec's
# own objects are then too small a share of the kernel to bring a full collection forward.
SETTLE_MAX_BLOCKS = 4_000_000


def _settle_collector() -> None:
    """One full collection at the end of ``%load_ext``, in a kernel of ordinary size.

    Loading makes about 10,000 objects the collector tracks (nbsec's modules: functions,
    classes, dataclass fields). They survive the young generations and count towards the
    collector's trigger for a full collection (objects promoted since the last one, against a
    quarter of the old generation), so in a young kernel one full collection (35 ms with
    10,000 variables) would fall into one of the user's next cells. Run now, on the time of the
    load the user asked for, it counts them among the old objects instead. The collector is not
    disabled and nothing is frozen: the user's objects are collected as before."""
    import gc

    if gc.isenabled() and sys.getallocatedblocks() <= SETTLE_MAX_BLOCKS:
        gc.collect()


def load(shell: InteractiveShell) -> NbsecExtension:
    global _current
    if _current is not None and _current.shell is shell:
        return _current
    extension = NbsecExtension(shell)
    extension.register()
    _current = extension
    _settle_collector()
    return extension


def unload(shell: InteractiveShell) -> None:
    global _current
    if _current is None or _current.shell is not shell:
        return
    _current.unregister()
    _current = None
