"""Lineage per cell: the tracker of :mod:`nbsec.lineage` as a kernel watcher.

The tracker records a CellRecord per execution and appends it to the hash-chained ledger; this
watcher keeps the session's lineage summary (data sources with hashes, the ledger anchor) and a
compact record of each cell up to date for ``metadata.nbsec``, the panel and the dashboard, and
offers the tracker to the other parts as the ``lineage`` service
(:class:`nbsec.kernel.context.LineageService`).

The files a cell read and wrote are hashed in the tracker's background thread, not on the cell's
path: a cell's compact record is published at once, its hashes (and the ledger head) when the
tracker has settled it (in the hashing thread, as soon as it falls idle), published between
cells on the kernel's event loop. Front ends call :meth:`LineageWatch.settle` before they read
the session (the ``%nbsec`` magics, panel requests, the report), which waits for pending hashes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nbsec.kernel.jobs import kernel_loop

if TYPE_CHECKING:
    from nbsec.kernel.context import KernelContext
    from nbsec.lineage.graph import LineageGraph
    from nbsec.lineage.records import Access, CellRecord
    from nbsec.lineage.tracker import LineageTracker

MAX_LIST = 50


class LineageWatch:
    name = "lineage"

    def __init__(self, context: KernelContext) -> None:
        from nbsec.lineage.tracker import LineageTracker

        self._ctx = context
        self.tracker: LineageTracker = LineageTracker(
            context.shell, context.policy.effective_policy, notebook_path=context.notebook
        )
        self._last: CellRecord | None = None
        self._in_cell = False
        # records settled since their compact record was last published
        self._settled: list[CellRecord] = []
        self.tracker.on_settled = self._settled.extend
        loop = kernel_loop()
        if loop is not None:
            self.tracker.notify_when_hashed(lambda: loop.call_soon_threadsafe(self._hashed))
        if self.tracker.key_problem:
            import sys

            print(f"nbsec: {self.tracker.key_problem}", file=sys.stderr)
        context.services.lineage = self
        context.state.set_lineage(self.tracker.summary(), None)

    def pre_run_cell(self, info: Any) -> None:
        # a cell whose record fails is not taken for the cell before it
        self._last = None
        self._in_cell = True
        self.tracker.pre_run_cell(info)

    def post_run_cell(self, result: Any) -> None:
        self._in_cell = False
        self._last = self.tracker.post_run_cell(result)
        self._publish_cells(self._last)

    def close(self) -> None:
        if self._ctx.services.lineage is self:
            self._ctx.services.lineage = None
        self.tracker.notify_when_hashed(None)
        self.tracker.close()

    def _hashed(self) -> None:
        """On the kernel's loop, when the hashing thread fell idle (and settled the records it
        could): publish them."""
        if self._in_cell or self.tracker.closed:
            return  # the cell's end publishes
        self._ctx.guarded("lineage.settle", self._settle_and_publish)

    def _settle_and_publish(self) -> None:
        self.tracker.settle(wait=False)
        if self._publish_cells(None):
            self._ctx.publish()

    def _publish_cells(self, last: CellRecord | None) -> bool:
        """The summary and the compact records of ``last`` and of the cells settled since they
        were published, into the session state; ``False`` if there was nothing new."""
        settled = []
        while self._settled:
            settled.append(self._settled.pop(0))
        cells = [r for r in settled if r is not last] + ([last] if last is not None else [])
        if not cells:
            return False
        summary = self.tracker.summary(wait=False)
        for record in cells:
            self._ctx.state.set_lineage(summary, self._compact(record))
        return True

    # -- LineageService --------------------------------------------------------------------------
    def settle(self) -> None:
        """Wait for the hashes still pending and bring the session state up to date (front ends
        call this before they read the session)."""
        if self.tracker.closed:
            return
        self.tracker.settle(wait=True)
        self._publish_cells(None)

    @property
    def records(self) -> Sequence[CellRecord]:
        self.settle()
        return self.tracker.records

    @property
    def last_record(self) -> CellRecord | None:
        return self._last

    def graph(self) -> LineageGraph:
        self.settle()
        return self.tracker.graph()

    def record_model(self, event: Mapping[str, Any]) -> None:
        self.tracker.record_model(event)

    def record_event(self, kind: str, data: Mapping[str, Any]) -> None:
        self.tracker.record_event(kind, data)

    def written_by(self, sha256: str) -> dict[str, Any] | None:
        record = self.tracker.written_by(sha256)
        return cell_ref(record) if record is not None else None

    def own_file(self, path: str) -> dict[str, Any] | None:
        record = self.tracker.own_file(path)
        if record is not None:
            return cell_ref(record)
        record = self.tracker.own_content(path)
        return {**cell_ref(record), "copy": True} if record is not None else None

    # -- the panel's view of one cell ------------------------------------------------------------
    def _compact(self, record: CellRecord) -> dict[str, Any]:
        reads, writes = record.reads[:MAX_LIST], record.writes[:MAX_LIST]
        more = len(record.reads) - len(reads) + len(record.writes) - len(writes)
        defines = list(record.defines[: 2 * MAX_LIST])
        more += len(record.defines) - len(defines)
        cell: dict[str, Any] = {
            "seq": record.seq,
            "cell": cell_ref(record),
            "reads": [self._access(a) for a in reads],
            "writes": [self._access(a) for a in writes],
            "defines": defines,
            "models": [
                str(self._ctx.state.display_path(str(m.get("source"))))
                for m in record.models[:MAX_LIST]
            ],
        }
        if more:
            cell["more"] = more
        return cell

    def _access(self, access: Access) -> dict[str, Any]:
        out: dict[str, Any] = {
            "uri": self._ctx.state.display_path(access.uri) or "",
            "kind": access.kind,
            "sha256": access.sha256,
        }
        if access.partial:
            out["partial"] = True
        if access.changed:
            out["changed"] = True
        return out


def cell_ref(record: CellRecord) -> dict[str, Any]:
    return {
        "cell_id": record.cell_id,
        "cell_index": record.cell_index,
        "execution_count": record.execution_count,
    }
