"""The generated model corpus (``tests/data/make_pickles.py``), built once per test process.

Building it imports torch, scikit-learn and pandas and takes seconds, so it is done once, into a
temporary directory removed at exit, and shared by every test module that asks for it.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

from tests.data import make_pickles


@cache
def corpus() -> tuple[Path, list[make_pickles.Sample]]:
    """(directory, manifest) of the generated corpus."""
    root = Path(tempfile.mkdtemp(prefix="nbsec-model-corpus-"))
    atexit.register(shutil.rmtree, root, True)
    out = root / "corpus"
    samples = make_pickles.build_corpus(out, canary=root / "CANARY")
    return out, samples


def canary_path() -> Path:
    return corpus()[0].parent / "CANARY"
