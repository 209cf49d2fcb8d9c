"""The NBS-MDL judgements on download events, and the helpers they rest on (pure functions)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nbsec.models.guard_event import LoadEvent
from nbsec.models.provenance import (
    directory_files,
    file_sha256,
    hub_source,
    is_model_url,
    is_pinned,
    judge_download,
    redact_url,
    revision_from_cache_path,
)
from nbsec.policy import Policy

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("revision", "pinned"),
    [
        (COMMIT, True),
        (COMMIT.upper(), True),
        (None, False),
        ("", False),
        ("main", False),
        ("v1.0", False),
        (COMMIT[:12], False),  # short shas can be ambiguous and are branch-like names too
        (COMMIT + "0", False),
        ("refs/pr/1", False),
    ],
)
def test_is_pinned(revision: str | None, pinned: bool) -> None:
    assert is_pinned(revision) is pinned


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("https://user:pw@host.example/a/b.pt?sig=abc#frag", "https://host.example/a/b.pt"),
        ("http://127.0.0.1:8080/files/x.bin?token=t", "http://127.0.0.1:8080/files/x.bin"),
        ("https://HOST.example/x.pkl", "https://host.example/x.pkl"),
    ],
)
def test_redact_url_drops_credentials_and_query(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


@pytest.mark.parametrize(
    ("path", "commit"),
    [
        (f"/c/models--acme--tiny/snapshots/{COMMIT}/model.bin", COMMIT),
        (f"/c/models--acme--tiny/snapshots/{COMMIT}/", COMMIT),
        ("/c/models--acme--tiny/snapshots/main/model.bin", None),
        ("/data/model.bin", None),
        (None, None),
    ],
)
def test_revision_from_cache_path(path: str | None, commit: str | None) -> None:
    assert revision_from_cache_path(path) == commit


@pytest.mark.parametrize(
    ("url", "model"),
    [
        ("https://h/x/model.pt", True),
        ("https://h/x/MODEL.SAFETENSORS", True),
        ("https://h/x/weights.pkl.gz?x=1", True),
        ("https://h/x/index.html", False),
        ("https://h/x/data.csv", False),
        ("https://h/model.pt/readme", False),
    ],
)
def test_is_model_url(url: str, model: bool) -> None:
    from nbsec.models.guard_entrypoints import entry_table

    assert is_model_url(url, entry_table().model_suffixes) is model


@pytest.mark.parametrize(
    ("repo_type", "source"),
    [
        (None, "huggingface.co/acme/tiny"),
        ("model", "huggingface.co/acme/tiny"),
        ("dataset", "huggingface.co/datasets/acme/tiny"),
    ],
)
def test_hub_source(repo_type: str | None, source: str) -> None:
    assert hub_source("acme/tiny", repo_type) == source


def _event(source: str, revision: str | None = None, path: str = "/cache/m.bin") -> LoadEvent:
    return LoadEvent(
        kind="download",
        api="hf_hub_download",
        source=source,
        path=path,
        revision=revision,
        pinned=is_pinned(revision),
    )


HUB = "huggingface.co/acme/tiny"


@pytest.mark.parametrize(
    ("event", "checks", "trusted", "rules"),
    [
        (_event(HUB), {"hub": True}, (), ["NBS-MDL-002"]),
        (_event(HUB, COMMIT), {"hub": True}, (), []),
        (_event(HUB, COMMIT), {"hub": True, "trust_remote_code": True}, (), ["NBS-MDL-001"]),
        (
            _event(HUB, "main"),
            {"hub": True, "trust_remote_code": True},
            ("huggingface.co/other",),
            ["NBS-MDL-001", "NBS-MDL-002", "NBS-MDL-006"],
        ),
        (_event(HUB, COMMIT), {"hub": True}, ("huggingface.co/acme",), []),
        (_event(HUB, COMMIT), {"hub": True}, ("acme",), ["NBS-MDL-006"]),  # a host, not an org
        (_event("github.com/o/r", "dev"), {"torch_hub": True}, (), ["NBS-MDL-003"]),
        (_event("https://h.example/m.pt"), {"url_fetch": True}, (), ["NBS-MDL-004"]),
        (_event("https://h.example/m.pt"), {"url_fetch": True}, ("h.example",), []),
        (
            _event("https://evil.example/m.pt"),
            {"url_fetch": True},
            ("h.example",),
            ["NBS-MDL-004", "NBS-MDL-006"],
        ),
    ],
)
def test_judge_download(
    event: LoadEvent, checks: dict[str, bool], trusted: tuple[str, ...], rules: list[str]
) -> None:
    findings = judge_download(event, Policy(trusted_sources=trusted), **checks)
    assert [f.rule for f in findings] == rules
    assert all(f.location.path == event.path for f in findings)
    assert all(f.evidence == event.source for f in findings)


def test_disabled_rules_are_not_reported() -> None:
    policy = Policy(disable_rules=("NBS-MDL-002",), trusted_sources=("huggingface.co/x",))
    findings = judge_download(_event(HUB), policy, hub=True)
    assert [f.rule for f in findings] == ["NBS-MDL-006"]


def test_allowlisted_hash_makes_a_download_trusted() -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    event = _event("https://evil.example/m.pt")
    event.sha256 = digest
    findings = judge_download(
        event, Policy(allow_sha256=(digest,), trusted_sources=("h.example",)), url_fetch=True
    )
    assert (findings, event.trusted) == ([], True)


def test_file_hashes_and_the_size_limit(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"abc")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "big.bin").write_bytes(b"0" * 100)
    assert file_sha256(tmp_path / "a.bin", 10) == (hashlib.sha256(b"abc").hexdigest(), 3)
    assert file_sha256(tmp_path / "sub" / "big.bin", 10) == (None, 100)
    assert file_sha256(tmp_path / "missing", 10) == (None, None)
    assert directory_files(tmp_path, 10) == [
        {"path": "a.bin", "sha256": hashlib.sha256(b"abc").hexdigest(), "size": 3},
        {"path": "sub/big.bin", "sha256": None, "size": 100},
    ]


def test_event_json_round() -> None:
    event = _event(HUB, COMMIT)
    event.findings = judge_download(event, Policy(trusted_sources=("x.example",)), hub=True)
    data = event.to_dict()
    assert data["kind"] == "download"
    assert data["pinned"] is True
    assert [f["rule"] for f in data["findings"]] == ["NBS-MDL-006"]
    assert data["cell"] is None
    with pytest.raises(ValueError):
        LoadEvent(kind="upload", api="x")
