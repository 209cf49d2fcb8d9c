"""Runtime guards: scan before any byte is unpickled, watch what the unpickler really imports,
and record where every model came from.

Usage (what ``%load_ext nbsec`` does; it works the same from a plain script)::

    from nbsec.models import guard as model_guard
    guard = model_guard.install(policy_provider=lambda: policy, report=print_warning)
    ...                            # every pickle / torch / joblib / ... load is now guarded
    with guard.block_mode(): ...   # %%nbsec: block mode for one cell
    guard.enabled = False          # %nbsec off
    guard.uninstall()              # every wrapped function restored, the audit hook a no-op

Three layers, each covering what the one before can miss:

1. **Wrappers** around the loaders listed in ``guard_entrypoints.toml`` (``pickle.load(s)``,
   ``_pickle``, ``torch.load`` unless ``weights_only``, ``joblib.load``, ``pandas.read_pickle``,
   ``numpy.load(allow_pickle=True)``, dill, cloudpickle, unsafe ``yaml`` loads, Keras
   ``load_model(safe_mode=False)``). Before the loader runs, its file or bytes go through the
   static scanner; a verdict other than ``safe`` is warned about (policy ``mode = "warn"``) or
   raises :class:`~nbsec.errors.BlockedLoad` (``mode = "block"``, or inside :meth:`block_mode`).
   Allowlisted paths, sha256 and files downloaded from trusted sources pass silently.
   Libraries imported after :func:`install` are wrapped as their import finishes
   (:mod:`~nbsec.models.guard_imports`); nothing is imported to wrap it.
2. **The audit hook** (:mod:`~nbsec.models.guard_audit`) sees every ``pickle.find_class``, from any
   unpickler. Inside a wrapped load it records the globals actually resolved, and when the static
   scan called the input safe but the stream resolves a global outside the allowlist (a scanner
   bypass) it warns, or in block mode raises before the global is called. Outside any wrapper
   (``from pickle import loads`` done before install, ``pickle.Unpickler(f).load()``) it is the
   only line of defence and applies the same allowlist to each global.
3. **Download provenance** (:mod:`~nbsec.models.downloads`): hub, torch hub and URL downloads are
   recorded with source, revision, pinning and file hashes, and judged (NBS-MDL-001/002/003/004/
   006). A later load of a downloaded file carries its source.

Every load and download becomes a :class:`~nbsec.models.guard_event.LoadEvent` in
:attr:`Guard.events`, and ``report`` is called exactly once per event: before the loader runs for
a warned or blocked load, after it finished for an allowed one (with the globals the unpickler
resolved, and the action the audit hook may have changed), after the call for a download. A front
end shows a warning whenever ``event.action`` is ``"warned"`` or ``"blocked"`` and stays quiet
for ``"allowed"``.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from nbsec.errors import BlockedLoad, UsageError
from nbsec.findings import Finding, Location, Severity
from nbsec.models import guard_audit
from nbsec.models.downloads import current_download, run_download
from nbsec.models.globals_judge import set_main_resolver
from nbsec.models.guard_entrypoints import PREDICATES, EntryPoint, EntryTable, argument, entry_table
from nbsec.models.guard_event import LoadEvent
from nbsec.models.guard_imports import PostImportFinder
from nbsec.models.guard_patches import WRAPPED_ATTR, PatchSet, unwrap
from nbsec.models.guard_scan import (
    Prepared,
    StaticResult,
    judge_resolved,
    prepare_pickle_input,
    prepare_yaml_input,
    prepare_yaml_node,
)
from nbsec.policy import Policy
from nbsec.rules import get_rule

__all__ = ["Guard", "LoadEvent", "LoadWarning", "active_guard", "install", "warning_reporter"]

PolicyProvider = Callable[[], Policy]
Reporter = Callable[[LoadEvent], None]

_EVIDENCE_MAX = 200
_UNWRAPPED_API = "pickle.find_class"


class LoadWarning(UserWarning):
    """The warning :func:`warning_reporter` issues for a warned or blocked load."""


def warning_reporter(event: LoadEvent) -> None:
    """A ``report`` callback for plain Python: a :class:`LoadWarning` for each warned or blocked
    event, nothing for allowed ones."""
    if event.action != "allowed":
        warnings.warn(event.message, LoadWarning, stacklevel=3)


@dataclass
class _LoadContext:
    """The wrapped load running on this thread / task (read by the audit hook)."""

    entry: EntryPoint
    event: LoadEvent
    policy: Policy
    block: bool
    # globals the static scan admitted by checking every use in the bytes this load reads
    checked: frozenset[str] = frozenset()


_current_load: contextvars.ContextVar[_LoadContext | None] = contextvars.ContextVar(
    "nbsec_current_load", default=None
)
_active_lock = threading.Lock()
_active: Guard | None = None


def active_guard() -> Guard | None:
    """The guard installed in this process, if any."""
    return _active


class Guard:
    """The installed runtime guard of this process. Create it with :func:`install`."""

    def __init__(
        self, policy_provider: PolicyProvider, report: Reporter, table: EntryTable
    ) -> None:
        self._policy_provider = policy_provider
        self._report = report
        self._table = table
        self.model_suffixes = table.model_suffixes
        self.enabled = True
        self.events: list[LoadEvent] = []
        self._block_depth = 0
        self._installed = False
        self._patches = PatchSet()
        self._finder = PostImportFinder(table.modules, self._patch_module)
        self._downloads: dict[str, LoadEvent] = {}
        # set by the kernel: (path, sha256) -> did this session write that file itself?
        self.session_written: Callable[[str | None, str | None], bool] | None = None

    # -- public -----------------------------------------------------------------------------------
    @property
    def installed(self) -> bool:
        return self._installed

    @contextlib.contextmanager
    def block_mode(self) -> Iterator[Guard]:
        """Treat the policy mode as ``block`` inside the ``with`` block (the ``%%nbsec`` cell
        magic), whatever the policy says."""
        self._block_depth += 1
        try:
            yield self
        finally:
            self._block_depth -= 1

    def uninstall(self) -> None:
        """Restore every wrapped function (identity included), stop watching imports and make the
        audit hook a no-op. Recorded events stay readable."""
        global _active
        with _active_lock:
            if not self._installed:
                return
            self._installed = False
            guard_audit.set_listener(None)
            guard_audit.set_exec_listener(None)
            set_main_resolver(None)
            self._finder.uninstall()
            self._patches.restore_all()
            if _active is self:
                _active = None

    @property
    def wrapped(self) -> int:
        """How many functions are wrapped right now."""
        return len(self._patches)

    # -- what the download and load paths ask -----------------------------------------------------
    def current_policy(self) -> Policy:
        return self._policy_provider()

    def blocking(self, policy: Policy) -> bool:
        return self._block_depth > 0 or policy.mode == "block"

    def record(self, event: LoadEvent) -> None:
        self.events.append(event)
        self._notify(event)

    def remember_download(self, path: str, event: LoadEvent) -> None:
        self._downloads[os.path.realpath(path)] = event

    def download_of(self, path: str | None) -> LoadEvent | None:
        """The download event a local file came from, if the guard saw it arrive."""
        if not path:
            return None
        return self._downloads.get(os.path.realpath(path))

    def _notify(self, event: LoadEvent) -> None:
        try:
            self._report(event)
        except Exception as exc:  # a broken front end must not break the user's load
            warnings.warn(f"nbsec: report callback failed: {exc}", LoadWarning, stacklevel=2)

    def _live(self) -> bool:
        return self._installed and self.enabled

    # -- installing -------------------------------------------------------------------------------
    def _install(self) -> None:
        guard_audit.ensure_installed()
        guard_audit.set_listener(self._on_find_class)
        guard_audit.set_exec_listener(self._on_exec_of_marshal)
        set_main_resolver(resolve_main_global)
        self._installed = True
        self._finder.install()
        for name in sorted(self._table.modules):
            module = sys.modules.get(name)
            if module is not None:
                self._patch_module(module)

    def _patch_module(self, module: ModuleType) -> None:
        if not self._installed:
            return
        for entry in self._table.for_module(module.__name__):
            owner: Any = module
            try:
                for part in entry.owner_path[:-1]:
                    owner = getattr(owner, part)
                attribute = entry.owner_path[-1]
                if self._patches.is_patched(owner, attribute) or _lazy_module_attribute(
                    owner, attribute
                ):
                    continue
                raw = self._patches.raw(owner, attribute)
            except Exception:  # noqa: S112 - this library version lacks the entry point
                continue
            self._patches.apply(owner, attribute, self._wrap(entry, raw))

    def _wrap(self, entry: EntryPoint, raw: Any) -> Any:
        bound = isinstance(raw, classmethod | staticmethod)
        func = unwrap(raw.__func__ if bound else raw)
        guard = self

        if isinstance(raw, classmethod):

            @functools.wraps(func)
            def class_wrapper(cls: Any, *args: Any, **kwargs: Any) -> Any:
                return guard._dispatch(entry, functools.partial(func, cls), args, kwargs)

            setattr(class_wrapper, WRAPPED_ATTR, func)
            return classmethod(class_wrapper)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return guard._dispatch(entry, func, args, kwargs)

        setattr(wrapper, WRAPPED_ATTR, func)
        if len(entry.owner_path) == 1:
            # pickle finds a function by __module__ + __qualname__ and insists on getting the
            # same object back: name the wrapper where it is installed, so pickling
            # ``pickle.loads`` by reference keeps working (``_pickle.loads`` is its own wrapper)
            wrapper.__module__ = entry.module
            wrapper.__qualname__ = entry.attribute
        return staticmethod(wrapper) if isinstance(raw, staticmethod) else wrapper

    def _dispatch(
        self,
        entry: EntryPoint,
        original: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        if not self._installed:
            return original(*args, **kwargs)
        if entry.kind == "download":
            if not self.enabled:
                return original(*args, **kwargs)
            return run_download(self, entry, original, args, kwargs)
        # with the guard switched off (%nbsec off) a dangerous load is still blocked
        return self._guarded_load(entry, original, args, kwargs, quiet=not self.enabled)

    # -- loads ----------------------------------------------------------------------------------
    def _guarded_load(
        self,
        entry: EntryPoint,
        original: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        quiet: bool = False,
    ) -> Any:
        if _current_load.get() is not None:
            return original(*args, **kwargs)  # nested inside a load already judged
        if not PREDICATES[entry.when](args, kwargs, original):
            return original(*args, **kwargs)
        with guard_audit.quiet():
            policy = self.current_policy()
            prepared = self._prepare(entry, args, kwargs, policy)
            if prepared.replaced:
                args, kwargs = _substitute(entry, args, kwargs, prepared.replacement)
            block = self.blocking(policy)
            event = self._judge_load(entry, prepared.result, policy, block)
            if quiet and event.action != "blocked":
                event.action, event.findings = "allowed", []
            if quiet and event.action == "allowed":
                return original(*args, **kwargs)
            self.events.append(event)
            reported = event.action != "allowed"
            if reported:
                # shown before the loader runs: a payload that crashes the kernel cannot hide it
                self._notify(event)
        if event.action == "blocked":
            raise BlockedLoad(event.message, path=event.path, verdict=event.verdict)
        checked = frozenset(prepared.result.checked if prepared.result.verdict == "safe" else ())
        token = _current_load.set(_LoadContext(entry, event, policy, block, checked))
        try:
            return original(*args, **kwargs)
        finally:
            _current_load.reset(token)
            if not reported:
                # allowed loads are reported once they finished, with the globals resolved (and
                # with the action the audit hook may have changed on the way)
                with guard_audit.quiet():
                    self._notify(event)

    def _prepare(
        self, entry: EntryPoint, args: tuple[Any, ...], kwargs: dict[str, Any], policy: Policy
    ) -> Prepared:
        value = argument(args, kwargs, entry)
        try:
            if entry.handler == "yaml":
                return prepare_yaml_input(value, entry.api, policy, self._table.yaml_global_tags)
            if entry.handler == "yaml_node":
                return prepare_yaml_node(value, policy, self._table.yaml_global_tags)
            return prepare_pickle_input(value, entry.handler, entry.api, policy)
        except BlockedLoad:
            raise
        except Exception as exc:  # the scanner failed: judged as an error, never as safe
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            return Prepared(StaticResult("error", note=f"scan failed: {first[:200]}"))

    def _judge_load(
        self, entry: EntryPoint, result: StaticResult, policy: Policy, block: bool
    ) -> LoadEvent:
        """One decision per load (TEAM contract): ``dangerous`` is blocked in every mode unless
        that exact file is allowed; anything else not safe is warned (``warn``) or blocked
        (``block``), and stays quiet for an allowed file, a file from a trusted source, a file
        this session wrote itself, or a waived rule."""
        event = LoadEvent(
            kind="load",
            api=entry.api,
            path=result.path,
            sha256=result.sha256,
            size=result.size,
            verdict=result.verdict,
            globals=list(result.globals),
        )
        download = self.download_of(result.path) or current_download.get()
        if download is not None:
            event.source = download.source
            event.revision = download.revision
            event.resolved_revision = download.resolved_revision
            event.pinned = download.pinned
        allowed = policy.load_allowed(result.sha256, result.path)
        dangerous = result.verdict == "dangerous"
        event.trusted = allowed or (
            not dangerous
            and (
                (download is not None and download.trusted)
                or self._written_by_session(result.path, result.sha256)
            )
        )
        if event.trusted or result.verdict == "safe":
            return event
        # a policy that requires signatures is enforced in every mode, like a dangerous verdict
        unsigned = _signature_required(result, policy)
        if not (dangerous or unsigned) and not policy.rule_enabled(entry.rule):
            return event
        # a waiver that covers this finding (a rule, a family, the finding itself) changes how
        # it is reported, never whether the file loads: only a file allow (sha256 or path,
        # ``trusted`` above) admits a file
        # one load, one finding: the verdict, at the worst severity of what the scan found, with
        # the globals the stream imports as its evidence (``nbsec scan-model`` lists them one by
        # one); the scan's other observations are named in the message
        event.findings = [
            _load_finding(entry, event, result, _reason(result), scanned=result.findings)
        ]
        event.reason = _reason(result)
        event.action = "blocked" if dangerous or unsigned or block else "warned"
        return event

    def _written_by_session(self, path: str | None, sha256: str | None) -> bool:
        hook = self.session_written
        if hook is None or not (path or sha256):
            return False
        try:
            return bool(hook(path, sha256))
        except Exception:  # a broken hook answers "no"
            return False

    # -- the audit hook ---------------------------------------------------------------------------
    def _on_find_class(self, module: str, name: str) -> None:
        if not self._installed:
            return
        context = _current_load.get()
        if context is not None:
            self._check_wrapped(context, module, name)
        else:
            self._check_unwrapped(module, name)

    def _on_exec_of_marshal(self, digest: str) -> None:
        """``exec``/``eval`` of a code object that ``marshal.loads`` made from bytes: code
        nobody can read before it runs. Dangerous: refused in every mode unless those exact
        bytes are allowed by sha256."""
        policy = self.current_policy()
        if policy.load_allowed(digest, None):
            return
        entry = _MARSHAL_ENTRY
        event = LoadEvent(
            kind="load",
            api=entry.api,
            sha256=digest,
            verdict="dangerous",
            reason="exec of a code object made by marshal.loads",
            action="blocked",
        )
        event.findings = [_load_finding(entry, event, StaticResult("dangerous"), event.reason)]
        self.record(event)
        raise BlockedLoad(event.message, path=None, verdict="dangerous")

    def _check_wrapped(self, context: _LoadContext, module: str, name: str) -> None:
        # the event spells the global as the stream does; judge what the unpickler resolves
        full, verdict = judge_resolved(module, name, context.policy)
        event = context.event
        if full not in event.resolved_globals:
            event.resolved_globals.append(full)
        if event.trusted or event.action != "allowed":
            return
        if full in context.checked:
            # the static scan ran CPython's unpickler over these bytes and checked every use of
            # this global (getattr of a reviewed rebuilder): the loader makes the same uses
            return
        if verdict == "safe" or (verdict != "dangerous" and not self.enabled):
            return
        # the static scan called this input safe, yet the unpickler resolves a global outside
        # the allowlist: a scanner bypass, caught before the global is called
        reason = f"at run time the unpickler resolved {full}, which the static scan did not report"
        event.verdict = verdict
        event.reason = reason
        event.findings.append(
            _load_finding(context.entry, event, StaticResult(verdict, globals=[full]), reason)
        )
        block = context.block or verdict == "dangerous"
        event.action = "blocked" if block else "warned"
        if block:
            raise BlockedLoad(event.message, path=event.path, verdict=verdict)

    def _check_unwrapped(self, module: str, name: str) -> None:
        policy = self.current_policy()
        full, verdict = judge_resolved(module, name, policy)
        if verdict == "safe" or (verdict != "dangerous" and not self.enabled):
            return
        path = guard_audit.last_opened_path()
        if path and policy.load_allowed(None, path):
            return
        entry = _UNWRAPPED_ENTRY
        # a dangerous global is refused before it is called, in every mode
        block = self.blocking(policy) or verdict == "dangerous"
        reason = f"an unpickler outside the guarded entry points resolved {full}"
        event = LoadEvent(
            kind="load",
            api=entry.api,
            path=path,
            verdict=verdict,
            globals=[full],
            resolved_globals=[full],
            reason=reason,
            action="blocked" if block else "warned",
        )
        if not policy.rule_enabled(entry.rule):
            return
        event.findings = [
            _load_finding(entry, event, StaticResult(verdict, globals=[full]), reason)
        ]
        self.record(event)
        if block:
            raise BlockedLoad(event.message, path=path, verdict=verdict)


def _lazy_module_attribute(owner: Any, attribute: str) -> bool:
    """Is ``owner.attribute`` served by a lazy module ``__getattr__`` (``huggingface_hub``)?
    Then it is not touched: reading it would import a submodule now, and the lazy lookup reaches
    the submodule's function, which is wrapped when that submodule is imported."""
    return (
        isinstance(owner, ModuleType)
        and attribute not in vars(owner)
        and "__getattr__" in vars(owner)
    )


_UNWRAPPED_ENTRY = EntryPoint(
    kind="load",
    module="pickle",
    attribute="Unpickler.find_class",
    api=_UNWRAPPED_API,
    handler="stream",
    arg="file",
    position=0,
    rule="NBS-PKL-001",
)


_MARSHAL_ENTRY = EntryPoint(
    kind="load",
    module="marshal",
    attribute="loads",
    api="exec(marshal.loads(...))",
    handler="bytes",
    arg="data",
    position=0,
    rule="NBS-SRC-001",
)


def resolve_main_global(qualname: str) -> str | None:
    """What ``__main__.<qualname>`` is in this live kernel, read without running anything:
    ``"class"`` for a class the user defined in the notebook, the real ``module.qualname`` of
    an object bound from elsewhere (``system = os.system`` is ``posix.system``), else None."""
    obj: Any = sys.modules.get("__main__")
    for part in qualname.split("."):
        try:
            namespace = vars(obj)
        except TypeError:
            return None
        if part not in namespace:
            return None
        obj = namespace[part]
    module = getattr(type(obj), "__module__", None) if not callable(obj) else None
    real_module = obj.__dict__.get("__module__") if isinstance(obj, type) else None
    if isinstance(obj, type) and real_module == "__main__":
        return "class"
    if isinstance(obj, type):
        return f"{real_module}.{obj.__qualname__}" if real_module else None
    if callable(obj):
        mod = getattr(obj, "__module__", None)
        name = getattr(obj, "__qualname__", None)
        if isinstance(mod, str) and isinstance(name, str) and mod != "__main__":
            return f"{mod}.{name}"
        return None
    return f"{module}.{type(obj).__qualname__}" if module else None


def _signature_required(result: StaticResult, policy: Policy) -> bool:
    """Does the policy require a signature this file lacks (or has from an untrusted signer, or
    that fails)?"""
    from nbsec.models.signatures import REQUIRED_RULES

    return policy.signing.require and any(f.rule in REQUIRED_RULES for f in result.findings)


def _reason(result: StaticResult) -> str:
    from nbsec.models.signatures import REQUIRED_RULES

    if result.note:
        return result.note
    parts = []
    if result.globals:
        shown = ", ".join(result.globals[:6])
        more = f" and {len(result.globals) - 6} more" if len(result.globals) > 6 else ""
        parts.append(f"imports {shown}{more}")
    parts += [f.message for f in result.findings if f.rule in REQUIRED_RULES][:1]
    return "; ".join(parts) or f"static scan verdict {result.verdict}"


def _load_finding(
    entry: EntryPoint,
    event: LoadEvent,
    result: StaticResult,
    reason: str,
    scanned: Sequence[Finding] = (),
) -> Finding:
    """The one finding of a load. ``scanned``: what the static scan found in the input. Its
    worst severity raises the finding's, and a ``dangerous`` verdict makes it critical (a
    ``joblib.load``, high, of a file that imports ``os.system`` is critical); the rules it found
    beyond the globals (the evidence) and the signature (in ``reason``) are named after the
    reason."""
    from nbsec.models.signatures import REQUIRED_RULES

    target = event.path or event.source or "in-memory data"
    evidence = ", ".join(result.globals)[:_EVIDENCE_MAX] or None
    rule = get_rule(entry.rule)
    floor = Severity.CRITICAL if result.verdict == "dangerous" else rule.severity
    severity = max([floor, *(f.severity for f in scanned)], key=lambda s: s.rank)
    told = {*_GLOBALS_RULES, *REQUIRED_RULES}
    others = sorted({f.rule for f in scanned if f.rule not in told and f.severity.rank > 0})
    also = f"; the scan also found {', '.join(others)}" if others else ""
    return Finding.from_rule(
        entry.rule,
        f"{entry.api} of {target}: {result.verdict} ({reason}{also})",
        Location(path=event.path),
        evidence=evidence,
        key=f"{entry.api}:{event.sha256 or event.path or ','.join(result.globals)}",
        severity=severity,
    )


# the scan's findings that name the globals a stream imports (the finding's evidence lists them)
_GLOBALS_RULES = frozenset({"NBS-PKL-010", "NBS-PKL-011", "NBS-PKL-026"})


def _substitute(
    entry: EntryPoint, args: tuple[Any, ...], kwargs: dict[str, Any], value: Any
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    if entry.arg in kwargs:
        return args, {**kwargs, entry.arg: value}
    items = list(args)
    items[entry.position] = value
    return tuple(items), kwargs


def install(policy_provider: PolicyProvider, report: Reporter) -> Guard:
    """Install the runtime guard for this process and return it.

    ``policy_provider`` is called for each guarded load or download (cache the policy there);
    ``report`` receives every :class:`LoadEvent` as it is recorded. One guard at a time: call
    :meth:`Guard.uninstall` before installing another."""
    global _active
    with _active_lock:
        if _active is not None:
            raise UsageError("an nbsec runtime guard is already installed in this process")
        guard = Guard(policy_provider, report, entry_table())
        guard._install()
        _active = guard
    return guard
