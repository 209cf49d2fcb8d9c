"""The notebook model: every cell and output type, locations, and malformed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbsec.errors import InputError
from nbsec.source import load_notebook, parse_notebook
from nbsec.source.html_tables import parse_tables
from nbsec.source.magics import transform_cell
from tests.source import notebook_builder as nb


def test_every_output_type_is_read(tmp_path: Path) -> None:
    path = nb.write(
        tmp_path / "a.ipynb",
        nb.markdown("# Title"),
        nb.code(
            "x",
            nb.stream("hello\n"),
            nb.result({"text/plain": "'x'", "text/html": "<b>x</b>"}),
            nb.display({"application/json": {"a": ["deep", {"b": "value"}]}, "image/png": "iVBO"}),
            nb.error("ValueError", "bad", ["\x1b[0;31mValueError\x1b[0m: bad"]),
            cell_id="c-1",
        ),
        nb.raw("raw text"),
    )
    notebook = load_notebook(path)
    assert [c.cell_type for c in notebook.cells] == ["markdown", "code", "raw"]
    cell = notebook.cells[1]
    assert (cell.index, cell.id, cell.execution_count) == (1, "c-1", 1)
    kinds = [sorted(t.kind for t in o.texts) for o in cell.outputs]
    assert kinds == [["stream"], ["text/html", "text/plain"], ["application/json"], ["traceback"]]
    assert cell.outputs[2].texts[0].text.split("\n") == ["a", "deep", "b", "value"]
    assert "image/png" in cell.outputs[2].mime_types
    assert "\x1b" not in cell.outputs[3].texts[0].text
    assert cell.outputs[3].texts[0].text.splitlines() == ["ValueError: bad", "ValueError: bad"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "invalid JSON"),
        ("[]", "no 'cells' list"),
        ('{"cells": [], "nbformat": 3}', "unsupported notebook format"),
        ('{"cells": [{"cell_type": "code", "source": 3}], "nbformat": 4}', "cell 1"),
        ('{"cells": [{"cell_type": "weird"}], "nbformat": 4}', "unknown cell_type"),
        (
            '{"cells": [{"cell_type": "code", "source": "", "outputs": [{"output_type": "x"}]}],'
            ' "nbformat": 4}',
            "unknown output_type",
        ),
    ],
)
def test_malformed_notebooks_raise_one_line_naming_the_file(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text(content)
    with pytest.raises(InputError) as info:
        load_notebook(path)
    message = str(info.value)
    assert message.startswith(str(path)) and reason in message and "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_notebook(tmp_path / "nope.ipynb")


def test_source_as_list_of_lines_is_joined() -> None:
    doc = {"nbformat": 4, "cells": [{"cell_type": "code", "source": ["a = 1\n", "b = 2"]}]}
    assert parse_notebook(json.dumps(doc)).cells[0].source == "a = 1\nb = 2"


@pytest.mark.parametrize(
    ("source", "line_map", "cell_magic"),
    [
        ("a = 1\nb = 2", (1, 2), None),
        ("!ls\nx = 1", (1, 2), None),
        ("!wget a \\\n  b\nx = 1", (1, 2, 3), None),  # continuation line left blank
        ("def f():\n    !ls\n    return 1\nf?", (1, 2, 3, 4), None),  # whole-cell transform
        ("%%time\nx = 1\ny = 2", (2, 3), "time"),
        ("\n%%capture out\nx = 1", (3,), "capture"),
        ("x = !ls\n%pip install a\ny = 1", (1, 2, 3), None),
    ],
)
def test_magics_keep_line_numbers(
    source: str, line_map: tuple[int, ...], cell_magic: str | None
) -> None:
    cell = transform_cell(source)
    assert cell.python is not None
    compile(cell.python, "<cell>", "exec")
    assert cell.line_map == line_map
    assert cell.cell_magic == cell_magic


def test_shell_cell_magic_lines() -> None:
    cell = transform_cell("%%bash\n# comment\ncd /tmp\nwget x")
    assert [(s.line, s.command) for s in cell.shell_lines] == [(3, "cd /tmp"), (4, "wget x")]


def test_html_table_columns_with_headers() -> None:
    html = nb.frame_html(["name", "email"], [["Ann", "a@x.org"], ["...", "..."], ["Bo", "b@y.io"]])
    (table,) = parse_tables(html)
    assert table.columns == {
        "(index)": ["0", "2"],
        "name": ["Ann", "Bo"],
        "email": ["a@x.org", "b@y.io"],
    }


def test_html_table_with_index_name_row_and_colspan() -> None:
    html = (
        "<table><thead><tr><th></th><th colspan='2'>contact</th></tr>"
        "<tr><th>id</th><th></th><th></th></tr></thead>"
        "<tbody><tr><th>7</th><td>a</td><td>b</td></tr></tbody></table>"
    )
    (table,) = parse_tables(html)
    assert table.columns == {"id": ["7"], "contact": ["a"], "contact (2)": ["b"]}


def test_text_without_table_has_no_tables() -> None:
    assert parse_tables("<p>no table here</p>") == []


@pytest.mark.parametrize(
    "source",
    [
        "x = (" * 300 + ")" * 300,
        "s = " + " + ".join(["'a'"] * 3000),
        "%%time\n" + "[" * 200 + "]" * 200,
        "!echo 'unterminated",
        "def f(:\n    !ls",
        "\x00\x01 binary junk ?? %% !!",
    ],
)
def test_odd_sources_never_crash(source: str) -> None:
    from nbsec.source import check_cell_source

    assert check_cell_source(source) == []  # harmless, odd input: no crash, no finding
