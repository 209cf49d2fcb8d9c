"""The lineage tracker: one :class:`~nbsec.lineage.records.CellRecord` per cell execution.

It is an engine driven by IPython's cell events and knows nothing of the kernel extension::

    tracker = LineageTracker(shell, policy_provider, notebook_path=path)
    shell.events.register("pre_run_cell", tracker.pre_run_cell)
    shell.events.register("post_run_cell", tracker.post_run_cell)

No tracing: before a cell runs, the tracker parses the cell (cached), takes an identity
snapshot of the namespace and fingerprints the few frames and arrays the cell names; while it
runs, the process-wide audit hook and the thin I/O wrappers append paths and URLs to a list;
after it runs, a second snapshot gives what was bound, the fingerprints what was mutated, and the
files touched are given to a background thread to hash (cached, capped; see
:class:`~nbsec.lineage.hashing.HashQueue`), off the cell's path.

A record is complete, and appended to the ledger, once the hashes of its files are known: the
tracker *settles* its records in order, without waiting when the hashing thread falls idle (in
that thread, milliseconds after the cell for ordinary files) and at the end of the next cell,
and waiting for the hashes before anything reads the records (:attr:`records`,
:meth:`graph`, :meth:`summary`, :meth:`written_by`, :meth:`own_file`), records a session event or
closes the ledger. A cell that opens for writing a file whose hash is still pending waits for
that hash first, so each record holds the hash of the content its cell read or wrote; a file
changed by someone else before it could be hashed is recorded with no hash and
``changed: true``.
"""

from __future__ import annotations

import datetime as dt
import dis
import os
import threading
import time
import types
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbsec.errors import InputError
from nbsec.lineage import audit_hook, io_wrappers
from nbsec.lineage.cell_names import CellNames, analyse
from nbsec.lineage.fingerprint import describe, fingerprint, kind_of, type_name
from nbsec.lineage.hashing import FileDigest, FileHasher, HashQueue, PendingDigest
from nbsec.lineage.ledger import LEDGER_DIR, LedgerWriter, ledger_path, read_key
from nbsec.lineage.namespace_diff import Snapshot, diff, snapshot
from nbsec.lineage.noise_paths import is_noise, noise_prefixes
from nbsec.lineage.notebook_cells import NotebookCells, source_sha256
from nbsec.lineage.records import Access, CellRecord, VariableInfo
from nbsec.lineage.uri import clean_url

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from nbsec.lineage.graph import LineageGraph
    from nbsec.policy import Policy

_MODEL_KEYS = (
    "source", "path", "sha256", "verdict", "api", "format", "revision", "rule", "action", "pinned"
)  # fmt: skip
_MAX_EVENTS = 10_000  # I/O events kept per cell; more are counted, not stored
_FUNCTION_DEPTH = 3
_EVENT_KINDS = ("waiver", "revoke", "waiver_written", "mode", "enabled", "refused")
SESSION_ENV = "NBSEC_LINEAGE_SESSION"  # a batch runner names the session (and so the ledger file)
_MAX_SOURCES = 200


def new_session_id() -> str:
    """A sortable, random session id (no host details: no pid, user or host name)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex[:10]}"


@dataclass
class _Running:
    """State of the cell being executed."""

    raw_cell: str
    cell_id: str | None
    names: CellNames
    before: Snapshot
    pre_ids: dict[str, int]  # ids before the cell of the names its AST binds or stores through
    uses: set[str]
    pre_fingerprints: dict[str, tuple[int, str | None]]
    started: str
    t0: float
    files: list[tuple[str, bool, str]] = field(default_factory=list)
    urls: list[tuple[str, bool, str, str | None]] = field(default_factory=list)
    unobserved: list[str] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    dropped_events: int = 0


class LineageTracker:
    """Records per-cell lineage for one IPython shell. See the module docstring."""

    def __init__(
        self,
        shell: InteractiveShell,
        policy_provider: Callable[[], Policy],
        *,
        notebook_path: Path | str | None = None,
        session_id: str | None = None,
    ) -> None:
        self.shell = shell
        self._policy_provider = policy_provider
        self.notebook_path = Path(notebook_path).resolve() if notebook_path else None
        self.session_id = session_id or os.environ.get(SESSION_ENV) or new_session_id()
        self._records: list[CellRecord] = []
        policy = policy_provider()
        self._hasher = FileHasher(policy.lineage.hash_max_bytes)
        self._hashes = HashQueue(self._hasher, quiet=audit_hook.quiet_thread, on_idle=self._hashed)
        self._listener: Callable[[], None] | None = None
        # records whose files are still being hashed, in order, with the hashes they wait for
        self._unsettled: deque[tuple[CellRecord, list[tuple[Access, PendingDigest]]]] = deque()
        # settling (and so appending to the ledger) may be asked for from a panel's thread
        self._lock = threading.RLock()
        # called (in the settling thread, under the tracker's lock) with the records settled
        self.on_settled: Callable[[list[CellRecord]], None] | None = None
        base = self.notebook_path.parent if self.notebook_path else Path.cwd()
        self.base_dir = base
        self.ledger_file: Path | None = None
        self._ledger: LedgerWriter | None = None
        # a policy that asks for a keyed ledger and whose key is missing still gets a ledger,
        # unkeyed, and the problem is said once (``key_problem``)
        self.key_problem: str | None = None
        key = None
        try:
            key = read_key(
                policy.lineage.ledger_key_env,
                policy.lineage.ledger_key_file,
                policy.source.parent if policy.source else None,
            )
        except InputError as exc:
            self.key_problem = f"{exc}; the session ledger is not keyed"
        if policy.lineage.ledger:
            self.ledger_file = ledger_path(base, self.session_id)
            self._ledger = LedgerWriter(self.ledger_file, key=key)
            self._ledger.append("session", self._session_header())
        self._ledger_relative = _relative(self.ledger_file, base)
        self._noise = noise_prefixes((str(base / LEDGER_DIR),))
        self._cells = NotebookCells(self.notebook_path) if self.notebook_path else None
        self._running: _Running | None = None
        self._pending_models: list[dict[str, Any]] = []
        self._pending_unobserved: list[str] = []
        self._last_index: int | None = None
        # name -> (id, fingerprint) of frames and arrays as the last cell left them: the next
        # cell reuses them instead of fingerprinting again before it runs
        self._fingerprints: dict[str, tuple[int, str | None]] = {}
        self._post_fingerprints: dict[str, tuple[int, str | None]] = {}
        self._writers: dict[str, CellRecord] = {}  # sha256 -> the last cell that wrote it
        # absolute path -> (sha256, cell) of the last complete write there this session
        self._written: dict[str, tuple[str, CellRecord]] = {}
        self._written_sizes: set[int] = set()  # sizes of the files in ``_writers``
        self._sources: dict[str, dict[str, Any]] = {}  # data read, for the summary
        self._totals = {"reads": 0, "writes": 0, "models": 0, "unobserved": 0}
        self._closed = False
        audit_hook.activate(self)
        io_wrappers.install()

    # -- IPython events ------------------------------------------------------------------------
    def pre_run_cell(self, info: Any) -> None:
        """``pre_run_cell`` handler: snapshot the namespace, parse the cell."""
        if self._closed:
            return
        raw = str(getattr(info, "raw_cell", "") or "")
        transformed = getattr(info, "transformed_cell", None)
        if transformed is None:
            try:
                transformed = self.shell.transform_cell(raw)  # type: ignore[no-untyped-call]
            except Exception:
                transformed = raw
        names = analyse(str(transformed))
        ns = self.shell.user_ns
        uses = self._uses(names, ns)
        identities = names.opaque or any(_writes_globals(ns[n], ns) for n in uses)
        before = snapshot(ns, identities=identities)
        watched = names.stored | names.stored_through | names.augmented
        pre_ids = {n: id(ns[n]) for n in watched if n in ns}
        pre_fps: dict[str, tuple[int, str | None]] = {}
        for name in uses:
            value = ns[name]
            # a name the cell assigns gets a new version anyway: no need to see it mutate
            if kind_of(value) is not None and (name not in names.stored or name in names.augmented):
                cached = self._fingerprints.get(name)
                if cached is not None and cached[0] == id(value):
                    pre_fps[name] = cached  # as the previous cell left it
                else:
                    pre_fps[name] = (id(value), fingerprint(value))
        self._running = _Running(
            raw_cell=raw,
            cell_id=getattr(info, "cell_id", None),
            names=names,
            before=before,
            pre_ids=pre_ids,
            uses=uses,
            pre_fingerprints=pre_fps,
            started=dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            t0=time.perf_counter(),
            unobserved=list(names.unobserved) + self._pending_unobserved,
            models=self._pending_models,
        )
        self._pending_models, self._pending_unobserved = [], []

    def post_run_cell(self, result: Any) -> CellRecord | None:
        """``post_run_cell`` handler: diff, hash, build the record, append it to the ledger."""
        running, self._running = self._running, None
        if running is None or self._closed:
            return None
        duration = (time.perf_counter() - running.t0) * 1000.0
        ns = self.shell.user_ns
        hidden = self.shell.user_ns_hidden
        change = diff(
            running.before, snapshot(ns, identities=running.before.ids is not None), hidden
        )
        names = running.names

        defines: list[str] = []
        imports: list[str] = []
        pre_ids = running.pre_ids
        failed = _error_name(result) is not None
        candidates = change.bound | {
            n
            for n in names.stored
            if n in ns
            and not n.startswith("_")
            and n not in hidden
            # ``x += ...`` that kept the object is an in-place change, not a new binding; and a
            # cell that raised before reaching an assignment did not bind that name
            and not ((n in names.augmented or failed) and pre_ids.get(n, -1) == id(ns[n]))
        }
        for name in sorted(candidates):
            (imports if isinstance(ns[name], types.ModuleType) else defines).append(name)
        defined = set(defines)
        variables: dict[str, VariableInfo] = {}
        mutated = self._mutated(running, ns, defined, variables)
        for name in (*defines, *mutated):
            if name not in variables:
                value = ns[name]
                variables[name] = describe(value) or VariableInfo.of_type(type_name(value))
        self._remember_fingerprints(ns, variables, change.removed)

        execution_count = getattr(result, "execution_count", None)
        if execution_count is None:
            execution_count = getattr(self.shell, "execution_count", None)
        sha = source_sha256(running.raw_cell)
        cell_index = None
        cell_id = running.cell_id
        if self._cells is not None:
            cell_index = self._cells.index_for(cell_id, sha, self._last_index)
            if cell_index is not None:
                self._last_index = cell_index
                cell_id = cell_id or self._cells.id_for(cell_index)

        reads, writes, pending = self._accesses(running)
        unobserved = list(dict.fromkeys(running.unobserved))
        if running.dropped_events:
            unobserved.append(f"{running.dropped_events} further I/O events not kept")
        record = CellRecord(
            execution_count=execution_count,
            source_sha256=sha,
            cell_index=cell_index,
            cell_id=cell_id,
            session_id=self.session_id,
            seq=len(self._records),
            started=running.started,
            duration_ms=duration,
            defines=defines,
            uses=sorted(running.uses),
            rebound=sorted(n for n in defines if n in change.rebound or n in pre_ids),
            mutated=mutated,
            deleted=sorted(change.removed),
            imports=imports,
            variables=variables,
            reads=reads,
            writes=writes,
            models=running.models,
            unobserved=unobserved,
            findings=self._findings(unobserved, cell_index, cell_id, execution_count),
            error=_error_name(result),
            magic_only=_magic_only(running.raw_cell),
        )
        with self._lock:
            self._records.append(record)
            self._unsettled.append((record, pending))
            self._settle(wait=False)
        return record

    # -- settling ----------------------------------------------------------------------------------
    @property
    def records(self) -> list[CellRecord]:
        """Every record of the session, settled (waits for pending hashes)."""
        self.settle()
        return self._records

    @property
    def unsettled(self) -> bool:
        """Are some records still waiting for the hashes of their files?"""
        return bool(self._unsettled)

    def notify_when_hashed(self, callback: Callable[[], None] | None) -> None:
        """Call ``callback`` from the hashing thread whenever it has nothing left to hash and
        has settled what it could (a kernel publishes the settled records from there, on its
        event loop)."""
        self._listener = callback

    def _hashed(self) -> None:
        """The hashing thread has nothing left to hash: the records complete now are settled
        (and written to the ledger) at once, not at the next cell."""
        # never block on the lock: its holder may be waiting for a hash queued since, which this
        # thread must compute first (it comes back here when idle again)
        while not self._lock.acquire(timeout=0.005):
            if self._closed or self._hashes.busy():
                return
        try:
            if self._closed:
                return
            self._settle(wait=False)
        finally:
            self._lock.release()
        listener = self._listener
        if listener is not None:
            listener()

    def settle(self, wait: bool = True) -> list[CellRecord]:
        """Complete the records whose hashes are known (``wait``: all of them, waiting for the
        hashing thread), in order, and append them to the ledger. Returns the records settled
        by this call."""
        with self._lock:
            return self._settle(wait)

    def _settle(self, wait: bool) -> list[CellRecord]:
        settled: list[CellRecord] = []
        while self._unsettled:
            record, pending = self._unsettled[0]
            if not wait and not all(p.done.is_set() for _, p in pending):
                break
            for access, digest in pending:
                digest.wait()
                if digest.digest is not None:
                    _fill(access, digest.digest)
                access.changed = digest.changed
            self._unsettled.popleft()
            self._complete(record)
            settled.append(record)
        if settled and self.on_settled is not None:
            self.on_settled(settled)
        return settled

    def _complete(self, record: CellRecord) -> None:
        self._account(record)
        for access in record.writes:
            if access.sha256 and not access.partial:
                self._writers[access.sha256] = record
                if access.size is not None:
                    self._written_sizes.add(access.size)
                if access.path is not None and access.kind == "file":
                    self._written[access.path] = (access.sha256, record)
        if self._ledger is not None and not self._ledger.closed:
            self._ledger.append("cell", record.to_dict())

    # -- other engines report here ---------------------------------------------------------------
    def record_model(self, event: Mapping[str, Any]) -> None:
        """A model or pickle load/download seen by the model guard, attributed to the running
        cell (or to the next one if none is running). Only known keys with plain values are
        kept."""
        if self._closed:
            return
        entry: dict[str, Any] = {}
        for key in _MODEL_KEYS:
            value = event.get(key)
            if isinstance(value, str | int | float | bool) or value is None:
                entry[key] = value
        if isinstance(entry.get("source"), str) and "://" in entry["source"]:
            entry["source"] = clean_url(entry["source"])
        if entry.get("source") is None and isinstance(entry.get("path"), str):
            entry["source"] = os.path.abspath(entry["path"])
        if entry.get("source") is None:
            return
        target = self._running.models if self._running is not None else self._pending_models
        target.append(entry)

    def unobserved(self, what: str) -> None:
        """Something ran whose reads and writes nbsec cannot see (``exec``, ``%run``, ...)."""
        if self._closed:
            return
        text = " ".join(str(what).split())[:80]
        if self._running is not None:
            self._running.unobserved.append(text)
        else:
            self._pending_unobserved.append(text)

    # -- audit sink ------------------------------------------------------------------------------
    def on_file(self, path: str, write: bool, via: str) -> None:
        if write:
            pending = self._hashes.pending(path)
            if pending is not None:
                # the file is about to change: its earlier content is hashed first
                pending.wait()
        running = self._running
        if running is None:
            return
        if len(running.files) < _MAX_EVENTS:
            running.files.append((path, write, via))
        else:
            running.dropped_events += 1

    def on_url(self, url: str, write: bool, via: str, local_path: str | None = None) -> None:
        running = self._running
        if running is None:
            return
        if len(running.urls) < _MAX_EVENTS:
            running.urls.append((url, write, via, local_path))
        else:
            running.dropped_events += 1

    def on_download(self, url: str, local_path: str | None, via: str) -> None:
        self.on_url(url, False, via, local_path)

    def on_exec(self, filename: str, caller_globals: object = None) -> None:
        running = self._running
        if running is not None and caller_globals is self.shell.user_ns:
            running.unobserved.append("exec")

    # -- results -----------------------------------------------------------------------------------
    def graph(self) -> LineageGraph:
        from nbsec.lineage.graph import LineageGraph

        return LineageGraph.from_records(self.records)

    def record_event(self, kind: str, data: Mapping[str, Any]) -> None:
        """A decision taken in the session (a waiver given or revoked, a mode switched or
        refused): kept in the ledger for the audit, as plain JSON values."""
        if kind not in _EVENT_KINDS:
            raise ValueError(f"unknown ledger event {kind!r}")
        if self._closed or self._ledger is None or self._ledger.closed:
            return
        with self._lock:
            self._settle(wait=True)  # the ledger keeps the order things happened in
            self._ledger.append(kind, _plain(data))

    def written_by(self, sha256: str) -> CellRecord | None:
        """The last cell of this session that wrote a file with exactly this content."""
        self.settle()
        return self._writers.get(sha256.lower().removeprefix("sha256:"))

    def own_file(self, path: str) -> CellRecord | None:
        """The cell of this session that wrote the file now at ``path`` (relative to the
        kernel's working directory), if the file still holds exactly what that cell wrote: its
        SHA-256 now equals the one recorded after the write. A file changed or replaced since
        (by anyone), too large to hash whole, or never written by this session gives ``None``.
        """
        absolute = os.path.abspath(os.path.expanduser(path))
        self.settle()
        written = self._written.get(absolute)
        if written is None:
            return None
        digest = self._hasher.digest(absolute)
        if digest is None or digest.partial or digest.sha256 != written[0]:
            return None
        return written[1]

    def own_content(self, path: str) -> CellRecord | None:
        """The last cell of this session that wrote, at any path, exactly the content now at
        ``path``: a copy of the session's own file (``shutil.copy``, a backup made by another
        program) is known by its SHA-256. A file of a size the session never wrote is not
        hashed; one too large to hash whole gives ``None``."""
        self.settle()
        absolute = os.path.abspath(os.path.expanduser(path))
        try:
            size = os.stat(absolute).st_size
        except OSError:
            return None
        if size not in self._written_sizes:
            return None
        digest = self._hasher.digest(absolute)
        if digest is None or digest.partial:
            return None
        return self._writers.get(digest.sha256)

    def summary(self, wait: bool = True) -> dict[str, Any]:
        """A small summary for ``metadata.nbsec`` of the saved notebook: the session, the ledger
        (path relative to the notebook and the hash of its last line), the data sources read
        (URI and SHA-256) and counts. ``wait=False``: of the records settled so far, without
        waiting for pending hashes."""
        self.settle(wait)
        totals = self._totals
        return {
            "session_id": self.session_id,
            "ledger": self._ledger_relative,
            "ledger_head": _hex(self._ledger.head) if self._ledger is not None else None,
            "ledger_lines": self._ledger.lines if self._ledger is not None else 0,
            "ledger_keyed": self._ledger.keyed if self._ledger is not None else False,
            "sources": list(self._sources.values()),
            "cells_recorded": len(self._records) - len(self._unsettled),
            "reads": totals["reads"],
            "writes": totals["writes"],
            "models": totals["models"],
            "unobserved": totals["unobserved"],
        }

    def _account(self, record: CellRecord) -> None:
        """Keep the summary's sources and counts up to date, one record at a time (the summary
        is asked for after every cell: it must not walk the whole session)."""
        for access in record.reads:
            if len(self._sources) < _MAX_SOURCES or access.uri in self._sources:
                self._sources[access.uri] = {
                    "uri": access.uri,
                    "kind": access.kind,
                    "sha256": access.sha256,
                    "partial": access.partial,
                }
        self._totals["reads"] += len(record.reads)
        self._totals["writes"] += len(record.writes)
        self._totals["models"] += len(record.models)
        self._totals["unobserved"] += len(record.unobserved)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Flush and close the ledger; the audit hook and wrappers stop reporting to us."""
        if self._closed:
            return
        with self._lock:
            self._settle(wait=True)
            self._closed = True
            self._running = None
            audit_hook.deactivate(self)
            io_wrappers.uninstall()
            self._hashes.close()
            if self._ledger is not None:
                if not self._ledger.closed:
                    self._ledger.append("close", {"cells_recorded": len(self._records)})
                self._ledger.close()

    # -- internals ---------------------------------------------------------------------------------
    def _session_header(self) -> dict[str, Any]:
        import platform

        from nbsec._version import __version__

        return {
            "session_id": self.session_id,
            "notebook": self.notebook_path.name if self.notebook_path else None,
            "keyed": self._ledger.keyed if self._ledger is not None else False,
            "nbsec": __version__,
            "python": platform.python_version(),
        }

    def _uses(self, names: CellNames, ns: Mapping[str, Any]) -> set[str]:
        """Names of existing, visible, non-module variables the cell loads, plus the globals
        read by user functions it calls (a few levels deep)."""
        hidden = self.shell.user_ns_hidden
        uses: set[str] = set()
        todo = [n for n in names.loaded if n in ns]
        depth = 0
        while todo and depth <= _FUNCTION_DEPTH:
            following: list[str] = []
            for name in todo:
                if name in uses or name.startswith("_") or name in hidden:
                    continue
                value = ns[name]
                if isinstance(value, types.ModuleType):
                    continue
                uses.add(name)
                following.extend(n for n in _global_names(value, ns) if n not in uses)
            todo, depth = following, depth + 1
        return uses

    def _mutated(
        self,
        running: _Running,
        ns: Mapping[str, Any],
        defined: set[str],
        described: dict[str, VariableInfo],
    ) -> list[str]:
        """Names changed in place; fills ``described`` with what it fingerprinted."""
        mutated: set[str] = set()
        for name, (before_id, before_fp) in running.pre_fingerprints.items():
            if name in defined or name not in ns or id(ns[name]) != before_id:
                continue
            info = describe(ns[name])
            if info is not None:
                self._post_fingerprints[name] = (before_id, info.fingerprint)
                if info.fingerprint != before_fp:
                    mutated.add(name)
                    described[name] = info
        through = running.names.stored_through | running.names.augmented
        for name in through:
            if name in defined or name not in ns or name not in running.pre_ids:
                continue
            if id(ns[name]) == running.pre_ids[name] and not isinstance(ns[name], types.ModuleType):
                mutated.add(name)
        return sorted(mutated)

    def _remember_fingerprints(
        self, ns: Mapping[str, Any], variables: dict[str, VariableInfo], removed: Iterable[str]
    ) -> None:
        fresh = self._post_fingerprints
        for name, info in variables.items():
            if info.fingerprint is not None:
                fresh[name] = (id(ns[name]), info.fingerprint)
        self._fingerprints.update(fresh)
        fresh.clear()
        for name in removed:
            self._fingerprints.pop(name, None)

    def _accesses(
        self, running: _Running
    ) -> tuple[list[Access], list[Access], list[tuple[Access, PendingDigest]]]:
        """What the cell read and wrote; the hashes not known yet are left to the hashing
        thread (returned as pending)."""
        reads: dict[str, Access] = {}
        writes: dict[str, Access] = {}
        for path, write, via in running.files:
            # a wrapper reports deliberate I/O (torch.load of a cached model): always kept
            if via in ("open", "sqlite3") and is_noise(path, self._noise):
                continue
            bucket = writes if write else reads
            if path not in bucket:
                bucket[path] = Access(uri=path, kind="file", via=via, path=path)
        has_http = any(via != "socket" for _, _, via, _ in running.urls)
        for url, write, via, local in running.urls:
            if via == "socket" and has_http:
                continue
            uri = clean_url(url)
            bucket = writes if write else reads
            if uri not in bucket:
                bucket[uri] = Access(uri=uri, kind="url", via=via, path=local)
        pending: list[tuple[Access, PendingDigest]] = []
        for access in (*reads.values(), *writes.values()):
            if access.path is None:
                continue
            digest = self._hashes.submit(access.path)
            if isinstance(digest, FileDigest):
                _fill(access, digest)
            elif digest is not None:
                pending.append((access, digest))
        return list(reads.values()), list(writes.values()), pending

    def _findings(
        self,
        unobserved: Iterable[str],
        cell_index: int | None,
        cell_id: str | None,
        execution_count: int | None,
    ) -> list[dict[str, Any]]:
        items = list(unobserved)
        if not items:
            return []
        policy = self._policy_provider()
        if not policy.rule_enabled("NBS-LIN-001"):
            return []
        from nbsec.findings import Finding, Location

        location = Location(
            path=str(self.notebook_path) if self.notebook_path else None,
            cell_index=cell_index,
            cell_id=cell_id,
            execution_count=execution_count,
        )
        return [
            Finding.from_rule(
                "NBS-LIN-001",
                f"the cell ran {what}; what it read and wrote is not observed",
                location,
                evidence=what,
                key=what,
            ).to_dict()
            for what in dict.fromkeys(items)
        ]


def _fill(access: Access, digest: FileDigest) -> None:
    access.sha256, access.size, access.partial = digest.sha256, digest.size, digest.partial


def _global_names(value: Any, ns: Mapping[str, Any]) -> list[str]:
    """Global names referenced by a function defined in the notebook (and its nested code)."""
    func = value
    if not isinstance(func, types.FunctionType) or func.__globals__ is not ns:
        return []
    out: list[str] = []
    stack = [func.__code__]
    while stack:
        code = stack.pop()
        out.extend(n for n in code.co_names if n in ns)
        stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return out


_GLOBAL_STORES = frozenset((dis.opmap["STORE_GLOBAL"], dis.opmap["DELETE_GLOBAL"]))
_writes_cache: dict[types.CodeType, bool] = {}


def _code_writes_globals(code: types.CodeType) -> bool:
    cached = _writes_cache.get(code)
    if cached is None:
        cached = not _GLOBAL_STORES.isdisjoint(code.co_code[::2]) or any(
            _code_writes_globals(c) for c in code.co_consts if isinstance(c, types.CodeType)
        )
        if len(_writes_cache) > 4096:
            _writes_cache.clear()
        _writes_cache[code] = cached
    return cached


def _writes_globals(value: Any, ns: Mapping[str, Any]) -> bool:
    """Can calling ``value`` (a function or class of the notebook) rebind notebook globals?"""
    if isinstance(value, types.FunctionType):
        return value.__globals__ is ns and _code_writes_globals(value.__code__)
    if isinstance(value, type) and value.__module__ == "__main__":
        return any(
            _code_writes_globals(f.__code__)
            for f in vars(value).values()
            if isinstance(f, types.FunctionType)
        )
    return False


def _magic_only(source: str) -> bool:
    """Is every line of the cell a line magic (or blank, or a comment)?"""
    lines = [ln.strip() for ln in source.splitlines()]
    code = [ln for ln in lines if ln and not ln.startswith("#")]
    return bool(code) and all(ln.startswith("%") and not ln.startswith("%%") for ln in code)


def _error_name(result: Any) -> str | None:
    error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
    return type(error).__name__ if error is not None else None


def _plain(value: Any, depth: int = 0) -> Any:
    """JSON values only, bounded: nested mappings and lists, strings cut at 1,000 characters."""
    if depth > 6:
        return None
    if isinstance(value, Mapping):
        return {str(k)[:100]: _plain(v, depth + 1) for k, v in list(value.items())[:100]}
    if isinstance(value, list | tuple):
        return [_plain(v, depth + 1) for v in list(value)[:100]]
    if isinstance(value, str):
        return value[:1000]
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)[:1000]


def _hex(chain_value: str) -> str | None:
    """``sha256:<hex>`` -> ``<hex>``; ``None`` for the genesis marker (nothing written yet)."""
    return chain_value.removeprefix("sha256:") if chain_value.startswith("sha256:") else None


def _relative(path: Path | None, base: Path) -> str | None:
    """``path`` relative to ``base`` (the notebook's directory), never absolute."""
    if path is None:
        return None
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:  # another drive
        return path.name
