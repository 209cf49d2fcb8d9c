"""Run a callback right after a watched module finishes importing.

The guard wraps loaders that live in libraries the user may import only later (``torch``,
``joblib``, ``yaml``...). :class:`PostImportFinder` sits first on ``sys.meta_path``; for a watched
name it asks the finders after it for the real spec, and wraps that spec's loader so that, once the
module's code has run, the callback receives the module. The module's ``__loader__`` and
``__spec__.loader`` are set back to the real loader before its code runs, so the library sees
nothing unusual (``importlib.resources`` and friends keep working). Nothing is imported here: a
library that is never imported is never touched.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

ModuleCallback = Callable[[ModuleType], None]


class _NotifyingLoader(Loader):
    def __init__(self, real: Loader, spec: ModuleSpec, callback: ModuleCallback) -> None:
        self._real = real
        self._spec = spec
        self._callback = callback

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._real.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._spec.loader = self._real
        with contextlib.suppress(AttributeError):  # read-only module objects
            module.__loader__ = self._real
        self._real.exec_module(module)
        self._callback(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class PostImportFinder(MetaPathFinder):
    """A meta path finder that never finds anything itself; it only wraps watched specs."""

    def __init__(self, names: Iterable[str], callback: ModuleCallback) -> None:
        self.names = frozenset(names)
        self._callback = callback
        self._local = threading.local()
        self.active = True

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if not self.active or fullname not in self.names or getattr(self._local, "busy", False):
            return None
        self._local.busy = True
        try:
            spec = self._real_spec(fullname, path, target)
        finally:
            self._local.busy = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _NotifyingLoader(spec.loader, spec, self._notify)
        return spec

    def _real_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None
    ) -> ModuleSpec | None:
        for finder in sys.meta_path:
            if finder is self:
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                return spec  # type: ignore[no-any-return]
        return None

    def _notify(self, module: ModuleType) -> None:
        if self.active:
            self._callback(module)

    def install(self) -> None:
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def uninstall(self) -> None:
        self.active = False
        while self in sys.meta_path:
            sys.meta_path.remove(self)
