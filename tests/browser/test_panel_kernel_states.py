"""The panel with a kernel at work, in a real JupyterLab through headless Chromium.

* A busy kernel: while a cell runs, switching notebooks and back shows the notebook's last state
  marked "kernel busy" (never "nbsec not loaded"), a mode switch says it is queued and takes
  effect when the cell ends, a reconnect waits as "kernel busy" past the handshake timeout, and
  nothing is printed into the running cell.
* Waiver scope: in block mode, "Allow…" on the finding of the user's own `rf.pkl`, with its
  default scope (this file, by sha256), lets `rf.pkl` load and still blocks `evil.pkl`.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.browser.jupyterlab import LabServer
from tests.browser.panel_page import (
    NOT_LOADED,
    PANEL,
    open_with_panel,
    part,
    run_cell,
    screenshot,
    wait_for_status,
    wait_for_testid,
)

pytestmark = pytest.mark.browser

TICKS = 5
LONG_CELL = f"""\
import time
for i in range({TICKS}):
    print("tick", i, flush=True)
    time.sleep(2)"""
TICKED = "\n".join(f"tick {i}" for i in range(TICKS))


def _start_cell(page: Any, notebook: Any, index: int) -> None:
    """Run a cell with Shift+Enter without waiting for it to finish."""
    cell = notebook.locator(".jp-Cell").nth(index)
    cell.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    cell.locator(".jp-InputPrompt").filter(has_text="[*]").wait_for()


def _wait_until_done(notebook: Any, index: int) -> None:
    prompt = notebook.locator(".jp-Cell").nth(index).locator(".jp-InputPrompt")
    prompt.filter(has_text=re.compile(r"\[\d+\]")).wait_for(timeout=60_000)


def _outputs(notebook: Any, index: int) -> str:
    outputs = notebook.locator(".jp-Cell").nth(index).locator(".jp-OutputArea-output")
    return "\n".join(text.strip() for text in outputs.all_inner_texts())


def _activate_tab(page: Any, name: str) -> None:
    page.locator(".jp-MainAreaWidget .lm-TabBar-tab, #jp-main-dock-panel .lm-TabBar-tab").filter(
        has_text=name
    ).first.click()
    page.locator(part("nbsec-notebook")).filter(has_text=name).wait_for()


def test_a_busy_kernel_is_shown_busy_and_left_alone(lab_page: Any, lab_server: LabServer) -> None:
    page = lab_page
    name = "busy.ipynb"
    notebook = open_with_panel(page, lab_server, name, ["%load_ext nbsec", LONG_CELL, "%nbsec"])
    run_cell(page, notebook, 0)
    wait_for_status(page, "connected")

    # a long cell runs; the panel says so and keeps what it showed
    _start_cell(page, notebook, 1)
    page.locator(part("nbsec-busy")).wait_for()
    assert page.locator(part("nbsec-busy")).inner_text() == "kernel busy"

    # to another notebook and back while the cell runs: busy, never "not loaded"
    open_with_panel(page, lab_server, "busy-other.ipynb", ["x = 1"])
    _activate_tab(page, name)
    assert page.locator(part("nbsec-status")).inner_text() == "connected"
    page.locator(part("nbsec-busy")).wait_for()

    # a mode switch waits for the cell, and says so
    page.locator(part("nbsec-mode-block")).click()
    pending = wait_for_testid(page, "nbsec-mode-pending", "Queued")
    assert pending.inner_text() == (
        "Switching to block\u2026 Queued: the kernel applies it when the running cell finishes."
    )
    screenshot(page, "panel-busy-queued")
    _wait_until_done(notebook, 1)
    wait_for_testid(page, "nbsec-mode", "block")
    page.locator(part("nbsec-mode-pending")).wait_for(state="detached")
    page.locator(part("nbsec-busy")).wait_for(state="detached")

    # a handshake sent while a cell runs waits as "kernel busy", past its 5 s timeout
    _start_cell(page, notebook, 1)
    page.locator(part("nbsec-busy")).wait_for()
    # (not awaited: the command resolves only once the kernel has answered)
    page.evaluate("() => { window.jupyterapp.commands.execute('nbsec:reconnect'); }")
    wait_for_status(page, "kernel busy")
    seen = set()
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        seen.add(page.locator(part("nbsec-status")).inner_text())
        page.wait_for_timeout(250)
    assert NOT_LOADED not in seen
    assert "kernel busy" in seen
    _wait_until_done(notebook, 1)
    wait_for_status(page, "connected")
    assert page.locator(part("nbsec-mode")).inner_text() == "block"

    # the running cell printed its own lines and nothing else, both times
    assert _outputs(notebook, 1) == TICKED
    run_cell(page, notebook, 2)
    assert re.search(r"mode\s+block", _outputs(notebook, 2))


WRITE_FILES = """\
import os, pickle
class Forest:
    def __init__(self):
        self.trees = [1, 2, 3]
class Payload:
    def __reduce__(self):
        return (os.system, ("echo owned > owned.txt",))
with open("rf.pkl", "wb") as f:
    pickle.dump(Forest(), f)
with open("evil.pkl", "wb") as f:
    pickle.dump(Payload(), f)"""
LOAD_RF = """\
with open("rf.pkl", "rb") as f:
    rf = pickle.load(f)
print("loaded", type(rf).__name__)"""
LOAD_EVIL = """\
with open("evil.pkl", "rb") as f:
    evil = pickle.load(f)"""


def test_a_waiver_for_one_file_admits_that_file_only(lab_page: Any, lab_server: LabServer) -> None:
    page = lab_page
    sources = ["%load_ext nbsec", WRITE_FILES, LOAD_RF, LOAD_EVIL]
    notebook = open_with_panel(page, lab_server, "waiver-scope.ipynb", sources)
    run_cell(page, notebook, 0)
    wait_for_status(page, "connected")
    page.locator(part("nbsec-mode-block")).click()
    wait_for_testid(page, "nbsec-mode", "block")
    run_cell(page, notebook, 1)

    # block mode stops the user's own (unknown) class from loading
    run_cell(page, notebook, 2)
    assert "BlockedLoad" in _outputs(notebook, 2)
    own = page.locator(f"{PANEL} [data-testid='nbsec-finding']").filter(
        has=page.locator("[data-testid='nbsec-where']", has_text=re.compile(r"^rf\.pkl"))
    )
    own.first.wait_for()
    assert own.first.locator("[data-testid='nbsec-where']").inner_text() == "rf.pkl, cell 3"

    # "Allow…" shows the scope before confirming: this file, by its hash, comes first
    own.first.locator(".jp-NbsecPanel-caret").first.click()
    own.first.locator("[data-testid='nbsec-allow-button']").click()
    dialog = page.locator(".jp-Dialog")
    first_scope = dialog.locator(".jp-NbsecWaiverForm-scopeLabel").first.inner_text()
    assert re.fullmatch(r"This file only: rf\.pkl \(sha256 [0-9a-f]{12}\)", first_scope)
    assert dialog.locator("[data-testid='nbsec-waiver-scope-0']").is_checked()
    dialog.locator("[data-testid='nbsec-waiver-reason']").fill("our own forest, trained here")
    dialog.locator(".jp-mod-accept").click()
    waiver = wait_for_testid(page, "nbsec-waiver", "our own forest")
    assert "the file with sha256" in waiver.inner_text()

    # the waived file loads; another file is still blocked, and never ran
    run_cell(page, notebook, 2)
    assert _outputs(notebook, 2).endswith("loaded Forest")
    run_cell(page, notebook, 3)
    assert "BlockedLoad" in _outputs(notebook, 3)
    assert "evil.pkl" in _outputs(notebook, 3)
    assert not (lab_server.root_dir / "owned.txt").exists()
