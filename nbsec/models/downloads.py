"""Download provenance: what the wrapped download functions record, before and after they run.

Each download entry point of ``guard_entrypoints.toml`` names a *handler* here. A handler reads the
call's arguments into a :class:`DownloadPlan` (the source, the requested revision, which NBS-MDL
checks apply) or returns ``None`` when the call is not a model download (``requests.get`` of a web
page), and, after the call returned, completes the event from the result (the local path, the
resolved commit, each file's sha256).

:func:`run_download` is the whole life of one call: judge the request, stop it in block mode when a
finding reaches the policy's ``fail_on`` (``trust_remote_code=True`` is ``high``: blocked by
default; an unpinned revision is ``medium``: recorded), run it, complete and record the event.
Downloads made *inside* another recorded download (``snapshot_download`` or ``from_pretrained``
fetching its files, in the same thread or in a worker thread while a download of the same source
is in progress) add their files to the outer event instead of making events of their own, so a
source is judged once.

No library is imported here: the handlers only read the arguments and results they are given.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from nbsec.errors import BlockedLoad
from nbsec.models.guard_entrypoints import EntryPoint, argument
from nbsec.models.guard_event import LoadEvent
from nbsec.models.provenance import (
    directory_files,
    file_sha256,
    hub_source,
    is_model_url,
    is_pinned,
    judge_download,
    redact_url,
    revision_from_cache_path,
)
from nbsec.policy import Policy

current_download: contextvars.ContextVar[LoadEvent | None] = contextvars.ContextVar(
    "nbsec_current_download", default=None
)
# Top-level downloads in progress by source, for nested downloads that run in worker threads
# (``snapshot_download`` fetches its files from a thread pool, where the context is not set).
_in_progress: dict[str, LoadEvent] = {}
_in_progress_lock = threading.Lock()


def _outer_download(source: str) -> LoadEvent | None:
    outer = current_download.get()
    if outer is not None:
        return outer
    with _in_progress_lock:
        return _in_progress.get(source) if source else None


class DownloadRecorder(Protocol):
    """What :func:`run_download` needs from the guard."""

    model_suffixes: tuple[str, ...]

    def current_policy(self) -> Policy: ...

    def blocking(self, policy: Policy) -> bool: ...

    def record(self, event: LoadEvent) -> None: ...

    def remember_download(self, path: str, event: LoadEvent) -> None: ...


@dataclass
class DownloadPlan:
    source: str
    revision: str | None = None
    trust_remote_code: bool = False
    hub: bool = False
    torch_hub: bool = False
    url_fetch: bool = False
    complete: Callable[[LoadEvent, Any, Policy], list[str]] | None = None


Args = tuple[Any, ...]
Kwargs = Mapping[str, Any]


# -- completing an event from a result -----------------------------------------------------------
def _complete_file(
    event: LoadEvent, result: Any, policy: Policy, name: str | None = None
) -> list[str]:
    """A single downloaded file; ``name`` is its path inside the repository when known."""
    if not isinstance(result, str | os.PathLike):
        return []
    path = os.fspath(result)
    digest, size = file_sha256(path, policy.lineage.hash_max_bytes)
    event.path = event.path or path
    event.sha256 = event.sha256 or digest
    event.size = event.size if event.size is not None else size
    event.resolved_revision = event.resolved_revision or revision_from_cache_path(path)
    entry = {"path": name or os.path.basename(path), "sha256": digest, "size": size}
    event.files.append(entry)
    return [path]


def _complete_snapshot(event: LoadEvent, result: Any, policy: Policy) -> list[str]:
    if not isinstance(result, str | os.PathLike):
        return []
    root = os.fspath(result)
    event.path = root
    event.resolved_revision = revision_from_cache_path(root + os.sep)
    known = {f["path"] for f in event.files}
    for entry in directory_files(root, policy.lineage.hash_max_bytes):
        if entry["path"] not in known:
            event.files.append(entry)
    event.size = sum(int(str(f.get("size") or 0)) for f in event.files)
    return [os.path.join(root, str(f["path"])) for f in event.files]


def _complete_urlretrieve(event: LoadEvent, result: Any, policy: Policy) -> list[str]:
    if isinstance(result, tuple) and result:
        return _complete_file(event, result[0], policy)
    return []


def _complete_response(event: LoadEvent, result: Any, policy: Policy) -> list[str]:
    """requests / httpx responses: hash the body when it was read (not a streamed response)."""
    import hashlib

    content: Any = None
    consumed = getattr(result, "_content_consumed", None)  # requests
    if consumed is None or consumed:
        try:
            content = result.content
        except Exception:  # a streamed httpx response that was not read raises
            content = None
    if isinstance(content, bytes):
        event.sha256 = hashlib.sha256(content).hexdigest()
        event.size = len(content)
    return []


# -- handlers: reading a call ---------------------------------------------------------------------
def _hf_file(
    entry: EntryPoint, args: Args, kwargs: Kwargs, suffixes: tuple[str, ...]
) -> DownloadPlan | None:
    repo_id = argument(args, kwargs, entry)
    if not isinstance(repo_id, str):
        return None
    revision = kwargs.get("revision")
    filename = kwargs.get("filename", args[1] if len(args) > 1 else None)
    subfolder = kwargs.get("subfolder")
    name = None
    if isinstance(filename, str):
        folder = subfolder.strip("/") if isinstance(subfolder, str) else ""
        name = f"{folder}/{filename}" if folder else filename

    def complete(event: LoadEvent, result: Any, policy: Policy) -> list[str]:
        return _complete_file(event, result, policy, name)

    return DownloadPlan(
        source=hub_source(repo_id, kwargs.get("repo_type")),
        revision=str(revision) if revision is not None else None,
        hub=True,
        complete=complete,
    )


def _hf_snapshot(
    entry: EntryPoint, args: Args, kwargs: Kwargs, suffixes: tuple[str, ...]
) -> DownloadPlan | None:
    plan = _hf_file(entry, args, kwargs, suffixes)
    if plan is not None:
        plan.complete = _complete_snapshot
    return plan


def _from_pretrained(
    entry: EntryPoint, args: Args, kwargs: Kwargs, suffixes: tuple[str, ...]
) -> DownloadPlan | None:
    name = argument(args, kwargs, entry)
    trust = kwargs.get("trust_remote_code") is True
    if not isinstance(name, str | os.PathLike):
        return DownloadPlan(source="", trust_remote_code=True) if trust else None
    text = os.fspath(name)
    revision = kwargs.get("revision")
    repo_type = kwargs.get("repo_type") or entry.repo_type
    if os.path.exists(text):
        # a local directory: no hub provenance, but remote code in it still runs
        return DownloadPlan(source=os.path.abspath(text), trust_remote_code=trust)
    if repo_type == "dataset" and "/" not in text:
        # a packaged builder ("csv", "parquet"...), not a hub repository
        return DownloadPlan(source=text, trust_remote_code=True) if trust else None
    return DownloadPlan(
        source=hub_source(text, repo_type),
        revision=str(revision) if revision is not None else None,
        trust_remote_code=trust,
        hub=True,
    )


def _torch_hub(
    entry: EntryPoint, args: Args, kwargs: Kwargs, suffixes: tuple[str, ...]
) -> DownloadPlan | None:
    repo = argument(args, kwargs, entry)
    if not isinstance(repo, str) or kwargs.get("source", "github") != "github":
        return None
    name, _, ref = repo.partition(":")
    return DownloadPlan(
        source=f"github.com/{name.strip('/')}",
        revision=ref or None,
        torch_hub=True,
    )


def _url_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    full = getattr(value, "full_url", None)  # urllib.request.Request
    if isinstance(full, str):
        return full
    if value is not None and type(value).__name__ == "URL":  # httpx.URL
        return str(value)
    return None


def _url_handler(complete: Callable[[LoadEvent, Any, Policy], list[str]] | None) -> Any:
    def handler(
        entry: EntryPoint, args: Args, kwargs: Kwargs, suffixes: tuple[str, ...]
    ) -> DownloadPlan | None:
        url = _url_of(argument(args, kwargs, entry))
        if url is None or not is_model_url(url, suffixes):
            return None
        return DownloadPlan(source=redact_url(url), url_fetch=True, complete=complete)

    return handler


HANDLERS: dict[str, Callable[[EntryPoint, Args, Kwargs, tuple[str, ...]], DownloadPlan | None]] = {
    "hf_file": _hf_file,
    "hf_snapshot": _hf_snapshot,
    "from_pretrained": _from_pretrained,
    "torch_hub": _torch_hub,
    "urlretrieve": _url_handler(_complete_urlretrieve),
    "urlopen": _url_handler(None),
    "http_get": _url_handler(_complete_response),
}


# -- one call -------------------------------------------------------------------------------------
def run_download(
    recorder: DownloadRecorder,
    entry: EntryPoint,
    original: Callable[..., Any],
    call_args: Args,
    kwargs: dict[str, Any],
) -> Any:
    """Judge, maybe block, run and record one call of a wrapped download function."""
    plan = HANDLERS[entry.handler](entry, call_args, kwargs, recorder.model_suffixes)
    if plan is None:
        return original(*call_args, **kwargs)
    outer = _outer_download(plan.source)
    policy = recorder.current_policy()
    if outer is not None:
        # a file fetched on behalf of an outer download: add it to the outer record
        result = original(*call_args, **kwargs)
        if plan.complete is not None:
            probe = LoadEvent(kind="download", api=entry.api)
            for path in plan.complete(probe, result, policy):
                recorder.remember_download(path, outer)
            outer.files.extend(f for f in probe.files if f not in outer.files)
        return result

    event = LoadEvent(
        kind="download",
        api=entry.api,
        source=plan.source or None,
        revision=plan.revision,
        pinned=is_pinned(plan.revision),
    )
    checks = {
        "trust_remote_code": plan.trust_remote_code,
        "hub": plan.hub,
        "torch_hub": plan.torch_hub,
        "url_fetch": plan.url_fetch,
    }
    findings = judge_download(event, policy, **checks)
    gate = [f for f in findings if f.severity.at_least(policy.fail_on)]
    if gate and not event.trusted and recorder.blocking(policy):
        event.findings = findings
        event.action = "blocked"
        event.reason = "; ".join(f.message for f in gate)
        recorder.record(event)
        raise BlockedLoad(f"nbsec blocked {entry.api}: {event.reason}", path=event.source)

    token = current_download.set(event)
    registered = False
    with _in_progress_lock:
        if event.source and event.source not in _in_progress:
            _in_progress[event.source] = event
            registered = True
    try:
        result = original(*call_args, **kwargs)
    finally:
        current_download.reset(token)
        if registered:
            with _in_progress_lock:
                _in_progress.pop(event.source or "", None)
    paths = plan.complete(event, result, policy) if plan.complete is not None else []
    event.findings = judge_download(event, policy, **checks)  # the sha256 may now be allowlisted
    event.action = "warned" if event.findings else "allowed"
    event.reason = "; ".join(f.message for f in event.findings)
    for path in paths:
        recorder.remember_download(path, event)
    recorder.record(event)
    return result
