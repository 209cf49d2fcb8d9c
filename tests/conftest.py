"""Test session order and the fixtures shared by every area."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.jupyterlab import CHROMIUM, CHROMIUM_ARGS, missing


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last. Playwright's sync API keeps its own event loop running in the main
    thread from the first browser test to the end of the session (the browser is a session
    fixture); an asyncio test after it (the jupyter server tests) would find that loop running.
    The order within each group is kept."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _results_cache_of_the_test(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test keeps nbsec's results cache (scan, scan-model, report) in a folder of its
    own, never in the user's ~/.cache, and never shares it with another test."""
    monkeypatch.setenv("NBSEC_CACHE_DIR", str(tmp_path_factory.mktemp("nbsec-cache")))


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, headless: one for the whole session, since a
    second Playwright cannot start while the first one's event loop runs."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright (Python) is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
