"""Generated payloads for the runtime-guard tests: one malicious and one benign input per loader.

A malicious payload makes the loader call ``os.mkdir(<canary>)``: harmless, and a test can tell
whether it ran by whether the canary directory exists. Everything is written into a test's tmp
directory with the real library (``pickle``, ``joblib``, ``numpy``, ``torch``...), never checked in.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any


class Canary:
    """Pickles as ``posix.mkdir(path)`` (``os.mkdir``): a denied global with a visible effect."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.mkdir, (self.path,))


BENIGN = {"weights": [0.5, 1.5, 2.5], "name": "tiny", "shape": (3,)}


def pickle_bytes(malicious: bool, canary: Path) -> bytes:
    return pickle.dumps(Canary(str(canary)) if malicious else BENIGN, protocol=4)


def write_pickle(path: Path, malicious: bool, canary: Path) -> Path:
    path.write_bytes(pickle_bytes(malicious, canary))
    return path


def write_joblib(path: Path, malicious: bool, canary: Path) -> Path:
    import joblib

    joblib.dump(Canary(str(canary)) if malicious else BENIGN, path)
    return path


def write_joblib_compressed(path: Path, malicious: bool, canary: Path) -> Path:
    import joblib

    joblib.dump(Canary(str(canary)) if malicious else BENIGN, path, compress=3)
    return path


def write_pandas_gzip(path: Path, malicious: bool, canary: Path) -> Path:
    import pandas

    pandas.to_pickle(Canary(str(canary)) if malicious else BENIGN, path)
    return path


def write_npy(path: Path, malicious: bool, canary: Path) -> Path:
    import numpy as np

    if malicious:
        array = np.empty(1, dtype=object)
        array[0] = Canary(str(canary))
        np.save(path, array, allow_pickle=True)
    else:
        np.save(path, np.arange(6, dtype=np.float32))
    return path


def write_torch(path: Path, malicious: bool, canary: Path) -> Path:
    import torch

    torch.save(Canary(str(canary)) if malicious else {"w": torch.ones(3)}, path)
    return path


def yaml_text(malicious: bool, canary: Path) -> str:
    if malicious:
        return f"!!python/object/apply:os.mkdir ['{canary}']\n"
    return "weights: [0.5, 1.5]\nname: tiny\n"
