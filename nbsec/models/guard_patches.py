"""Swap attributes of modules and classes for wrappers, and put back exactly what was there.

A :class:`PatchSet` remembers, for each patched ``owner.attribute``, the raw object it replaced
(taken from ``owner.__dict__``, so a ``classmethod`` stays a ``classmethod``) or that the attribute
was absent from ``owner.__dict__`` (lazily attached module attributes, inherited class attributes).
:meth:`PatchSet.restore_all` undoes patches newest first, which restores identity:
``pickle.loads is _pickle.loads`` again after an uninstall.

Wrappers carry the object they wrap in ``__nbsec_wrapped__``; :func:`unwrap` follows that chain so
that a library which copied an already wrapped function at import time (``cloudpickle.loads =
pickle.loads``) is wrapped around, and later restored to, the original function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WRAPPED_ATTR = "__nbsec_wrapped__"
_ABSENT = object()


def unwrap(obj: Any) -> Any:
    """The original object under any number of nbsec wrappers."""
    seen = 0
    while seen < 16:
        inner = getattr(obj, WRAPPED_ATTR, None) if callable(obj) else None
        if isinstance(obj, classmethod | staticmethod):
            inner = getattr(obj.__func__, WRAPPED_ATTR, None)
            inner = type(obj)(inner) if inner is not None else None
        if inner is None:
            return obj
        obj = inner
        seen += 1
    return obj


def is_wrapper(obj: Any) -> bool:
    if isinstance(obj, classmethod | staticmethod):
        obj = obj.__func__
    return getattr(obj, WRAPPED_ATTR, None) is not None


@dataclass
class Patch:
    owner: Any
    attribute: str
    previous: Any  # the raw object from owner.__dict__, or _ABSENT
    replacement: Any

    def restore(self) -> None:
        current = vars(self.owner).get(self.attribute, _ABSENT)
        if current is not self.replacement:
            return  # someone else replaced our wrapper since; leave their object alone
        if self.previous is _ABSENT:
            delattr(self.owner, self.attribute)
        else:
            setattr(self.owner, self.attribute, self.previous)


class PatchSet:
    """The patches one guard applied, in order."""

    def __init__(self) -> None:
        self._patches: list[Patch] = []

    def __len__(self) -> int:
        return len(self._patches)

    def raw(self, owner: Any, attribute: str) -> Any:
        """The object ``owner.attribute`` resolves to, classmethod objects kept raw."""
        if attribute in vars(owner):
            return vars(owner)[attribute]
        return getattr(owner, attribute)

    def apply(self, owner: Any, attribute: str, replacement: Any) -> None:
        previous = vars(owner).get(attribute, _ABSENT)
        if previous is not _ABSENT and is_wrapper(previous):
            # another guard's wrapper (a copy made at import time): wrap the original instead and
            # restore the original later, never our own wrapper
            previous = unwrap(previous)
        setattr(owner, attribute, replacement)
        self._patches.append(Patch(owner, attribute, previous, replacement))

    def is_patched(self, owner: Any, attribute: str) -> bool:
        return any(p.owner is owner and p.attribute == attribute for p in self._patches)

    def restore_all(self) -> None:
        while self._patches:
            self._patches.pop().restore()
