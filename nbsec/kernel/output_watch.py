"""While a cell runs: outputs that show the value of a secret environment variable (NBS-SEC-007).

``print(os.environ["OPENAI_API_KEY"])``, a config repr, a debug log or an exception message can put
a credential from the kernel's environment into an output, and from there into the saved notebook.
This watcher looks at every output as the kernel produces it, with the detector of
:mod:`nbsec.source.env_secrets` (which variables hold secrets: by name, by a random-looking value,
or listed in the policy's ``[tool.nbsec.secrets] env``):

* **streams**: ``write`` of the kernel's ``sys.stdout`` / ``sys.stderr`` (ipykernel's ``OutStream``)
  is wrapped at the start of each cell (IPython itself swaps ``write`` for the length of every
  cell to keep outputs in its history, and puts the old one back after it); each write is
  searched together with the end of the previous one (the longest value's length less one), so a
  value written in pieces is found too;
* **display data** and **results**: ``shell.display_pub.publish`` and
  ``shell.displayhook.write_format_data`` are wrapped; every textual MIME type is searched
  (``text/*``, JSON, XML, JavaScript), images are not;
* **errors**: ``shell._showtraceback`` is wrapped; the exception's name, value and traceback text
  are searched.

A hit becomes one finding per variable and cell (rule NBS-SEC-007, location: the cell and the
output's position in it, message and evidence naming the variable and the value's hash only),
recorded in the session at once and pushed to the panels; it is shown inline under the cell when
the cell ends. The output itself is not changed (``nbsec redact`` masks it in the saved notebook).

Cost: the values are compiled into one alternation (a trie) when the watcher starts and again only
when the environment changes. A change is seen without rescanning the environment:
``os.environ`` is given a subclass of its own class whose ``__setitem__`` / ``__delitem__`` count
changes (``%env``, ``os.environ[...] =``, ``update``, ``pop`` all pass through them). With no
secret in the environment an output costs one attribute test; with some, one regex search over
its text (about a microsecond for a line of ``print``; a print loop of 50,000 lines took
0.38 s of kernel CPU against 0.27 s without nbsec, with a secret in the environment). The
wrappers call nbsec through the guarded call: a failure is reported once and the output goes out
unchanged. ``%nbsec off`` stops the search; unloading removes every wrapper.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from nbsec.findings import Finding, Location

if TYPE_CHECKING:
    from nbsec.kernel.context import KernelContext
    from nbsec.source.env_secrets import EnvSecretIndex

# at most this much of the previous write of a stream is kept, to find a value written in pieces
# (the longest value searched for, less one)
STREAM_TAIL = 4096
# outputs larger than this are searched in their first and last parts only (a 100 MB log)
MAX_OUTPUT_CHARS = 8_000_000
_TEXT_SUFFIXES = ("json", "xml", "javascript", "latex", "markdown", "html", "csv")


class _EnvironChanges:
    """A counter of changes to ``os.environ`` (see the module docstring)."""

    def __init__(self) -> None:
        self.count = 0
        self._base: type | None = None

    def install(self) -> None:
        environ = os.environ
        base = type(environ)
        if getattr(base, "_nbsec_watched", False):
            self._base = None  # another shell's watcher installed it: share its counter
            return
        changes = self

        class WatchedEnviron(base):  # type: ignore[valid-type, misc]
            _nbsec_watched = True

            def __setitem__(self, key: str, value: str) -> None:
                super().__setitem__(key, value)
                changes.count += 1

            def __delitem__(self, key: str) -> None:
                super().__delitem__(key)
                changes.count += 1

        try:
            environ.__class__ = WatchedEnviron
            self._base = base
        except TypeError:  # an environ nbsec cannot subclass: the cell start check remains
            self._base = None

    def uninstall(self) -> None:
        if self._base is not None and getattr(type(os.environ), "_nbsec_watched", False):
            os.environ.__class__ = self._base
        self._base = None


class OutputWatch:
    name = "outputs"

    def __init__(self, context: KernelContext) -> None:
        from nbsec.source.env_secrets import EnvSecretIndex

        self._ctx = context
        self._enabled = True
        self._lock = threading.Lock()
        self._local = threading.local()  # re-entry guard (our own inline display)
        self._changes = _EnvironChanges()
        self._changes.install()
        self._listed: tuple[str, ...] = ()
        self._seen_changes = -1
        self._index: EnvSecretIndex = EnvSecretIndex()
        self._refresh(force=True)
        self._cell: dict[str, Any] | None = None
        self._cell_fallback: str | None = None
        self._outputs = 0  # outputs of the running cell so far
        self._last_stream: str | None = None
        self._tails: dict[str, str] = {}
        self._news: list[Finding] = []
        self._main = threading.main_thread()
        self._undo: list[Callable[[], None]] = []
        self._streams: list[tuple[Any, Callable[..., Any]]] = []
        self._wrap_outputs()

    # -- watcher hooks ---------------------------------------------------------------------------
    def pre_run_cell(self, info: Any) -> None:
        from nbsec.kernel.source_watch import cell_key

        cell_id, fallback = cell_key(info)
        with self._lock:
            self._cell = {
                "cell_id": cell_id or fallback,
                "execution_count": getattr(self._ctx.shell, "execution_count", None),
            }
            self._outputs = 0
            self._last_stream = None
            self._tails.clear()
            self._news = []
            self._unwrap_streams()  # the last cell's, put back by IPython already
        self._wrap_streams()
        # a change of the policy's list, or of an environ nbsec could not watch
        self._refresh(force=self._changes._base is None)

    def post_run_cell(self, result: Any) -> None:
        from nbsec.kernel.display import show_findings

        with self._lock:
            news, self._news = self._news, []
            self._cell = None
        if news:
            self._local.busy = True
            try:
                show_findings(news, "output")
            finally:
                self._local.busy = False

    def set_enabled(self, enabled: bool) -> None:
        self._enabled = enabled

    def close(self) -> None:
        for undo in reversed(self._undo):
            self._ctx.guarded("outputs.close", undo)
        self._undo.clear()
        self._unwrap_streams()
        self._changes.uninstall()

    @property
    def watched(self) -> tuple[str, ...]:
        """The names of the environment variables whose values are looked for (never values)."""
        return self._index.names

    # -- the index of secret values --------------------------------------------------------------
    def _refresh(self, force: bool = False) -> EnvSecretIndex:
        listed = tuple(self._ctx.policy.effective_policy().secrets.env)
        if force or listed != self._listed or self._changes.count != self._seen_changes:
            self._seen_changes = self._changes.count
            self._listed = listed
            self._index = self._index.current(os.environ, listed)
        return self._index

    # -- wrappers --------------------------------------------------------------------------------
    def _wrap_streams(self) -> None:
        import sys

        for stream_name in ("stdout", "stderr"):
            stream = getattr(sys, stream_name)
            write = getattr(stream, "write", None)
            if (
                not type(stream).__module__.startswith("ipykernel")
                or write is None
                or getattr(write, "_nbsec_output_watch", False)
            ):
                continue
            wrapper = self._stream_wrapper(stream_name, write)
            try:
                stream.write = wrapper
            except (AttributeError, TypeError):
                continue
            self._streams.append((stream, wrapper))

    def _unwrap_streams(self) -> None:
        for stream, wrapper in self._streams:
            if vars(stream).get("write") is wrapper:
                stream.write = wrapper.__wrapped__
        self._streams.clear()

    def _wrap_outputs(self) -> None:
        shell = self._ctx.shell
        self._wrap_streams()
        display_pub = getattr(shell, "display_pub", None)
        if display_pub is not None:
            self._wrap(display_pub, "publish", self._publish_wrapper(display_pub.publish))
        displayhook = getattr(shell, "displayhook", None)
        if displayhook is not None:
            self._wrap(
                displayhook,
                "write_format_data",
                self._result_wrapper(displayhook.write_format_data),
            )
        if hasattr(shell, "_showtraceback"):
            self._wrap(shell, "_showtraceback", self._error_wrapper(shell._showtraceback))

    def _wrap(self, owner: Any, attr: str, wrapper: Callable[..., Any]) -> None:
        had_own = attr in vars(owner)
        original = vars(owner).get(attr)
        try:
            setattr(owner, attr, wrapper)
        except (AttributeError, TypeError):
            return

        def undo() -> None:
            if vars(owner).get(attr) is wrapper:
                if had_own:
                    setattr(owner, attr, original)
                else:
                    delattr(owner, attr)

        self._undo.append(undo)

    def _stream_wrapper(self, name: str, write: Callable[[str], Any]) -> Callable[[str], Any]:
        def nbsec_write(text: str, *args: Any, **kwargs: Any) -> Any:
            # the hot path of every print: no lock, no call when nothing is looked for
            if self._last_stream != name:
                self._outputs += 1  # consecutive writes to one stream are one output
                self._last_stream = name
            if (
                self._enabled
                and (self._index.entries or self._changes.count != self._seen_changes)
                and isinstance(text, str)
                and text
            ):
                try:
                    self._on_stream(name, text)
                except Exception as exc:
                    self._ctx.guarded.report("outputs.stream", exc)
            return write(text, *args, **kwargs)

        nbsec_write._nbsec_output_watch = True  # type: ignore[attr-defined]
        nbsec_write.__wrapped__ = write  # type: ignore[attr-defined]
        return nbsec_write

    def _publish_wrapper(self, publish: Callable[..., Any]) -> Callable[..., Any]:
        def nbsec_publish(data: Any, *args: Any, **kwargs: Any) -> Any:
            if self._enabled and isinstance(data, Mapping):
                self._ctx.guarded("outputs.display", self._on_bundle, data)
            return publish(data, *args, **kwargs)

        return nbsec_publish

    def _result_wrapper(self, write_format_data: Callable[..., Any]) -> Callable[..., Any]:
        def nbsec_write_format_data(format_dict: Any, *args: Any, **kwargs: Any) -> Any:
            if self._enabled and isinstance(format_dict, Mapping):
                self._ctx.guarded("outputs.result", self._on_bundle, format_dict)
            return write_format_data(format_dict, *args, **kwargs)

        return nbsec_write_format_data

    def _error_wrapper(self, showtraceback: Callable[..., Any]) -> Callable[..., Any]:
        def nbsec_showtraceback(etype: Any, evalue: Any, stb: Any, *args: Any) -> Any:
            if self._enabled:
                self._ctx.guarded("outputs.error", self._on_error, etype, evalue, stb)
            return showtraceback(etype, evalue, stb, *args)

        return nbsec_showtraceback

    # -- searching -------------------------------------------------------------------------------
    def _on_stream(self, name: str, text: str) -> None:
        output = self._outputs - 1
        index = self._index
        if self._changes.count != self._seen_changes:
            index = self._refresh()
        if not index.entries:
            return
        if text == "\n":  # print's line end: nothing to find, and no value goes on past it
            self._tails[name] = ""
            return
        tail = self._tails.get(name, "")
        joined = tail + text if tail else text
        keep = min(index.longest - 1, STREAM_TAIL)
        self._tails[name] = joined[-keep:] if keep > 0 else ""
        if not index.any_in(joined) or getattr(self._local, "busy", False):
            return
        issues = index.issues(_bounded(joined))
        # a value wholly inside the kept tail was looked at with the previous write
        issues = [i for i in issues if any(s.end > len(tail) for s in i.spans)]
        self._record(issues, output)

    def _on_bundle(self, data: Mapping[str, Any]) -> None:
        output = self._next_output()
        index = self._refresh()
        if not index.entries or getattr(self._local, "busy", False):
            return
        texts = [_text_of(value) for mime, value in data.items() if _is_text(str(mime))]
        self._record(index.issues(_bounded("\n".join(t for t in texts if t))), output)

    def _on_error(self, etype: Any, evalue: Any, stb: Any) -> None:
        output = self._next_output()
        index = self._refresh()
        if not index.entries:
            return
        parts = [getattr(etype, "__name__", ""), str(evalue)]
        if isinstance(stb, list):
            parts.extend(str(line) for line in stb)
        self._record(index.issues(_bounded("\n".join(parts))), output)

    def _next_output(self) -> int:
        with self._lock:
            self._outputs += 1
            self._last_stream = None
            return self._outputs - 1

    def _record(self, issues: list[Any], output: int) -> None:
        if not issues:
            return
        policy = self._ctx.policy.effective_policy()
        if not policy.rule_enabled("NBS-SEC-007"):
            return
        with self._lock:
            cell = dict(self._cell) if self._cell else {}
        location = Location(
            cell_id=cell.get("cell_id"),
            execution_count=cell.get("execution_count"),
            output_index=output if cell else None,
        )
        findings = [
            Finding.from_rule(i.rule, i.message, location, evidence=i.evidence, key=i.key)
            for i in issues
        ]
        news = self._ctx.state.add_findings(findings)
        if not news:
            return
        with self._lock:
            if self._cell is not None:
                self._news.extend(news)
        # the panels hear of it now, not when a long cell ends (from the kernel's main thread
        # only: comms are not sent from the user's threads)
        if threading.current_thread() is self._main and not getattr(self._local, "busy", False):
            self._local.busy = True
            try:
                self._ctx.publish()
            finally:
                self._local.busy = False


def _is_text(mime: str) -> bool:
    if mime.startswith("image/"):
        return mime == "image/svg+xml"
    return mime.startswith("text/") or mime.endswith(_TEXT_SUFFIXES)


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return ""


def _bounded(text: str) -> str:
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    half = MAX_OUTPUT_CHARS // 2
    return text[:half] + "\n" + text[-half:]
