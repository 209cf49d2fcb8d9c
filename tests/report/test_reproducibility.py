"""Reproducibility checks of a saved notebook, one table row per case: the issue kind and the
cell it names, and decoys that must stay quiet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from nbsec.report.generate import generate


def _ran(source: str, count: int, outputs: list[Any] | None = None) -> tuple[str, list[Any], int]:
    return (source, outputs or [], count)


def _error(ename: str) -> Any:
    return nbformat.v4.new_output("error", ename=ename, evalue="secret value", traceback=[])


CASES: list[tuple[str, list[Any], set[tuple[str, str]]]] = [
    (
        "out of order",
        [_ran("a = 1", 3), _ran("b = a + 1", 1), _ran("c = b", 4)],
        {("out of order", "cell 2 (id c1)"), ("hidden state", "notebook")},  # no execution 2
    ),
    ("never run", [_ran("a = 1", 1), "b = a"], {("never run", "cell 2 (id c1)")}),
    (
        "executions missing from the saved notebook",
        [_ran("a = 1", 1), _ran("b = a", 5)],
        {("hidden state", "notebook")},
    ),
    (
        "a name no cell above defines",
        [_ran("import pandas as pd", 1), _ran("df2 = df.copy()", 2)],
        {("hidden state", "cell 2 (id c1)")},
    ),
    (
        "an error, by exception type only",
        [_ran("import json", 1), _ran("json.loads(x)", 2, [_error("NameError")])],
        {("error", "cell 2 (id c1)"), ("hidden state", "cell 2 (id c1)")},
    ),
    (
        "randomness without a seed",
        [
            _ran(
                "from sklearn.model_selection import train_test_split\n"
                "a, b = train_test_split([1, 2, 3, 4])",
                1,
            )
        ],
        {("no seed", "cell 1 (id c0), line 2")},
    ),
    (
        "numpy randomness without a seed",
        [_ran("import numpy as np\nx = np.random.rand(3)", 1)],
        {("no seed", "cell 1 (id c0), line 2")},
    ),
    # decoys: nothing to report
    (
        "a seed set first",
        [_ran("import numpy as np\nnp.random.seed(0)", 1), _ran("x = np.random.rand(3)", 2)],
        set(),
    ),
    (
        "random_state given",
        [
            _ran(
                "from sklearn.model_selection import train_test_split\n"
                "a, b = train_test_split([1, 2, 3, 4], random_state=0)",
                1,
            )
        ],
        set(),
    ),
    (
        "functions, comprehensions, imports and builtins",
        [_ran("import os\ndef f(x):\n    return [y for y in range(x)]\nz = f(len(os.sep))", 1)],
        set(),
    ),
    ("markdown and empty cells", [("md", "# title"), _ran("print(1)", 1), ""], set()),
    ("a notebook saved cleared (no cell ran)", ["import os", "x = os.sep"], set()),
]


@pytest.mark.parametrize(("case", "cells", "expected"), CASES, ids=[c[0] for c in CASES])
def test_reproducibility_issues(
    case: str,
    cells: list[Any],
    expected: set[tuple[str, str]],
    make_notebook: Callable[..., Path],
) -> None:
    notebook = make_notebook([c if isinstance(c, str) or c[0] == "md" else c[:2] for c in cells])
    nb = nbformat.read(str(notebook), as_version=4)
    for cell, spec in zip(nb.cells, cells, strict=True):
        if isinstance(spec, tuple) and spec[0] != "md":
            cell.execution_count = spec[2]
    nbformat.write(nb, str(notebook))
    report = generate(notebook).model.to_dict()
    found = {(i["kind"], i["where"]) for i in report["reproducibility"]["issues"]}
    assert found == expected
    assert "secret value" not in str(report)
