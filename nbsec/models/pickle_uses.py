"""Globals admitted by how a stream uses them, not by their name (``[checked]`` in
``pickle_globals.toml``).

Some everyday objects pickle through a global that is dangerous in general: a bound classmethod
pickles as ``getattr(owner, "name")`` (``zoneinfo.ZoneInfo`` -> ``getattr(ZoneInfo,
"_unpickle")``, so every tz-aware pandas column and ``datetime``), and dateutil's ``tzfile``,
whose constructor opens a file, is handed to a rebuilder that never calls it. The scanner's
unpickler run (:mod:`nbsec.models.pickle_replay`) records every operation on every global's
stand-in, so each use can be checked:

* ``builtins.getattr``: every operation on it is a call ``getattr(G, "name")`` with exactly two
  positional arguments, ``G`` the stand-in of a global allowed by name and ``"name"`` a literal
  ``str``, such that ``G.name`` is a reviewed rebuilder. A computed owner or name, a third
  argument, keywords, ``NEWOBJ``, a mutation, or getattr handed to another call (``partial``,
  ``max(key=...)``) or stored in an object's state is not admitted;
* a listed class: every operation on it is ``NEWOBJ`` (``cls.__new__``, no constructor), a call
  whose first argument is ``None`` (no file), or being the first argument, and only argument
  position, of a call to one of its listed rebuilders.

A global with any use outside these is judged by its name as before (getattr: dangerous).
Where the arguments are nested deeper than the scan looks, nothing is admitted.
"""

from __future__ import annotations

from typing import Any

from nbsec.models import inert
from nbsec.models.globals_judge import GlobalsJudge, global_lists
from nbsec.models.pickle_replay import Replay

GETATTR = "builtins.getattr"
_MAX_DEPTH = 32
_MAX_ITEMS = 100_000


class _TooDeep(Exception):
    """Arguments nested beyond what is looked at: no use is admitted."""


def _collect(value: Any, out: list[Any], depth: int = 0) -> None:
    if depth > _MAX_DEPTH or len(out) > _MAX_ITEMS:
        raise _TooDeep
    if inert.is_inert(value):
        out.append(value)
    elif isinstance(value, tuple | list | set | frozenset):
        for item in value:
            _collect(item, out, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect(key, out, depth + 1)
            _collect(item, out, depth + 1)


def _call_args(args: Any) -> tuple[tuple[Any, ...], dict[Any, Any]] | None:
    """(positional, keywords) of a recorded call, or None when not of that shape."""
    if not (isinstance(args, tuple) and len(args) == 2):
        return None
    positional, keywords = args
    if not isinstance(positional, tuple) or not isinstance(keywords, dict):
        return None
    return positional, keywords


def checked_uses(judge: GlobalsJudge, replay: Replay) -> dict[Any, str]:
    """Stand-ins of ``[checked]`` globals whose every use in this run is admitted, with their
    names. Empty when the stream uses none of them."""
    lists = global_lists()
    candidates: dict[int, tuple[Any, str]] = {}
    for event in replay.events:
        if event.kind == "import":
            name = inert.global_name(event.target)
            if name == GETATTR or name in lists.class_uses:
                candidates[id(event.target)] = (event.target, str(name))
    if not candidates:
        return {}
    refused: set[int] = set()
    for event in replay.events:
        if event.kind in ("import", "persistent", "extension"):
            continue
        key = id(event.target)
        if key in candidates:
            name = candidates[key][1]
            if not _own_use_ok(judge, name, event.kind, event.args):
                refused.add(key)
        try:
            found: list[Any] = []
            _collect(event.args, found)
        except _TooDeep:
            return {}
        for position, value in enumerate(found):
            key = id(value)
            if key in candidates and not _passed_ok(candidates[key][1], event, value, position):
                refused.add(key)
    return {target: name for key, (target, name) in candidates.items() if key not in refused}


def _own_use_ok(judge: GlobalsJudge, name: str, kind: str, args: Any) -> bool:
    """An operation on the checked global itself."""
    call = _call_args(args)
    if name == GETATTR:
        if kind != "call" or call is None or call[1] or len(call[0]) != 2:
            return False
        owner, attribute = call[0]
        if inert.global_name(owner) is None:
            return False  # an instance, a computed value, a persistent id
        module, qualname = inert.info(owner)["data"][:2]
        return judge.attribute((str(module), str(qualname)), attribute) is not None
    if kind == "new":
        return True  # NEWOBJ: cls.__new__, the constructor is never called
    if kind == "call" and call is not None:
        positional, keywords = call
        return bool(positional) and positional[0] is None and not keywords
    return False


def _passed_ok(name: str, event: inert.Event, value: Any, position: int) -> bool:
    """The checked global found inside the arguments of another operation."""
    if name == GETATTR or event.kind != "call" or position != 0:
        return False
    rebuilders = global_lists().class_uses.get(name, frozenset())
    if inert.global_name(event.target) not in rebuilders:
        return False
    call = _call_args(event.args)
    return call is not None and bool(call[0]) and call[0][0] is value
