"""Thin wrappers where audit events are blind.

pyarrow and polars read and write files in C++/Rust (no ``open`` event); httpx, requests and
huggingface_hub reach the network through sockets (``socket.connect`` has an address, not a URL);
``torch.load`` / ``torch.save`` are worth naming. For these, nbsec wraps a few public functions so
the active tracker hears of the path or URL. The table :data:`WRAPS` is the whole list.

Wrapping is lazy: nbsec never imports these libraries. :func:`install` wraps those already
imported and puts a finder at the front of ``sys.meta_path`` that wraps a target module right
after it is first imported. :func:`uninstall` removes the finder and puts every original object
back exactly (``owner.__dict__[name] is original``), including re-exports that picked up a
wrapper. A wrapper someone kept a reference to becomes a plain pass-through.
"""

from __future__ import annotations

import functools
import importlib.abc
import inspect
import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from nbsec.lineage import audit_hook


@dataclass(frozen=True)
class WrapSpec:
    """Wrap ``module.attribute`` (``attribute`` may be ``Class.method``). ``direction`` is
    ``read`` / ``write`` (a path or URL argument at position ``arg`` or keyword ``keyword``;
    with ``every``, all positional arguments from ``arg`` on, as in ``parquet(*paths)``),
    ``table-read`` / ``table-write`` (a Spark table name, recorded as ``spark-table:<name>``),
    ``http`` (a request object with ``.url`` and ``.method``) or ``hub`` (a hub download:
    ``repo_id`` and ``filename`` in, local path out)."""

    module: str
    attribute: str
    direction: str
    arg: int = 0
    keyword: str = ""
    every: bool = False


def _family(module: str, direction: str, names: Sequence[str], arg: int, kw: str) -> list[WrapSpec]:
    return [WrapSpec(module, name, direction, arg, kw) for name in names]


WRAPS: tuple[WrapSpec, ...] = (
    *_family("pyarrow.parquet", "read", ("read_table", "read_pandas", "read_metadata",
             "read_schema"), 0, "source"),
    WrapSpec("pyarrow.parquet", "write_table", "write", 1, "where"),
    WrapSpec("pyarrow.parquet", "ParquetFile.__init__", "read", 1, "source"),
    *_family("pyarrow.csv", "read", ("read_csv", "open_csv"), 0, "input_file"),
    WrapSpec("pyarrow.csv", "write_csv", "write", 1, "output_file"),
    *_family("pyarrow.feather", "read", ("read_table", "read_feather"), 0, "source"),
    WrapSpec("pyarrow.feather", "write_feather", "write", 1, "dest"),
    *_family("polars", "read", ("read_csv", "read_parquet", "read_ipc", "read_json",
             "read_ndjson", "read_excel", "read_avro", "read_delta"), 0, "source"),
    *_family("polars", "read", ("scan_csv", "scan_parquet", "scan_ipc", "scan_ndjson"),
             0, "source"),
    *_family("polars", "write", ("DataFrame.write_csv", "DataFrame.write_parquet",
             "DataFrame.write_ipc", "DataFrame.write_json", "DataFrame.write_ndjson",
             "DataFrame.write_avro"), 1, "file"),
    WrapSpec("polars", "DataFrame.write_excel", "write", 1, "workbook"),
    *_family("polars", "write", ("LazyFrame.sink_parquet", "LazyFrame.sink_csv",
             "LazyFrame.sink_ipc"), 1, "path"),
    WrapSpec("httpx", "Client.send", "http", 1, "request"),
    WrapSpec("httpx", "AsyncClient.send", "http", 1, "request"),
    WrapSpec("requests.sessions", "Session.send", "http", 1, "request"),
    WrapSpec("huggingface_hub.file_download", "hf_hub_download", "hub", 0, "repo_id"),
    WrapSpec("huggingface_hub._snapshot_download", "snapshot_download", "hub", 0, "repo_id"),
    WrapSpec("torch", "load", "read", 0, "f"),
    WrapSpec("torch", "save", "write", 1, "f"),
    # Spark: what a read or write names (paths, globs, directories, tables), classic and Connect
    *(spec for module in ("pyspark.sql.readwriter", "pyspark.sql.connect.readwriter")
      for spec in (
        WrapSpec(module, "DataFrameReader.parquet", "read", 1, "", every=True),
        *_family(module, "read", ("DataFrameReader.csv", "DataFrameReader.json",
                 "DataFrameReader.orc", "DataFrameReader.load"), 1, "path"),
        WrapSpec(module, "DataFrameReader.text", "read", 1, "paths"),
        WrapSpec(module, "DataFrameReader.table", "table-read", 1, "tableName"),
        *_family(module, "write", ("DataFrameWriter.parquet", "DataFrameWriter.csv",
                 "DataFrameWriter.json", "DataFrameWriter.orc", "DataFrameWriter.text",
                 "DataFrameWriter.save"), 1, "path"),
        WrapSpec(module, "DataFrameWriter.saveAsTable", "table-write", 1, "name"),
        WrapSpec(module, "DataFrameWriter.insertInto", "table-write", 1, "tableName"),
      )),
    WrapSpec("pyspark.sql.session", "SparkSession.table", "table-read", 1, "tableName"),
    # Dask: the paths and globs a read or write names (the workers do the I/O)
    WrapSpec("dask.dataframe", "read_parquet", "read", 0, "path"),
    WrapSpec("dask.dataframe", "read_csv", "read", 0, "urlpath"),
    WrapSpec("dask.dataframe", "read_table", "read", 0, "urlpath"),
    WrapSpec("dask.dataframe", "read_fwf", "read", 0, "urlpath"),
    WrapSpec("dask.dataframe", "read_json", "read", 0, "url_path"),
    WrapSpec("dask.dataframe", "read_orc", "read", 0, "path"),
    WrapSpec("dask.dataframe", "to_parquet", "write", 1, "path"),
    WrapSpec("dask.dataframe", "to_csv", "write", 1, "filename"),
    WrapSpec("dask.dataframe", "to_json", "write", 1, "url_path"),
    WrapSpec("dask.dataframe", "DataFrame.to_parquet", "write", 1, "path"),
    WrapSpec("dask.dataframe", "DataFrame.to_csv", "write", 1, "filename"),
    WrapSpec("dask.dataframe", "DataFrame.to_json", "write", 1, "filename"),
)  # fmt: skip

_TARGETS = frozenset(spec.module for spec in WRAPS)
_HUB_URL = "https://huggingface.co/{repo}/resolve/{revision}/{filename}"


@dataclass
class _Patched:
    owner: Any
    name: str
    original: Any
    wrapper: Any
    top_package: str
    # the method was inherited: the wrapper shadows it on ``owner`` and is deleted to undo
    inherited: bool = False


_lock = threading.RLock()
_patched: list[_Patched] = []
_users = 0
_finder: _WrapOnImport | None = None
_enabled = False


def install() -> None:
    """Start wrapping (reference-counted: each :func:`install` needs one :func:`uninstall`)."""
    global _users, _finder, _enabled
    with _lock:
        _users += 1
        if _users > 1:
            return
        _enabled = True
        _finder = _WrapOnImport()
        sys.meta_path.insert(0, _finder)
        for module_name in sorted(_TARGETS):
            module = sys.modules.get(module_name)
            if module is not None:
                _wrap_module(module)


def uninstall() -> None:
    """Undo one :func:`install`; the last one restores every original and removes the finder."""
    global _users, _finder, _enabled
    with _lock:
        if _users == 0:
            return
        _users -= 1
        if _users:
            return
        _enabled = False
        if _finder is not None and _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
        _finder = None
        for patch in reversed(_patched):
            if patch.owner.__dict__.get(patch.name) is patch.wrapper:
                if patch.inherited:
                    delattr(patch.owner, patch.name)
                else:
                    setattr(patch.owner, patch.name, patch.original)
            _restore_reexports(patch)
        _patched.clear()


def installed() -> bool:
    return _users > 0


def _restore_reexports(patch: _Patched) -> None:
    prefix = patch.top_package + "."
    for name, module in list(sys.modules.items()):
        if module is None or not (name == patch.top_package or name.startswith(prefix)):
            continue
        namespace = getattr(module, "__dict__", {})
        for attr, value in list(namespace.items()):
            if value is patch.wrapper:
                setattr(module, attr, patch.original)


def _wrap_module(module: ModuleType) -> None:
    for spec in WRAPS:
        if spec.module != module.__name__:
            continue
        owner: Any = module
        *path, name = spec.attribute.split(".")
        try:
            for part in path:
                owner = getattr(owner, part)
            # a class's method as defined, also when a base class defines it (dask's
            # ``DataFrame.to_csv`` lives on ``FrameBase``): the wrapper then covers this class
            original = (
                inspect.getattr_static(owner, name)
                if isinstance(owner, type)
                else getattr(owner, name)
            )
        except AttributeError:
            continue  # this version of the library does not have it
        if not callable(original) or getattr(original, "__nbsec_original__", None) is not None:
            continue
        inherited = isinstance(owner, type) and name not in owner.__dict__
        wrapper = _make_wrapper(original, spec)
        setattr(owner, name, wrapper)
        _patched.append(
            _Patched(owner, name, original, wrapper, spec.module.split(".")[0], inherited)
        )


def _make_wrapper(original: Callable[..., Any], spec: WrapSpec) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            sink = _sink()
            if sink is not None:
                _before(spec, sink, args, kwargs)
            return await original(*args, **kwargs)

        async_wrapper.__nbsec_original__ = original  # type: ignore[attr-defined]
        return async_wrapper

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        sink = _sink()
        if sink is not None:
            _before(spec, sink, args, kwargs)
        result = original(*args, **kwargs)
        if sink is not None and spec.direction == "hub":
            _after_hub(spec, sink, args, kwargs, result)
        return result

    wrapper.__nbsec_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _sink() -> audit_hook.AuditSink | None:
    return audit_hook.active_sink() if _enabled else None


def _argument(spec: WrapSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if spec.keyword and spec.keyword in kwargs:
        return kwargs[spec.keyword]
    if spec.every:
        return list(args[spec.arg :])
    return args[spec.arg] if len(args) > spec.arg else None


def _before(
    spec: WrapSpec, sink: audit_hook.AuditSink, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    try:
        target = _argument(spec, args, kwargs)
        via = f"{spec.module}.{spec.attribute}"
        if spec.direction == "http":
            url = str(getattr(target, "url", "") or "")
            method = str(getattr(target, "method", "GET") or "GET").upper()
            if url:
                sink.on_url(url, method not in ("GET", "HEAD", "OPTIONS"), via)
        elif spec.direction in ("read", "write"):
            _record_target(sink, target, spec.direction == "write", via)
        elif spec.direction in ("table-read", "table-write") and isinstance(target, str) and target:
            sink.on_url(f"spark-table:{target}", spec.direction == "table-write", via)
    except Exception as exc:  # recording must never break the wrapped call
        audit_hook.note_internal_error(exc)


def _record_target(sink: audit_hook.AuditSink, target: Any, write: bool, via: str) -> None:
    if isinstance(target, list | tuple):
        for item in target[:100]:
            _record_target(sink, item, write, via)
        return
    if not isinstance(target, str | bytes | os.PathLike):
        target = _path_of_handle(target)
        if target is None:
            return
    text = os.fsdecode(target)
    if "://" in text:
        sink.on_url(text, write, via)
    elif text:
        path = os.path.abspath(os.path.expanduser(text))
        sink.on_file(path, write, via)
        if not write:
            for member in _dataset_files(path):
                sink.on_file(member, write, via)


DATASET_MAX_FILES = 64
DATASET_MAX_BYTES = 1 << 30
_GLOB_CHARS = frozenset("*?[")


def _dataset_files(path: str) -> list[str]:
    """The files behind a directory or glob a read names (a partitioned dataset), so each is
    hashed as a read file; none past :data:`DATASET_MAX_FILES` files or
    :data:`DATASET_MAX_BYTES` in all (then only the named path is recorded, without a hash)."""
    import glob

    if any(c in path for c in _GLOB_CHARS):
        candidates = sorted(glob.glob(path, recursive=True))
    elif os.path.isdir(path):
        candidates = []
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
            candidates += [
                os.path.join(root, f) for f in sorted(files) if not f.startswith((".", "_"))
            ]
            if len(candidates) > DATASET_MAX_FILES:
                return []
    else:
        return []
    files, total = [], 0
    for candidate in candidates:
        if os.path.isdir(candidate):
            continue
        try:
            total += os.path.getsize(candidate)
        except OSError:
            continue
        files.append(candidate)
        if len(files) > DATASET_MAX_FILES or total > DATASET_MAX_BYTES:
            return []
    return files


def _path_of_handle(handle: Any) -> str | None:
    """The path behind an open file object: its ``name``, else (Linux) what its descriptor
    points to -- pandas hands pyarrow a native ``OSFile`` that has neither name nor path."""
    name = getattr(handle, "name", None)
    if isinstance(name, str | bytes | os.PathLike):
        return os.fsdecode(name)
    fileno = getattr(handle, "fileno", None)
    if fileno is None:
        return None
    try:
        link = os.readlink(f"/proc/self/fd/{int(fileno())}")
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    return link if link.startswith("/") else None


def _after_hub(
    spec: WrapSpec,
    sink: audit_hook.AuditSink,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    result: Any,
) -> None:
    try:
        repo = _argument(spec, args, kwargs)
        filename = kwargs.get("filename", args[1] if len(args) > 1 else "")
        if spec.attribute == "snapshot_download":
            filename = ""
        revision = kwargs.get("revision") or "main"
        url = _HUB_URL.format(repo=repo, revision=revision, filename=filename or "").rstrip("/")
        local = os.fspath(result) if isinstance(result, str | os.PathLike) else None
        on_download = getattr(sink, "on_download", None)
        if on_download is not None:
            on_download(url, local, f"{spec.module}.{spec.attribute}")
        else:
            sink.on_url(url, False, f"{spec.module}.{spec.attribute}")
    except Exception as exc:
        audit_hook.note_internal_error(exc)


class _LoaderProxy(importlib.abc.Loader):
    """Delegates everything to the real loader and wraps the module after it executes."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def create_module(self, spec: Any) -> ModuleType | None:
        create = getattr(self._inner, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        # importlib sets __loader__/__spec__.loader to us; give the real loader back
        spec = getattr(module, "__spec__", None)
        if spec is not None and spec.loader is self:
            spec.loader = self._inner
        if getattr(module, "__loader__", None) is self:
            module.__loader__ = self._inner
        with _lock:
            if _enabled:
                _wrap_module(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _WrapOnImport(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> Any:
        if fullname not in _TARGETS:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _LoaderProxy(spec.loader)
                return spec
        return None
