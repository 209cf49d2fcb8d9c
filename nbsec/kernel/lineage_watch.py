"""Lineage per cell: the tracker of :mod:`nbsec.lineage` as a kernel engine.

The tracker records a CellRecord per execution and appends it to the hash-chained ledger; this
engine keeps the session's lineage summary (data sources with hashes, ledger path and head) up to
date for ``metadata.nbsec``, the panel and the dashboard.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.kernel.extension import NbsecExtension
    from nbsec.lineage.tracker import LineageTracker


class LineageWatch:
    name = "lineage"

    def __init__(self, extension: NbsecExtension) -> None:
        from nbsec.lineage.tracker import LineageTracker

        self._ext = extension
        self.tracker: LineageTracker = LineageTracker(
            extension.shell, extension.effective_policy, notebook_path=_notebook_path(extension)
        )
        self.last_record: Any = None

    def pre_run_cell(self, info: Any) -> None:
        self.tracker.pre_run_cell(info)

    def post_run_cell(self, result: Any) -> None:
        self.last_record = self.tracker.post_run_cell(result)
        self._ext.state.set_lineage(self.tracker.summary())

    def close(self) -> None:
        self.tracker.close()


def _notebook_path(extension: NbsecExtension) -> Path | None:
    """The notebook file, when the client told the kernel (JupyterLab sets ``__session__``)."""
    session = extension.shell.user_ns.get("__session__")
    if isinstance(session, str) and session.endswith(".ipynb"):
        path = Path(session)
        return path if path.is_absolute() else Path.cwd() / path.name
    return None
