"""Where a model came from, and what is wrong with that: the NBS-MDL judgements on a download.

Pure functions over a :class:`~nbsec.models.guard_event.LoadEvent` of kind ``download`` and the
policy; no network and no library imports. The wrappers in :mod:`nbsec.models.downloads` fill the
event (source, requested revision, resolved commit, files and their sha256), then call
:func:`judge_download` for the findings:

* ``NBS-MDL-001`` ``trust_remote_code=True`` was passed (fires even with a pinned revision);
* ``NBS-MDL-002`` a hub download whose requested revision is not a 40-hex commit;
* ``NBS-MDL-003`` ``torch.hub.load`` of a GitHub repository (its ``hubconf.py`` runs);
* ``NBS-MDL-004`` a model file fetched from a plain URL;
* ``NBS-MDL-006`` a source outside ``policy.trusted_sources`` (silent when that list is empty).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from nbsec.findings import Finding, Location
from nbsec.models.guard_event import LoadEvent
from nbsec.policy import Policy

COMMIT = re.compile(r"^[0-9a-f]{40}$")
_HUB_SNAPSHOT = re.compile(r"[\\/]snapshots[\\/]([0-9a-f]{40})(?:[\\/]|$)")
HUB_HOST = "huggingface.co"


def is_pinned(revision: str | None) -> bool:
    """A revision is pinned only when it is a full 40-hex commit id (branches and tags move)."""
    return bool(revision) and COMMIT.match(str(revision).lower()) is not None


def revision_from_cache_path(path: str | os.PathLike[str] | None) -> str | None:
    """The commit a hub cache path points into (``.../snapshots/<commit>/file``), if any."""
    if path is None:
        return None
    match = _HUB_SNAPSHOT.search(os.fspath(path))
    return match.group(1) if match else None


def redact_url(url: str) -> str:
    """The URL without user-info, query string and fragment: those may carry tokens or signed
    credentials, which must never reach an event, a log or the ledger."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def hub_source(repo_id: str, repo_type: str | None = None) -> str:
    """The policy form of a hub repository: ``huggingface.co/<org>/<name>`` (datasets and spaces
    keep their prefix, as on the hub's web addresses)."""
    prefix = {"dataset": "datasets/", "space": "spaces/"}.get(repo_type or "model", "")
    return f"{HUB_HOST}/{prefix}{repo_id.strip('/')}"


def is_model_url(url: str, suffixes: tuple[str, ...]) -> bool:
    path = urlsplit(url).path.lower()
    return any(path.endswith(suffix) for suffix in suffixes)


def file_sha256(path: str | os.PathLike[str], max_bytes: int) -> tuple[str | None, int | None]:
    """``(sha256, size)`` of a file; the hash is ``None`` above ``max_bytes`` (policy
    ``lineage.hash_max_bytes``) or when the file cannot be read."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return None, None
    if size > max_bytes:
        return None, size
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest(), size
    except OSError:
        return None, size


def directory_files(root: str | os.PathLike[str], max_bytes: int) -> list[dict[str, object]]:
    """Every file under a downloaded snapshot with its size and sha256, sorted by path."""
    out: list[dict[str, object]] = []
    base = Path(root)
    if not base.is_dir():
        return out
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        digest, size = file_sha256(path, max_bytes)
        out.append({"path": path.relative_to(base).as_posix(), "sha256": digest, "size": size})
    return out


def judge_download(
    event: LoadEvent,
    policy: Policy,
    *,
    trust_remote_code: bool = False,
    hub: bool = False,
    torch_hub: bool = False,
    url_fetch: bool = False,
) -> list[Finding]:
    """The NBS-MDL findings for one download event (also sets ``event.trusted``)."""
    source = event.source or ""
    location = Location(path=event.path)
    trusted = bool(source) and bool(policy.trusted_sources) and policy.source_trusted(source)
    if event.sha256 and policy.sha256_allowed(event.sha256):
        trusted = True
    event.trusted = trusted
    findings: list[Finding] = []

    def add(rule: str, message: str, key: str) -> None:
        if policy.rule_enabled(rule):
            findings.append(
                Finding.from_rule(rule, message, location, evidence=source or None, key=key)
            )

    if trust_remote_code:
        add(
            "NBS-MDL-001",
            f"{event.api} with trust_remote_code=True runs Python code from {source}",
            f"{source}@{event.revision}",
        )
    if hub and not event.pinned:
        wanted = event.revision or "the default branch"
        add(
            "NBS-MDL-002",
            f"{event.api} of {source} follows {wanted}, not a pinned 40-hex commit",
            source,
        )
    if torch_hub:
        add(
            "NBS-MDL-003",
            f"torch.hub.load imports hubconf.py from {source}"
            + ("" if event.pinned else " at a movable reference"),
            source,
        )
    if url_fetch and not trusted:
        add("NBS-MDL-004", f"model file fetched by URL from {source}", source)
    if policy.trusted_sources and source and not trusted:
        add("NBS-MDL-006", f"{source} is not in the policy's trusted_sources", source)
    return findings
