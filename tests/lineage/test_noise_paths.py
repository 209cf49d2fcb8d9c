"""Which opened files are plumbing (left out of lineage) and which are data."""

from __future__ import annotations

import os
import sys
import sysconfig

import pytest

import nbsec
from nbsec.lineage.noise_paths import is_noise, noise_prefixes

HOME = os.path.expanduser("~")
PURELIB = sysconfig.get_paths()["purelib"]
NBSEC = os.path.dirname(os.path.abspath(nbsec.__file__))


@pytest.mark.parametrize(
    ("path", "noise"),
    [
        (f"{PURELIB}/pandas/io/formats/templates/html.tpl", True),
        (f"{sys.base_prefix}/lib/python3.11/encodings/cp1252.txt", True),
        ("/etc/resolv.conf", True),
        ("/usr/share/zoneinfo/UTC", True),
        ("/proc/self/status", True),
        (f"{HOME}/.cache/matplotlib/fontlist-v390.json", True),
        (f"{HOME}/.ipython/profile_default/startup/x.txt", True),
        ("/work/project/module.py", True),  # code, not data
        ("/data/ledger/.nbsec/ledger/s.jsonl", True),  # nbsec's own ledger (extra prefix)
        (f"{NBSEC}/models/pickle_globals.toml", True),  # nbsec's own rules, read on first use
        (f"{NBSEC}/pii/data/first_names.txt", True),
        ("/work/src/pkg-1.0.dist-info/entry_points.txt", True),  # importlib.metadata
        ("/work/src/__editable___pkg_1_0_finder.py", True),
        (f"{HOME}/.cache/huggingface/hub/models--org--m/blobs/abc", False),
        ("/etc/passwd", False),
        ("/data/customers.csv", False),
        ("/tmp/ipykernel-data/out.parquet", False),
    ],
)
def test_noise(path: str, noise: bool) -> None:
    prefixes = noise_prefixes(("/data/ledger/.nbsec/ledger",))
    assert is_noise(path, prefixes) is noise
