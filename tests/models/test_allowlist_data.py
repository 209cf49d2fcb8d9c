"""The allowlist as data: exact reviewed names, no loaders, no prefixes, classes or reviewed
rebuild functions. Checked against the libraries installed here."""

from __future__ import annotations

import importlib
import inspect
import re
import tomllib
from importlib import resources

import pytest

from nbsec.models.globals_judge import global_lists

_LOADER = re.compile(r"(^|\.)(load|loads|_load\w*|\w*_load|from_file|fromfile|read_\w+|open)$")
_REBUILDER = re.compile(
    r"(reconstruct|rebuild|unpickle|__newobj|_new_|newObj|ctor|frombuffer|_restore|encode|"
    r"py_buffer|type_for_alias|scalar|_compile|get_layout|new_block|build_\w+list|from_arrays)",
    re.IGNORECASE,
)


def _data() -> dict:
    text = resources.files("nbsec.models").joinpath("pickle_allowlist.toml").read_text("utf-8")
    return tomllib.loads(text)


def test_every_family_has_a_reason_and_names() -> None:
    for family, body in _data()["family"].items():
        assert set(body) == {"reason", "names"}, family
        assert len(body["reason"]) > 20, family
        assert body["names"] == sorted(set(body["names"])), family


def test_no_loader_and_no_prefix_is_allowed() -> None:
    for name in global_lists().allowed:
        assert not _LOADER.search(name), name
        assert not name.endswith((".", "*")), name
    assert "torch.storage._load_from_bytes" not in global_lists().allowed
    assert not any(name.startswith("joblib.numpy_pickle_compat") for name in global_lists().allowed)


def _resolve(name: str) -> object:
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except Exception:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise LookupError(name)


@pytest.mark.parametrize(
    "family", ["stdlib", "numpy", "torch-nn", "torch-optim", "scikit-learn", "pandas"]
)
def test_functions_are_only_reviewed_rebuilders(family: str) -> None:
    """Enumerated entries are classes; a function must be a reviewed rebuild helper."""
    names = _data()["family"].get(family, {}).get("names", [])
    if family.startswith("torch"):
        pytest.importorskip("torch")
    checked = 0
    for name in names:
        try:
            obj = _resolve(name)
        except Exception:
            continue  # another version's name: kept for files written by it
        checked += 1
        if inspect.isclass(obj):
            continue
        if callable(obj):
            assert _REBUILDER.search(name) or family == "stdlib", name
    assert checked or not names
