"""After a cell runs: new or changed DataFrames in the namespace are scanned for PII.

Scanning itself is the PII engine's :class:`~nbsec.pii.frame_queue.FrameScanQueue`: frames whose
fingerprint (identity, shape, column names, dtypes) changed get a new scan job owned by the cell
that created or changed them (from the lineage record when there is one), and the queue works on
them smallest first within the policy's ``inline_budget_ms`` (default 50 ms), checking the deadline
between bounded steps inside a frame. A first pass the budget cut short is shown as partial, with
what it found so far; the rest goes on in a background thread, and what it finds is in the session
state (and every panel) as soon as it is done (looked for between cells, on the kernel's loop) and
shown after the next cell under the cell that made the frame; a cell shows a frame finding again
only when its severity rose. The frames looked at after a cell are the names the lineage
record says the cell bound or changed and the frames already known. ``%nbsec scan NAME`` and
the panel's Full scan run a complete, cancellable pass with progress. DataFrame subclasses count
as frames; the index and column names are scanned too. Nothing is shown when nothing is found.

Spark, pandas-on-Spark and Dask frames (:mod:`nbsec.kernel.engine_frames`) stay out of that queue:
noticing one runs nothing (no row count, no job), so the cell that makes one is not held up; a
first look runs inside its engine in the background, and when it ends its result is recorded on
the kernel's loop at once (between cells; after the running cell otherwise), reaches every panel
as an ``update`` and ``%nbsec frames``, and its findings are shown after the next cell, like a
pandas frame's background pass.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nbsec.findings import Finding, Location
from nbsec.kernel.engine_frames import EngineFullScan, EngineScans, engine_kind, engine_signature
from nbsec.kernel.jobs import kernel_loop

if TYPE_CHECKING:
    from nbsec.kernel.context import KernelContext
    from nbsec.pii.frame_queue import FrameScanQueue

INLINE_SAMPLE_ROWS = 2_000
DRAIN_EVERY = 0.25  # seconds between looks for background passes finished between cells
_FRAME_TYPES = {("pandas", "DataFrame"), ("polars", "DataFrame")}
_FRAME_CLASSES: dict[type, bool] = {}


def is_frame(value: Any) -> bool:
    """A pandas or polars DataFrame or a subclass of one (decided once per class), or a Spark,
    pandas-on-Spark or Dask frame."""
    cls = type(value)
    known = _FRAME_CLASSES.get(cls)
    if known is None:
        known = any(
            (c.__module__.split(".")[0], c.__name__) in _FRAME_TYPES for c in cls.__mro__[:8]
        )
        _FRAME_CLASSES[cls] = known
    return known or engine_kind(value) is not None


def frame_signature(value: Any) -> tuple[Any, ...]:
    """Identity, shape, column names and dtypes: cheap, and changes on most edits (for Spark and
    Dask frames: no row count, which would run a job)."""
    kind = engine_kind(value)
    if kind is not None:
        return engine_signature(value, kind)
    from nbsec.pii.frame_queue import fingerprint

    return fingerprint(value)


def quick_key(value: Any) -> tuple[Any, ...] | None:
    """A few microseconds' look at a pandas frame: identity, shape, and the identity of its
    column index (replaced by any column added, dropped or renamed); ``None`` for other frames.
    A frame that changed in place without the cell naming it (a function mutating a global)
    still shows here when its shape or columns changed."""
    if engine_kind(value) is not None or type(value).__module__.split(".")[0] != "pandas":
        return None
    try:
        return (id(value), tuple(value.shape), id(value.columns))
    except Exception:
        return None


class FrameWatch:
    name = "frames"

    def __init__(self, context: KernelContext) -> None:
        self._ctx = context
        self._seen: dict[str, tuple[Any, ...]] = {}
        self._quick: dict[str, tuple[Any, ...]] = {}  # name -> quick_key() when last looked at
        self._cells: dict[str, dict[str, Any] | None] = {}  # frame name -> the cell that made it
        self._queue: FrameScanQueue | None = None
        self._frames: dict[str, Any] = {}
        # Spark / Dask frames scanned in the background; a look that ends wakes the loop
        self._engine_scans = EngineScans(on_done=self._engine_ended)
        self._notes: list[str] = []  # failed engine scans, said after the next cell
        # frame name -> finding fingerprint -> the severity rank shown inline
        self._shown: dict[str, dict[str, int]] = {}
        # passes the background finished between cells: in the state (and the panel) at once,
        # shown in the next cell's output
        self._later: list[Finding] = []
        self._in_cell = False
        self._loop: Any = kernel_loop()
        self._drain_at: Any = None  # the scheduled drain (a loop handle)
        # look at every name after the next cell: set while cells ran unwatched (%nbsec off)
        self._walk_all = False
        context.services.frames = self
        # the name and place lists (our own data, a fraction of a second to read) load now, so
        # the first frame's pass has them; presidio's recognizers load after the first frame
        import threading

        from nbsec.pii import lexicons

        threading.Thread(target=lexicons.warm, name="nbsec-lexicons", daemon=True).start()

    @property
    def pending(self) -> list[str]:
        return self._queue.pending() if self._queue is not None else []

    def queue(self) -> FrameScanQueue:
        if self._queue is None:
            from nbsec.pii.frame_queue import FrameScanQueue

            self._queue = FrameScanQueue(self._ctx.policy.effective_policy)
        return self._queue

    def _user_frames(self, names: set[str] | None = None) -> dict[str, Any]:
        """The user's frames among ``names`` (every name in the namespace when ``None``)."""
        ns = self._ctx.shell.user_ns
        hidden = getattr(self._ctx.shell, "user_ns_hidden", {})
        frames = {}
        items = list(ns.items()) if names is None else [(n, ns[n]) for n in names if n in ns]
        for name, value in items:
            if not name.startswith("_") and name not in hidden and is_frame(value):
                frames[name] = value
        return frames

    def loaded(self) -> None:
        """``%load_ext nbsec`` in a kernel that already holds frames: scan them now, within the
        budget (the rest in the background). Their cell is not known."""
        self._scan_changed(None)

    def set_enabled(self, on: bool) -> None:
        if on:  # frames made while nbsec was off are found after the next cell
            self._walk_all = True

    def pre_run_cell(self, info: Any) -> None:
        # the user's cell has the interpreter to itself: background scans wait for its end
        self._in_cell = True
        self._engine_scans.idle.clear()
        if self._queue is not None:
            self._queue.pause()

    def post_run_cell(self, result: Any) -> None:
        try:
            self._scan_changed(result)
        finally:
            self._in_cell = False
            self._engine_scans.idle.set()
            if self._queue is not None:
                self._queue.resume()
                self._schedule_drain()

    def _schedule_drain(self) -> None:
        """While scans go on in the background, look for finished passes between cells (on the
        kernel's loop: never while a cell runs), so the panel has them without waiting for the
        next cell."""
        if self._loop is None or self._drain_at is not None or self._queue is None:
            return
        if self._queue.pending() and not self._loop.is_closed():
            self._drain_at = self._loop.call_later(DRAIN_EVERY, self._drain)

    def _drain(self) -> None:
        self._drain_at = None
        if self._queue is None:
            return
        if not self._in_cell:
            self._ctx.guarded("frames.background", self._record_background)
        self._schedule_drain()

    def _engine_ended(self) -> None:
        """A first look at an engine frame ended (called in its thread): record it on the
        kernel's loop, between cells. Without a loop (terminal IPython), after the next cell."""
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # a closed loop: the kernel is shutting down
            loop.call_soon_threadsafe(self._drain_engines)

    def _drain_engines(self) -> None:
        # a cell running now (an async cell lets the loop run) takes the result when it ends
        if not self._in_cell:
            self._ctx.guarded("frames.engines", self._record_engines)

    def _record_engines(self) -> None:
        news = self._engine_results(self._ctx.shell.user_ns, self._notes.append)
        self._later += news
        self._ctx.publish()

    def _record_background(self) -> None:
        assert self._queue is not None
        passes = self._queue.finished()
        if not passes:
            return
        news, _ = self._record_passes(passes, self._frames)
        self._later += news
        self._ctx.publish()

    def _scan_changed(self, result: Any) -> None:
        from nbsec.pii.frame_queue import CellRef

        start = time.perf_counter()
        made, cell = self._made_by_this_cell(result)
        news: list[Finding] = []
        # the lineage record says which names the cell bound or changed (from the namespace
        # diff): look only at those and at the frames already known, so a 10,000-name namespace
        # is not walked after every cell; without a record (nbsec just loaded, lineage off),
        # every name
        candidates = None
        if made is not None and result is not None and self._recorded() and not self._walk_all:
            candidates = made | set(self._seen)
        self._walk_all = False
        frames = self._user_frames(candidates)
        engine = {name for name, value in frames.items() if engine_kind(value) is not None}
        news += self._engine_results(frames, self._notes.append)
        for note in self._notes:
            print(note)
        self._notes = []
        gone = set(self._seen) - set(frames)
        for name in gone:
            del self._seen[name]
            self._quick.pop(name, None)
            self._cells.pop(name, None)
            self._engine_scans.forget(name)
            self._shown.pop(name, None)  # a frame made again under this name is news again
            self._ctx.state.drop_frame(name)
        signatures = {
            name: self._signature(name, value, None if candidates is None else made)
            for name, value in frames.items()
        }
        changed = [name for name in frames if self._seen.get(name) != signatures[name]]
        queue = self.queue()
        plain = {name: value for name, value in frames.items() if name not in engine}
        if changed:
            for name in changed:
                if made is None or name in made:
                    self._cells[name] = cell
                else:
                    self._cells.setdefault(name, None)
                self._seen[name] = signatures[name]
                if name in engine:
                    self.scan(name, frames[name], inline=True)  # starts it in the background
            ref = CellRef(
                cell_id=(cell or {}).get("cell_id"),
                execution_count=(cell or {}).get("execution_count"),
            )
            queue.observe(plain, ref)
        elif gone:
            queue.observe(plain, CellRef())
        self._frames = plain
        budget = self._ctx.policy.effective_policy().pii.inline_budget_ms / 1000.0
        remaining = budget - (time.perf_counter() - start)
        # the cell's budget is spent on the frames this cell made or changed; work left over from
        # earlier cells goes on in the background between cells, never on another cell's time
        passes = queue.run(remaining) if changed and queue.pending() else queue.finished()
        found, partial = self._record_passes(passes, frames)
        news = [*self._later, *news, *found]
        self._later = []
        if news:
            from nbsec.kernel.display import show_findings

            note = ""
            if partial:
                names = ", ".join(repr(n) for n in partial)
                note = (
                    f" — first pass over {names} was partial (the cell's budget); the rest goes"
                    " on in the background, or run %nbsec scan for a complete pass"
                )
            show_findings(news, "personal data", note=note)

    def _record_passes(
        self, passes: list[Any], frames: dict[str, Any]
    ) -> tuple[list[Finding], list[str]]:
        """Record finished passes in the session: the findings to show, and the frames whose
        first pass the budget cut short."""
        news: list[Finding] = []
        partial: list[str] = []
        for done in passes:
            frame = frames.get(done.name)
            if done.exception is not None:
                # the scan failed (in this cell's pass or in the background): said once, the
                # cell is not affected
                self._ctx.guarded.report(f"{self.name}.post_run_cell", done.exception)
            if frame is None or done.error:
                continue
            news += self._unshown(
                done.name, self._record(done.name, frame, done.scan, done.seconds)
            )
            if done.partial and done.reason == "budget":
                partial.append(done.name)
        return news, partial

    def _recorded(self) -> bool:
        """The lineage watcher recorded the cell that just ran."""
        lineage = self._ctx.services.lineage
        return lineage is not None and lineage.last_record is not None

    def _unshown(self, name: str, findings: list[Finding]) -> list[Finding]:
        """The findings not yet shown after a cell at this severity or above: a later pass over
        the same column and entities (the whole recognizer set after the core one, a re-run of
        the cell) that only refines the share or the reason is recorded, not shown again."""
        shown = self._shown.setdefault(name, {})
        out = []
        for f in findings:
            rank = f.severity.rank
            if shown.get(f.fingerprint, -1) < rank:
                shown[f.fingerprint] = rank
                out.append(f)
        return out

    def _signature(self, name: str, value: Any, made: set[str] | None) -> tuple[Any, ...]:
        """The frame's signature; a known frame the cell did not bind or change (per the
        lineage record, ``made``) whose quick key is as before keeps its last signature instead
        of being fingerprinted again (a fingerprint reads every dtype: ~0.2 ms a frame, after
        every cell, for every frame the session holds)."""
        quick = quick_key(value)
        before = self._quick.get(name)
        if quick is None:
            self._quick.pop(name, None)
        else:
            self._quick[name] = quick
        seen = self._seen.get(name)
        if (
            made is not None
            and name not in made
            and seen is not None
            and quick is not None
            and quick == before
        ):
            return seen
        return frame_signature(value)

    def _made_by_this_cell(self, result: Any) -> tuple[set[str] | None, dict[str, Any] | None]:
        """The names the cell that just ran defined or changed (``None``: any name), and that
        cell. From the lineage record when there is one (precise); a cell that was not
        recorded (nbsec was off when it started, or this is the load) made nothing known."""
        if result is None:
            return set(), None
        lineage = self._ctx.services.lineage
        if lineage is None:
            return None, {
                "cell_id": getattr(getattr(result, "info", None), "cell_id", None),
                "cell_index": None,
                "execution_count": getattr(result, "execution_count", None),
            }
        record = lineage.last_record
        if record is None:
            return set(), None
        cell = {
            "cell_id": record.cell_id,
            "cell_index": record.cell_index,
            "execution_count": record.execution_count,
        }
        return {*record.defines, *record.mutated}, cell

    def _engine_results(self, frames: dict[str, Any], say: Callable[[str], None]) -> list[Finding]:
        """Record the Spark / Dask scans that finished since the last look; returns their
        findings to show. A failed scan is one line, once, given to ``say``; the frame is tried
        again on change."""
        news: list[Finding] = []
        for name, frame, job in self._engine_scans.finished():
            if frames.get(name) is not frame:
                continue  # the variable was rebound meanwhile: its new value has its own scan
            if job.scan is None:
                if job.error != "cancelled":
                    say(f"nbsec: PII scan of {job.kind.name} frame {name!r} failed: {job.error}")
                continue
            elapsed = (job.finished or job.started) - job.started
            news += self._unshown(name, self._record(name, frame, job.scan, elapsed))
        return news

    def close(self) -> None:
        if self._drain_at is not None:
            self._drain_at.cancel()
            self._drain_at = None
        self._engine_scans.close()
        if self._queue is not None:
            self._queue.close()
        if self._ctx.services.frames is self:
            self._ctx.services.frames = None

    # -- FrameService ----------------------------------------------------------------------------
    def scan(
        self, name: str, frame: Any, *, inline: bool, cell_id: str | None = None
    ) -> list[Finding]:
        """Scan one frame and record its summary and findings in the session; returns the
        findings to show (new or changed, not waived). A Spark or Dask frame seen inline gets a
        sampled scan in the background (its findings come after a later cell); a full pass of
        one waits for its engine."""
        from nbsec.pii import scan_dataframe

        policy = self._ctx.policy.effective_policy()
        kind = engine_kind(frame)
        if kind is not None:
            signature = engine_signature(frame, kind)
            if inline:
                if not self._engine_scans.running(name, signature):
                    self._engine_scans.start(name, frame, kind, signature, policy)
                self._seen[name] = signature
                return []
            job = EngineFullScan(name, frame, kind, policy, self._record)
            try:
                job.run()
            except KeyboardInterrupt:
                job.cancel()
                raise
            return job.findings
        sample = min(policy.pii.sample, INLINE_SAMPLE_ROWS) if inline else None
        started = time.perf_counter()
        scan = scan_dataframe(frame, sample=sample, exhaustive=not inline, policy=policy)
        if not inline and self._queue is not None:
            self._queue.settle(name)  # this complete pass replaces the background's
        return self._record(name, frame, scan, time.perf_counter() - started)

    def full_scan(self, name: str, frame: Any) -> _FullScan | EngineFullScan:
        """A complete pass over ``frame`` as a resumable, cancellable job with progress; its
        findings and the frame's summary go to the session when it finishes (Spark and Dask
        frames: waits on the engine between the kernel's other messages)."""
        from nbsec.pii.scan_job import ScanJob as EngineJob

        kind = engine_kind(frame)
        if kind is not None:
            policy = self._ctx.policy.effective_policy()
            return EngineFullScan(name, frame, kind, policy, self._record)

        job = EngineJob(frame, exhaustive=True, policy=self._ctx.policy.effective_policy())
        return _FullScan(self, name, frame, job)

    def scanning(self) -> list[str]:
        """The frames whose pass goes on in the background: pandas and polars frames the budget
        cut short, engine frames whose first look has not ended."""
        return sorted({*self.pending, *self._engine_scans.names()})

    def complete(self, timeout: float) -> list[str]:
        """Finish the pending passes (with presidio's recognizers, when the first pass had only
        nbsec's core ones) within ``timeout`` seconds, in the calling thread, and record them in
        the session; the frames still pending. For a report, asked for by a magic or request:
        the user is waiting for it, not for a cell."""
        queue = self._queue
        if queue is None:
            return []
        end = time.perf_counter() + timeout
        passes = []
        while queue.pending() and time.perf_counter() < end:
            passes += queue.run(min(0.5, max(0.0, end - time.perf_counter())))
            time.sleep(0.02)  # presidio may still be loading in the background
        passes += queue.finished()
        for done in passes:
            frame = self._frames.get(done.name)
            if frame is not None and not done.error and not done.partial:
                self._record(done.name, frame, done.scan, done.seconds)
        return queue.pending()

    def _record(self, name: str, frame: Any, scan: Any, elapsed: float) -> list[Finding]:
        from nbsec.policy import Subject

        policy = self._ctx.policy.effective_policy()
        self._seen[name] = frame_signature(frame)
        kind = engine_kind(frame)
        columns = scan.to_dict()["columns"]
        pii_columns = {c: v for c, v in columns.items() if v["entities"]}
        cell = self._cells.get(name)
        self._ctx.state.set_frame(
            name,
            {
                "rows": scan.rows,
                "rows_known": scan.rows_known,  # false: a first look, ``rows`` were looked at
                "rows_scanned": scan.rows_scanned,
                "exhaustive": scan.exhaustive,
                "partial": bool(getattr(scan, "partial", False)),
                "columns": len(columns),
                "pii_columns": pii_columns,
                "seconds": round(elapsed, 4),
                "cell": cell,
                "engine": kind.name if kind is not None else None,
            },
        )
        # the fingerprint follows the frame (not the cell), so a full scan later updates the
        # same findings; the location names the cell that made the frame, when known
        location = Location(cell_id=f"frame:{name}")
        findings = [
            f for f in scan.findings(location, frame_name=name) if policy.rule_enabled(f.rule)
        ]
        # one finding per column holding PII, in column order: what each one is about
        with_pii = [c for c, col in scan.columns.items() if col.entities]
        subjects = {}
        if len(with_pii) == len(findings):
            subjects = {
                f.fingerprint: Subject(frame=name, column=str(column))
                for f, column in zip(findings, with_pii, strict=True)
            }
        if cell:
            findings = [
                f.with_location(
                    cell_id=cell.get("cell_id") or f"frame:{name}",
                    cell_index=cell.get("cell_index"),
                    execution_count=cell.get("execution_count"),
                )
                for f in findings
            ]
        return self._ctx.state.add_findings(findings, subjects)


class _FullScan:
    """A full scan as a kernel job (implements :class:`nbsec.kernel.context.ScanJob`): the
    engine's resumable scan, recorded in the session when it completes."""

    def __init__(self, watch: FrameWatch, name: str, frame: Any, job: Any) -> None:
        self._watch, self._name, self._frame, self._job = watch, name, frame, job
        self._recorded = False
        self.findings: list[Finding] = []

    @property
    def progress(self) -> float:
        return float(self._job.progress)

    def cancel(self) -> None:
        self._job.cancel()

    def run(self, deadline: float | None = None) -> bool:
        done = bool(self._job.run(deadline=deadline))
        if done and not self._recorded:
            self._recorded = True
            scan = self._job.result()
            self._watch.queue().settle(self._name)
            self.findings = self._watch._record(self._name, self._frame, scan, self._job.elapsed)
        return done


def _size(frame: Any) -> int:
    try:
        return int(frame.shape[0]) * max(1, int(frame.shape[1]))
    except Exception:
        return 0
