"""The load decision the guard asks the policy for, and the spellings Python gives no wrapper for:
``exec(marshal.loads(...))``, PyYAML's loader classes used directly, ``__main__`` globals in a
live kernel, and pickling the guarded loaders by reference."""

from __future__ import annotations

import hashlib
import marshal
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest

from nbsec.errors import BlockedLoad
from nbsec.policy import Policy
from tests.fakehub.fixtures import guard_with_fixture  # noqa: F401


@pytest.mark.parametrize(
    ("policy", "sha256", "path", "allowed"),
    [
        (Policy(allow_sha256=("ab" * 32,)), "ab" * 32, None, True),
        (Policy(allow_sha256=("ab" * 32,)), "cd" * 32, "/m/x.pkl", False),
        (Policy(allow_paths=("*/approved/*.pkl",)), None, "/m/approved/x.pkl", True),
        (Policy(allow_paths=("*/approved/*.pkl",)), "ab" * 32, "/m/other/x.pkl", False),
        (Policy(trusted_sources=("huggingface.co/acme",)), "ab" * 32, "/m/x.pkl", False),
        (Policy(disable_rules=("NBS-PKL",)), "ab" * 32, "/m/x.pkl", False),
    ],
)
def test_load_allowed_admits_only_that_exact_file(
    policy: Policy, sha256: str | None, path: str | None, allowed: bool
) -> None:
    assert policy.load_allowed(sha256, path) is allowed


@pytest.mark.parametrize("function", ["loads", "load", "Unpickler"])
def test_guarded_loaders_pickle_by_reference(function: str, guard_with: Any) -> None:
    guard_with(mode="block")
    data = pickle.dumps(getattr(pickle, function))
    assert data.endswith(function.encode() + b"\x94\x93\x94.")


@pytest.mark.parametrize("mode", ["warn", "block"])
def test_exec_of_marshal_code_is_blocked_in_every_mode(mode: str, guard_with: Any) -> None:
    run = guard_with(mode=mode)
    data = marshal.dumps(compile("import os", "<payload>", "exec"))
    with pytest.raises(BlockedLoad) as raised:
        exec(marshal.loads(data))
    digest = hashlib.sha256(data).hexdigest()
    assert digest in str(raised.value)
    assert [(e.api, e.action, e.sha256) for e in run.guard.events] == [
        ("exec(marshal.loads(...))", "blocked", digest)
    ]
    exec(compile("x = 1", "<cell>", "exec"))


def test_exec_of_allowed_marshal_bytes_runs(guard_with: Any) -> None:
    data = marshal.dumps(compile("value = 42", "<payload>", "exec"))
    guard_with(mode="block", allow_sha256=(hashlib.sha256(data).hexdigest(),))
    namespace: dict[str, Any] = {}
    exec(marshal.loads(data), namespace)
    assert namespace["value"] == 42


@pytest.mark.parametrize(
    "spelling",
    [
        lambda y, t: y.UnsafeLoader(t).get_single_data(),
        lambda y, t: y.Loader(t).get_single_data(),
        lambda y, t: list(y.load_all(t, Loader=y.UnsafeLoader)),
        lambda y, t: y.load(t, y.CUnsafeLoader if hasattr(y, "CUnsafeLoader") else y.Loader),
    ],
    ids=["UnsafeLoader.get_single_data", "Loader.get_single_data", "load_all", "C loader"],
)
def test_yaml_unsafe_spellings_are_blocked(spelling: Any, tmp_path: Path, guard_with: Any) -> None:
    yaml = pytest.importorskip("yaml")
    canary = tmp_path / "canary"
    run = guard_with(mode="warn")
    with pytest.raises(BlockedLoad):
        spelling(yaml, f"!!python/object/apply:os.mkdir [{str(canary)!r}]")
    assert not canary.exists()
    assert run.guard.events[-1].verdict == "dangerous"
    assert yaml.UnsafeLoader("a: [1, 2]").get_single_data() == {"a": [1, 2]}


class NotebookModel:
    """Stands for a class defined in a notebook cell (``__module__ == "__main__"``)."""


def test_main_globals_are_judged_as_what_they_are(
    guard_with: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    main = sys.modules["__main__"]
    monkeypatch.setattr(NotebookModel, "__module__", "__main__")
    monkeypatch.setattr(main, "NotebookModel", NotebookModel, raising=False)
    monkeypatch.setattr(main, "system", os.system, raising=False)
    run = guard_with(mode="block")
    model = pickle.loads(b"c__main__\nNotebookModel\n)\x81.")
    assert isinstance(model, NotebookModel)
    assert run.guard.events[-1].action == "allowed"
    with pytest.raises(BlockedLoad):
        pickle.loads(b"c__main__\nsystem\n(S'true'\ntR.")
    assert run.guard.events[-1].verdict == "dangerous"


class _OwnClass:
    """Not on the allowlist: its pickle is suspicious."""


def test_a_file_this_session_wrote_is_quiet(tmp_path: Path, guard_with: Any) -> None:
    path = tmp_path / "mine.pkl"
    path.write_bytes(pickle.dumps(_OwnClass()))
    run = guard_with(mode="block")
    with pytest.raises(BlockedLoad), open(path, "rb") as handle:
        pickle.load(handle)
    run.guard.session_written = lambda p, sha: p == str(path)
    with open(path, "rb") as handle:
        assert isinstance(pickle.load(handle), _OwnClass)
    assert run.guard.events[-1].action == "allowed"
