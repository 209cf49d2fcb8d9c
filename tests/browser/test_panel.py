"""The nbsec sidebar in a real JupyterLab, driven through headless Chromium.

Each case opens its own notebook (so its own fresh kernel), checks that the panel reports that
nbsec is not loaded in that kernel, loads nbsec one way or the other, and checks that the panel
then shows the handshake the kernel answered over the ``nbsec`` comm: "connected", the kernel's
nbsec version, its mode and policy. Screenshots land in ``reports/screenshots/``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import nbsec
from tests.browser.jupyterlab import SCREENSHOTS, LabServer, write_notebook

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


# A stand-in `nbsec` comm target that answers the handshake with whatever REPLY holds, so the
# panel's validation and rendering of kernel-provided values can be checked in the browser.
FAKE_TARGET = """\
import json
from comm import get_comm_manager
REPLY = json.loads(r'''{first}''')
def _fake_nbsec(comm, open_msg):
    comm.send(REPLY)
get_comm_manager().register_target("nbsec", _fake_nbsec)
"""

MARKUP = '<img src=x onerror="document.body.dataset.injected=1">'
GOOD_PAYLOAD = {"protocol": 1, "enabled": False, "mode": "block", "policy_file": None}

# handshake reply the kernel sends -> status line and detail (or version line) the panel shows
FAKE_REPLIES = [
    ("just text", "error", "invalid handshake reply: reply is not a JSON object"),
    ({}, "error", 'invalid handshake reply: expected a "handshake" reply'),
    (
        {"type": "handshake", "v": 1, "success": True, "error": None, "payload": {"x": 1}},
        "error",
        'invalid handshake reply: "handshake" reply has a malformed payload',
    ),
    (
        {"type": "handshake", "v": 2, "success": True, "error": None, "payload": {}},
        "error",
        'invalid handshake reply: unsupported protocol version in "handshake" reply',
    ),
    (
        {"type": "handshake", "v": 1, "success": False, "error": "kernel speaks 2", "payload": {}},
        "error",
        "the kernel refused the handshake: kernel speaks 2",
    ),
    (
        {
            "type": "handshake",
            "v": 1,
            "success": True,
            "error": None,
            "payload": {**GOOD_PAYLOAD, "nbsec_version": MARKUP},
        },
        "connected",
        f"nbsec {MARKUP}",
    ),
]


def _run_cell(page: Any, index: int) -> None:
    cell = page.locator(".jp-NotebookPanel .jp-Cell").nth(index)
    cell.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    prompt = cell.locator(".jp-InputPrompt")
    prompt.filter(has_text=re.compile(r"\[\d+\]")).wait_for(state="visible")


def test_panel_validates_handshake_replies_and_renders_them_as_text(
    page: Any, lab_server: LabServer
) -> None:
    name = "panel-fake-replies.ipynb"
    replies = [json.dumps(reply) for reply, _, _ in FAKE_REPLIES]
    sources = [FAKE_TARGET.format(first=replies[0])]
    sources += [f"REPLY = json.loads(r'''{reply}''')" for reply in replies[1:]]
    write_notebook(lab_server.root_dir, name, sources)
    _open_notebook(page, lab_server, name)
    _open_sidebar(page)
    _wait_for_status(page, NOT_LOADED)

    # Running the cell that registers the fake target makes the panel retry on its own.
    _run_cell(page, 0)
    for index, (_reply, status, shown) in enumerate(FAKE_REPLIES):
        if index > 0:
            _run_cell(page, index)
            page.locator(_testid("nbsec-connect-button")).click()
        target = _testid("nbsec-version" if status == "connected" else "nbsec-detail")
        try:
            page.locator(target).filter(has_text=shown).wait_for(state="visible")
        except Exception:
            page.screenshot(path=str(SCREENSHOTS / f"panel-fake-reply-{index}-failure.png"))
            raise
        assert page.locator(_testid("nbsec-status")).inner_text() == status
        assert page.locator(target).inner_text() == shown

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "panel-markup-as-text.png"))
    assert page.locator(f"{PANEL} img").count() == 0
    assert page.evaluate("document.body.dataset.injected") is None
    assert page.locator(_testid("nbsec-mode")).inner_text() == "block"
    assert page.locator(_testid("nbsec-enabled")).inner_text() == "off"


def test_panel_reconnects_after_kernel_restart(page: Any, lab_server: LabServer) -> None:
    name = "panel-restart.ipynb"
    write_notebook(lab_server.root_dir, name, ["%load_ext nbsec"])
    _open_notebook(page, lab_server, name)
    _open_sidebar(page)
    _wait_for_status(page, NOT_LOADED)
    _run_cell(page, 0)
    _wait_for_status(page, "connected")

    # A restarted kernel has lost the extension: the panel must notice and say so.
    page.locator(".jp-NotebookPanel .jp-Cell").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("0")
    page.keyboard.press("0")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    _wait_for_status(page, NOT_LOADED)

    _run_cell(page, 0)
    _wait_for_status(page, "connected")
    assert page.locator(_testid("nbsec-version")).inner_text() == f"nbsec {nbsec.__version__}"
