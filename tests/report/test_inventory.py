"""The inventories of a static report, one table row per kind of code: which data and model rows a
notebook's code produces, and what stays out of them."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nbsec.report.generate import generate


def _rows(report: dict[str, Any]) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    data = {(i["uri"], i["role"], i["seen"]) for i in report["data"]["items"]}
    models = {(m["kind"], m["what"], m["source"], m["verdict"]) for m in report["models"]["items"]}
    return data, models


CASES: list[tuple[str, list[str], set[tuple[Any, ...]], set[tuple[Any, ...]]]] = [
    (
        "hub model by a bare legacy name and by org/name",
        [
            "from transformers import AutoModel\n"
            "a = AutoModel.from_pretrained('gpt2')\n"
            "b = AutoModel.from_pretrained('acme/churn-bert', revision='main')"
        ],
        set(),
        {
            ("download", "gpt2", "huggingface.co/gpt2", None),
            ("download", "acme/churn-bert", "huggingface.co/acme/churn-bert", None),
        },
    ),
    (
        "hub dataset",
        ["from datasets import load_dataset\nds = load_dataset('imdb')"],
        {("https://huggingface.co/datasets/imdb", "input", "code")},
        set(),
    ),
    (
        "a URL with a token in its query: the value is hashed",
        [
            "import pandas as pd\nURL = 'https://data.example.org/x.csv?token=s3cr3t'",
            "df = pd.read_csv(URL)",
        ],
        {("https://data.example.org/x.csv?token=h-4e738ca5563c", "input", "code")},
        set(),
    ),
    (
        "a pickle opened then loaded, the file beside the notebook scanned",
        ["import pickle\nwith open('state.pkl', 'rb') as fh:\n    state = pickle.load(fh)"],
        set(),
        {("call", "state.pkl", None, "safe")},
    ),
    (
        "a package installed from a VCS URL is software, not a model",
        ["!pip install git+https://github.com/acme/tools.git"],
        set(),
        set(),
    ),
    (
        "writes and reads of data files",
        ["import pandas as pd\ndf = pd.read_parquet('in.parquet')\ndf.to_csv('out/result.csv')"],
        {("in.parquet", "input", "code"), ("out/result.csv", "output", "code")},
        set(),
    ),
]


@pytest.mark.parametrize(("case", "cells", "data", "models"), CASES, ids=[c[0] for c in CASES])
def test_inventory_rows(
    case: str,
    cells: list[str],
    data: set[tuple[Any, ...]],
    models: set[tuple[Any, ...]],
    make_notebook: Callable[..., Path],
) -> None:
    notebook = make_notebook(cells)
    (notebook.parent / "state.pkl").write_bytes(pickle.dumps({"epoch": 3}, protocol=4))
    report = generate(notebook).model.to_dict()
    assert _rows(report) == (data, models)
    if "VCS" in case:
        declared = [d["requirement"] for d in report["environment"]["declared"]]
        assert any("https://github.com/acme/tools.git" in d for d in declared)
        assert any(f["rule"] == "NBS-MDL-005" for f in report["findings"])
