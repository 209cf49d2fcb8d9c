"""One-time start-up of notebook scanning, paid once per batch rather than once per worker.

``nbsec scan``'s forkserver imports this module before it forks any worker
(``run_batch(..., preload=...)``): it scans a small notebook made here, in a temporary directory,
which imports and warms what a scan needs (the rule registry, IPython's input transformer, the
PII engine with presidio's recognizers and its name and place lists). Every worker forked
afterwards starts warm. Importing it anywhere else is harmless: it only fills caches.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

_WARM_UP_NOTEBOOK = {
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


def warm_up() -> None:
    """Scan one throw-away notebook; a failure here only means the workers warm up themselves."""
    from nbsec.commands.light_imports import without_unused_frameworks
    from nbsec.policy import Policy
    from nbsec.source.scanner import scan_notebook_file

    try:
        policy = Policy()
        with tempfile.TemporaryDirectory(prefix="nbsec-warm-up-") as tmp:
            notebook = Path(tmp) / "warm_up.ipynb"
            notebook.write_text(json.dumps(_WARM_UP_NOTEBOOK), encoding="utf-8")
            with without_unused_frameworks(policy):
                scan_notebook_file(notebook, policy=policy)
    except Exception:  # noqa: S110 - a cache that stays cold is not an error
        pass


warm_up()
