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

if TYPE_CHECKING:
    from nbsec.kernel.context import KernelContext

INLINE_SAMPLE_ROWS = 2_000
_FRAME_TYPES = {("pandas", "DataFrame"), ("polars", "DataFrame")}


def is_frame(value: Any) -> bool:
    cls = type(value)
    return (cls.__module__.split(".")[0], cls.__name__) in _FRAME_TYPES


def frame_signature(value: Any) -> tuple[Any, ...]:
    """Identity plus shape and column names: cheap, and changes on most edits."""
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
        self._cells: dict[str, str] = {}  # frame name -> the cell it was first seen after
        self.pending: list[str] = []
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

    def post_run_cell(self, result: Any) -> None:
        frames = self._user_frames()
        for gone in set(self._seen) - set(frames):
            del self._seen[gone]
            self._cells.pop(gone, None)
            self._ctx.state.drop_frame(gone)
        changed = [
            name for name, value in frames.items() if self._seen.get(name) != frame_signature(value)
        ]
        changed += [n for n in self.pending if n in frames and n not in changed]
        if not changed:
            return
        budget = self._ctx.policy.effective_policy().pii.inline_budget_ms / 1000.0
        changed.sort(key=lambda n: _size(frames[n]))
        start = time.perf_counter()
        findings: list[Finding] = []
        self.pending = []
        cell_id = getattr(getattr(result, "info", None), "cell_id", None)
        for name in changed:
            if time.perf_counter() - start > budget:
                self.pending.append(name)
                continue
            findings += self.scan(name, frames[name], inline=True, cell_id=cell_id)
        if findings:
            from nbsec.kernel.display import heading_for, show_findings

            news = self._ctx.state.add_findings(findings)
            news = [f for f in news if not self._ctx.state.waived(f)]
            show_findings(news, heading_for(news, "personal data") if news else "")

    def close(self) -> None:
        if self._ctx.services.frames is self:
            self._ctx.services.frames = None

    # -- FrameService ----------------------------------------------------------------------------
    def scan(
        self, name: str, frame: Any, *, inline: bool, cell_id: str | None = None
    ) -> list[Finding]:
        """Scan one frame and record its summary; returns its findings (not yet shown)."""
        from nbsec.pii import scan_dataframe

        policy = self._ctx.policy.effective_policy()
        sample = min(policy.pii.sample, INLINE_SAMPLE_ROWS) if inline else None
        started = time.perf_counter()
        scan = scan_dataframe(frame, sample=sample, exhaustive=not inline, policy=policy)
        elapsed = time.perf_counter() - started
        self._seen[name] = frame_signature(frame)
        columns = scan.to_dict()["columns"]
        pii_columns = {c: v for c, v in columns.items() if v["entities"]}
        self._ctx.state.set_frame(
            name,
            {
                "rows": scan.rows,
                "rows_scanned": scan.rows_scanned,
                "exhaustive": scan.exhaustive,
                "columns": len(columns),
                "pii_columns": pii_columns,
                "seconds": round(elapsed, 4),
            },
        )
        if cell_id:
            self._cells.setdefault(name, cell_id)
        # the fingerprint follows the frame (not the cell), so a full scan later updates the
        # same findings; the location names the cell the frame was first seen after
        location = Location(cell_id=f"frame:{name}")
        findings = [
            f
            for f in scan.findings(location, frame_name=name)
            if policy.rule_enabled(f.rule) and policy.waiver_for(f) is None
        ]
        first_cell = self._cells.get(name)
        if first_cell:
            findings = [f.with_location(cell_id=first_cell) for f in findings]
        return findings


def _size(frame: Any) -> int:
    try:
        return int(frame.shape[0]) * max(1, int(frame.shape[1]))
    except Exception:
        return 0
