"""Inert stand-ins: what the scanner's unpickler gets instead of every global a stream names.

When the scanner runs CPython's unpickler over a stream (:mod:`nbsec.models.pickle_replay`),
``find_class``, the extension registry and ``persistent_load`` return stand-ins made here. A
pickle can only reach code through objects it gets from those hooks: every other object the
unpickler builds is a ``str``, ``bytes``, ``bytearray``, ``int``, ``float``, ``complex``,
``tuple``, ``list``, ``dict``, ``set``, ``frozenset``, ``bool`` or ``None`` whose behaviour is
fixed by the interpreter. So every operation the unpickler performs on an object that could
carry code lands on a stand-in, and a stand-in only records it:

==================================  =================================================
unpickler operation                 stand-in behaviour
==================================  =================================================
``REDUCE``, ``OBJ``/``INST`` (args)  metaclass ``__call__``: record the call, return a new stand-in
``NEWOBJ``/``NEWOBJ_EX``, ``OBJ``    ``__new__``: record the instantiation, return a new stand-in
``BUILD``                            ``__setstate__``: record the state
``APPEND``/``APPENDS``               ``append``/``extend``: record the items
``SETITEM``/``SETITEMS``             ``__setitem__``: record the item
``ADDITEMS``                         ``add``: record the item
dict keys, set members (hashing)     identity hash and equality (``type``'s own)
``__getinitargs__`` and anything     absent (``AttributeError``), as for a plain class
else the unpickler looks up
==================================  =================================================

Stand-ins are *classes* (instances of :class:`_Inert`), because ``NEWOBJ`` insists on a type.
None of their methods touches its arguments beyond storing references, so nothing a stream
contains is ever called, hashed by a user method, iterated or converted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# what a stand-in stands for
GLOBAL, CALL, NEW, PERSISTENT, EXTENSION = "global", "call", "new", "persistent", "extension"


@dataclass
class Event:
    """One thing the unpickler did with a stand-in. ``kind``: import, call, new, build, append,
    setitem, add, persistent, extension. ``target`` is the stand-in acted on (or created)."""

    kind: str
    target: Any
    args: Any = None
    offset: int = -1
    # for calls and instantiations: the stand-ins inside the arguments when the unpickler made
    # the call (a dict in the arguments may be changed by a later SETITEM), None when not looked
    inside: tuple[Any, ...] | None = None


@dataclass
class Trace:
    """Everything one unpickler run did with stand-ins, in order."""

    events: list[Event] = field(default_factory=list)
    position: Any = None  # callable -> the reader's current offset, for messages
    limit: int = 2_000_000
    # containers items looked at to list the stand-ins inside call arguments; past it the run's
    # uses are not known in full (``uses_lost``) and no use-based judgement is made
    inside_budget: int = 8_000_000
    uses_lost: bool = False

    def _add(self, event: Event) -> None:
        if len(self.events) >= self.limit:
            raise TraceFull(self.limit)
        if event.kind in (CALL, NEW):
            event.inside = self._inside(event.args)
        self.events.append(event)

    def _inside(self, value: Any) -> tuple[Any, ...]:
        """The stand-ins inside ``value`` now (containers walked once each, cycles included)."""
        if self.uses_lost:
            return ()
        found: list[Any] = []
        seen: set[int] = set()
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, _Inert):
                found.append(item)
                continue
            if not isinstance(item, tuple | list | set | frozenset | dict) or id(item) in seen:
                continue
            seen.add(id(item))
            self.inside_budget -= len(item) + 1
            if self.inside_budget < 0:
                self.uses_lost = True
                return ()
            if isinstance(item, dict):
                for key, val in item.items():
                    stack.append(key)
                    stack.append(val)
            else:
                stack.extend(item)
        return tuple(found)

    def offset(self) -> int:
        return int(self.position()) if self.position is not None else -1

    # -- stand-in factories -------------------------------------------------------------------
    def global_ref(self, module: str, name: str, *, via: str = "find_class") -> Any:
        ref = _make(GLOBAL, f"{module}.{name}", (module, name, via), self)
        self._add(Event("import", ref, (module, name, via), self.offset()))
        return ref

    def persistent(self, pid: Any) -> Any:
        ref = _make(PERSISTENT, "persistent id", pid, self)
        self._add(Event("persistent", ref, pid, self.offset()))
        return ref

    def record(self, kind: str, target: Any, args: Any) -> None:
        self._add(Event(kind, target, args, self.offset()))

    def result(self, kind: str, target: Any, args: Any) -> Any:
        out = _make(kind, "", (target, args), self)
        self._add(Event(kind, target, args, self.offset()))
        out._nbsec_info["made_by"] = self.events[-1]
        return out


class TraceFull(Exception):
    """More operations than the scan allows for one stream."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} operations on imported objects")


class _Inert(type):
    """Metaclass of every stand-in. Defines exactly the protocol the unpickler uses."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return _trace(cls).result(CALL, cls, (args, kwargs))

    def __setstate__(cls, state: Any) -> None:
        info(cls).setdefault("states", []).append(state)
        _trace(cls).record("build", cls, state)

    def append(cls, item: Any) -> None:
        _trace(cls).record("append", cls, (item,))

    def extend(cls, items: Any) -> None:
        _trace(cls).record("append", cls, items)

    def add(cls, item: Any) -> None:
        _trace(cls).record("add", cls, (item,))

    def __setitem__(cls, key: Any, value: Any) -> None:
        info(cls).setdefault("items", []).append((key, value))
        _trace(cls).record("setitem", cls, (key, value))


class _Base:
    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return _trace(cls).result(NEW, cls, (args, kwargs))


def _trace(cls: Any) -> Trace:
    return info(cls)["trace"]  # type: ignore[no-any-return]


def _make(kind: str, label: str, data: Any, trace: Trace) -> Any:
    info = {"kind": kind, "label": label, "data": data, "trace": trace}
    return _Inert("Inert", (_Base,), {"_nbsec_info": info, "__slots__": ()})


def is_inert(obj: Any) -> bool:
    return isinstance(obj, _Inert)


def info(obj: Any) -> dict[str, Any]:
    """The stand-in's record: kind, the global name (``label``) or the call that made it."""
    data: dict[str, Any] = obj.__dict__["_nbsec_info"]
    return data


def global_name(obj: Any) -> str | None:
    """``module.name`` of a stand-in for a global, else None."""
    if is_inert(obj) and info(obj)["kind"] == GLOBAL:
        return str(info(obj)["label"])
    return None


def origin(obj: Any) -> tuple[str | None, Any]:
    """For a stand-in made by calling or instantiating another: (the callee's global name or
    None when the callee was itself computed, the arguments)."""
    if not is_inert(obj):
        return None, None
    data = info(obj)
    if data["kind"] not in (CALL, NEW):
        return None, None
    target, args = data["data"]
    return global_name(target), args


def instance_of(obj: Any, names: frozenset[str]) -> bool:
    """Is ``obj`` (as far as the stream shows) an instance of a class named in ``names``: made by
    calling or instantiating that class, directly or through copyreg's reconstructors."""
    callee, args = origin(obj)
    if callee is None:
        return False
    if callee in names:
        return True
    if callee in _RECONSTRUCTORS and args:
        positional = args[0]
        return bool(positional) and global_name(positional[0]) in names
    return False


_RECONSTRUCTORS = frozenset(
    ("copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__", "builtins.object")
)
