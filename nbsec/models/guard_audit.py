"""The process-wide audit hook behind the runtime guard.

Python audit hooks (PEP 578) cannot be removed once added, so this module adds exactly one per
process, the first time a guard is installed, and routes its events to whatever *listener* is set.
With no listener (guard uninstalled) the hook returns after one comparison.

Two events matter:

``pickle.find_class``
    raised by every unpickler, the C ``_pickle`` one included, each time a stream names a global
    (``module``, ``name``). This is the backstop: it sees loads that went through no wrapper
    (``from pickle import loads`` done before the guard, ``pickle.Unpickler(f).load()``, a library's
    private reference) and records which globals a wrapped load really resolved. A listener may
    raise :class:`nbsec.errors.BlockedLoad` here; the unpickler then fails before it can call the
    global.
``open``
    raised by every ``open()``; the hook remembers, per thread, the last file opened for reading,
    so that an unwrapped load can be attributed to a path (best effort: the last data file this
    thread opened for reading, Python code files and nbsec's own reads excluded).

The listener must be fast and must not raise anything but ``BlockedLoad``: any other exception is
swallowed here so that a bug in nbsec never breaks the user's code. Events raised while a listener
is already running on the same thread (nbsec's own imports and opens) are ignored.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from nbsec.errors import BlockedLoad

FindClassListener = Callable[[str, str], None]

# Files the import system opens; never the data an unpickler reads.
_CODE_SUFFIXES = (".py", ".pyc", ".so", ".pyd", ".pth", ".pyi")

_lock = threading.Lock()
_installed = False
_listener: FindClassListener | None = None
_local = threading.local()


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _listener is None:
        return
    if event == "open":
        if not getattr(_local, "busy", False):
            _remember_open(args)
    elif event == "pickle.find_class":
        _dispatch_find_class(args)
    elif event == "marshal.loads":
        _remember_marshal(args)
    elif event == "exec" and _marshalled:
        _dispatch_exec(args)


# code objects recent marshal.loads calls (outside the import system) made, with the sha256 of
# the bytes they came from (code objects compare and hash by content)
_marshalled: dict[Any, str] = {}
_exec_listener: Callable[[str], None] | None = None


def _called_by_importlib() -> bool:
    """Is the code that raised the event (above this module's own frames) the import system?"""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back  # type: ignore[assignment]
    name = str(frame.f_globals.get("__name__", "")) if frame is not None else ""
    return name.startswith(("importlib", "_frozen_importlib"))


def _remember_marshal(args: tuple[Any, ...]) -> None:
    if _exec_listener is None or getattr(_local, "busy", False):
        return
    _local.busy = True
    try:
        if _called_by_importlib():
            return
        import hashlib
        import marshal
        import types

        data = bytes(args[0])
        made = marshal.loads(data)  # noqa: S302 - the same code object by content, never run
        if isinstance(made, types.CodeType):
            _marshalled[made] = hashlib.sha256(data).hexdigest()
            while len(_marshalled) > 64:
                _marshalled.pop(next(iter(_marshalled)))
    except Exception:  # noqa: S110 - bookkeeping must not break marshal.loads
        pass
    finally:
        _local.busy = False


def _dispatch_exec(args: tuple[Any, ...]) -> None:
    listener = _exec_listener
    if listener is None or getattr(_local, "busy", False):
        return
    _local.busy = True
    try:
        import types

        code = args[0]
        if not isinstance(code, types.CodeType) or _called_by_importlib():
            return
        digest = _marshalled.get(code)
        if digest is not None:
            listener(digest)
    except BlockedLoad:
        raise
    except Exception:  # noqa: S110 - see the module docstring
        pass
    finally:
        _local.busy = False


def set_exec_listener(listener: Callable[[str], None] | None) -> None:
    """Route ``exec`` of code objects made by ``marshal.loads`` to ``listener`` (sha256 of the
    marshal bytes); ``None`` turns the check off."""
    global _exec_listener
    _exec_listener = listener
    _marshalled.clear()


def _remember_open(args: tuple[Any, ...]) -> None:
    try:
        path, mode = args[0], args[1]
        if isinstance(path, int) or mode is None:
            return
        if isinstance(mode, str) and ("w" in mode or "a" in mode or "x" in mode):
            return
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        text = os.fspath(path)
        if text.endswith(_CODE_SUFFIXES):
            return  # imports open source and bytecode files; those are not data loads
        _local.last_open = text
    except Exception:  # noqa: S110 - a bookkeeping failure must not break open()
        pass


def _dispatch_find_class(args: tuple[Any, ...]) -> None:
    listener = _listener
    if listener is None or getattr(_local, "busy", False):
        return
    _local.busy = True
    try:
        listener(str(args[0]), str(args[1]))
    except BlockedLoad:
        raise
    except Exception:  # noqa: S110 - see the module docstring
        pass
    finally:
        _local.busy = False


def ensure_installed() -> None:
    """Add the hook to this process once; later calls do nothing."""
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


def is_installed() -> bool:
    return _installed


def set_listener(listener: FindClassListener | None) -> None:
    """Route ``pickle.find_class`` events to ``listener``; ``None`` makes the hook a no-op."""
    global _listener
    _listener = listener


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Ignore this thread's events while nbsec itself works (its own imports and file reads
    must not be taken for the user's)."""
    previous = getattr(_local, "busy", False)
    _local.busy = True
    try:
        yield
    finally:
        _local.busy = previous


def last_opened_path() -> str | None:
    """The last file this thread opened for reading while a listener was set, if any."""
    value = getattr(_local, "last_open", None)
    return value if isinstance(value, str) else None
