"""NBS-MDL call checks: where models and their code come from.

* NBS-MDL-001 — any call with ``trust_remote_code=True`` (even with a pinned revision);
* NBS-MDL-002 — hub downloads (``from_pretrained``, ``hf_hub_download``, ``snapshot_download``,
  ``load_dataset``, ``pipeline(model=...)`` ...) whose repo id resolves to a hub id and whose
  revision is not a 40-hex commit; local paths, URLs and repo ids held in variables nbsec cannot
  follow are not reported;
* NBS-MDL-003 — ``torch.hub.load`` of a repository outside the first-party owners;
* NBS-MDL-004 — model / pickle files fetched by URL (``urlretrieve``, ``requests``, ``httpx``...);
* NBS-MDL-006 — any of these sources outside the policy's ``trusted_sources``.

Which functions, arguments and suffixes count is data in ``calls.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nbsec.findings import Severity
from nbsec.source.call_rules import HubDownload
from nbsec.source.call_site import CallSite
from nbsec.source.names import brief, constant_value, is_unknown, string_shape
from nbsec.source.url_shape import (
    has_model_extension,
    hub_owner,
    is_commit,
    is_url,
    looks_local,
    shown,
    url_path,
)

_PLAIN_REF = re.compile(r"^[a-z0-9][a-z0-9._\-/]{0,39}$")
_ALWAYS_MODEL_FETCHES = frozenset(
    {"torch.hub.load_state_dict_from_url", "torch.utils.model_zoo.load_url"}
)


def trust_remote_code(site: CallSite) -> None:
    value = site.kwarg("trust_remote_code")
    if value is not None and constant_value(value, site.scope) is True:
        first = site.positional(0)
        site.report(
            "NBS-MDL-001",
            f"{site.shown}() with trust_remote_code=True runs code from the model repository",
            key=f"{site.shown}:{brief(first) if first is not None else ''}",
        )


def _hub_spec(site: CallSite) -> HubDownload | None:
    for spec in site.rules.hub_downloads:
        if (site.name is not None and site.name in spec.names) or (
            site.method is not None and site.method in spec.methods
        ):
            return spec
    return None


def hub_download(site: CallSite) -> None:
    spec = _hub_spec(site)
    if spec is None:
        return
    repo_node = site.kwarg(*spec.repo_kwargs)
    if repo_node is None:
        repo_node = site.positional(spec.repo_position)
    if repo_node is None:
        return
    repo = constant_value(repo_node, site.scope)
    if not isinstance(repo, str):
        return  # a variable we cannot follow: most often a local directory
    if spec.hf_prefix is not None:
        if not repo.startswith(spec.hf_prefix):
            return
        repo = repo.removeprefix(spec.hf_prefix)
    if spec.dataset and repo in site.rules.local_dataset_builders:
        return
    if looks_local(repo) or is_url(repo) or site.scope.wrote_dir(repo):
        return
    revision_node = site.kwarg(*site.rules.revision_kwargs)
    pinned = False
    if revision_node is not None:
        revision = constant_value(revision_node, site.scope)
        # a revision computed elsewhere gets the benefit of the doubt
        pinned = True if is_unknown(revision) else is_commit(revision)
    if not pinned:
        site.report(
            "NBS-MDL-002",
            f"{site.shown}() downloads {shown(repo)!r} without a pinned 40-hex commit revision",
            key=f"{site.shown}:{repo}",
        )
    if site.policy.trusted_sources and not site.policy.source_trusted(repo):
        site.report(
            "NBS-MDL-006",
            f"hub repository {shown(repo)!r} is not in the policy's trusted sources",
            key=f"hub:{repo}",
        )


def torch_hub(site: CallSite) -> None:
    if site.name not in site.rules.torch_hub_names:
        return
    repo_node = site.kwarg(*site.rules.torch_hub_repo_kwargs)
    if repo_node is None:
        repo_node = site.positional(site.rules.torch_hub_repo_position)
    source = site.kwarg("source")
    if repo_node is None or (source is not None and constant_value(source, site.scope) == "local"):
        return
    repo = constant_value(repo_node, site.scope)
    if not isinstance(repo, str) or "/" not in repo:
        return
    owner = hub_owner(repo) or ""
    name, _, ref = repo.partition(":")
    trusted = site.policy.source_trusted(f"github.com/{name}")
    # the ref is printed only when it is a commit or reads as a branch or tag name
    plain_ref = is_commit(ref) or bool(_PLAIN_REF.match(ref))
    where = shown(name) + (f":{ref}" if ref and plain_ref else ":<ref>" if ref else "")
    if owner not in site.rules.first_party_torch_hub_owners and not trusted:
        pin = "pinned to a commit" if is_commit(ref) else "not pinned to a commit"
        site.report(
            "NBS-MDL-003",
            f"{site.name}() imports hubconf.py from the third-party repository {where!r} ({pin})",
            key=f"torch.hub:{repo}",
        )
    if site.policy.trusted_sources and not trusted:
        site.report(
            "NBS-MDL-006",
            f"torch hub repository {where!r} is not in the policy's trusted sources",
            key=f"torch.hub:{repo}",
        )


def _is_model_archive(texts: list[str], site: CallSite) -> bool:
    """An archive (``.zip``, ``.tar.gz`` ...) whose name says it holds a model."""
    rules = site.rules
    for text in texts:
        lowered = text.lower()
        if has_model_extension(lowered, rules.archive_extensions) and any(
            word in lowered for word in rules.archive_model_words
        ):
            return True
    return False


def url_fetch(site: CallSite) -> None:
    name = site.name
    if name is None:
        return
    spec = next((s for s in site.rules.url_fetches if name in s.names), None)
    if spec is None:
        return
    generic_request = name.endswith(".request")  # requests.request("GET", url)
    url_node = site.kwarg(*spec.url_kwargs)
    if url_node is None:
        url_node = site.positional(1 if generic_request else spec.url_position)
    dest_node = site.kwarg(*spec.dest_kwargs)
    if dest_node is None and not generic_request:
        dest_node = site.positional(spec.dest_position)
    url = string_shape(url_node, site.scope) if url_node is not None else None
    dest = string_shape(dest_node, site.scope) if dest_node is not None else None
    if url_node is None or (url is not None and not is_url(url) and not url.startswith("{}")):
        return
    exts = site.rules.model_extensions
    path = url_path(url) if url is not None and is_url(url) else (url or "")
    names = [n for n in (path, dest) if n]
    extracted = any(
        constant_value(arg, site.scope) is True
        for arg in (site.kwarg(k) for k in spec.extract_kwargs)
        if arg is not None
    )
    is_model = (
        name in _ALWAYS_MODEL_FETCHES
        or any(has_model_extension(n, exts) for n in names)
        or _is_model_archive(names, site)
        or (
            extracted and any(w in n.lower() for n in names for w in site.rules.archive_model_words)
        )
    )
    if not is_model:
        return
    what = "a model archive" if extracted else "a model file"
    then = " and extracts it" if extracted else ""
    if url is None or not is_url(url):
        source = f"a URL built at run time (…{shown(path)})" if path else "a URL held in a variable"
        key = f"{name}:{dest or path or '?'}"
        site.report("NBS-MDL-004", f"{name}() fetches {what} from {source}{then}", key=key)
        return
    where = shown(url)
    plain = " over plain http" if url.lower().startswith("http://") else ""
    checked = any(site.kwarg(k) is not None for k in spec.hash_kwargs)
    note = " (its hash is checked)" if checked else ""
    site.report(
        "NBS-MDL-004",
        f"{name}() fetches {what} from {where}{plain}{then}{note}",
        key=where,
        severity=Severity.LOW if checked and not plain else None,
    )
    if site.policy.trusted_sources and not site.policy.source_trusted(url):
        site.report(
            "NBS-MDL-006",
            f"model file from {where} is not in the policy's trusted sources",
            key=where,
        )


MODEL_SOURCE_CHECKS: tuple[Callable[[CallSite], None], ...] = (
    trust_remote_code,
    hub_download,
    torch_hub,
    url_fetch,
)
