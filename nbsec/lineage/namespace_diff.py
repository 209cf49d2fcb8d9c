"""What a cell did to the user namespace, by names and identities.

A :class:`Snapshot` is two lists built at C speed -- the names, in the dict's order, and
``id()`` of each value -- and keeps no reference to any value, so it never delays freeing memory.
:func:`diff` relies on dicts keeping insertion order: when no name was deleted, the old names are
a prefix of the new ones, new names are the tail, and rebound names are found by comparing the
two id lists element-wise with ``map(operator.ne, ...)`` and ``itertools.compress`` (no Python
loop, no tuples). Only after a deletion does it fall back to set operations on (name, id) pairs.

Identities can be reused after an object is freed, so the tracker also counts every name the
cell's AST binds as rebound; the identity diff adds what the AST cannot see (``globals()[...]``,
``global x`` in a called function, ``%run``, ``exec``). A cell with none of those (the tracker
checks its AST and the code of the notebook functions it calls) needs only the names: building
10,000 ``id()`` ints costs several times more than copying 10,000 name references.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from itertools import compress
from operator import ne
from typing import Any


@dataclass(frozen=True)
class Snapshot:
    keys: list[str]
    ids: list[int] | None  # None: names only (the cell cannot rebind invisibly)


def snapshot(namespace: Mapping[str, Any], *, identities: bool = True) -> Snapshot:
    """Names (and, with ``identities``, the ``id()`` of each value) of ``namespace``."""
    ids = list(map(id, namespace.values())) if identities else None
    return Snapshot(list(namespace), ids)


@dataclass(frozen=True)
class NamespaceChange:
    rebound: frozenset[str]  # names that existed and now hold another object
    added: frozenset[str]  # names that did not exist
    removed: frozenset[str]

    @property
    def bound(self) -> frozenset[str]:
        return self.rebound | self.added


def diff(before: Snapshot, after: Snapshot, hidden: Container[str]) -> NamespaceChange:
    """Names rebound, added and removed, minus private (``_x``) and hidden names."""
    n = len(before.keys)
    prefix = len(after.keys) >= n and after.keys[:n] == before.keys
    if before.ids is None or after.ids is None:
        if prefix:
            return NamespaceChange(
                frozenset(), frozenset(_visible(after.keys[n:], hidden)), frozenset()
            )
        old_names, new_names = set(before.keys), set(after.keys)
        return NamespaceChange(
            frozenset(),
            frozenset(_visible(new_names - old_names, hidden)),
            frozenset(_visible(old_names - new_names, hidden)),
        )
    if prefix:
        rebound = compress(before.keys, map(ne, before.ids, after.ids[:n]))
        return NamespaceChange(
            frozenset(_visible(rebound, hidden)),
            frozenset(_visible(after.keys[n:], hidden)),
            frozenset(),
        )
    old = dict(zip(before.keys, before.ids, strict=True))
    new = dict(zip(after.keys, after.ids, strict=True))
    changed = {name for name, _ in new.items() - old.items()}
    return NamespaceChange(
        frozenset(_visible((n for n in changed if n in old), hidden)),
        frozenset(_visible((n for n in changed if n not in old), hidden)),
        frozenset(_visible(old.keys() - new.keys(), hidden)),
    )


def _visible(names: Any, hidden: Container[str]) -> list[str]:
    return [name for name in names if name[:1] != "_" and name not in hidden]
