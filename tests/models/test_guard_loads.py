"""Each guarded loader x policy mode x malicious / benign / allowlisted input, real libraries.

The malicious inputs call ``os.mkdir(<canary>)`` when loaded: a dangerous verdict, so in every
mode ``BlockedLoad`` is raised before any byte is unpickled and the canary never appears; the
message says how to allow that exact file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nbsec.errors import BlockedLoad
from nbsec.models.guard_entrypoints import entry_table
from tests.fakehub import payloads
from tests.fakehub.fixtures import guard_with_fixture  # noqa: F401

HAS_TORCH = importlib.util.find_spec("torch") is not None


@dataclass
class Prepared:
    call: Callable[[], Any]
    path: str | None  # where findings must point
    sha256: str


@dataclass(frozen=True)
class Loader:
    api: str
    prepare: Callable[[Path, bool, Path], Prepared]
    runtime_globals: bool = True  # an unpickler (not PyYAML) resolves the globals
    label: str = ""

    @property
    def rule(self) -> str:
        return next(e.rule for e in entry_table().entries if e.api == self.api)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _bytes_call(loader: Callable[[bytes], Any]) -> Callable[[Path, bool, Path], Prepared]:
    def prepare(tmp: Path, malicious: bool, canary: Path) -> Prepared:
        data = payloads.pickle_bytes(malicious, canary)
        return Prepared(lambda: loader(data), None, _sha(data))

    return prepare


def _stream_call(loader: Callable[[Any], Any]) -> Callable[[Path, bool, Path], Prepared]:
    def prepare(tmp: Path, malicious: bool, canary: Path) -> Prepared:
        path = payloads.write_pickle(tmp / "model.pkl", malicious, canary)

        def call() -> Any:
            with open(path, "rb") as handle:
                return loader(handle)

        return Prepared(call, str(path), _sha(path.read_bytes()))

    return prepare


def _file_call(
    writer: Callable[[Path, bool, Path], Path], name: str, loader: Callable[[Path], Any]
) -> Callable[[Path, bool, Path], Prepared]:
    def prepare(tmp: Path, malicious: bool, canary: Path) -> Prepared:
        path = writer(tmp / name, malicious, canary)
        return Prepared(lambda: loader(path), str(path), _sha(path.read_bytes()))

    return prepare


def _yaml_call(loader: Callable[[str], Any]) -> Callable[[Path, bool, Path], Prepared]:
    def prepare(tmp: Path, malicious: bool, canary: Path) -> Prepared:
        text = payloads.yaml_text(malicious, canary)
        return Prepared(lambda: loader(text), None, _sha(text.encode()))

    return prepare


def _dill() -> Any:
    import dill

    return dill


def _cloudpickle() -> Any:
    import cloudpickle

    return cloudpickle


def _joblib_load(path: Path) -> Any:
    import joblib

    return joblib.load(path)


def _pandas_read(path: Path) -> Any:
    import pandas

    return pandas.read_pickle(path)


def _numpy_load(path: Path) -> Any:
    import numpy

    return numpy.load(path, allow_pickle=True)


def _torch_load(path: Path) -> Any:
    import torch

    return torch.load(path, weights_only=False)


def _yaml() -> Any:
    import yaml

    return yaml


def _c_pickle() -> Any:
    import _pickle

    return _pickle


LOADERS = [
    Loader("pickle.loads", _bytes_call(lambda d: pickle.loads(d))),
    Loader("pickle.load", _stream_call(lambda f: pickle.load(f))),
    Loader("_pickle.loads", _bytes_call(lambda d: _c_pickle().loads(d))),
    Loader("pickle._loads", _bytes_call(lambda d: pickle._loads(d))),  # type: ignore[attr-defined]
    Loader("dill.loads", _bytes_call(lambda d: _dill().loads(d))),
    Loader("dill.load", _stream_call(lambda f: _dill().load(f))),
    Loader("cloudpickle.loads", _bytes_call(lambda d: _cloudpickle().loads(d))),
    Loader("joblib.load", _file_call(payloads.write_joblib, "model.joblib", _joblib_load)),
    Loader("pandas.read_pickle", _file_call(payloads.write_pickle, "frame.pkl", _pandas_read)),
    Loader(
        "pandas.read_pickle",
        _file_call(payloads.write_pandas_gzip, "frame.pkl.gz", _pandas_read),
        label="pandas.read_pickle-gzip",
    ),
    Loader(
        "joblib.load",
        _file_call(payloads.write_joblib_compressed, "model.joblib.z", _joblib_load),
        label="joblib.load-zlib",
    ),
    Loader("numpy.load", _file_call(payloads.write_npy, "array.npy", _numpy_load)),
    Loader("yaml.unsafe_load", _yaml_call(lambda t: _yaml().unsafe_load(t)), False),
    Loader("yaml.load", _yaml_call(lambda t: _yaml().load(t, Loader=_yaml().Loader)), False),
    pytest.param(
        Loader("torch.load", _file_call(payloads.write_torch, "model.pt", _torch_load)),
        marks=[pytest.mark.torch, pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")],
    ),
]


def _ids(value: Any) -> str:
    return (value.label or value.api) if isinstance(value, Loader) else str(value)


@pytest.mark.parametrize("mode", ["warn", "block"])
@pytest.mark.parametrize("loader", LOADERS, ids=_ids)
def test_malicious_input(loader: Loader, mode: str, tmp_path: Path, guard_with: Any) -> None:
    canary = tmp_path / "canary"
    prepared = loader.prepare(tmp_path, True, canary)
    run = guard_with(mode=mode)
    with pytest.raises(BlockedLoad) as raised:
        prepared.call()
    assert not canary.exists(), "the payload ran although the load was blocked"
    assert raised.value.verdict == "dangerous"
    assert f"%nbsec allow {prepared.sha256}" in str(raised.value)
    event = run.guard.events[-1]
    assert event.api == loader.api
    assert event.action == "blocked"
    assert event.verdict == "dangerous"
    assert event.sha256 == prepared.sha256
    assert event.path == prepared.path
    # one load, one finding: the verdict at the worst severity the scan found
    (finding,) = event.findings
    assert (finding.rule, finding.severity) == (loader.rule, "critical")
    assert finding.location.path == prepared.path
    assert any("mkdir" in g for g in event.globals)
    assert finding.evidence is not None and "mkdir" in finding.evidence
    assert event.resolved_globals == []  # nothing reached the unpickler
    assert [e for e in run.reported if e is event] == [event]  # reported exactly once


@pytest.mark.parametrize("mode", ["warn", "block"])
@pytest.mark.parametrize("loader", LOADERS, ids=_ids)
def test_benign_input(loader: Loader, mode: str, tmp_path: Path, guard_with: Any) -> None:
    prepared = loader.prepare(tmp_path, False, tmp_path / "canary")
    run = guard_with(mode=mode)
    assert prepared.call() is not None
    event = run.guard.events[-1]
    assert (event.api, event.action, event.verdict) == (loader.api, "allowed", "safe")
    assert event.findings == []
    assert event.sha256 == prepared.sha256
    assert run.reported == [event]


@pytest.mark.parametrize("mode", ["warn", "block"])
@pytest.mark.parametrize("loader", LOADERS, ids=_ids)
def test_allowlisted_hash_passes_silently(
    loader: Loader, mode: str, tmp_path: Path, guard_with: Any
) -> None:
    canary = tmp_path / "canary"
    prepared = loader.prepare(tmp_path, True, canary)
    run = guard_with(mode=mode, allow_sha256=(prepared.sha256,))
    prepared.call()
    assert canary.exists()
    event = run.guard.events[-1]
    assert (event.action, event.trusted, event.findings) == ("allowed", True, [])
    assert event.verdict == "dangerous"  # still recorded for the ledger


@pytest.mark.parametrize(
    ("pattern", "allowed"),
    [("*/approved/*.pkl", True), ("*/other/*.pkl", False)],
)
def test_allow_paths(pattern: str, allowed: bool, tmp_path: Path, guard_with: Any) -> None:
    canary = tmp_path / "canary"
    folder = tmp_path / "approved"
    folder.mkdir()
    path = payloads.write_pickle(folder / "model.pkl", True, canary)
    run = guard_with(mode="block", allow_paths=(pattern,))
    if allowed:
        with open(path, "rb") as handle:
            pickle.load(handle)
        assert canary.exists()
        assert run.guard.events[-1].trusted
    else:
        with pytest.raises(BlockedLoad), open(path, "rb") as handle:
            pickle.load(handle)
        assert not canary.exists()
        assert run.guard.events[-1].findings[0].location.path == str(path)


class Unknown1:
    pass


class Unknown2:
    pass


class Unknown3:
    pass


@pytest.mark.parametrize("mode", ["warn", "block"])
def test_a_load_of_three_unknown_classes_is_one_finding(
    mode: str, tmp_path: Path, guard_with: Any
) -> None:
    path = tmp_path / "three.pkl"
    path.write_bytes(pickle.dumps([Unknown1(), Unknown2(), Unknown3()]))
    run = guard_with(mode=mode)
    with open(path, "rb") as handle:
        if mode == "block":
            with pytest.raises(BlockedLoad):
                pickle.load(handle)
        else:
            assert len(pickle.load(handle)) == 3
    (event,) = run.guard.events
    action = "warned" if mode == "warn" else "blocked"
    assert (event.verdict, event.action) == ("suspicious", action)
    (finding,) = event.findings  # not one more per global
    assert (finding.rule, finding.severity) == ("NBS-PKL-001", "critical")
    names = [f"{__name__}.Unknown{i}" for i in (1, 2, 3)]
    assert finding.evidence == ", ".join(names)
    assert all(name in finding.message for name in names)
