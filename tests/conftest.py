"""Settings for every test."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_results_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Each test gets an empty results cache of its own (never the user's ~/.cache/nbsec), so a
    test's monkeypatched scanner never sees another test's cached results."""
    directory = tmp_path_factory.mktemp("nbsec-cache")
    monkeypatch.setenv("NBSEC_CACHE_DIR", str(directory))
    return directory
