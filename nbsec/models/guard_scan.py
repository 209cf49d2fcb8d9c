"""What the guard knows about data before a loader touches it: the static scan, adapted.

The runtime guard never judges pickles itself: files and bytes go to the static scanner
(:func:`nbsec.models.scan_model` / :func:`nbsec.models.scan_bytes`), single globals seen by the
audit hook go to the same allowlist the scanner uses. YAML documents, which the model scanner does
not handle, are judged here by composing them with PyYAML's *safe* composer (which builds a node
tree and constructs nothing) and reading the ``python/...`` tags that would make an unsafe loader
import or call a global.

Reading a stream for the scan must not change what the loader then sees: a seekable stream is
read from its current position and put back there; a non-seekable one is read whole and replaced
by an in-memory copy (:class:`Prepared` carries the replacement).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from dataclasses import dataclass, field, replace
from typing import Any

from nbsec.findings import Finding, Location
from nbsec.policy import Policy

VERDICTS = ("dangerous", "suspicious", "safe", "unsupported", "error")


@dataclass
class StaticResult:
    """The static scan of one load's input, in the terms the guard records."""

    verdict: str
    path: str | None = None
    sha256: str | None = None
    size: int | None = None
    globals: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    note: str = ""
    # globals the scan admitted after checking every use of them in these bytes
    checked: list[str] = field(default_factory=list)


@dataclass
class Prepared:
    """The scan plus the argument to hand to the loader (the same object, or an in-memory copy
    of a stream that could not be rewound)."""

    result: StaticResult
    replacement: Any = None
    replaced: bool = False


def _from_model_scan(scan: Any, path: str | None, size: int | None) -> StaticResult:
    verdict = str(getattr(scan, "verdict", "error"))
    names = [str(getattr(g, "name", g)) for g in getattr(scan, "globals", ()) or ()]
    findings = [f for f in getattr(scan, "findings", ()) or () if isinstance(f, Finding)]
    return StaticResult(
        verdict=verdict if verdict in VERDICTS else "error",
        path=path,
        sha256=getattr(scan, "sha256", None) or None,
        size=size,
        globals=sorted(set(names)),
        findings=findings,
        checked=[str(n) for n in getattr(scan, "checked_globals", ()) or ()],
    )


def scan_path(path: str | os.PathLike[str], policy: Policy) -> StaticResult:
    """Scan a file on disk with the model scanner."""
    from nbsec.models.scanner import scan_model

    text = os.fspath(path)
    try:
        size: int | None = os.stat(text).st_size
    except OSError:
        size = None
    return _from_model_scan(scan_model(text, policy=policy), text, size)


# Small in-memory inputs loaded again and again (a cache, a worker's results) are scanned once
# per policy: the verdict of a byte string depends only on its content and the policy.
_DATA_CACHE_MAX_BYTES = 1 << 20
_DATA_CACHE_ENTRIES = 256
_data_cache: dict[tuple[str, int], tuple[Policy, StaticResult]] = {}


def scan_data(data: bytes, name: str, policy: Policy, path: str | None = None) -> StaticResult:
    """Scan bytes (a ``loads`` argument, or a stream's content) with the model scanner."""
    from nbsec.models.scanner import scan_bytes

    digest = hashlib.sha256(data).hexdigest()
    key = (digest, id(policy))
    cached = _data_cache.get(key) if len(data) <= _DATA_CACHE_MAX_BYTES else None
    if cached is not None and cached[0] is policy:
        return replace(cached[1], path=path, globals=list(cached[1].globals))
    result = _from_model_scan(scan_bytes(data, name=name, policy=policy), path, len(data))
    result.sha256 = result.sha256 or digest
    if len(data) <= _DATA_CACHE_MAX_BYTES:
        if len(_data_cache) >= _DATA_CACHE_ENTRIES:
            _data_cache.clear()
        _data_cache[key] = (policy, replace(result, globals=list(result.globals)))
    return result


def _seekable(stream: Any) -> bool:
    with contextlib.suppress(Exception):  # objects without seekable() are not seekable
        return bool(stream.seekable())
    return False


def scan_open_stream(stream: Any, path: str | None, api: str, policy: Policy) -> StaticResult:
    """Scan a seekable binary stream from its position to its end; the position is kept."""
    from nbsec.models.scanner import scan_stream

    try:
        position = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(position)
    except (OSError, ValueError):
        position, end = 0, None
    scan = scan_stream(stream, name=path or f"<{api} stream>", policy=policy)
    size = end - position if end is not None else None
    return _from_model_scan(scan, path, size)


def read_stream(stream: Any) -> tuple[bytes | str, Any, bool]:
    """``(content, argument for the loader, replaced?)`` for a file-like object."""
    if _seekable(stream):
        position = stream.tell()
        content = stream.read()
        stream.seek(position)
        return content, stream, False
    content = stream.read()
    copy: Any = io.StringIO(content) if isinstance(content, str) else io.BytesIO(content)
    return content, copy, True


def stream_name(stream: Any) -> str | None:
    name = getattr(stream, "name", None)
    if isinstance(name, str | bytes | os.PathLike) and not isinstance(name, int):
        text = os.fsdecode(name)
        return text if os.path.isfile(text) else None
    return None


def prepare_pickle_input(value: Any, handler: str, api: str, policy: Policy) -> Prepared:
    """Scan what a pickle-family loader was given: bytes (``bytes``), a file object
    (``stream``) or a path or file object (``source``)."""
    if handler == "bytes" or isinstance(value, bytes | bytearray | memoryview):
        if isinstance(value, str):
            value = value.encode("latin-1", "replace")
        if not isinstance(value, bytes | bytearray | memoryview):
            return Prepared(StaticResult("unsupported", note=f"{api} got {type(value).__name__}"))
        return Prepared(scan_data(bytes(value), name=f"<{api} data>", policy=policy))
    if isinstance(value, str | os.PathLike):
        text = os.fspath(value)
        if isinstance(text, bytes):
            text = os.fsdecode(text)
        if os.path.isfile(text):
            return Prepared(scan_path(text, policy))
        return Prepared(StaticResult("unsupported", path=text, note="not a local file"))
    if hasattr(value, "read"):
        path = stream_name(value)
        if _seekable(value):
            return Prepared(scan_open_stream(value, path, api, policy))
        content, replacement, replaced = read_stream(value)
        data = content.encode("latin-1", "replace") if isinstance(content, str) else content
        result = scan_data(bytes(data), name=path or f"<{api} stream>", policy=policy, path=path)
        return Prepared(result, replacement, replaced)
    return Prepared(StaticResult("unsupported", note=f"{api} got {type(value).__name__}"))


# -- YAML -----------------------------------------------------------------------------------------
def prepare_yaml_input(
    value: Any, api: str, policy: Policy, tag_prefixes: tuple[str, ...]
) -> Prepared:
    """Scan a YAML document (text, bytes or stream) for tags that import or call globals."""
    replacement: Any = None
    replaced = False
    path: str | None = None
    if hasattr(value, "read"):
        content, replacement, replaced = read_stream(value)
        path = stream_name(value)
    elif isinstance(value, str | bytes):
        content = value
    else:
        return Prepared(StaticResult("unsupported", note=f"{api} got {type(value).__name__}"))
    raw = content.encode("utf-8", "replace") if isinstance(content, str) else bytes(content)
    result = judge_yaml(content, policy, tag_prefixes)
    result.path = path
    result.sha256 = hashlib.sha256(raw).hexdigest()
    result.size = len(raw)
    return Prepared(result, replacement, replaced)


def prepare_yaml_node(node: Any, policy: Policy, tag_prefixes: tuple[str, ...]) -> Prepared:
    """Judge a composed YAML document (what ``construct_document`` gets) by its python/ tags."""
    names: set[str] = set()
    _collect_yaml_globals(node, tag_prefixes, names)
    digest = hashlib.sha256(repr(sorted(names)).encode()).hexdigest()
    if not names:
        return Prepared(StaticResult("safe", sha256=digest))
    verdicts = [judge_global_name(n, policy) for n in sorted(names)]
    verdict = "dangerous" if "dangerous" in verdicts else "suspicious"
    if all(v == "safe" for v in verdicts):
        verdict = "safe"
    return Prepared(StaticResult(verdict, sha256=digest, globals=sorted(names)))


def judge_yaml(content: str | bytes, policy: Policy, tag_prefixes: tuple[str, ...]) -> StaticResult:
    import yaml

    names: set[str] = set()
    try:
        for root in yaml.compose_all(content, Loader=yaml.SafeLoader):
            if root is not None:
                _collect_yaml_globals(root, tag_prefixes, names)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return StaticResult("error", note=f"YAML does not parse: {first}")
    if not names:
        return StaticResult("safe")
    verdicts = [judge_global_name(n, policy) for n in sorted(names)]
    verdict = "dangerous" if "dangerous" in verdicts else "suspicious"
    if all(v == "safe" for v in verdicts):
        verdict = "safe"
    return StaticResult(verdict, globals=sorted(names))


def _collect_yaml_globals(root: Any, tag_prefixes: tuple[str, ...], names: set[str]) -> None:
    import yaml

    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # anchors and aliases share nodes
            continue
        seen.add(id(node))
        tag = str(getattr(node, "tag", ""))
        for prefix in tag_prefixes:
            if tag.startswith(prefix):
                names.add(tag[len(prefix) :] or "<empty>")
                break
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, item in node.value:
                stack.extend((key, item))


# -- single globals (the audit hook) --------------------------------------------------------------
_VERDICT_OF = {"allowed": "safe", "denied": "dangerous", "unknown": "suspicious"}
_judges: dict[int, tuple[Policy, Any]] = {}


def _judge_for(policy: Policy) -> Any:
    """The scanner's allowlist judge for this policy (profiles and ``allow_globals``), cached per
    policy object so the audit hook pays for building it once."""
    cached = _judges.get(id(policy))
    if cached is not None and cached[0] is policy:
        return cached[1]
    from nbsec.models.globals_judge import GlobalsJudge

    judge = GlobalsJudge(policy)
    if len(_judges) > 8:
        _judges.clear()
    _judges[id(policy)] = (policy, judge)
    return judge


def judge_global(module: str, qualname: str, policy: Policy) -> str:
    """``safe`` for an allowlisted global, ``dangerous`` for a denied one, else ``suspicious``,
    by the same lists and policy profiles the static scanner uses."""
    return _VERDICT_OF[str(_judge_for(policy).judge(module, qualname))]


_RANK = {"safe": 0, "suspicious": 1, "dangerous": 2}
# Python 2 module names the unpickler maps (``copy_reg``, ``__builtin__``) that name no module
# of Python 3: under their own name they cannot be imported
_PY2_ONLY = frozenset(m for m in IMPORT_MAPPING if m.split(".")[0] not in sys.stdlib_module_names)


def resolved_global(module: str, name: str) -> tuple[str, str]:
    """What the unpickler resolves for a global the ``pickle.find_class`` audit event names: the
    event carries the stream's own spelling, and for protocols 0-2 the unpickler maps Python 2
    names (``copy_reg._reconstructor`` -> ``copyreg._reconstructor``) before importing."""
    if (module, name) in NAME_MAPPING:
        return NAME_MAPPING[(module, name)]
    return IMPORT_MAPPING.get(module, module), name


def judge_resolved(module: str, name: str, policy: Policy) -> tuple[str, str]:
    """(``module.name`` as resolved, verdict) for a global named in an audit event: the worse of
    the mapped name and, when it can be imported too, the name as spelled."""
    mapped = resolved_global(module, name)
    verdict = judge_global(*mapped, policy)
    if mapped != (module, name) and module not in _PY2_ONLY:
        raw = judge_global(module, name, policy)
        verdict = max(verdict, raw, key=_RANK.__getitem__)
    return f"{mapped[0]}.{mapped[1]}", verdict


def judge_global_name(full_name: str, policy: Policy) -> str:
    """:func:`judge_global` for a dotted name whose module boundary is unknown (YAML tags)."""
    return _VERDICT_OF[str(_judge_for(policy).judge_name(full_name))]


def finding_location(path: str | None) -> Location:
    return Location(path=path)
