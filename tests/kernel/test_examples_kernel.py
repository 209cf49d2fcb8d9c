"""The example notebooks run top to bottom with ``%load_ext nbsec`` in their first cell, and show
exactly the right warnings at the right cells."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from nbsec.kernel.display import MIME_TYPE

pytestmark = pytest.mark.kernel

EXAMPLES = Path(__file__).resolve().parents[2] / "example_notebooks"


def run_with_nbsec(name: str, tmp_path: Path) -> nbformat.NotebookNode:
    """Run the example with nbsec loaded first, and ``%nbsec scan`` last: the cells of a script
    run back to back, so frame scans that went on in the background are completed there (their
    findings still name the cells that made the frames)."""
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("%load_ext nbsec"))
    nb.cells.append(nbformat.v4.new_code_cell("%nbsec scan"))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "data").symlink_to(EXAMPLES / "data")
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(EXAMPLES.parent), env_path) if p)
    try:
        NotebookClient(
            nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
        ).execute()
    finally:
        os.environ["PYTHONPATH"] = env_path
    return nb


def shown(nb: nbformat.NotebookNode) -> list[tuple[int, str, int | None, str]]:
    """(cell index, rule, line, first words of the message) of every inline nbsec finding. The
    cell is the one the finding belongs to (a frame's findings name the cell that made the
    frame, even when its scan finished and was shown after a later cell)."""
    by_id = {cell.get("id"): i for i, cell in enumerate(nb.cells) if cell.get("id")}
    by_count = {
        cell.get("execution_count"): i
        for i, cell in enumerate(nb.cells)
        if cell.get("execution_count") is not None
    }
    out = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for finding in data.get(MIME_TYPE, {}).get("findings", []):
                where = finding["location"]
                owner = where.get("cell_index")
                if owner is None and str(where.get("cell_id")).startswith("frame:"):
                    owner = by_id.get(
                        where.get("cell_id"), by_count.get(where.get("execution_count"))
                    )
                out.append(
                    (
                        index if owner is None else owner,
                        finding["rule"],
                        finding["location"]["line"],
                        finding["message"],
                    )
                )
    return out


def test_customer_churn_top_to_bottom(tmp_path: Path) -> None:
    nb = run_with_nbsec("customer_churn.ipynb", tmp_path)
    got = {(i, rule, line) for i, rule, line, _ in shown(nb)}
    messages = " | ".join(m for *_, m in shown(nb))
    # cell 2 reads the CRM export: its personal columns are flagged after it ran
    for column in ("name", "email", "phone"):
        assert f"frame 'df' column '{column}'" in messages
    assert (2, "NBS-PII-001", None) in got
    # cell 3 holds a warehouse password in a connection string, flagged before it ran
    assert (3, "NBS-SEC-004", 2) in got
    # cell 5 makes a new frame of customers to call: flagged too
    assert any(i == 5 and "frame 'at_risk'" in m for i, _, _, m in shown(nb))
    # nothing else: the aggregate table and the model training are clean
    assert {i for i, *_ in shown(nb)} == {2, 3, 5}
    # no value leaks into what was shown
    text = nbformat.writes(nb)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if MIME_TYPE in output.get("data", {}):
                bundle = str(output["data"])
                assert "Wint3r-Churn-2024" not in bundle
                assert "@example.com" not in bundle
    assert "nbsec: internal error" not in text
