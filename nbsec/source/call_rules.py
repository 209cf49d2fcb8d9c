"""Loads ``calls.toml`` (what the AST rules look for) once into typed, immutable tables."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from nbsec.findings import Severity


@dataclass(frozen=True)
class ArgRef:
    """An argument named by keyword and, optionally, by position (0-based)."""

    kwarg: str | None = None
    position: int | None = None
    values: frozenset[str] = frozenset()
    severity: Severity | None = None


@dataclass(frozen=True)
class DefaultSafe:
    """An argument whose default became the safe value in a version of a package."""

    kwarg: str
    package: str
    since: tuple[int, ...]
    severity: Severity
    unless_env: str = ""

    def applies(self) -> str | None:
        """The installed version when its default is the safe one (and no environment
        variable restores the old default), else ``None``. Never imports the package."""
        import os

        version = installed_version(self.package)
        if version is None or _version_tuple(version) < self.since:
            return None
        if self.unless_env and os.environ.get(self.unless_env, "").strip() not in ("", "0"):
            return None
        return version


@cache
def installed_version(package: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _version_tuple(text: str) -> tuple[int, ...]:
    import re

    parts = re.findall(r"\d+", text.split("+")[0])[:3]
    return tuple(int(p) for p in parts)


@dataclass(frozen=True)
class CallRule:
    rule: str
    names: frozenset[str]
    methods: frozenset[str]
    when_true: ArgRef | None = None
    when_false: ArgRef | None = None
    unless_true: ArgRef | None = None
    unless_in: ArgRef | None = None
    when_nonliteral: ArgRef | None = None
    literal_severity: ArgRef | None = None
    default_safe: DefaultSafe | None = None


@dataclass(frozen=True)
class HubDownload:
    names: frozenset[str]
    methods: frozenset[str]
    repo_position: int | None
    repo_kwargs: tuple[str, ...]
    dataset: bool = False
    hf_prefix: str | None = None


@dataclass(frozen=True)
class UrlFetch:
    names: frozenset[str]
    url_position: int
    url_kwargs: tuple[str, ...]
    dest_position: int | None
    dest_kwargs: tuple[str, ...]
    extract_kwargs: tuple[str, ...] = ()
    hash_kwargs: tuple[str, ...] = ()


@dataclass(frozen=True)
class LocalWrite:
    """A call that writes a local directory (``model.save_pretrained("out")``): the directory is
    the argument at ``position`` or one of ``kwargs``."""

    names: frozenset[str]
    methods: frozenset[str]
    position: int | None
    kwargs: tuple[str, ...]


@dataclass(frozen=True)
class CallRules:
    conventional_aliases: Mapping[str, str]
    canonical_modules: Mapping[str, str]
    calls: tuple[CallRule, ...]
    by_name: Mapping[str, tuple[CallRule, ...]]
    by_method: Mapping[str, tuple[CallRule, ...]]
    hub_downloads: tuple[HubDownload, ...]
    revision_kwargs: tuple[str, ...]
    local_dataset_builders: frozenset[str]
    first_party_torch_hub_owners: frozenset[str]
    torch_hub_names: frozenset[str]
    torch_hub_repo_position: int
    torch_hub_repo_kwargs: tuple[str, ...]
    url_fetches: tuple[UrlFetch, ...]
    model_extensions: tuple[str, ...]
    archive_extensions: tuple[str, ...]
    archive_model_words: tuple[str, ...]
    local_writes: tuple[LocalWrite, ...]
    local_dir_kwargs: frozenset[str]
    shell_fetchers: frozenset[str]
    shell_interpreters: frozenset[str]
    pip_commands: frozenset[str]
    vcs_prefixes: tuple[str, ...]
    tar_openers: frozenset[str]


def _arg(data: Any) -> ArgRef | None:
    if data is None:
        return None
    return ArgRef(
        kwarg=data.get("kwarg"),
        position=data.get("position"),
        values=frozenset(data.get("values", ())),
        severity=Severity.parse(data["severity"]) if "severity" in data else None,
    )


def _default_safe(data: Any) -> DefaultSafe | None:
    if data is None:
        return None
    return DefaultSafe(
        kwarg=data["kwarg"],
        package=data["package"],
        since=_version_tuple(data["since"]),
        severity=Severity.parse(data["severity"]),
        unless_env=data.get("unless_env", ""),
    )


def _index(calls: tuple[CallRule, ...], attr: str) -> dict[str, tuple[CallRule, ...]]:
    out: dict[str, list[CallRule]] = {}
    for call in calls:
        for key in getattr(call, attr):
            out.setdefault(key, []).append(call)
    return {k: tuple(v) for k, v in out.items()}


@cache
def load_call_rules() -> CallRules:
    """Parse ``calls.toml`` once per process."""
    text = resources.files("nbsec.source").joinpath("calls.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    calls = tuple(
        CallRule(
            rule=c["rule"],
            names=frozenset(c.get("names", ())),
            methods=frozenset(c.get("methods", ())),
            when_true=_arg(c.get("when_true")),
            when_false=_arg(c.get("when_false")),
            unless_true=_arg(c.get("unless_true")),
            unless_in=_arg(c.get("unless_in")),
            when_nonliteral=_arg(c.get("when_nonliteral")),
            literal_severity=_arg(c.get("literal_severity")),
            default_safe=_default_safe(c.get("default_safe")),
        )
        for c in data["call"]
    )
    hub = data["hub"]
    torch_hub = data["torch_hub"]
    return CallRules(
        conventional_aliases=dict(data["conventional_aliases"]),
        canonical_modules=dict(data["canonical_modules"]),
        calls=calls,
        by_name=_index(calls, "names"),
        by_method=_index(calls, "methods"),
        hub_downloads=tuple(
            HubDownload(
                names=frozenset(d.get("names", ())),
                methods=frozenset(d.get("methods", ())),
                repo_position=d.get("repo_position"),
                repo_kwargs=tuple(d.get("repo_kwargs", ())),
                dataset=bool(d.get("dataset", False)),
                hf_prefix=d.get("hf_prefix"),
            )
            for d in hub["download"]
        ),
        revision_kwargs=tuple(hub["revision_kwargs"]),
        local_dataset_builders=frozenset(hub["local_dataset_builders"]),
        first_party_torch_hub_owners=frozenset(hub["first_party_torch_hub_owners"]),
        torch_hub_names=frozenset(torch_hub["names"]),
        torch_hub_repo_position=int(torch_hub["repo_position"]),
        torch_hub_repo_kwargs=tuple(torch_hub["repo_kwargs"]),
        url_fetches=tuple(
            UrlFetch(
                names=frozenset(u["names"]),
                url_position=int(u["url_position"]),
                url_kwargs=tuple(u["url_kwargs"]),
                dest_position=u.get("dest_position"),
                dest_kwargs=tuple(u.get("dest_kwargs", ())),
                extract_kwargs=tuple(u.get("extract_kwargs", ())),
                hash_kwargs=tuple(u.get("hash_kwargs", ())),
            )
            for u in data["url_fetch"]
        ),
        model_extensions=tuple(sorted(data["models"]["extensions"], key=len, reverse=True)),
        archive_extensions=tuple(data["models"]["archive_extensions"]),
        archive_model_words=tuple(data["models"]["archive_model_words"]),
        local_writes=tuple(
            LocalWrite(
                names=frozenset(w.get("names", ())),
                methods=frozenset(w.get("methods", ())),
                position=w.get("position"),
                kwargs=tuple(w.get("kwargs", ())),
            )
            for w in data["local_dirs"]["write"]
        ),
        local_dir_kwargs=frozenset(data["local_dirs"]["kwargs"]),
        shell_fetchers=frozenset(data["shell"]["fetchers"]),
        shell_interpreters=frozenset(data["shell"]["interpreters"]),
        pip_commands=frozenset(data["shell"]["pip_commands"]),
        vcs_prefixes=tuple(data["shell"]["vcs_prefixes"]),
        tar_openers=frozenset({"tarfile.open", "tarfile.TarFile", "tarfile.TarFile.open"}),
    )
