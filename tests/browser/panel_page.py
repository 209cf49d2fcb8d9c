"""Driving the nbsec panel in the browser tests: selectors, waits, cells, screenshots."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.browser.jupyterlab import SCREENSHOTS, LabServer, open_notebook, write_notebook

PANEL_TAB = ".jp-SideBar .lm-TabBar-tab[data-id='nbsec-panel']"
PANEL = "#nbsec-panel"
PLUGIN_ID = "nbsec:plugin"
NOT_LOADED = "nbsec not loaded in this kernel"


def part(name: str) -> str:
    """The panel's element with this ``data-testid``."""
    return f"{PANEL} [data-testid='{name}']"


def open_sidebar(page: Any) -> None:
    tab = page.locator(PANEL_TAB)
    tab.wait_for(state="visible")
    if not page.locator(PANEL).is_visible():
        tab.click()
    page.locator(PANEL).wait_for(state="visible")


def wait_for_status(page: Any, text: str) -> None:
    status = page.locator(part("nbsec-status"))
    status.filter(has_text=re.compile(f"^{re.escape(text)}$")).wait_for(state="visible")


def run_cell(page: Any, notebook: Any, index: int) -> None:
    """Run one cell with Shift+Enter and wait until it has an execution count."""
    cell = notebook.locator(".jp-Cell").nth(index)
    cell.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    prompt = cell.locator(".jp-InputPrompt")
    prompt.filter(has_text=re.compile(r"\[\d+\]")).wait_for(state="visible")


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def open_with_panel(page: Any, server: LabServer, name: str, sources: list[str]) -> Any:
    """Write a notebook, open it, show the nbsec sidebar and wait for "not loaded"."""
    write_notebook(server.root_dir, name, sources)
    notebook = open_notebook(page, name)
    open_sidebar(page)
    wait_for_status(page, NOT_LOADED)
    assert page.locator(part("nbsec-notebook")).inner_text() == name
    return notebook


def panel_text(page: Any) -> str:
    text: str = page.locator(PANEL).inner_text()
    return text


def wait_for_testid(page: Any, name: str, text: str) -> Any:
    locator = page.locator(part(name)).filter(has_text=text)
    locator.first.wait_for(state="visible")
    return locator


def cell_output(notebook: Any, index: int) -> str:
    output = notebook.locator(".jp-Cell").nth(index).locator(".jp-OutputArea-output")
    output.first.wait_for(state="visible")
    text: str = output.first.inner_text()
    return text


def save(page: Any) -> None:
    """Save the current notebook (the command resolves once the file is written)."""
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")


def saved_metadata(path: Path) -> dict[str, Any]:
    metadata: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    return metadata


def widen_sidebar(page: Any, pixels: int) -> None:
    """Drag the handle between the left sidebar and the notebook area to the right."""
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + pixels, y, steps=5)
    page.mouse.up()
