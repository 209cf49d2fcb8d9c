"""Judge a global a pickle imports: allowed, denied (dangerous) or unknown (suspicious).

The lists are data (``pickle_globals.toml`` beside this module). The allowlist decides what is
safe; the deny-list only ranks how bad a non-allowed global is. Anything neither allowed nor
denied is *unknown*, which a scan reports as suspicious, never as safe.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbsec.policy import Policy

# Lists switched on by the container format rather than by the policy.
FORMAT_PROFILES = ("torchscript",)


class Judgement(enum.StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class GlobalLists:
    """The parsed data files: the allowlist by family (exact names), the format-bound lists
    (exact names and the TorchScript class prefix) and the deny-list."""

    families: dict[str, frozenset[str]]
    reasons: dict[str, str]
    format_exact: dict[str, frozenset[str]]
    format_prefixes: dict[str, tuple[str, ...]]
    deny_modules: frozenset[str]
    deny_names: frozenset[str]
    # ``[checked]``: reviewed rebuilders reached by ``getattr(owner, name)``, and classes
    # admitted for listed uses only (class -> rebuilders that may receive it)
    getattr_results: frozenset[str] = frozenset()
    class_uses: dict[str, frozenset[str]] = field(default_factory=dict)
    # reviewed ``class.method`` pairs that ``getattr(<instance of class>, "method")`` may fetch
    # as data (a bound method the stream stores, never calls)
    instance_methods: frozenset[str] = frozenset()
    # reviewed ``owner.method`` pairs that ``getattr(<global owner>, "method")`` may fetch as
    # data (``tokenizer=str.split`` of a scikit-learn vectorizer), never called
    stored_methods: frozenset[str] = frozenset()

    @property
    def allowed(self) -> frozenset[str]:
        return frozenset().union(*self.families.values())

    @property
    def profiles(self) -> tuple[str, ...]:
        """Family names (all on by default; kept so older policies naming them stay valid)."""
        return tuple(sorted(self.families))


@cache
def global_lists() -> GlobalLists:
    files = resources.files("nbsec.models")
    data = tomllib.loads(files.joinpath("pickle_globals.toml").read_text("utf-8"))
    allow = tomllib.loads(files.joinpath("pickle_allowlist.toml").read_text("utf-8"))
    families = {k: frozenset(v["names"]) for k, v in allow["family"].items()}
    reasons = {k: str(v["reason"]) for k, v in allow["family"].items()}
    return GlobalLists(
        families=families,
        reasons=reasons,
        format_exact={k: frozenset(v.get("exact", ())) for k, v in data["allow"].items()},
        format_prefixes={k: tuple(v.get("prefixes", ())) for k, v in data["allow"].items()},
        deny_modules=frozenset(data["deny"]["modules"]),
        deny_names=frozenset(data["deny"]["names"]),
        getattr_results=frozenset(data["checked"]["getattr"]),
        class_uses={k: frozenset(v) for k, v in data["checked"]["classes"].items()},
        instance_methods=frozenset(data["checked"]["instance_methods"]),
        stored_methods=frozenset(data["checked"]["stored_methods"]),
    )


_main_resolver: Callable[[str], str | None] | None = None


def set_main_resolver(resolver: Callable[[str], str | None] | None) -> None:
    """Set by the runtime guard in a live kernel: how to see what ``__main__.<name>`` is (a class
    the user defined, or an object bound from another module)."""
    global _main_resolver
    _main_resolver = resolver


def main_resolved() -> bool:
    """Is ``__main__`` judged live (the runtime guard is installed in this process)?"""
    return _main_resolver is not None


class GlobalsJudge:
    """Judges ``module`` + ``qualname`` pairs for one policy (its ``allow_globals``).

    ``extra_profiles`` switches on format-bound lists (``torchscript``); ``allowlist=False``
    judges by the deny-list alone (used to build and check the allowlist itself)."""

    def __init__(
        self,
        policy: Policy | None = None,
        *,
        extra_profiles: tuple[str, ...] = (),
        allowlist: bool = True,
    ) -> None:
        lists = global_lists()
        exact: set[str] = set(lists.allowed) if allowlist else set()
        prefixes: list[str] = []
        for profile in extra_profiles:
            exact |= lists.format_exact.get(profile, frozenset())
            prefixes += lists.format_prefixes.get(profile, ())
        self._exact = frozenset(exact)
        self._prefixes = tuple(p + "." for p in prefixes)
        self._policy_exact = frozenset(policy.allow_globals if policy is not None else ())
        self._deny_modules = lists.deny_modules
        self._deny_names = lists.deny_names
        self._getattr_results = lists.getattr_results
        self._instance_methods = lists.instance_methods
        self._stored_methods = lists.stored_methods
        self._cache: dict[tuple[str, str], Judgement] = {}

    def judge(self, module: str, qualname: str) -> Judgement:
        if module == "__main__" and _main_resolver is not None:
            # in a live kernel a notebook global is judged as what it is, now
            real = _main_resolver(qualname)
            if real == "class":
                return Judgement.ALLOWED
            if real is not None and not real.startswith("__main__."):
                return self.judge_name(real)
        key = (module, qualname)
        found = self._cache.get(key)
        if found is None:
            found = self._judge(module, qualname)
            self._cache[key] = found
        return found

    def judge_name(self, full_name: str) -> Judgement:
        """Judge a dotted name whose module boundary is unknown (Keras configs, allow checks)."""
        module, _, qualname = full_name.rpartition(".")
        return self.judge(module, qualname) if module else self.judge(full_name, "")

    def attribute(self, owner: tuple[str, str], attribute: object) -> str | None:
        """``getattr(owner, attribute)`` in a stream, where ``owner`` is the (module, qualname)
        of a global: the dotted name of the result when it is a reviewed rebuilder (the owner
        allowed, the attribute a literal ``str`` naming a listed pair), else None."""
        if type(attribute) is not str or self.judge(*owner) is not Judgement.ALLOWED:
            return None
        module, qualname = owner
        full = f"{module}.{qualname}.{attribute}" if qualname else f"{module}.{attribute}"
        if full not in self._getattr_results or full in self._deny_names:
            return None
        return full

    def instance_attribute(self, cls: tuple[str, str], attribute: object) -> str | None:
        """``getattr(instance, attribute)`` in a stream, where ``instance`` was made from the
        class ``cls`` (module, qualname) with ``cls.__new__`` alone: ``class.attribute`` when the
        class is allowed and the pair is a reviewed method (a plain function of the class,
        no dunder), else None. The result may only be stored."""
        return self._listed_method(cls, attribute, self._instance_methods)

    def stored_attribute(self, owner: tuple[str, str], attribute: object) -> str | None:
        """``getattr(owner, attribute)`` of a global ``owner`` whose result may only be stored
        (``str.split`` kept as a vectorizer's tokenizer): ``owner.attribute`` when the owner is
        allowed and the pair is listed, else None."""
        return self._listed_method(owner, attribute, self._stored_methods)

    def _listed_method(
        self, owner: tuple[str, str], attribute: object, listed: frozenset[str]
    ) -> str | None:
        if type(attribute) is not str or self.judge(*owner) is not Judgement.ALLOWED:
            return None
        if attribute.startswith("__") and attribute.endswith("__"):
            return None
        full = f"{owner[0]}.{owner[1]}.{attribute}"
        if full not in listed or self._denied(full, ""):
            return None
        return full

    def _judge(self, module: str, qualname: str) -> Judgement:
        full = f"{module}.{qualname}" if qualname else module
        if full in self._policy_exact:
            return Judgement.ALLOWED
        if full in self._deny_names:
            return Judgement.DENIED
        # a reviewed exact name may sit in a denied module (`torch.serialization._get_layout`
        # only maps a layout name to a constant); a denied name never is on the allowlist
        if full in self._exact or full in self._getattr_results:
            # a reviewed rebuilder reached by getattr is the same callable when a stream names
            # it directly (protocol 4: STACK_GLOBAL "zoneinfo", "ZoneInfo._unpickle")
            return Judgement.ALLOWED
        if self._denied(module, qualname):
            return Judgement.DENIED
        # the TorchScript prefix admits archive classes (`__torch__.Net`), never an attribute
        # path walked from them
        if "." not in qualname and full.startswith(self._prefixes):
            return Judgement.ALLOWED
        return Judgement.UNKNOWN

    def _denied(self, module: str, qualname: str) -> bool:
        full = f"{module}.{qualname}" if qualname else module
        if full in self._deny_names or _any_prefix_in(full.split("."), self._deny_modules):
            return True
        parts = qualname.split(".") if qualname else []
        # A dunder attribute (`__builtins__`, `__globals__`, `__class__`) reached from a module
        # is a gadget; the few legitimate dunder globals are on the exact allowlist.
        if any(p.startswith("__") and p.endswith("__") for p in parts):
            return True
        if len(parts) > 1:
            # Attribute traversal (protocol 4 dotted names): `torch.nn.modules.module` +
            # `os.system` reaches `os.system`.
            for i in range(len(parts)):
                tail = parts[i:]
                if ".".join(tail) in self._deny_names or _any_prefix_in(tail, self._deny_modules):
                    return True
        return False


def _any_prefix_in(parts: list[str], names: frozenset[str]) -> bool:
    return any(".".join(parts[:j]) in names for j in range(1, len(parts) + 1))
