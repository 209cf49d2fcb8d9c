"""A fuzzer over notebook JSON: wrong types, huge and deep cells, odd unicode, big outputs,
truncated and corrupted files. For every input the scanner and the redactor either read the
notebook or reject it with one line; never an internal error, never unbounded memory; and what
Jupyter's own reader (nbformat) opens as nbformat 4, nbsec reads too (the scanner sees what the
loader sees).

The default run is bounded (a few hundred seeded inputs, sizes up to a few hundred kilobytes);
``-m long`` runs thousands of inputs and the large cases (a 10 MB cell, 200,000 unary minus
signs, 3,000 nested lambdas, a 5,000-digit ``execution_count``, 50 MB of outputs).
"""

from __future__ import annotations

import copy
import json
import random
import tracemalloc
from pathlib import Path
from typing import Any

import nbformat
import pytest

from nbsec.cli import main
from nbsec.errors import InputError
from nbsec.policy import Policy
from nbsec.source.notebook import parse_notebook
from nbsec.source.redaction import redact_notebook
from nbsec.source.scanner import analyse
from tests.source import notebook_builder as nb
from tests.source import secret_samples as s

ODD_TEXT = [
    "\ud800 lone surrogate",
    "\u202eRTL override\u202c",
    "\x00\x01\x02 control",
    "e\u0301\u0301\u0301 combining",
    "🙂" * 50,
    "\ufeffBOM inside",
    "a\r\nb\rc\n",
    "\\u0040 escaped",
    "&#64;&amp;&lt;tag&gt;",
    "%40%ZZ%",
    "data:text/plain;base64,====",
    "<table><tr><td>unclosed",
    "<" * 500,
    "'" * 300 + '"' * 300,
    "x" * 5000,
]
WRONG_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    "",
    "text",
    [],
    {},
    [1, 2],
    {"a": 1},
    [[[[[]]]]],
    10**30,
]


def base_notebook() -> dict[str, Any]:
    table = nb.frame_html(["name", "email"], [["Ann Smith", "ann.smith@acme-corp.com"]])
    cells = [
        nb.markdown(f"Contact ann.smith@acme-corp.com, token {s.GITHUB}"),
        nb.code(
            "import pickle\nobj = pickle.load(open('m.pkl', 'rb'))\n%matplotlib inline\n!ls",
            nb.stream("Password: hunter2-real\n"),
            nb.result({"text/html": table, "text/plain": "df"}),
            nb.display({"application/json": {"k": ["v", {"email": "bob@example.org"}]}}),
            nb.error("E", "bad", ["\x1b[31mE\x1b[0m: bad"]),
        ),
        nb.raw("raw"),
    ]
    cells[0]["attachments"] = {"a.txt": {"text/plain": "aGVsbG8gYm9iQGV4YW1wbGUub3Jn"}}
    document = json.loads(json.dumps(nbformat.v4.new_notebook(cells=cells)))
    document["metadata"]["widgets"] = {"state": {"m": {"value": "carol@example.net"}}}
    return document


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(_paths(value, (*prefix, i)))
    return out


def _set(document: Any, path: tuple[Any, ...], value: Any) -> None:
    node = document
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def mutate(rng: random.Random, size: int) -> str:
    """One fuzzed notebook file (text), from a valid notebook."""
    document = base_notebook()
    cells = document["cells"]
    for _ in range(rng.randint(1, 4)):
        paths = [p for p in _paths(document) if p]
        path = rng.choice(paths)
        kind = rng.randrange(7)
        if kind == 0:
            _set(document, path, copy.deepcopy(rng.choice(WRONG_VALUES)))
        elif kind == 1:
            _set(document, path, rng.choice(ODD_TEXT))
        elif kind == 2:  # a huge cell
            cell = nb.code(rng.choice(["x = 1\n", "-", "lambda: ", "(", "f(", "a."]) * (size // 6))
            cells.append(json.loads(json.dumps(cell)))
        elif kind == 3:  # a big output
            line = rng.choice(["epoch 1 loss 0.1\n", "a@b.co 555-0100\n", "<td>x</td>"])
            text = line * (size // len(line))
            cell = nb.code("x", nb.stream(text), nb.result({"text/html": text}))
            cells.append(json.loads(json.dumps(cell)))
        elif kind == 4:  # deep nesting inside a JSON output or metadata
            deep: Any = "bottom@example.org"
            for _ in range(rng.randint(50, 400)):
                deep = [deep] if rng.random() < 0.5 else {"k": deep}
            _set(document, path, deep)
        elif kind == 5 and isinstance(document.get("cells"), list) and document["cells"]:
            document["cells"].insert(
                rng.randrange(len(document["cells"])), rng.choice(WRONG_VALUES)
            )
        else:
            key = rng.choice(["nbformat", "nbformat_minor", "metadata", "cells", "metadata"])
            document[key] = copy.deepcopy(rng.choice([*WRONG_VALUES, 4, 3, 5, 4.0]))
    text = json.dumps(document)
    roll = rng.random()
    if roll < 0.08:
        text = text[: rng.randrange(len(text))]  # truncated
    elif roll < 0.16:
        chars = list(text)
        for _ in range(rng.randint(1, 5)):
            chars[rng.randrange(len(chars))] = rng.choice('{}[]",:\\x\x00')
        text = "".join(chars)
    elif roll < 0.2:
        text = text.replace('"execution_count": 1', '"execution_count": ' + "9" * 5000)
    return text


def jupyter_reads_it(text: str) -> bool:
    """Does nbformat open this text as an nbformat-4 notebook (validation aside)?"""
    try:
        notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    except Exception:
        return False
    return notebook.get("nbformat") == 4


def check_one(text: str, tmp_path: Path, name: str) -> None:
    """Scan and redact one input: one-line errors only, bounded memory, loader agreement."""
    tracemalloc.start()
    try:
        try:
            notebook = parse_notebook(text, name)
        except InputError as exc:
            refused = str(exc)
        else:
            refused = ""
        if refused:
            assert "\n" not in refused and refused.startswith(name)
            assert not jupyter_reads_it(text), f"Jupyter reads {name} but nbsec refused: {refused}"
            return
        scan = analyse(notebook, Policy())
        assert not any("internal error" in p for p in scan.problems), scan.problems
        if not scan.problems:
            outcome = redact_notebook(notebook, Policy())
            if outcome.document is not None:
                again = redact_notebook(parse_notebook(json.dumps(outcome.document)), Policy())
                assert again.document is None  # idempotent
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 60 * len(text) + 200 * 1024 * 1024, f"{name}: {peak / 2**20:.0f} MiB"


def _run(seed: int, count: int, size: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    for i in range(count):
        check_one(mutate(rng, size), tmp_path, f"fuzz-{seed}-{i}.ipynb")


@pytest.mark.parametrize("seed", range(3))
def test_fuzzed_notebooks(seed: int, tmp_path: Path) -> None:
    _run(seed, 25, 20_000, tmp_path)


def test_a_directory_of_bad_notebooks_is_scanned_to_the_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(99)
    for i in range(40):
        (tmp_path / f"n{i:02d}.ipynb").write_text(
            mutate(rng, 20_000), encoding="utf-8", errors="surrogatepass"
        )
    nb.write(tmp_path / "zz_good.ipynb", nb.code("import pickle\npickle.load(f)"))
    code = main(["scan", str(tmp_path), "--format", "json", "-o", str(tmp_path / "out.json")])
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["summary"]["scanned"] == 41
    assert any(f["location"]["path"].endswith("zz_good.ipynb") for f in report["findings"])
    for line in err.strip().splitlines():
        assert line.startswith("nbsec: error: ")


LARGE_CASES = {
    "ten-megabyte-cell": nb.code("x = 1\n" * 1_700_000),
    "unary-minus": nb.code("x = " + "-" * 200_000 + "1"),
    "nested-lambdas": nb.code("f = " + "lambda: " * 3000 + "1"),
    "fifty-megabytes-of-output": nb.code("x", nb.stream("epoch 1 loss 0.25 acc 0.9\n" * 2_000_000)),
}


@pytest.mark.long
@pytest.mark.timeout(900)  # tracemalloc slows a 50 MB scan several times over on a loaded machine
@pytest.mark.parametrize("case", sorted(LARGE_CASES))
def test_large_inputs(case: str, tmp_path: Path) -> None:
    path = nb.write(tmp_path / f"{case}.ipynb", LARGE_CASES[case])
    check_one(path.read_text(), tmp_path, path.name)


@pytest.mark.long
def test_huge_execution_count(tmp_path: Path) -> None:
    text = json.dumps(base_notebook()).replace(
        '"execution_count": 1', '"execution_count": ' + "9" * 5000
    )
    check_one(text, tmp_path, "count.ipynb")


@pytest.mark.long
@pytest.mark.timeout(900)  # beyond the suite's 300-second default: large mutated notebooks
@pytest.mark.parametrize("seed", range(100, 110))
def test_fuzzed_notebooks_long(seed: int, tmp_path: Path) -> None:
    _run(seed, 60, 400_000, tmp_path)
