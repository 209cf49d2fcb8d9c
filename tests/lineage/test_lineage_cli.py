"""``nbsec lineage`` errors: one line on stderr naming the file, exit 2."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from nbsec.cli import main


def _write(path: Path, content: str | None) -> Path:
    if content is None:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("x = 1")]
        nbformat.write(nb, str(path))
    else:
        path.write_text(content)
    return path


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, [], "--execute"),  # valid notebook, nothing recorded
        ("{not json", ["--execute"], "not a readable notebook"),
        ('{"cells": 3}', ["--execute"], "not a readable notebook"),
        ("{not json", [], "not a readable notebook"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, args: list[str],
    message: str,
) -> None:  # fmt: skip
    path = _write(tmp_path / "nb.ipynb", content)
    assert main(["lineage", str(path), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err and "nb.ipynb" in err


def test_missing_notebook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lineage", str(tmp_path / "gone.ipynb")]) == 2
    assert "gone.ipynb" in capsys.readouterr().err


def test_metadata_pointer_to_ledger_is_followed(
    make_session: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = make_session(["v = 1", "w = v + 1"])  # type: ignore[operator]
    session.run_all()
    session.tracker.close()
    nb = nbformat.read(str(session.notebook), as_version=4)
    nb.metadata["nbsec"] = {"ledger": session.tracker.summary()["ledger"]}
    nbformat.write(nb, str(session.notebook))
    assert main(["lineage", str(session.notebook), "--format", "mermaid"]) == 0
    out = capsys.readouterr().out
    assert "v@1" in out and "w@2" in out
