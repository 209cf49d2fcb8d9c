"""Lazily imported public names, so ``import nbsec`` and its packages stay cheap.

A package lists ``name -> "module.path"`` (or ``name -> ("module.path", "attribute")``) and
sets ``__getattr__, __dir__ = lazy_exports(__name__, table, globals())``; the first access
imports the module and caches the value in the package's namespace.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

Target = str | tuple[str, str]


def lazy_exports(
    package: str, table: Mapping[str, Target], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    def __getattr__(name: str) -> Any:
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, attribute = (target, name) if isinstance(target, str) else target
        value = getattr(importlib.import_module(module_name), attribute)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
