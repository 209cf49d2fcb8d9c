"""Settings for every test, and the test session order shared by every area."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last. Playwright's sync API keeps its own event loop running in the main
    thread from the first browser test to the end of the session (the browser is a session
    fixture); an asyncio test after it (the jupyter server tests) would find that loop running.
    The order within each group is kept."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _own_results_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Each test gets an empty results cache of its own (never the user's ~/.cache/nbsec), so a
    test's monkeypatched scanner never sees another test's cached results."""
    directory = tmp_path_factory.mktemp("nbsec-cache")
    monkeypatch.setenv("NBSEC_CACHE_DIR", str(directory))
    return directory
