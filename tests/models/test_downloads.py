"""Download provenance against a local hub server and real clients (huggingface_hub, urllib,
requests, httpx): source, revision, pinning, file hashes, NBS-MDL findings, and block mode."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pickle
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from nbsec.errors import BlockedLoad
from nbsec.findings import Severity
from tests.fakehub import payloads
from tests.fakehub.fixtures import fake_hub_fixture, guard_with_fixture  # noqa: F401
from tests.fakehub.server import FakeHub

ROOT = Path(__file__).resolve().parents[2]
HAS_TORCH = importlib.util.find_spec("torch") is not None
COMMIT = "0123456789abcdef0123456789abcdef01234567"
MODEL = b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01w\x94K\x01s."


def _acme(hub: FakeHub, files: dict[str, bytes] | None = None) -> str:
    return hub.repo("acme/tiny").add_commit(files or {"config.json": b"{}", "model.bin": MODEL})


@pytest.mark.parametrize(
    ("revision", "trusted", "rules"),
    [
        (None, (), ["NBS-MDL-002"]),
        ("main", (), ["NBS-MDL-002"]),
        ("COMMIT", (), []),
        ("COMMIT", ("huggingface.co/acme",), []),
        ("main", ("huggingface.co/acme",), ["NBS-MDL-002"]),
        ("COMMIT", ("huggingface.co/other-org",), ["NBS-MDL-006"]),
        ("main", ("hf.co/acme-evil",), ["NBS-MDL-002", "NBS-MDL-006"]),
    ],
)
def test_hf_hub_download_provenance(
    revision: str | None,
    trusted: tuple[str, ...],
    rules: list[str],
    tmp_path: Path,
    fake_hub: FakeHub,
    guard_with: Any,
) -> None:
    import huggingface_hub

    commit = _acme(fake_hub)
    wanted = commit if revision == "COMMIT" else revision
    run = guard_with(trusted_sources=trusted)
    path = huggingface_hub.hf_hub_download(
        "acme/tiny",
        "model.bin",
        revision=wanted,
        cache_dir=tmp_path / "cache",
        endpoint=fake_hub.endpoint,
    )
    [event] = run.guard.events
    assert (event.kind, event.api, event.source) == (
        "download",
        "hf_hub_download",
        "huggingface.co/acme/tiny",
    )
    assert (event.revision, event.pinned, event.resolved_revision) == (
        wanted,
        wanted == commit,
        commit,
    )
    assert event.sha256 == hashlib.sha256(MODEL).hexdigest()
    assert event.files == [{"path": "model.bin", "sha256": event.sha256, "size": len(MODEL)}]
    assert event.path == path
    assert [f.rule for f in event.findings] == rules
    assert all(f.location.path == path for f in event.findings)
    assert event.action == ("warned" if rules else "allowed")
    assert event.trusted is (trusted == ("huggingface.co/acme",))


def test_snapshot_download_records_every_file(
    tmp_path: Path, fake_hub: FakeHub, guard_with: Any
) -> None:
    import huggingface_hub

    files = {"config.json": b"{}", "model.bin": MODEL, "sub/extra.pkl": b"\x80\x04N."}
    commit = _acme(fake_hub, files)
    run = guard_with()
    root = huggingface_hub.snapshot_download(
        "acme/tiny", cache_dir=tmp_path / "cache", endpoint=fake_hub.endpoint
    )
    [event] = run.guard.events
    assert (event.api, event.path, event.resolved_revision) == ("snapshot_download", root, commit)
    assert {f["path"]: f["sha256"] for f in event.files} == {
        name: hashlib.sha256(data).hexdigest() for name, data in files.items()
    }
    assert [f.rule for f in event.findings] == ["NBS-MDL-002"]


@pytest.mark.parametrize(
    ("trusted", "outcome"),
    # a trusted source never admits a dangerous file: only an allow of that exact file does
    [(("huggingface.co/acme",), "blocked"), (("huggingface.co/other-org",), "blocked")],
)
def test_load_of_a_downloaded_file_carries_its_source(
    trusted: tuple[str, ...], outcome: str, tmp_path: Path, fake_hub: FakeHub, guard_with: Any
) -> None:
    import huggingface_hub

    canary = tmp_path / "canary"
    commit = _acme(fake_hub, {"model.pkl": payloads.pickle_bytes(True, canary)})
    run = guard_with(mode="block", trusted_sources=trusted)
    path = huggingface_hub.hf_hub_download(
        "acme/tiny", "model.pkl", revision=commit, cache_dir=tmp_path, endpoint=fake_hub.endpoint
    )
    with open(path, "rb") as handle:
        if outcome == "blocked":
            with pytest.raises(BlockedLoad):
                pickle.load(handle)
        else:
            pickle.load(handle)
    assert canary.exists() is (outcome == "allowed")
    load = run.guard.events[-1]
    assert (load.kind, load.action, load.source) == ("load", outcome, "huggingface.co/acme/tiny")
    assert (load.pinned, load.resolved_revision) == (True, commit)


class _TinyModel:
    """A ``ModelHubMixin`` model built from the hub's ``config.json``."""

    @classmethod
    def mixin(cls) -> Any:
        from huggingface_hub import ModelHubMixin

        class Tiny(ModelHubMixin):
            def __init__(self, **config: Any) -> None:
                self.config = config

            @classmethod
            def _from_pretrained(cls, *, model_id: str, **kwargs: Any) -> Any:
                return cls(source=model_id, trust=kwargs.get("trust_remote_code"))

        return Tiny


def test_trust_remote_code_is_blocked_before_anything_is_fetched(
    fake_hub: FakeHub, guard_with: Any
) -> None:
    _acme(fake_hub)
    run = guard_with(mode="block")
    with pytest.raises(BlockedLoad) as raised:
        _TinyModel.mixin().from_pretrained("acme/tiny", trust_remote_code=True)
    assert "trust_remote_code" in str(raised.value)
    assert fake_hub.requests == []
    [event] = run.guard.events
    assert (event.api, event.action) == ("ModelHubMixin.from_pretrained", "blocked")
    assert [f.rule for f in event.findings] == ["NBS-MDL-001", "NBS-MDL-002"]


def test_trust_remote_code_from_a_local_directory_is_recorded(
    tmp_path: Path, guard_with: Any
) -> None:
    (tmp_path / "config.json").write_text("{}")
    run = guard_with(mode="warn")
    model = _TinyModel.mixin().from_pretrained(str(tmp_path), trust_remote_code=True)
    assert model.config["trust"] is True
    [event] = run.guard.events
    assert (event.action, event.source) == ("warned", str(tmp_path))
    assert [f.rule for f in event.findings] == ["NBS-MDL-001"]


def _urlretrieve(url: str, tmp: Path) -> Any:
    return urllib.request.urlretrieve(url, tmp / "fetched.bin")[0]


def _urlopen(url: str, tmp: Path) -> Any:
    with urllib.request.urlopen(url) as response:  # a local test server
        return response.read()


def _requests(url: str, tmp: Path) -> Any:
    import requests

    return requests.get(url, timeout=10).content


def _requests_session(url: str, tmp: Path) -> Any:
    import requests

    with requests.Session() as session:
        return session.get(url, timeout=10).content


def _httpx(url: str, tmp: Path) -> Any:
    import httpx

    return httpx.get(url).content


def _httpx_client(url: str, tmp: Path) -> Any:
    import httpx

    with httpx.Client() as client:
        return client.get(url).content


URL_CLIENTS = [
    ("urllib.request.urlretrieve", _urlretrieve, True),
    ("urllib.request.urlopen", _urlopen, False),
    ("requests.get", _requests, True),
    ("requests.Session.get", _requests_session, True),
    ("httpx.get", _httpx, True),
    ("httpx.Client.get", _httpx_client, True),
]


@pytest.mark.parametrize(("api", "fetch", "hashed"), URL_CLIENTS, ids=[c[0] for c in URL_CLIENTS])
@pytest.mark.parametrize(
    ("trusted", "rules"),
    [
        ((), ["NBS-MDL-004"]),
        (("127.0.0.1",), []),
        (("models.example.com",), ["NBS-MDL-004", "NBS-MDL-006"]),
    ],
)
def test_url_model_downloads(
    api: str,
    fetch: Any,
    hashed: bool,
    trusted: tuple[str, ...],
    rules: list[str],
    tmp_path: Path,
    fake_hub: FakeHub,
    guard_with: Any,
) -> None:
    url = fake_hub.add_file("weights.pt", MODEL) + "?token=secret-value"
    fake_hub.add_file("page.html", b"<html></html>")
    run = guard_with(trusted_sources=trusted)
    fetch(fake_hub.endpoint + "/files/page.html", tmp_path)  # not a model file: not recorded
    fetch(url, tmp_path)
    [event] = run.guard.events
    assert event.api == api
    assert event.source == fake_hub.endpoint + "/files/weights.pt"  # query string dropped
    assert "secret-value" not in json.dumps(event.to_dict())
    assert event.sha256 == (hashlib.sha256(MODEL).hexdigest() if hashed else None)
    assert [f.rule for f in event.findings] == rules


def test_url_download_blocked_when_its_findings_reach_fail_on(
    tmp_path: Path, fake_hub: FakeHub, guard_with: Any
) -> None:
    url = fake_hub.add_file("weights.pt", MODEL)
    run = guard_with(mode="block", fail_on=Severity.MEDIUM)
    with pytest.raises(BlockedLoad):
        _urlretrieve(url, tmp_path)
    assert fake_hub.requests == []
    assert run.guard.events[-1].action == "blocked"


@pytest.mark.torch
@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
def test_torch_hub_load_of_a_github_repo_is_blocked_offline(guard_with: Any) -> None:
    import torch

    run = guard_with(mode="block")
    with pytest.raises(BlockedLoad):
        torch.hub.load("someone/models:dev", "resnet", trust_repo=True)
    [event] = run.guard.events
    assert (event.source, event.revision, event.pinned) == (
        "github.com/someone/models",
        "dev",
        False,
    )
    assert [f.rule for f in event.findings] == ["NBS-MDL-003"]


_HF_ENDPOINT_SCRIPT = r"""
import json, sys
from nbsec.models import guard as model_guard
from nbsec.policy import Policy
guard = model_guard.install(lambda: Policy(), lambda event: None)
import huggingface_hub  # imported after HF_ENDPOINT is set and after the guard
path = huggingface_hub.hf_hub_download("acme/tiny", "model.bin")
print(json.dumps([e.to_dict() for e in guard.events]))
guard.uninstall()
"""


def test_hf_endpoint_environment_in_a_fresh_process(tmp_path: Path, fake_hub: FakeHub) -> None:
    commit = _acme(fake_hub)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HF_ENDPOINT": fake_hub.endpoint,
        "HF_HUB_CACHE": str(tmp_path / "cache"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", _HF_ENDPOINT_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    [event] = json.loads(out.stdout.strip().splitlines()[-1])
    assert (event["source"], event["resolved_revision"], event["pinned"]) == (
        "huggingface.co/acme/tiny",
        commit,
        False,
    )
    assert [f["rule"] for f in event["findings"]] == ["NBS-MDL-002"]
    assert ("HEAD", "/acme/tiny/resolve/main/model.bin") in fake_hub.requests


def _entry(api: str) -> Any:
    from nbsec.models.guard_entrypoints import entry_table

    return next(e for e in entry_table().entries if e.api == api)


@pytest.mark.parametrize(
    ("api", "args", "kwargs", "expected"),
    [
        ("datasets.load_dataset", ("csv",), {}, None),
        ("datasets.load_dataset", ("csv",), {"trust_remote_code": True}, ("csv", None, True)),
        (
            "datasets.load_dataset",
            ("acme/reviews",),
            {"revision": "main"},
            ("huggingface.co/datasets/acme/reviews", "main", False),
        ),
        (
            "transformers.AutoModel.from_pretrained",
            ("acme/tiny",),
            {"trust_remote_code": True, "revision": COMMIT},
            ("huggingface.co/acme/tiny", COMMIT, True),
        ),
        ("transformers.pipeline", ("text-classification",), {}, None),
        (
            "transformers.pipeline",
            ("text-classification", "acme/tiny"),
            {},
            ("huggingface.co/acme/tiny", None, False),
        ),
        ("torch.hub.load", ("./local", "m"), {"source": "local"}, None),
        ("torch.hub.load", ("o/r:" + COMMIT, "m"), {}, ("github.com/o/r", COMMIT, False)),
        ("requests.get", ("https://h.example/index.html",), {}, None),
        (
            "requests.get",
            ("https://u:p@h.example/m.pt?t=1",),
            {},
            ("https://h.example/m.pt", None, False),
        ),
    ],
)
def test_download_handlers_read_the_call(
    api: str, args: tuple[Any, ...], kwargs: dict[str, Any], expected: Any
) -> None:
    from nbsec.models.downloads import HANDLERS
    from nbsec.models.guard_entrypoints import entry_table

    entry = _entry(api)
    plan = HANDLERS[entry.handler](entry, args, kwargs, entry_table().model_suffixes)
    if expected is None:
        assert plan is None
    else:
        assert plan is not None
        assert (plan.source, plan.revision, plan.trust_remote_code) == expected
