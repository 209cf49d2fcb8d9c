"""Fixtures of the report tests and the ``--regen-report-golden`` option."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "example_notebooks"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-report-golden",
        action="store_true",
        default=False,
        help="rewrite tests/report/golden/*.report.json from the current builder (review the diff)",
    )


@pytest.fixture
def examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example notebooks and their data, copied to a fresh directory that is the cwd (no git
    repository, no earlier report or ledger beside them)."""
    target = tmp_path / "examples"
    shutil.copytree(EXAMPLES, target, ignore=shutil.ignore_patterns("*.py", ".nbsec", "*.nbsec.*"))
    monkeypatch.chdir(target)
    monkeypatch.delenv("NBSEC_POLICY", raising=False)
    return target


def write_notebook(path: Path, cells: list[Any], metadata: dict[str, Any] | None = None) -> Path:
    """A notebook of ``cells``: strings are code cells, ``("md", text)`` markdown cells, and
    ``(source, outputs)`` code cells with saved outputs. Cell ids are ``c0``, ``c1``, ..."""
    nb = nbformat.v4.new_notebook()
    nb.metadata.update(
        {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            **(metadata or {}),
        }
    )
    for i, cell in enumerate(cells):
        if isinstance(cell, tuple) and cell[0] == "md":
            node = nbformat.v4.new_markdown_cell(cell[1])
        elif isinstance(cell, tuple):
            node = nbformat.v4.new_code_cell(cell[0], outputs=cell[1], execution_count=i + 1)
        else:
            node = nbformat.v4.new_code_cell(cell)
        node["id"] = f"c{i}"
        nb.cells.append(node)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def make_notebook(tmp_path: Path) -> Callable[..., Path]:
    def make(cells: list[Any], name: str = "analysis.ipynb", **meta: Any) -> Path:
        return write_notebook(tmp_path / name, cells, meta or None)

    return make
