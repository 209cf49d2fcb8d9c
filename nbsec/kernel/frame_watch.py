"""After a cell runs: new or changed DataFrames in the namespace are scanned for PII.

Only frames whose identity or cheap shape fingerprint (rows, column names) changed are scanned, in
order of size, within the policy's ``inline_budget_ms`` (default 50 ms per cell). Frames larger
than the inline sample get a sampled first pass; frames left over when the budget is spent are
listed as pending and scanned by ``%nbsec scan NAME`` (a complete pass) or on the next cell.
Nothing is shown when nothing is found.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from nbsec.findings import Finding, Location
from nbsec.kernel.engine_frames import EngineFullScan, EngineScans, engine_kind, engine_signature

if TYPE_CHECKING:
    from nbsec.kernel.context import KernelContext, ScanJob

INLINE_SAMPLE_ROWS = 2_000
_FRAME_TYPES = {("pandas", "DataFrame"), ("polars", "DataFrame")}


def is_frame(value: Any) -> bool:
    cls = type(value)
    if (cls.__module__.split(".")[0], cls.__name__) in _FRAME_TYPES:
        return True
    return engine_kind(value) is not None  # Spark, pandas-on-Spark, Dask


def frame_signature(value: Any) -> tuple[Any, ...]:
    """Identity plus shape and column names: cheap, and changes on most edits (for Spark and
    Dask frames: no row count, which would run a job)."""
    kind = engine_kind(value)
    if kind is not None:
        return engine_signature(value, kind)
    try:
        columns = tuple(str(c) for c in list(value.columns)[:200])
        height = value.shape[0]
    except Exception:
        return (id(value),)
    return (id(value), height, columns)


class FrameWatch:
    name = "frames"

    def __init__(self, context: KernelContext) -> None:
        self._ctx = context
        self._seen: dict[str, tuple[Any, ...]] = {}
        self._cells: dict[str, dict[str, Any] | None] = {}  # frame name -> the cell that made it
        self.pending: list[str] = []
        self._engine_scans = EngineScans()  # Spark / Dask frames scanned in the background
        context.services.frames = self

    def _user_frames(self) -> dict[str, Any]:
        ns = self._ctx.shell.user_ns
        hidden = getattr(self._ctx.shell, "user_ns_hidden", {})
        frames = {}
        for name, value in list(ns.items()):
            # the class name first: one string compare per variable keeps 10,000 names cheap
            if (
                type(value).__name__ == "DataFrame"
                and not name.startswith("_")
                and name not in hidden
                and is_frame(value)
            ):
                frames[name] = value
        return frames

    def loaded(self) -> None:
        """``%load_ext nbsec`` in a kernel that already holds frames: scan them now, within the
        budget (the rest on the next cell or on demand). Their cell is not known."""
        self._scan_changed(None)

    def post_run_cell(self, result: Any) -> None:
        self._scan_changed(result)

    def _scan_changed(self, result: Any) -> None:
        frames = self._user_frames()
        finished = self._engine_results(frames)
        for gone in set(self._seen) - set(frames):
            del self._seen[gone]
            self._cells.pop(gone, None)
            self._engine_scans.forget(gone)
            self._ctx.state.drop_frame(gone)
        changed = [
            name for name, value in frames.items() if self._seen.get(name) != frame_signature(value)
        ]
        changed += [n for n in self.pending if n in frames and n not in changed]
        if not changed:
            _show(finished)
            return
        made, cell = self._made_by_this_cell(result)
        for name in changed:
            if made is None or name in made:
                self._cells[name] = cell
            else:
                self._cells.setdefault(name, None)
        budget = self._ctx.policy.effective_policy().pii.inline_budget_ms / 1000.0
        changed.sort(key=lambda n: _size(frames[n]))
        start = time.perf_counter()
        news: list[Finding] = finished
        self.pending = []
        for name in changed:
            if time.perf_counter() - start > budget:
                self.pending.append(name)
                continue
            news += self.scan(name, frames[name], inline=True)
        _show(news)

    def _engine_results(self, frames: dict[str, Any]) -> list[Finding]:
        """Record the Spark / Dask scans that finished since the last cell; returns their
        findings to show. A failed scan is one line, once; the frame is tried again on change."""
        news: list[Finding] = []
        for name, frame, job in self._engine_scans.finished():
            if frames.get(name) is not frame:
                continue  # the variable was rebound meanwhile: its new value has its own scan
            if job.scan is None:
                if job.error != "cancelled":
                    print(f"nbsec: PII scan of {job.kind.name} frame {name!r} failed: {job.error}")
                continue
            elapsed = (job.finished or job.started) - job.started
            news += self._record(name, frame, job.scan, elapsed)
        return news

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

    def close(self) -> None:
        self._engine_scans.close()
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
        return self._record(name, frame, scan, time.perf_counter() - started)

    def full_scan(self, name: str, frame: Any) -> ScanJob:
        """A complete pass as a job (one step until the engine offers resumable scans; Spark and
        Dask frames: waits on the engine between the kernel's other messages)."""
        kind = engine_kind(frame)
        if kind is not None:
            policy = self._ctx.policy.effective_policy()
            return EngineFullScan(name, frame, kind, policy, self._record)
        return _OneStepScan(self, name, frame)

    def _record(self, name: str, frame: Any, scan: Any, elapsed: float) -> list[Finding]:
        from nbsec.policy import Subject

        policy = self._ctx.policy.effective_policy()
        self._seen[name] = frame_signature(frame)
        columns = scan.to_dict()["columns"]
        pii_columns = {c: v for c, v in columns.items() if v["entities"]}
        cell = self._cells.get(name)
        self._ctx.state.set_frame(
            name,
            {
                "rows": scan.rows,
                "rows_scanned": scan.rows_scanned,
                "exhaustive": scan.exhaustive,
                "partial": bool(getattr(scan, "partial", False)),
                "columns": len(columns),
                "pii_columns": pii_columns,
                "seconds": round(elapsed, 4),
                "cell": cell,
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


class _OneStepScan:
    """A full scan run in one step (implements :class:`nbsec.kernel.context.ScanJob`)."""

    def __init__(self, watch: FrameWatch, name: str, frame: Any) -> None:
        self._watch, self._name, self._frame = watch, name, frame
        self._done = False
        self._cancelled = False

    @property
    def progress(self) -> float:
        return 1.0 if self._done else 0.0

    def cancel(self) -> None:
        self._cancelled = True

    def run(self, deadline: float | None = None) -> bool:
        if not self._done and not self._cancelled:
            self._watch.scan(self._name, self._frame, inline=False)
            self._done = True
        return self._done


def _show(news: list[Finding]) -> None:
    if news:
        from nbsec.kernel.display import heading_for, show_findings

        show_findings(news, heading_for(news, "personal data"))


def _size(frame: Any) -> int:
    if engine_kind(frame) is not None:
        return 0  # never a row count of a Spark / Dask frame (it would run a job)
    try:
        return int(frame.shape[0]) * max(1, int(frame.shape[1]))
    except Exception:
        return 0
