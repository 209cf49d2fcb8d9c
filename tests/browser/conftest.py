"""Fixtures for the real-browser tests: a JupyterLab server and Debian's headless Chromium.

Chromium comes from Debian (``apt-get install chromium``); Playwright never downloads a browser
here. A missing Chromium skips the tests, except under ``CI=true`` where it fails them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.browser.jupyterlab import (
    LabServer,
    open_lab,
    start_lab_server,
)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """``jupyter lab`` on a free port with a known token, stopped at the end of the session."""
    with start_lab_server(tmp_path_factory.mktemp("jupyter")) as server:
        yield server


@contextmanager
def _lab_page(chromium: Any, server: LabServer) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        open_lab(page, server)
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def lab_page(chromium: Any, lab_server: LabServer) -> Iterator[Any]:
    """One JupyterLab page shared by the tests; each opens its own notebook (and kernel) in it."""
    with _lab_page(chromium, lab_server) as page:
        yield page


@pytest.fixture
def fresh_lab_page(chromium: Any, lab_server: LabServer) -> Iterator[Any]:
    """A JupyterLab page of its own, for a test that needs the app to start under new settings."""
    with _lab_page(chromium, lab_server) as page:
        yield page
