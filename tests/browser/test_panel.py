"""The nbsec sidebar in a real JupyterLab, driven through headless Chromium.

Each case opens its own notebook (so its own fresh kernel), checks that the panel reports that
nbsec is not loaded in that kernel, loads nbsec one way or the other, and checks that the panel
then shows the handshake the kernel answered over the ``nbsec`` comm: "connected", the kernel's
nbsec version, its mode and policy. Screenshots land in ``reports/screenshots/``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import nbsec
from tests.browser.conftest import SCREENSHOTS, LabServer, write_notebook

pytestmark = pytest.mark.browser

PANEL_TAB = ".jp-SideBar .lm-TabBar-tab[data-id='nbsec-panel']"
PANEL = "#nbsec-panel"
NOT_LOADED = "nbsec not loaded in this kernel"


def _testid(name: str) -> str:
    return f"{PANEL} [data-testid='{name}']"


def _open_notebook(page: Any, server: LabServer, name: str) -> None:
    page.goto(server.url(f"lab/tree/{name}?reset&token={server.token}"))
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(state="visible")


def _open_sidebar(page: Any) -> None:
    tab = page.locator(PANEL_TAB)
    tab.wait_for(state="visible")
    if not page.locator(PANEL).is_visible():
        tab.click()
    page.locator(PANEL).wait_for(state="visible")


def _wait_for_status(page: Any, text: str) -> None:
    status = page.locator(_testid("nbsec-status"))
    status.filter(has_text=re.compile(f"^{re.escape(text)}$")).wait_for(state="visible")


def _run_first_cell(page: Any) -> None:
    editor = page.locator(".jp-NotebookPanel .jp-Cell").first.locator(".cm-content")
    editor.click()
    page.keyboard.press("Shift+Enter")


def _click_load_button(page: Any) -> None:
    page.locator(_testid("nbsec-load-button")).click()


# how nbsec gets loaded into the kernel -> the notebook's cells and the action that loads it
LOADERS = {
    "cell-magic": (["%load_ext nbsec"], _run_first_cell),
    "load-button": (["x = 1"], _click_load_button),
}


@pytest.mark.parametrize("how", list(LOADERS))
def test_panel_connects_once_nbsec_is_loaded(page: Any, lab_server: LabServer, how: str) -> None:
    sources, load = LOADERS[how]
    name = f"panel-{how}.ipynb"
    write_notebook(lab_server.root_dir, name, sources)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    _open_notebook(page, lab_server, name)
    _open_sidebar(page)
    try:
        _wait_for_status(page, NOT_LOADED)
        assert page.locator(_testid("nbsec-load-button")).is_visible()
        assert page.locator(_testid("nbsec-notebook")).inner_text() == name
        page.screenshot(path=str(SCREENSHOTS / f"panel-{how}-not-loaded.png"))

        load(page)

        _wait_for_status(page, "connected")
    except Exception:
        page.screenshot(path=str(SCREENSHOTS / f"panel-{how}-failure.png"))
        print(lab_server.log_tail())
        raise
    page.screenshot(path=str(SCREENSHOTS / f"panel-{how}-connected.png"))

    assert page.locator(_testid("nbsec-version")).inner_text() == f"nbsec {nbsec.__version__}"
    assert page.locator(_testid("nbsec-mode")).inner_text() == "warn"
    assert page.locator(_testid("nbsec-enabled")).inner_text() == "on"
    assert page.locator(_testid("nbsec-policy")).inner_text() == "defaults (no policy file)"
    assert page.locator(_testid("nbsec-load-button")).count() == 0
