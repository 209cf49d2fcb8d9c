"""A real Jupyter server per test (pytest-jupyter), with nbsec's server extension enabled.

The fixtures and hooks of ``pytest_jupyter.jupyter_server`` are imported here rather than
registered as a plugin for the whole run, so their environment isolation (own HOME, config and
data directories) applies to the server tests only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403


@pytest.fixture(autouse=True)
def _own_event_loop() -> Iterator[None]:
    """The browser tests drive Chromium through Playwright's sync API, whose event loop stays
    marked as running in this thread for the whole session; the server tests run their own loop,
    so the foreign one is set aside for each test and put back after it."""
    foreign = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(foreign)


@pytest.fixture
def nbsec_config() -> dict[str, Any]:
    """Extra configuration of the NbsecServer section (a test overrides it)."""
    return {}


@pytest.fixture
def jp_server_config(nbsec_config: dict[str, Any]) -> Any:
    from traitlets.config import Config

    return Config(
        {
            "ServerApp": {"jpserver_extensions": {"nbsec": True}},
            "NbsecServer": nbsec_config,
        }
    )
