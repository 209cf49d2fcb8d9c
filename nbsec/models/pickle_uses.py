"""Globals admitted by how a stream uses them, not by their name (``[checked]`` in
``pickle_globals.toml``).

Some everyday objects pickle through a global that is dangerous in general: a bound classmethod
pickles as ``getattr(owner, "name")`` (``zoneinfo.ZoneInfo`` -> ``getattr(ZoneInfo,
"_unpickle")``, so every tz-aware pandas column and ``datetime``), and dateutil's ``tzfile``,
whose constructor opens a file, is handed to a rebuilder that never calls it. The scanner's
unpickler run (:mod:`nbsec.models.pickle_replay`) records every operation on every global's
stand-in, so each use can be checked:

* ``builtins.getattr``: every operation on it is a call ``getattr(owner, "name")`` with exactly
  two positional arguments, ``"name"`` a literal ``str``, and ``owner`` either

  - the stand-in of a global ``G`` allowed by name, such that ``G.name`` is a reviewed rebuilder
    (the result may then be called: that is what it is for), or
  - the stand-in of a global ``G`` allowed by name, such that ``G.name`` is a reviewed method
    whose result may only be stored (``stored_methods``: ``str.split`` as a vectorizer's
    tokenizer), checked as for an instance below, or
  - an instance the stream made from an allowed class ``C`` with ``C.__new__(C)`` alone
    (``NEWOBJ`` with no arguments, or ``copyreg._reconstructor(C, object, None)``), not touched
    by any earlier operation (so its ``__dict__`` is empty and the lookup finds the class's own
    attribute), such that ``C.name`` is a reviewed plain method (``instance_methods``): the
    result is a bound method, and it must only be stored, in a ``BUILD`` state or a plain
    container. Called, instantiated, built, given to ``APPEND``/``SETITEM``, handed to a call
    (checked on the arguments as they were when the call was made, as a later ``SETITEM`` may
    empty a dict a call kept) or to ``persistent_load``, it is not admitted.

  A computed owner or name, a dunder name, a third argument, keywords, ``NEWOBJ``, a mutation,
  or getattr handed to another call (``partial``, ``max(key=...)``) or stored in an object's
  state is not admitted;
* a listed class: every operation on it is ``NEWOBJ`` (``cls.__new__``, no constructor), a call
  whose first argument is ``None`` (no file), or being the first argument, and only argument
  position, of a call to one of its listed rebuilders.

* ``__main__.X`` in a static scan (no live kernel to say what ``X`` is): every operation on it
  is ``NEWOBJ``, or being the first argument of ``copyreg._reconstructor`` / ``__newobj__`` /
  ``__newobj_ex__``. Those make an instance with ``__new__`` and need ``X`` to be a class, so
  the loader runs only the loading script's own class (its ``__new__`` and ``__setstate__``),
  never a function the stream names; reported as NBS-PKL-026 (info). Called, or used any other
  way, it stays unknown.

A global with any use outside these is judged by its name as before (getattr: dangerous).
Where the arguments are nested deeper than the scan looks, or call arguments are too large to
list in full (``Replay.uses_lost``), nothing is admitted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from nbsec.models import inert
from nbsec.models.globals_judge import GlobalsJudge, global_lists, main_resolved
from nbsec.models.pickle_replay import Replay

GETATTR = "builtins.getattr"
MAIN = "__main__."
_INSTANCE_MAKERS = frozenset(
    ("copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__")
)
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
    static_main = not main_resolved()
    for event in replay.events:
        if event.kind == "import":
            name = inert.global_name(event.target)
            if (
                name == GETATTR
                or name in lists.class_uses
                or (static_main and _main_class_name(name))
            ):
                candidates[id(event.target)] = (event.target, str(name))
    if not candidates:
        return {}
    if replay.uses_lost:
        return {}
    refused: set[int] = set()
    touched: set[int] = set()  # stand-ins some operation has acted on or been given so far
    for event in replay.events:
        if event.kind in ("import", "extension"):
            continue
        try:
            found: list[Any] = []
            _collect(event.args, found)  # as the run left the arguments
        except _TooDeep:
            return {}
        passed = list(event.inside or ())  # as they were when the call was made
        counts = Counter(id(x) for x in found)
        counts_passed = Counter(id(x) for x in passed)
        once = {k for k, n in counts.items() if n == 1 and counts_passed[k] <= 1}
        found += passed
        if event.kind == "persistent":  # handed to the loader's persistent_load
            for value in found:
                fetcher = _fetched_from(value, candidates)
                refused.add(id(value) if fetcher is None else id(fetcher))
            touched.update(id(x) for x in found)
            continue
        key = id(event.target)
        if key in candidates:
            name = candidates[key][1]
            if not _own_use_ok(judge, name, event.kind, event.args, touched):
                refused.add(key)
        fetcher = _fetched_from(event.target, candidates)
        if fetcher is not None and _data_only(judge, event.target):
            refused.add(id(fetcher))  # an attribute fetched as data is acted on
        for value in found:
            key = id(value)
            if key in candidates and not _passed_ok(candidates[key][1], event, value, key in once):
                refused.add(key)
            fetcher = _fetched_from(value, candidates)
            if (
                fetcher is not None
                and _data_only(judge, value)
                and not (event.kind == "build" and value is not event.target)
            ):
                refused.add(id(fetcher))  # called, or handed to a call: not data only
        touched.add(id(event.target))
        touched.update(id(x) for x in found)
    return {target: name for key, (target, name) in candidates.items() if key not in refused}


def _fetched_from(value: Any, candidates: dict[int, tuple[Any, str]]) -> Any:
    """The getattr stand-in whose call made ``value``, if it was made so."""
    if not inert.is_inert(value):
        return None
    data = inert.info(value)
    if data["kind"] != inert.CALL:
        return None
    maker = data["data"][0]
    known = candidates.get(id(maker))
    return maker if known is not None and known[1] == GETATTR else None


def _data_only(judge: GlobalsJudge, value: Any) -> bool:
    """Was ``value`` fetched by a getattr whose result may only be stored: from an instance,
    or a listed ``stored_methods`` pair of a global (not a reviewed rebuilder, which is there
    to be called)?"""
    call = _call_args(inert.info(value)["data"][1])
    if call is None or len(call[0]) != 2 or inert.global_name(call[0][0]) is None:
        return True
    module, qualname = inert.info(call[0][0])["data"][:2]
    return judge.attribute((str(module), str(qualname)), call[0][1]) is None


def _fresh_instance(owner: Any) -> tuple[str, str] | None:
    """(module, qualname) of the class an instance stand-in was made from with nothing but
    ``cls.__new__(cls)``: ``NEWOBJ`` with no arguments, or ``copyreg._reconstructor(cls,
    object, None)`` (protocols 0 and 1)."""
    if not inert.is_inert(owner):
        return None
    data = inert.info(owner)
    if data["kind"] not in (inert.NEW, inert.CALL):
        return None
    maker, args = data["data"]
    call = _call_args(args)
    if call is None or call[1]:
        return None
    positional = call[0]
    if data["kind"] == inert.NEW:
        cls = None if positional else maker
    elif (
        inert.global_name(maker) == "copyreg._reconstructor"
        and len(positional) == 3
        and inert.global_name(positional[1]) == "builtins.object"
        and positional[2] is None
    ):
        cls = positional[0]
    else:
        return None
    if inert.global_name(cls) is None:
        return None
    module, qualname = inert.info(cls)["data"][:2]
    return str(module), str(qualname)


def _main_class_name(name: str | None) -> bool:
    return bool(name) and str(name).startswith(MAIN) and "." not in str(name)[len(MAIN) :]


def _own_use_ok(judge: GlobalsJudge, name: str, kind: str, args: Any, touched: set[int]) -> bool:
    """An operation on the checked global itself. ``touched``: the stand-ins that earlier
    operations acted on or were given."""
    call = _call_args(args)
    if name == GETATTR:
        if kind != "call" or call is None or call[1] or len(call[0]) != 2:
            return False
        owner, attribute = call[0]
        if inert.global_name(owner) is None:
            # an instance the stream made: only a reviewed method of its class, fetched before
            # anything else touched the instance (its __dict__ is still empty, so the lookup
            # finds the class's plain function); the result is then checked to be data only
            made = _fresh_instance(owner)
            return (
                made is not None
                and id(owner) not in touched
                and judge.instance_attribute(made, attribute) is not None
            )
        module, qualname = inert.info(owner)["data"][:2]
        owner_name = (str(module), str(qualname))
        return (
            judge.attribute(owner_name, attribute) is not None
            or judge.stored_attribute(owner_name, attribute) is not None
        )
    if kind == "new":
        return True  # NEWOBJ: cls.__new__, the constructor is never called
    if name.startswith(MAIN):
        return False
    if kind == "call" and call is not None:
        positional, keywords = call
        return bool(positional) and positional[0] is None and not keywords
    return False


def _passed_ok(name: str, event: inert.Event, value: Any, once: bool) -> bool:
    """The checked global found inside the arguments of another operation (``once``: it is
    there only once)."""
    if name == GETATTR or event.kind != "call" or not once:
        return False
    if name.startswith(MAIN):
        rebuilders = _INSTANCE_MAKERS
    else:
        rebuilders = global_lists().class_uses.get(name, frozenset())
    if inert.global_name(event.target) not in rebuilders:
        return False
    call = _call_args(event.args)
    return call is not None and bool(call[0]) and call[0][0] is value
