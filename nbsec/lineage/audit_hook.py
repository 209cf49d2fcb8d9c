"""The one process-wide audit hook nbsec installs.

``sys.addaudithook`` hooks can never be removed, so nbsec installs exactly one per process, the
first time a tracker starts, and routes events to the *active sink* (the most recently started
tracker that is not closed). With no active sink, or for events it does not watch, the hook returns
after one set lookup. The hook converts arguments to plain strings at once and keeps no
reference to sockets, code objects or file handles.

Watched events (CPython's audit event table):

- ``open`` (builtins/io/os open), ``sqlite3.connect`` -- file reads and writes;
- ``urllib.Request`` -- URLs fetched with :mod:`urllib`;
- ``socket.connect`` -- other network connections (host and port only);
- ``subprocess.Popen``, ``os.system``, ``os.posix_spawn``, ``os.exec``, ``os.fork``,
  ``os.spawn`` -- code nbsec cannot observe;
- ``exec`` -- ``exec``/``eval`` called from the notebook's own code (the caller's globals are
  the user namespace); IPython running the cell itself is not reported.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any, Protocol


class AuditSink(Protocol):
    def on_file(self, path: str, write: bool, via: str) -> None: ...
    def on_url(self, url: str, write: bool, via: str) -> None: ...
    def on_exec(self, filename: str, caller_globals: object = None) -> None: ...
    def unobserved(self, what: str) -> None: ...


WATCHED = frozenset(
    (
        "open",
        "sqlite3.connect",
        "urllib.Request",
        "socket.connect",
        "subprocess.Popen",
        "os.system",
        "os.posix_spawn",
        "os.exec",
        "os.fork",
        "os.spawn",
        "exec",
    )
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_WRITE_MODE_CHARS = frozenset("wax+")
_CODE_SUFFIXES = (".pyc", ".py", ".so", ".pyd")
_UNOBSERVED_EVENTS = {
    "os.system": "os.system",
    "os.posix_spawn": "subprocess",
    "os.exec": "os.exec",
    "os.fork": "fork (worker process)",
    "os.spawn": "subprocess",
}

_sinks: list[AuditSink] = []
_installed = False
_lock = threading.Lock()
_local = threading.local()


internal_errors: dict[str, int] = {}


def note_internal_error(exc: BaseException) -> None:
    """Count an error nbsec swallowed to keep a user's call working (shown by diagnostics)."""
    name = type(exc).__name__
    internal_errors[name] = internal_errors.get(name, 0) + 1


def activate(sink: AuditSink) -> None:
    """Route audit events to ``sink`` (installing the hook on first use)."""
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True
        if sink not in _sinks:
            _sinks.append(sink)


def deactivate(sink: AuditSink) -> None:
    """Stop routing events to ``sink``; with no sink left the hook is a no-op."""
    with _lock:
        if sink in _sinks:
            _sinks.remove(sink)


def quiet_thread() -> None:
    """Report no event of the calling thread again (nbsec's own background threads: the files
    they read are not the user's)."""
    _local.busy = True


def installed() -> bool:
    return _installed


def active_sink() -> AuditSink | None:
    return _sinks[-1] if _sinks else None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event not in WATCHED or not _sinks:
        return
    # Fast exits for the bulk of events while a cell imports libraries: opening source and
    # bytecode files, and executing module code (whose caller is importlib, not the notebook).
    if event == "open":
        path = args[0]
        if type(path) is str and path.endswith(_CODE_SUFFIXES):
            return
    elif event == "exec":
        caller = sys._getframe(1)
        if caller.f_globals.get("__name__") != "__main__":
            return
        code = args[0]
        _sinks[-1].on_exec(str(getattr(code, "co_filename", "?")), caller.f_globals)
        return
    if getattr(_local, "busy", False):  # events raised by our own handling
        return
    _local.busy = True
    try:
        _dispatch(_sinks[-1], event, args)
    except Exception as exc:  # an audit hook must never break the audited call
        note_internal_error(exc)
    finally:
        _local.busy = False


def _dispatch(sink: AuditSink, event: str, args: tuple[Any, ...]) -> None:
    if event == "open":
        path, mode, flags = args[0], args[1], args[2]
        if isinstance(path, int) or path is None:
            return
        text = os.fsdecode(path) if isinstance(path, bytes) else os.fspath(path)
        if text[:1] != "/":
            text = os.path.abspath(text)
        if isinstance(mode, str):
            write = not _WRITE_MODE_CHARS.isdisjoint(mode)
        else:
            write = bool(int(flags or 0) & _WRITE_FLAGS)
        sink.on_file(text, write, "open")
    elif event == "urllib.Request":
        url, data, _headers, method = args[0], args[1], args[2], args[3]
        write = data is not None or (method or "GET").upper() not in ("GET", "HEAD", "OPTIONS")
        sink.on_url(str(url), write, "urllib")
    elif event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and len(address) >= 2:
            sink.on_url(f"tcp://{address[0]}:{address[1]}", False, "socket")
    elif event == "sqlite3.connect":
        database = args[0]
        if isinstance(database, str | bytes | os.PathLike):
            text = os.fsdecode(database)
            if text and text != ":memory:" and not text.startswith("file:"):
                sink.on_file(os.path.abspath(text), False, "sqlite3")
    elif event == "subprocess.Popen":
        sink.unobserved(f"subprocess ({_program_name(args[0], args[1])})")
    elif event in _UNOBSERVED_EVENTS:
        sink.unobserved(_UNOBSERVED_EVENTS[event])


def _program_name(executable: Any, argv: Any) -> str:
    """The program's base name only: arguments can hold secrets and are never recorded."""
    program = executable
    if not program:
        if isinstance(argv, str | bytes):
            program = os.fsdecode(argv).split(maxsplit=1)[0] if argv.strip() else ""
        elif isinstance(argv, list | tuple) and argv:
            program = argv[0]
    if isinstance(program, str | bytes | os.PathLike):
        return os.path.basename(os.fsdecode(program)) or "?"
    return "?"
