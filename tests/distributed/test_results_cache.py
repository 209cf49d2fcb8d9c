"""The results cache: keyed by content hash, command, engine fingerprint and policy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nbsec.commands import results_cache as rc
from nbsec.policy import PiiSettings, Policy


def _cache(tmp_path: Path, policy: Policy | None = None, command: str = "scan") -> rc.ResultsCache:
    return rc.ResultsCache(
        command,
        policy or Policy(),
        encode=lambda v: v,
        decode=lambda data, path: {**data, "path": str(path)},
        directory=tmp_path / "cache",
    )


def test_a_known_file_is_served_and_a_changed_one_is_not(tmp_path: Path) -> None:
    nb = tmp_path / "a.ipynb"
    nb.write_text('{"cells": []}')
    cache = _cache(tmp_path)
    assert cache.get(nb) is None
    cache.put(nb, {"findings": 3})
    cache.close()

    again = _cache(tmp_path)
    assert again.get(nb) == {"findings": 3, "path": str(nb)}
    nb.write_text('{"cells": [1]}')
    assert again.get(nb) is None
    assert (again.hits, again.misses) == (1, 1)


def test_results_name_their_file_so_a_copy_is_scanned_again(tmp_path: Path) -> None:
    a, b = tmp_path / "a.pkl", tmp_path / "copy" / "b.pkl"
    b.parent.mkdir()
    a.write_bytes(b"\x80\x04N.")
    b.write_bytes(b"\x80\x04N.")
    cache = _cache(tmp_path, command="scan-model")
    cache.put(a, {"verdict": "safe"})
    assert cache.get(b) is None
    assert cache.get(a) == {"verdict": "safe", "path": str(a)}


@pytest.mark.parametrize(
    "other",
    [
        {"policy": Policy(pii=PiiSettings(sample=500))},
        {"policy": Policy(allow_globals=("mypkg.Model",))},
        {"command": "scan-model"},
    ],
)
def test_policy_or_command_change_misses(tmp_path: Path, other: dict) -> None:
    nb = tmp_path / "a.ipynb"
    nb.write_text("{}")
    first = _cache(tmp_path)
    first.put(nb, {"n": 1})
    first.close()
    assert _cache(tmp_path, **other).get(nb) is None


def test_an_unchanged_file_is_not_read_again(tmp_path: Path, monkeypatch) -> None:
    nb = tmp_path / "a.ipynb"
    nb.write_text("{}")
    first = _cache(tmp_path)
    first.put(nb, {"n": 1})
    first.close()
    reads: list[Path] = []
    original = rc.file_sha256
    monkeypatch.setattr(rc, "file_sha256", lambda p: reads.append(p) or original(p))
    second = _cache(tmp_path)
    assert second.get(nb) == {"n": 1, "path": str(nb)}
    assert reads == []
    # a touch (new mtime) makes it hash the file again, and the content decides
    os.utime(nb, ns=(1, 1))
    third = _cache(tmp_path)
    assert third.get(nb) == {"n": 1, "path": str(nb)}
    assert len(reads) == 1


def test_engine_fingerprint_follows_nbsec_files(tmp_path: Path, monkeypatch) -> None:
    import nbsec

    fake = tmp_path / "pkg"
    (fake / "pii").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "pii" / "rules.toml").write_text("a = 1")
    monkeypatch.setattr(nbsec, "__file__", str(fake / "__init__.py"))
    before = rc.engine_fingerprint()
    (fake / "pii" / "rules.toml").write_text("a = 22")
    assert rc.engine_fingerprint() != before


def test_an_unusable_cache_is_skipped_with_a_note(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the directory should be")
    cache = _cache(tmp_path)
    assert not cache.enabled and cache.note and "results cache not used" in cache.note
    nb = tmp_path / "a.ipynb"
    nb.write_text("{}")
    assert cache.get(nb) is None
    cache.put(nb, {"n": 1})


def test_a_corrupt_database_is_dropped_not_trusted(tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "results.sqlite").write_bytes(b"not a database" * 100)
    cache = _cache(tmp_path)
    nb = tmp_path / "a.ipynb"
    nb.write_text("{}")
    assert cache.get(nb) is None
    assert not cache.enabled and cache.note
