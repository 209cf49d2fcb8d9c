"""In-process lineage sessions: a real IPython ``InteractiveShell`` with a tracker registered on
its cell events, running the cells of a real notebook file (so cell positions resolve as they do
in batch, by source hash)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from nbsec.lineage.records import CellRecord
from nbsec.lineage.tracker import LineageTracker
from nbsec.policy import LineageSettings, Policy


@dataclass
class Session:
    shell: InteractiveShell
    tracker: LineageTracker
    notebook: Path
    cells: list[str] = field(default_factory=list)

    def run(self, index: int) -> CellRecord:
        """Run the notebook's cell ``index`` and return its record."""
        result = self.shell.run_cell(self.cells[index], store_history=True)
        record = self.tracker.records[-1]
        assert record.source_sha256, result
        return record

    def run_all(self, order: list[int] | None = None) -> list[CellRecord]:
        return [self.run(i) for i in (order if order is not None else range(len(self.cells)))]

    def run_source(self, source: str) -> CellRecord:
        self.shell.run_cell(source, store_history=True)
        return self.tracker.records[-1]

    def save(self, cells: list[str]) -> None:
        """(Re)write the notebook with these code cells, as an editor saving it would."""
        self.cells = list(cells)
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
        nbformat.write(nb, str(self.notebook))
        # a saved notebook gets a new mtime even within the same clock tick
        stat = self.notebook.stat()
        os.utime(self.notebook, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


@pytest.fixture(scope="session")
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


@pytest.fixture
def make_session(
    shell: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    monkeypatch.chdir(tmp_path)
    made: list[LineageTracker] = []

    def make(cells: list[str], *, policy: Policy | None = None) -> Session:
        shell.reset(new_session=True)
        chosen = policy or Policy()
        tracker = LineageTracker(
            shell, lambda: chosen, notebook_path=tmp_path / "nb.ipynb", session_id="test"
        )
        made.append(tracker)
        shell.events.register("pre_run_cell", tracker.pre_run_cell)
        shell.events.register("post_run_cell", tracker.post_run_cell)
        session = Session(shell, tracker, tmp_path / "nb.ipynb")
        session.save(cells)
        return session

    yield make
    for tracker in made:
        for event, handler in (
            ("pre_run_cell", tracker.pre_run_cell),
            ("post_run_cell", tracker.post_run_cell),
        ):
            if handler in shell.events.callbacks[event]:
                shell.events.unregister(event, handler)
        tracker.close()


def no_ledger_policy() -> Policy:
    return Policy(lineage=LineageSettings(ledger=False))
