"""The table of wrapped entry points (``guard_entrypoints.toml``) and the predicates it names.

Each row says which function to wrap, how its data argument is found, and when a call is risky at
all (``torch.load(..., weights_only=True)`` is not; ``numpy.load`` is only with
``allow_pickle=True``). The predicates are the only code here; adding a loader to the guard is a
new row in the TOML file.
"""

from __future__ import annotations

import inspect
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

LOAD_HANDLERS = frozenset({"bytes", "stream", "source", "yaml", "yaml_node"})
DOWNLOAD_HANDLERS = frozenset(
    {"hf_file", "hf_snapshot", "torch_hub", "urlretrieve", "urlopen", "http_get", "from_pretrained"}
)


@dataclass(frozen=True)
class EntryPoint:
    kind: str  # "load" | "download"
    module: str
    attribute: str
    api: str
    handler: str
    arg: str
    position: int
    rule: str
    when: str = "always"
    repo_type: str | None = None  # hub repository type for download entries (datasets)

    @property
    def owner_path(self) -> tuple[str, ...]:
        """Attribute path inside the module: ``("Client", "get")`` for ``Client.get``."""
        return tuple(self.attribute.split("."))


@dataclass(frozen=True)
class EntryTable:
    entries: tuple[EntryPoint, ...]
    model_suffixes: tuple[str, ...]
    yaml_global_tags: tuple[str, ...]

    def for_module(self, module: str) -> tuple[EntryPoint, ...]:
        return tuple(e for e in self.entries if e.module == module)

    @property
    def modules(self) -> frozenset[str]:
        return frozenset(e.module for e in self.entries)


@cache
def entry_table() -> EntryTable:
    """The parsed table; a malformed row is a bug in nbsec and raises ``ValueError``."""
    text = resources.files("nbsec.models").joinpath("guard_entrypoints.toml").read_text("utf-8")
    data = tomllib.loads(text)
    entries: list[EntryPoint] = []
    for kind, handlers in (("load", LOAD_HANDLERS), ("download", DOWNLOAD_HANDLERS)):
        for row in data.get(kind, []):
            entry = EntryPoint(
                kind=kind,
                module=str(row["module"]),
                attribute=str(row["attribute"]),
                api=str(row["api"]),
                handler=str(row["handler"]),
                arg=str(row["arg"]),
                position=int(row.get("position", 0)),
                rule=str(row["rule"]),
                when=str(row.get("when", "always")),
                repo_type=row.get("repo_type"),
            )
            if entry.handler not in handlers or entry.when not in PREDICATES:
                raise ValueError(f"guard_entrypoints.toml: bad row for {entry.api}")
            entries.append(entry)
    suffixes = tuple(str(s).lower() for s in data["model_files"]["suffixes"])
    yaml_tags = tuple(str(t) for t in data["yaml"]["global_tag_prefixes"])
    return EntryTable(tuple(entries), suffixes, yaml_tags)


def argument(args: tuple[Any, ...], kwargs: Mapping[str, Any], entry: EntryPoint) -> Any:
    """The entry point's data argument from a call, or ``None`` when it was not passed."""
    if entry.arg in kwargs:
        return kwargs[entry.arg]
    if len(args) > entry.position:
        return args[entry.position]
    return None


# -- predicates: is this call risky at all? ------------------------------------------------------
Predicate = Callable[[tuple[Any, ...], Mapping[str, Any], Callable[..., Any]], bool]


def _always(args: tuple[Any, ...], kwargs: Mapping[str, Any], original: Callable[..., Any]) -> bool:
    return True


def _numpy_allow_pickle(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], original: Callable[..., Any]
) -> bool:
    # numpy.load(file, mmap_mode=None, allow_pickle=False, ...)
    value = kwargs.get("allow_pickle", args[2] if len(args) > 2 else False)
    return bool(value)


def _torch_unsafe(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], original: Callable[..., Any]
) -> bool:
    """``torch.load`` runs arbitrary pickles unless ``weights_only`` ends up True: explicitly, or
    by default from torch 2.6 on when no ``pickle_module`` is given and the environment does not
    force the old behaviour."""
    weights_only = kwargs.get("weights_only")
    if weights_only is not None:
        return not bool(weights_only)
    pickle_module = kwargs.get("pickle_module", args[2] if len(args) > 2 else None)
    if pickle_module is not None:
        return True
    if os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "").lower() in {"1", "true", "y", "yes"}:
        return True
    try:
        default = inspect.signature(original).parameters["weights_only"].default
    except (KeyError, TypeError, ValueError):
        return True
    if default is None:  # torch >= 2.6 resolves None to True
        return not _torch_defaults_to_weights_only()
    return not bool(default)


def _torch_defaults_to_weights_only() -> bool:
    import sys

    torch = sys.modules.get("torch")
    version = str(getattr(torch, "__version__", "0"))
    try:
        major, minor = (int(p) for p in version.split("+")[0].split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (2, 6)


_YAML_SAFE_CONSTRUCTORS = ("SafeConstructor", "BaseConstructor", "FullConstructor")


def _yaml_unsafe_loader(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], original: Callable[..., Any]
) -> bool:
    """``yaml.load(stream, Loader)`` is unsafe when ``Loader`` builds arbitrary Python objects,
    that is when it inherits PyYAML's ``UnsafeConstructor`` (``Loader``, ``UnsafeLoader``,
    ``CLoader``...). A missing or unknown loader counts as unsafe."""
    loader = kwargs.get("Loader", args[1] if len(args) > 1 else None)
    if not isinstance(loader, type):
        return True
    names = {klass.__name__ for klass in loader.__mro__}
    if "UnsafeConstructor" in names:
        return True
    return not any(name in names for name in _YAML_SAFE_CONSTRUCTORS)


def _yaml_unsafe_constructor(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], original: Callable[..., Any]
) -> bool:
    """``construct_document(self, node)`` of a constructor that can build arbitrary objects."""
    constructor = args[0] if args else None
    multi = getattr(constructor, "yaml_multi_constructors", {})
    return any("python/object/apply" in str(tag) for tag in multi)


def _keras_unsafe(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], original: Callable[..., Any]
) -> bool:
    # load_model(filepath, custom_objects=None, compile=True, safe_mode=True)
    value = kwargs.get("safe_mode", args[3] if len(args) > 3 else True)
    return value is False


PREDICATES: dict[str, Predicate] = {
    "always": _always,
    "numpy_allow_pickle": _numpy_allow_pickle,
    "torch_unsafe": _torch_unsafe,
    "yaml_unsafe_loader": _yaml_unsafe_loader,
    "keras_unsafe": _keras_unsafe,
    "yaml_unsafe_constructor": _yaml_unsafe_constructor,
}
