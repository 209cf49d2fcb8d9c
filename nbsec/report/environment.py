"""The software a notebook runs on: imported modules resolved to installed distributions, with
versions and licences from :mod:`importlib.metadata`, plus their installed dependencies.

Used in two places: in the process that builds a static report (the versions are then those of
that environment, and the report says so), and inside a kernel for ``%nbsec report`` and
``--execute`` (the kernel's own environment). Nothing here imports the modules it names; it reads
distribution metadata only.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

# `%pip install x==1.2 y` / `!pip install ...` / `%conda install ...`: declared requirements
_PIP_LINE = re.compile(
    r"^\s*[%!]\s*(?:python3?\s+-m\s+)?(?:pip3?|uv\s+pip|conda|mamba)\s+install\s+(?P<args>.+)$"
)
_REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*([<>=!~]=?[^\s;]*)?$")
_MAX_LICENSE = 80


@dataclass
class ResolvedPackage:
    name: str
    version: str | None
    license: str | None
    direct: bool
    imported_as: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "license": self.license,
            "direct": self.direct,
            "imported_as": list(self.imported_as),
        }


def top_level(module: str) -> str:
    return module.split(".", 1)[0]


def is_stdlib(module: str) -> bool:
    name = top_level(module)
    return name in sys.stdlib_module_names or name in sys.builtin_module_names


def imports_in_source(python: str) -> list[str]:
    """Top-level module names imported by one cell's Python (already transformed from IPython);
    a cell that does not parse yields nothing."""
    try:
        tree = ast.parse(python)
    except (SyntaxError, ValueError, RecursionError):
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(top_level(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(top_level(node.module))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(top_level(node.args[0].value))
    return list(dict.fromkeys(found))


def declared_requirements(source: str) -> list[str]:
    """Requirements named by ``%pip install`` / ``!pip install`` lines of one cell (options and
    URLs left out: they are reported by the static scanner's own rules)."""
    out: list[str] = []
    for line in source.splitlines():
        match = _PIP_LINE.match(line)
        if not match:
            continue
        for token in match.group("args").split():
            token = token.strip("'\"")
            if token.startswith("-") or "://" in token or "/" in token:
                continue
            if _REQUIREMENT.match(token):
                out.append(token)
    return out


def _field(dist: metadata.Distribution, key: str) -> str | None:
    values = dist.metadata.get_all(key) or []
    return str(values[0]) if values else None


def license_of(dist: metadata.Distribution) -> str | None:
    """The licence a distribution declares: its SPDX expression, else a short ``License`` field,
    else its licence classifiers."""
    expression = _field(dist, "License-Expression")
    if expression and expression.strip():
        return expression.strip()
    text = (_field(dist, "License") or "").strip()
    if text and "\n" not in text and len(text) <= _MAX_LICENSE and text.upper() != "UNKNOWN":
        return text
    classifiers = [
        c.split("::")[-1].strip()
        for c in dist.metadata.get_all("Classifier") or []
        if c.startswith("License ::") and c.split("::")[-1].strip() != "OSI Approved"
    ]
    if classifiers:
        return " OR ".join(dict.fromkeys(classifiers))
    if text:
        first = text.splitlines()[0].strip()
        return (first[: _MAX_LICENSE - 1] + "…") if len(first) > _MAX_LICENSE else first or None
    return None


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(dist: metadata.Distribution) -> list[str]:
    """Names of the distributions ``dist`` needs at run time (no extras)."""
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:  # pragma: no cover - packaging ships with every Jupyter install
        return []
    names: list[str] = []
    for line in dist.requires or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        marker = requirement.marker
        try:
            needed = marker is None or marker.evaluate({"extra": ""})
        except Exception:  # an unknown marker variable: leave the requirement out
            needed = False
        if needed:
            names.append(requirement.name)
    return names


@dataclass
class _Index:
    """What the installed distributions provide, read once per state of ``sys.path``."""

    by_module: Mapping[str, list[str]]
    dists: dict[str, metadata.Distribution]
    packages: dict[str, tuple[str, str | None, str | None]] = field(default_factory=dict)
    requirements: dict[str, list[str]] = field(default_factory=dict)

    def package(self, dist: metadata.Distribution) -> tuple[str, str | None, str | None]:
        key = _canonical(_field(dist, "Name") or "?")
        if key not in self.packages:
            self.packages[key] = (_field(dist, "Name") or "?", dist.version, license_of(dist))
        return self.packages[key]

    def requires(self, dist: metadata.Distribution) -> list[str]:
        key = _canonical(_field(dist, "Name") or "?")
        if key not in self.requirements:
            self.requirements[key] = _requirements(dist)
        return self.requirements[key]


def _path_state() -> tuple[tuple[str, int], ...]:
    """The package directories on ``sys.path`` with their modification times: installing or
    removing a package changes them, and with them the index. (Other entries, like the working
    directory, change all the time and say nothing about what is installed.)"""
    state = []
    for entry in sys.path:
        if not entry.rstrip("/\\").endswith(("site-packages", "dist-packages")):
            continue
        try:
            state.append((entry, os.stat(entry).st_mtime_ns))
        except OSError:
            state.append((entry, -1))
    return tuple(state)


@lru_cache(maxsize=2)
def _index(state: tuple[tuple[str, int], ...]) -> _Index:
    del state  # the cache key
    dists: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions():
        name = _field(dist, "Name")
        if name:
            dists.setdefault(_canonical(name), dist)
    return _Index(by_module=metadata.packages_distributions(), dists=dists)


def resolve_packages(
    modules: Iterable[str], *, dependencies: bool = True
) -> tuple[list[ResolvedPackage], list[str]]:
    """The installed distributions providing ``modules`` (standard-library modules dropped), plus
    (with ``dependencies``) what they require, recursively; and the modules no installed
    distribution provides (local modules, or packages missing here)."""
    wanted = sorted({top_level(m) for m in modules if m and not is_stdlib(m)})
    index = _index(_path_state())
    by_module, dists = index.by_module, index.dists
    packages: dict[str, ResolvedPackage] = {}
    unresolved: list[str] = []
    for module in wanted:
        names = by_module.get(module) or []
        if not names:
            unresolved.append(module)
            continue
        for dist_name in names:
            key = _canonical(dist_name)
            found = dists.get(key)
            if found is None:
                continue
            entry = packages.get(key)
            if entry is None:
                entry = packages[key] = _package(index, found, direct=True)
            entry.direct = True
            if module not in entry.imported_as:
                entry.imported_as.append(module)
    if dependencies:
        queue = [packages[k] for k in list(packages)]
        while queue:
            current = queue.pop()
            provider = dists.get(_canonical(current.name))
            if provider is None:
                continue
            for required in index.requires(provider):
                key = _canonical(required)
                if key in packages or key not in dists:
                    continue
                packages[key] = _package(index, dists[key], direct=False)
                queue.append(packages[key])
    ordered = sorted(packages.values(), key=lambda p: (not p.direct, p.name.lower()))
    return ordered, unresolved


def _package(index: _Index, dist: metadata.Distribution, *, direct: bool) -> ResolvedPackage:
    name, version, licence = index.package(dist)
    return ResolvedPackage(name=name, version=version, license=licence, direct=direct)


def python_description() -> tuple[str, str]:
    """``("3.11.2", "CPython")`` for the running interpreter."""
    import platform

    return platform.python_version(), platform.python_implementation()
