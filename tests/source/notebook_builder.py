"""Build small notebooks for tests with nbformat's own constructors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell


def code(source: str, *outputs: Any, cell_id: str | None = None) -> Any:
    cell = new_code_cell(source, outputs=list(outputs), execution_count=1)
    if cell_id:
        cell["id"] = cell_id
    return cell


def markdown(source: str) -> Any:
    return new_markdown_cell(source)


def raw(source: str) -> Any:
    return new_raw_cell(source)


def stream(text: str) -> Any:
    return new_output("stream", name="stdout", text=text)


def result(data: dict[str, Any]) -> Any:
    return new_output("execute_result", data=data, execution_count=1)


def display(data: dict[str, Any]) -> Any:
    return new_output("display_data", data=data)


def error(ename: str, evalue: str, traceback: list[str]) -> Any:
    return new_output("error", ename=ename, evalue=evalue, traceback=traceback)


def write(path: Path, *cells: Any, metadata: dict[str, Any] | None = None) -> Path:
    nb = new_notebook(cells=list(cells))
    nb.metadata.update(
        metadata
        or {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    )
    nbformat.write(nb, str(path))
    return path


def frame_html(columns: list[str], rows: list[list[str]]) -> str:
    """A pandas-like DataFrame HTML table (index in <th>, values in <td>)."""
    head = "".join(f"<th>{c}</th>" for c in columns)
    body = "".join(
        f"<tr><th>{i}</th>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>"
        for i, row in enumerate(rows)
    )
    return (
        '<div><table border="1" class="dataframe"><thead><tr style="text-align: right;">'
        f"<th></th>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )
