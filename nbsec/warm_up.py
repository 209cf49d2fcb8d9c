"""The throw-away notebook the batch forkservers work on before they fork any worker
(:mod:`nbsec.source.preload`, :mod:`nbsec.report.preload`), so every worker starts warm."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

WARM_UP_NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": "warm-0",
            "metadata": {},
            "outputs": [
                {
                    "data": {
                        # an e-mail address: presidio's recognizers load only for values
                        # that could be one of their identifiers, and must load here
                        "text/html": "<table><tr><th>name</th><th>city</th><th>email</th></tr>"
                        "<tr><td>Ada Lovelace</td><td>London</td>"
                        "<td>ada@example.org</td></tr></table>",
                        "text/plain": "table",
                    },
                    "execution_count": 1,
                    "metadata": {},
                    "output_type": "execute_result",
                }
            ],
            "source": "%matplotlib inline\nimport pandas as pd\ndf = pd.read_csv('data.csv')\ndf",
        }
    ],
    "metadata": {"language_info": {"name": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


@contextmanager
def warm_up_notebook() -> Iterator[Path]:
    """The warm-up notebook written in a temporary directory (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="nbsec-warm-up-") as tmp:
        notebook = Path(tmp) / "warm_up.ipynb"
        notebook.write_text(json.dumps(WARM_UP_NOTEBOOK), encoding="utf-8")
        yield notebook
