"""Judge a global a pickle imports: allowed, denied (dangerous) or unknown (suspicious).

The lists are data (``pickle_globals.toml`` beside this module). The allowlist decides what is
safe; the deny-list only ranks how bad a non-allowed global is. Anything neither allowed nor
denied is *unknown*, which a scan reports as suspicious, never as safe.
"""

from __future__ import annotations

import enum
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbsec.policy import Policy

DEFAULT_PROFILE = "default"
# Profiles switched on by the container format rather than by the policy.
FORMAT_PROFILES = ("torchscript",)


class Judgement(enum.StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class GlobalLists:
    """The parsed data file: allow profiles (exact names and module prefixes) and the deny-list."""

    allow_exact: dict[str, frozenset[str]]
    allow_prefixes: dict[str, tuple[str, ...]]
    deny_modules: frozenset[str]
    deny_names: frozenset[str]

    @property
    def profiles(self) -> tuple[str, ...]:
        """The profiles a policy can opt into (not the default, not the format-bound ones)."""
        return tuple(sorted(set(self.allow_exact) - {DEFAULT_PROFILE, *FORMAT_PROFILES}))


@cache
def global_lists() -> GlobalLists:
    text = resources.files("nbsec.models").joinpath("pickle_globals.toml").read_text("utf-8")
    data = tomllib.loads(text)
    exact: dict[str, frozenset[str]] = {}
    prefixes: dict[str, tuple[str, ...]] = {}
    for profile, body in data["allow"].items():
        exact[profile] = frozenset(body.get("exact", ()))
        prefixes[profile] = tuple(body.get("prefixes", ()))
    return GlobalLists(
        allow_exact=exact,
        allow_prefixes=prefixes,
        deny_modules=frozenset(data["deny"]["modules"]),
        deny_names=frozenset(data["deny"]["names"]),
    )


class GlobalsJudge:
    """Judges ``module`` + ``qualname`` pairs for one policy (its profiles and allow_globals)."""

    def __init__(
        self, policy: Policy | None = None, *, extra_profiles: tuple[str, ...] = ()
    ) -> None:
        lists = global_lists()
        profiles = [DEFAULT_PROFILE, *extra_profiles]
        extra: tuple[str, ...] = ()
        if policy is not None:
            profiles += [p for p in policy.allow_profiles if p in lists.allow_exact]
            extra = policy.allow_globals
        exact: set[str] = set()
        prefixes: list[str] = []
        for profile in profiles:
            exact |= lists.allow_exact[profile]
            prefixes += lists.allow_prefixes[profile]
        self._exact = frozenset(exact)
        self._prefixes = tuple(p + "." for p in prefixes)
        self._policy_exact = frozenset(extra)
        self._deny_modules = lists.deny_modules
        self._deny_names = lists.deny_names
        self._cache: dict[tuple[str, str], Judgement] = {}

    def judge(self, module: str, qualname: str) -> Judgement:
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

    def _judge(self, module: str, qualname: str) -> Judgement:
        full = f"{module}.{qualname}" if qualname else module
        if full in self._policy_exact or full in self._exact:
            return Judgement.ALLOWED
        if self._denied(module, qualname):
            return Judgement.DENIED
        # A prefix admits module-level names only: `torch.nn.modules.linear` + `Linear`, not an
        # attribute path walked from an allowed module to somewhere else.
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
