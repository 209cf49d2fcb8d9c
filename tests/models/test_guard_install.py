"""Installing and removing the guard: identity restored, lazy wrapping of later imports, the audit
hook as backstop for loads no wrapper sees, on/off and the block-mode cell context."""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nbsec.errors import BlockedLoad, UsageError
from nbsec.models import guard as model_guard
from nbsec.models.guard_entrypoints import entry_table
from nbsec.models.guard_patches import is_wrapper
from nbsec.policy import Policy
from tests.fakehub import payloads
from tests.fakehub.fixtures import guard_with_fixture  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
_ABSENT = object()


# Keras (which needs a backend chosen before import), tensorflow, transformers and datasets are
# left out: importing them here would be slow or would pick a backend for the whole session.
_NOT_IMPORTED_HERE = ("keras", "tensorflow", "transformers", "datasets")


def _import_everything() -> None:
    for name in sorted(entry_table().modules):
        top = name.split(".")[0]
        if top in _NOT_IMPORTED_HERE or importlib.util.find_spec(top) is None:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # an optional library's submodule is missing here
            continue


def _raw_attributes() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for entry in entry_table().entries:
        owner: Any = sys.modules.get(entry.module)
        for part in entry.owner_path[:-1]:
            owner = getattr(owner, part, None)
        if owner is not None:
            found[f"{entry.module}:{entry.attribute}"] = vars(owner).get(
                entry.owner_path[-1], _ABSENT
            )
    return found


def test_uninstall_restores_identity_of_every_wrapped_function() -> None:
    _import_everything()
    before = _raw_attributes()
    guard = model_guard.install(Policy, lambda event: None)
    try:
        during = _raw_attributes()
        wrapped = [key for key, value in during.items() if is_wrapper(value)]
        assert guard.wrapped == len(wrapped)
        expected = {"pickle:loads", "_pickle:load", "joblib:load", "numpy:load", "yaml:unsafe_load"}
        assert expected <= set(wrapped)
        assert "urllib.request:urlretrieve" in wrapped
    finally:
        guard.uninstall()
    after = _raw_attributes()
    assert after.keys() == before.keys()
    changed = [key for key in before if after[key] is not before[key]]
    assert changed == []
    assert pickle.loads is sys.modules["_pickle"].loads


def test_only_one_guard_at_a_time() -> None:
    guard = model_guard.install(Policy, lambda event: None)
    try:
        with pytest.raises(UsageError):
            model_guard.install(Policy, lambda event: None)
    finally:
        guard.uninstall()
    assert model_guard.active_guard() is None


_LATE_IMPORT_SCRIPT = r"""
import json, os, sys
from nbsec.models import guard as model_guard
from nbsec.models.guard_patches import is_wrapper
from nbsec.policy import Policy
from nbsec.errors import BlockedLoad

heavy = ["yaml", "joblib", "numpy", "pandas", "torch", "dill", "huggingface_hub", "requests"]
before = [m for m in heavy if m in sys.modules]
guard = model_guard.install(lambda: Policy(mode="block"), lambda event: None)
after_install = [m for m in heavy if m in sys.modules]
import yaml
import joblib
wrapped = {"yaml.unsafe_load": is_wrapper(vars(yaml)["unsafe_load"]),
           "joblib.load": is_wrapper(vars(joblib)["load"])}
original = vars(yaml)["unsafe_load"].__nbsec_wrapped__
canary = sys.argv[1]
blocked = False
try:
    yaml.unsafe_load(f"!!python/object/apply:os.mkdir ['{canary}']")
except BlockedLoad:
    blocked = True
guard.uninstall()
print(json.dumps({
    "before": before, "after_install": after_install, "wrapped": wrapped, "blocked": blocked,
    "canary": os.path.exists(canary), "restored": yaml.unsafe_load is original,
    "loader_restored": type(yaml.__spec__.loader).__name__,
}))
"""


def test_later_imports_are_wrapped_and_nothing_heavy_is_imported(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _LATE_IMPORT_SCRIPT, str(canary)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["after_install"] == result["before"] == []
    assert result["wrapped"] == {"yaml.unsafe_load": True, "joblib.load": True}
    assert result["blocked"] is True
    assert result["canary"] is False
    assert result["restored"] is True
    assert result["loader_restored"] != "_NotifyingLoader"


def test_loads_imported_before_install_is_caught_by_the_audit_hook(
    tmp_path: Path, guard_with: Any
) -> None:
    from pickle import loads as early_loads  # bound before the guard exists

    canary = tmp_path / "canary"
    data = payloads.pickle_bytes(True, canary)
    run = guard_with(mode="block")
    assert early_loads is not pickle.loads
    with pytest.raises(BlockedLoad):
        early_loads(data)
    assert not canary.exists()
    event = run.guard.events[-1]
    assert (event.api, event.action, event.verdict) == ("pickle.find_class", "blocked", "dangerous")
    assert event.globals == ["posix.mkdir"] or event.globals == ["os.mkdir"]
    assert event.findings[0].rule == "NBS-PKL-001"


@pytest.mark.parametrize("mode", ["warn", "block"])
def test_unpickler_class_is_caught_by_the_audit_hook(
    mode: str, tmp_path: Path, guard_with: Any
) -> None:
    canary = tmp_path / "canary"
    path = payloads.write_pickle(tmp_path / "model.pkl", True, canary)
    run = guard_with(mode=mode)
    with open(path, "rb") as handle:
        unpickler = pickle.Unpickler(handle)
        with pytest.raises(BlockedLoad):  # a dangerous global is refused in every mode
            unpickler.load()
    assert not canary.exists()
    event = run.guard.events[-1]
    assert event.action == "blocked"
    assert event.path == str(path)  # the file this thread opened last
    assert event.findings[0].location.path == str(path)


def test_allowlisted_globals_pass_the_audit_hook_quietly(guard_with: Any) -> None:
    run = guard_with(mode="block")
    data = pickle.dumps({"when": __import__("datetime").date(2024, 1, 2)})
    assert pickle.Unpickler(io.BytesIO(data)).load()["when"].year == 2024
    assert run.guard.events == []


class _SwitchingStream(io.RawIOBase):
    """A file whose content changes after it was read once: the static scan sees the benign
    bytes, the unpickler the malicious ones (a time-of-check / time-of-use bypass)."""

    def __init__(self, first: bytes, then: bytes) -> None:
        self._contents = [first, then]
        self._reads = 0
        self._buffer = io.BytesIO(first)

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._buffer.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._buffer.seek(offset, whence)

    def readinto(self, target: Any) -> int:
        data = self._buffer.read(len(target))
        target[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        data = self._buffer.read(size)
        if (size < 0 or not data) and self._reads == 0:
            self._reads = 1
            self._buffer = io.BytesIO(self._contents[1])
        return data

    def readline(self, size: int | None = -1) -> bytes:
        return self._buffer.readline(-1 if size is None else size)


@pytest.mark.parametrize(("mode", "action"), [("warn", "blocked"), ("block", "blocked")])
def test_scanner_bypass_is_stopped_by_the_audit_hook(
    mode: str, action: str, tmp_path: Path, guard_with: Any
) -> None:
    canary = tmp_path / "canary"
    stream = _SwitchingStream(
        payloads.pickle_bytes(False, canary), payloads.pickle_bytes(True, canary)
    )
    run = guard_with(mode=mode)
    with pytest.raises(BlockedLoad):  # dangerous at run time: refused in every mode
        pickle.load(stream)
    assert not canary.exists()
    event = run.guard.events[-1]
    assert event.api == "pickle.load"
    assert (event.action, event.verdict) == (action, "dangerous")
    assert "posix.mkdir" in event.resolved_globals or "os.mkdir" in event.resolved_globals
    assert "did not report" in event.reason
    assert [f.rule for f in event.findings] == ["NBS-PKL-001"]
    assert run.reported == [event]


def test_guard_off_and_on(tmp_path: Path, guard_with: Any) -> None:
    canary = tmp_path / "canary"
    data = payloads.pickle_bytes(True, canary)
    run = guard_with(mode="block")
    run.guard.enabled = False
    assert pickle.loads(pickle.dumps({"a": 1})) == {"a": 1}
    assert run.guard.events == []  # switched off: quiet
    with pytest.raises(BlockedLoad):  # ... but a dangerous file is still refused
        pickle.loads(data)
    assert not canary.exists()
    assert [e.action for e in run.guard.events] == ["blocked"]
    run.guard.enabled = True
    with pytest.raises(BlockedLoad):
        pickle.loads(data)
    assert not canary.exists()


class UserModel:
    """A class of the user's own: not on the allowlist, so its pickle is suspicious."""

    def __init__(self, weight: float) -> None:
        self.weight = weight


def test_block_mode_context_blocks_for_one_cell_only(guard_with: Any) -> None:
    data = pickle.dumps(UserModel(2.0))
    run = guard_with(mode="warn")
    with run.guard.block_mode(), pytest.raises(BlockedLoad):
        pickle.loads(data)
    assert pickle.loads(data).weight == 2.0
    assert [(e.action, e.verdict) for e in run.guard.events] == [
        ("blocked", "suspicious"),
        ("warned", "suspicious"),
    ]


def _torch_safe_load(path: Path) -> Any:
    import torch

    return torch.load(path, weights_only=True)


def _numpy_plain_load(path: Path) -> Any:
    import numpy

    return numpy.load(path)


def _yaml_safe_load(path: Path) -> Any:
    import yaml

    return yaml.load(path.read_text(), Loader=yaml.SafeLoader)


@pytest.mark.parametrize(
    ("writer", "loader"),
    [
        pytest.param(
            payloads.write_torch,
            _torch_safe_load,
            marks=[
                pytest.mark.torch,
                pytest.mark.skipif(
                    importlib.util.find_spec("torch") is None, reason="torch not installed"
                ),
            ],
            id="torch.load-weights_only",
        ),
        pytest.param(payloads.write_npy, _numpy_plain_load, id="numpy.load-no-pickle"),
        pytest.param(
            lambda p, m, c: (p.write_text(payloads.yaml_text(False, c)), p)[1],
            _yaml_safe_load,
            id="yaml.load-SafeLoader",
        ),
    ],
)
def test_safe_call_forms_are_not_guarded(
    writer: Any, loader: Any, tmp_path: Path, guard_with: Any
) -> None:
    path = writer(tmp_path / "input.npy", False, tmp_path / "canary")
    run = guard_with(mode="block")
    assert loader(path) is not None
    assert run.guard.events == []


_KERAS_SCRIPT = r"""
import json, os, shutil, sys
os.environ["KERAS_BACKEND"] = "torch"
import keras
from nbsec.errors import BlockedLoad
from nbsec.models import guard as model_guard
from nbsec.policy import Policy

folder, canary = sys.argv[1], sys.argv[2]
inp = keras.Input(shape=(2,))
touch = eval(f"lambda x: (__import__('os').makedirs({canary!r}, exist_ok=True), x)[1]")
model = keras.Model(inp, keras.layers.Lambda(touch, output_shape=(2,))(inp))
path = os.path.join(folder, "lambda.keras")
model.save(path)
shutil.rmtree(canary, ignore_errors=True)
policy = [Policy(mode="block")]
guard = model_guard.install(lambda: policy[0], lambda event: None)
results = {}
try:
    keras.models.load_model(path, safe_mode=False)
    results["block"] = "loaded"
except BlockedLoad:
    results["block"] = "blocked"
results["block_canary"] = os.path.exists(canary)
policy[0] = Policy(mode="warn")
try:  # dangerous: refused in warn mode too
    loaded = keras.saving.load_model(path, safe_mode=False)
    loaded(keras.ops.zeros((1, 2)))  # the Lambda's code runs when the model is called
    results["warn"] = "loaded"
except BlockedLoad:
    results["warn"] = "blocked"
results["warn_canary"] = os.path.exists(canary)
results["events"] = [
    (e.api, e.action, e.verdict, [f.rule for f in e.findings][:1], e.path) for e in guard.events
]
guard.uninstall()
print(json.dumps(results))
"""


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("keras") is None or importlib.util.find_spec("torch") is None,
    reason="keras with the torch backend not installed",
)
def test_keras_load_model_with_safe_mode_off(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _KERAS_SCRIPT, str(tmp_path), str(canary)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=240,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    path = str(tmp_path / "lambda.keras")
    assert (result["block"], result["block_canary"]) == ("blocked", False)
    assert (result["warn"], result["warn_canary"]) == ("blocked", False)
    assert result["events"] == [
        ["keras.models.load_model", "blocked", "dangerous", ["NBS-PKL-007"], path],
        ["keras.saving.load_model", "blocked", "dangerous", ["NBS-PKL-007"], path],
    ]


class _NestedTorch:
    """Pickles as ``torch.storage._load_from_bytes(<a whole torch file>)``: a pickle nested in a
    pickle, unpickled by a second ``torch.load`` while the outer load runs."""

    def __init__(self, inner: bytes) -> None:
        self.inner = inner

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        import torch.storage

        return (torch.storage._load_from_bytes, (self.inner,))


@pytest.mark.torch
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
@pytest.mark.parametrize(("mode", "action"), [("warn", "blocked"), ("block", "blocked")])
def test_pickle_nested_through_torch_load_from_bytes(
    mode: str, action: str, tmp_path: Path, guard_with: Any
) -> None:
    import torch

    canary = tmp_path / "canary"
    inner = io.BytesIO()
    torch.save(payloads.Canary(str(canary)), inner)
    data = pickle.dumps(_NestedTorch(inner.getvalue()))
    run = guard_with(mode=mode)
    with pytest.raises(BlockedLoad):  # _load_from_bytes is a loader: dangerous
        pickle.loads(data)
    assert not canary.exists()
    [event] = run.guard.events  # the nested torch.load is part of the outer load
    assert (event.api, event.action, event.verdict) == ("pickle.loads", action, "dangerous")
    assert event.findings[0].rule == "NBS-PKL-001"
