"""Test session order shared by every area."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last. Playwright's sync API keeps its own event loop running in the main
    thread from the first browser test to the end of the session (the browser is a session
    fixture); an asyncio test after it (the jupyter server tests) would find that loop running.
    The order within each group is kept."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
