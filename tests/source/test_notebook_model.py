"""The notebook model: every cell and output type, locations, and malformed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbsec.errors import InputError
from nbsec.policy import Policy
from nbsec.source import load_notebook, parse_notebook, scan_notebook
from nbsec.source.html_tables import parse_tables
from nbsec.source.magics import transform_cell
from nbsec.source.scanner import scan_notebook_file
from tests.source import notebook_builder as nb
from tests.source import secret_samples as s


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
    kinds = [sorted(t.kind for t in o.sites) for o in cell.outputs]
    assert kinds == [["stream"], ["text/html", "text/plain"], ["application/json"], ["error"]]
    assert cell.outputs[2].sites[0].text.split("\n") == ["a", "deep", "b: value"]
    assert "image/png" in cell.outputs[2].mime_types
    assert "\x1b" not in cell.outputs[3].sites[0].text
    assert cell.outputs[3].sites[0].text.splitlines() == ["ValueError: bad", "ValueError", "bad"]
    assert notebook.problems == ()


@pytest.mark.parametrize("cells", ['{"text": "dave@example.org"}', '"dave@example.org"', None])
def test_a_version_4_document_without_a_cells_list_is_read_as_jupyter_reads_it(
    cells: str | None,
) -> None:
    """nbformat opens it (validation aside), so nbsec scans it: the missing list is a problem of
    the notebook, and the strings where the cells should be are searched like any other."""
    document = '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}'
    document += "}" if cells is None else f', "cells": {cells}}}'
    notebook = parse_notebook(document, "odd.ipynb")
    assert notebook.cells == ()
    assert notebook.problems == ("the notebook has no 'cells' list",)
    found = any("dave@example.org" in site.text for site in notebook.all_sites())
    assert found is (cells is not None)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "invalid JSON"),
        ("[]", "no 'cells' list"),
        ('{"cells": [], "nbformat": 3}', "unsupported notebook format 3"),
        ('{"cells": [], "nbformat": 5}', "unsupported notebook format 5"),
        ('{"cells": [], "nbformat": "4"}', "unsupported notebook format '4'"),
        ('{"cells": [], "nbformat": ' + "4" * 5000 + "}", "unsupported notebook format 444"),
        ('{"cells": [], "nbformat": 4.0}', "unsupported notebook format 4.0"),
        (b'\xff\xfe{"cells": []}', "not UTF-8"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_unreadable_notebooks_raise_one_line_naming_the_file(
    tmp_path: Path, content: str | bytes, reason: str
) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError) as info:
        load_notebook(path)
    message = str(info.value)
    assert message.startswith(str(path)) and reason in message and "\n" not in message
    assert len(message) < 300


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            '{"cells": [{"cell_type": "code", "source": 3}], "nbformat": 4}',
            "cell 1 has a malformed",
        ),
        ('{"cells": [{"cell_type": "weird"}], "nbformat": 4}', "unknown cell_type"),
        ('{"cells": [7], "nbformat": 4}', "cell 1 is not an object"),
        (
            '{"cells": [{"cell_type": "code", "source": "", "outputs": [{"output_type": "x"}]}],'
            ' "nbformat": 4}',
            "unknown output_type",
        ),
    ],
)
def test_malformed_parts_are_problems_and_the_rest_is_read(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text(content)
    notebook = load_notebook(path)
    assert reason in notebook.problems[0]
    with pytest.raises(InputError) as info:
        scan_notebook(path, policy=Policy())
    assert str(info.value).startswith(f"{path}: malformed notebook: ")


def test_strings_of_malformed_parts_are_still_searched(tmp_path: Path) -> None:
    doc = {
        "nbformat": 4,
        "cells": [
            {"cell_type": "weird", "source": f"token {s.GITHUB}"},
            {"cell_type": "code", "source": "x", "outputs": [{"output_type": "x", "v": s.SLACK}]},
            [f"key {s.AWS_KEY_ID}"],
        ],
    }
    path = tmp_path / "odd.ipynb"
    path.write_text(json.dumps(doc))
    scan = scan_notebook_file(path, policy=Policy())
    assert len(scan.problems) == 3
    assert sorted((f.rule, f.location.cell_index) for f in scan.findings) == [
        ("NBS-SEC-001", 2),
        ("NBS-SEC-002", 0),
        ("NBS-SEC-002", 1),
    ]


V3_DOCUMENT = {
    "nbformat": 3,
    "nbformat_minor": 0,
    "metadata": {"name": "old"},
    "worksheets": [
        {
            "cells": [
                {"cell_type": "markdown", "source": "Ask ada.lovelace@analytical-engines.org"},
                {
                    "cell_type": "code",
                    "language": "python",
                    "input": ["import os\n", "os.environ['DB_PASSWORD'] = 'hunter2'"],
                    "prompt_number": 3,
                    "outputs": [
                        {
                            "output_type": "stream",
                            "stream": "stdout",
                            "text": ["contact grace.hopper@navy-research.org\n"],
                        },
                        {"output_type": "pyout", "prompt_number": 3, "text": ["42"]},
                    ],
                },
            ]
        }
    ],
}


def test_old_formats_are_read_as_jupyter_upgrades_them(tmp_path: Path) -> None:
    """An nbformat 3 file (worksheets, ``input``, ``pyout``) is what Jupyter still opens by
    upgrading it: the scan reads the upgraded notebook, and a redacted copy is nbformat 4."""
    import nbformat

    from nbsec.cli import main

    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(V3_DOCUMENT))
    notebook = load_notebook(path)
    assert [c.cell_type for c in notebook.cells] == ["markdown", "code"]
    assert all(c.id is None for c in notebook.cells)  # no invented ids
    assert notebook.cells[1].execution_count == 3
    found = {(f.rule, f.location.cell_index) for f in scan_notebook(path, policy=Policy())}
    assert {("NBS-SEC-005", 1), ("NBS-PII-003", 1), ("NBS-PII-004", 0)} <= found
    assert main(["redact", str(path)]) == 0
    raw = path.read_text()
    assert "grace.hopper" not in raw and "ada.lovelace" not in raw
    upgraded = nbformat.reads(raw, as_version=4)
    nbformat.validate(upgraded)
    assert upgraded.nbformat == 4 and upgraded.cells[1].outputs[1].data["text/plain"] == "42"


def test_an_old_format_that_cannot_be_upgraded_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps({"nbformat": 3, "worksheets": [{"cells": [7, "x"]}]}))
    with pytest.raises(InputError) as info:
        load_notebook(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "nbformat 3" in message and "\n" not in message


def test_huge_integers_are_kept_as_text(tmp_path: Path) -> None:
    doc = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [nb.code("x = 1")]}
    text = json.dumps(doc).replace('"execution_count": 1', '"execution_count": ' + "9" * 5000)
    notebook = parse_notebook(text)
    assert notebook.cells[0].execution_count is None and notebook.problems == ()


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


@pytest.mark.parametrize(
    "line",
    [
        "!ls -la",
        "! ls",
        "x = !ls",
        "x = !!ls",
        "!!ls",
        "%pip install x",
        "%pip  install   x ",
        "x = %time f()",
        "%matplotlib inline",
        "%env A=1",
        "a, b = !echo 1",
        "self.x = !pwd",
        "!echo {x} $y \"q\" 's'",
        "%time x = 1",
        "%run -i a.py",
        "%load_ext nbsec",
        "!wget https://h.org/m.bin -O 'a b.bin'",
    ],
)
def test_escape_lines_read_as_ipython_reads_them(line: str) -> None:
    """The escape lines nbsec transforms itself (IPython is not imported for them) give the
    same Python as IPython's own transformer."""
    import ast

    from IPython.core.inputtransformer2 import TransformerManager

    from nbsec.source.magics import simple_escape

    ours = simple_escape(line)
    assert ours is not None
    theirs = TransformerManager().transform_cell(line)  # type: ignore[no-untyped-call]
    assert ast.dump(ast.parse(ours)) == ast.dump(ast.parse(theirs))
