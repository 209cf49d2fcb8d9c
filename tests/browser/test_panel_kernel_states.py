"""The panel with a kernel at work, in a real JupyterLab through headless Chromium.

* A busy kernel: while a cell runs, switching notebooks and back shows the notebook's last state
  marked "kernel busy" (never "nbsec not loaded"); the kernel answers the panel on a subshell,
  so a mode switch takes effect and a reconnect completes while the cell still runs; nothing is
  printed into the running cell.
* Waiver scope: in block mode, "Allow…" on the finding of the user's own `rf.pkl`, with its
  preselected scope (this file, by sha256) and a review of what it covers, lets `rf.pkl` load and
  still blocks `evil.pkl`.
* Locked mode: a policy with `mode = "block"` and `locked = true` shows the mode locked, its
  switches and commands off, and `%nbsec mode warn` / `%nbsec off` refused in the kernel.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.browser.jupyterlab import LabServer, open_notebook, write_notebook
from tests.browser.panel_page import (
    NOT_LOADED,
    PANEL,
    open_sidebar,
    open_with_panel,
    part,
    run_cell,
    screenshot,
    wait_for_status,
    wait_for_testid,
)

pytestmark = pytest.mark.browser

# a cell that runs until the test lets it end (by writing RELEASE), at most a minute
RELEASE = "busy-release.flag"
LONG_CELL = f"""\
import pathlib, time
print("started", flush=True)
for _ in range(600):
    if pathlib.Path({RELEASE!r}).exists():
        break
    time.sleep(0.1)
print("done", flush=True)"""
PRINTED = "started\ndone"


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


def _still_running(notebook: Any, index: int) -> bool:
    prompt = notebook.locator(".jp-Cell").nth(index).locator(".jp-InputPrompt")
    return bool(prompt.inner_text().strip() == "[*]:")


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

    # the kernel answers on a subshell: a mode switch takes effect while the cell runs
    page.locator(part("nbsec-mode-block")).click()
    wait_for_testid(page, "nbsec-mode", "block")
    assert _still_running(notebook, 1)
    screenshot(page, "panel-busy")

    # a reconnect while the cell runs: never "not loaded", connected before the cell ends
    # (not awaited: the command resolves only once the kernel has answered)
    page.evaluate("() => { window.jupyterapp.commands.execute('nbsec:reconnect'); }")
    seen = set()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        seen.add(page.locator(part("nbsec-status")).inner_text())
        page.wait_for_timeout(100)
    assert NOT_LOADED not in seen
    wait_for_status(page, "connected")
    assert _still_running(notebook, 1)
    assert page.locator(part("nbsec-mode")).inner_text() == "block"

    # the running cell printed its own lines and nothing else
    (lab_server.root_dir / RELEASE).write_text("go", encoding="utf-8")
    _wait_until_done(notebook, 1)
    page.locator(part("nbsec-busy")).wait_for(state="detached")
    assert _outputs(notebook, 1) == PRINTED
    run_cell(page, notebook, 2)
    assert re.search(r"mode\s+block", _outputs(notebook, 2))


# the team's own model class, from a module beside the notebook: not on any allowlist, so its
# pickle is suspicious (a class defined in the notebook itself is judged as what it is, and a
# file the session wrote is its own: both load quietly)
FORESTLIB = """\
class Forest:
    def __init__(self):
        self.trees = [1, 2, 3]
"""
WRITE_FILES = """\
import os, pickle
from forestlib import Forest
class Payload:
    def __reduce__(self):
        return (os.system, ("echo owned > owned.txt",))
with open("rf.pkl", "wb") as f:
    pickle.dump(Forest(), f)
with open("evil.pkl", "wb") as f:
    pickle.dump(Payload(), f)"""
IMPORTS = "import pickle"
LOAD_RF = """\
with open("rf.pkl", "rb") as f:
    rf = pickle.load(f)
print("loaded", type(rf).__name__)"""
LOAD_EVIL = """\
with open("evil.pkl", "rb") as f:
    evil = pickle.load(f)"""


def test_a_waiver_for_one_file_admits_that_file_only(lab_page: Any, lab_server: LabServer) -> None:
    page = lab_page
    (lab_server.root_dir / "forestlib.py").write_text(FORESTLIB, encoding="utf-8")
    subprocess.run(
        [sys.executable, "-c", WRITE_FILES], cwd=lab_server.root_dir, check=True, timeout=60
    )
    sources = ["%load_ext nbsec", IMPORTS, LOAD_RF, LOAD_EVIL]
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
    # the load's finding sits at the line of the call that made it
    where = own.first.locator("[data-testid='nbsec-where']").inner_text()
    assert where == "rf.pkl, cell 3, line 2"

    # "Allow…" shows the scopes before confirming: this file, by its hash, is preselected
    own.first.locator(".jp-NbsecPanel-caret").first.click()
    own.first.locator("[data-testid='nbsec-allow-button']").click()
    dialog = page.locator(".jp-Dialog")
    checked = dialog.locator("input[type='radio']:checked")
    assert checked.get_attribute("data-kind") == "file"
    label = checked.locator("xpath=..").locator(".jp-NbsecWaiverForm-scopeLabel").inner_text()
    assert re.fullmatch(r"This file only: rf\.pkl \(sha256 [0-9a-f]{12}\)", label)
    dialog.locator("[data-testid='nbsec-waiver-reason']").fill("our own forest, trained here")
    dialog.locator(".jp-mod-accept").click()
    review = page.locator(".jp-Dialog [data-testid='nbsec-waiver-review']")
    review.wait_for()
    assert review.locator("[data-testid='nbsec-waiver-admits-preview']").inner_text() == (
        "It lets this file load."
    )
    page.locator(".jp-Dialog .jp-mod-accept").click()
    waiver = wait_for_testid(page, "nbsec-waiver", "our own forest")
    assert waiver.get_attribute("data-scope") == "file"
    assert re.fullmatch(
        r"one file \(sha256 [0-9a-f]{12}\)",
        waiver.locator("[data-testid='nbsec-waiver-scope']").inner_text(),
    )

    # the waived file loads; another file is still blocked, and never ran
    run_cell(page, notebook, 2)
    assert _outputs(notebook, 2).endswith("loaded Forest")
    run_cell(page, notebook, 3)
    assert "BlockedLoad" in _outputs(notebook, 3)
    assert "evil.pkl" in _outputs(notebook, 3)
    assert not (lab_server.root_dir / "owned.txt").exists()


LOCKED_POLICY = """\
[tool.nbsec]
mode = "block"
locked = true
"""


def test_a_locked_mode_cannot_be_changed(lab_page: Any, lab_server: LabServer) -> None:
    page = lab_page
    folder = lab_server.root_dir / "locked"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(LOCKED_POLICY, encoding="utf-8")
    write_notebook(folder, "locked.ipynb", ["%load_ext nbsec", "%nbsec mode warn", "%nbsec off"])
    notebook = open_notebook(page, "locked/locked.ipynb")
    open_sidebar(page)
    wait_for_status(page, NOT_LOADED)
    try:
        run_cell(page, notebook, 0)
    except Exception:
        screenshot(page, "panel-locked-failure")
        raise
    wait_for_status(page, "connected")

    assert page.locator(part("nbsec-mode")).inner_text() == "block"
    assert page.locator(part("nbsec-locked")).inner_text() == (
        "Mode locked by the policy (pyproject.toml): switching it, or watching off, is refused."
    )
    for testid in ("nbsec-mode-warn", "nbsec-mode-block", "nbsec-enabled-switch"):
        assert page.locator(part(testid)).is_disabled()
    for command in ("nbsec:block-mode", "nbsec:toggle-watching"):
        assert page.evaluate(f"() => window.jupyterapp.commands.isEnabled('{command}')") is False
    screenshot(page, "panel-locked")

    # the kernel refuses the magics too, and the panel keeps showing what it enforces
    run_cell(page, notebook, 1)
    assert "locks the mode" in _outputs(notebook, 1)
    run_cell(page, notebook, 2)
    assert "locks the mode" in _outputs(notebook, 2)
    assert page.locator(part("nbsec-mode")).inner_text() == "block"
    assert page.locator(part("nbsec-enabled")).inner_text() == "on"


BIG_FRAME = """\
import pandas as pd
people = pd.DataFrame({
    "email": [f"user{i}@example.com" for i in range(400_000)],
    "city": ["Lyon", "Oslo", "Porto", "Turin"] * 100_000,
})"""


def test_a_full_scan_shows_its_progress_and_can_be_cancelled(
    lab_page: Any, lab_server: LabServer
) -> None:
    page = lab_page
    sources = ["%load_ext nbsec", BIG_FRAME, "answer = 6 * 7\nanswer"]
    notebook = open_with_panel(page, lab_server, "full-scan.ipynb", sources)
    run_cell(page, notebook, 0)
    wait_for_status(page, "connected")
    run_cell(page, notebook, 1)
    frame = page.locator(f"{PANEL} [data-testid='nbsec-frame'][data-frame='people']")
    frame.wait_for()
    size = frame.locator("[data-testid='nbsec-frame-size']")
    assert "complete scan" not in size.inner_text()

    # the scan runs as a job in steps: a progress bar, and the kernel runs a cell meanwhile
    frame.locator("[data-testid='nbsec-scan-button']").click()
    bar = frame.locator("[role='progressbar']")
    bar.wait_for()
    assert 0 <= int(bar.get_attribute("aria-valuenow") or "-1") <= 100
    screenshot(page, "panel-full-scan")
    _start_cell(page, notebook, 2)
    _wait_until_done(notebook, 2)
    assert _outputs(notebook, 2) == "42"
    assert bar.is_visible(), "the cell waited for the whole scan"

    # cancelled, it stops; the frame is not marked as fully scanned
    frame.locator("[data-testid='nbsec-cancel-scan-button']").click()
    bar.wait_for(state="detached")
    assert "complete scan" not in size.inner_text()
    assert frame.locator("[data-testid='nbsec-scan-button']").inner_text() == "Full scan"
    assert page.locator(part("nbsec-notice")).inner_text() == ""


TRAIN = """\
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
import joblib
X, y = make_classification(n_samples=200, n_features=6, random_state=0)
forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
joblib.dump(forest, "forest.joblib")"""
RELOAD = """\
reloaded = joblib.load("forest.joblib")
reloaded.score(X, y)"""


def test_a_model_trained_and_reloaded_in_the_session_shows_no_red(
    lab_page: Any, lab_server: LabServer
) -> None:
    page = lab_page
    sources = ["%load_ext nbsec", TRAIN, RELOAD]
    notebook = open_with_panel(page, lab_server, "own-model.ipynb", sources)
    run_cell(page, notebook, 0)
    wait_for_status(page, "connected")
    run_cell(page, notebook, 1)
    run_cell(page, notebook, 2)
    model = page.locator(f"{PANEL} [data-testid='nbsec-model']")
    model.wait_for()

    # one row for the file, known as the session's own, and no critical or high finding
    assert model.count() == 1
    assert model.locator("[data-testid='nbsec-model-what']").inner_text() == "forest.joblib"
    assert model.locator("[data-testid='nbsec-model-own']").inner_text() == "written in cell 2"
    assert model.get_attribute("data-verdict") not in ("dangerous", "suspicious")
    screenshot(page, "panel-own-model")
    # no critical or high finding: joblib.load's call site is known to load the session's own,
    # unchanged file (the kernel reports it as info)
    assert page.locator(part("nbsec-count-critical")).inner_text().split()[0] == "0"
    assert page.locator(part("nbsec-count-high")).inner_text().split()[0] == "0"
    high = page.locator(f"{PANEL} [data-testid='nbsec-finding'][data-severity='high']")
    assert high.count() == 0
    for index in (1, 2):
        assert "nbsec" not in _outputs(notebook, index)


TOKEN_CELL = 'GITHUB_TOKEN = "ghp_' + 'aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"'


def test_the_governance_report_of_a_live_notebook_is_written_and_opened(
    lab_page: Any, lab_server: LabServer
) -> None:
    page = lab_page
    sources = ["%load_ext nbsec", TOKEN_CELL]
    notebook = open_with_panel(page, lab_server, "live-report.ipynb", sources)
    run_cell(page, notebook, 0)
    wait_for_status(page, "connected")
    run_cell(page, notebook, 1)
    page.locator(f"{PANEL} [data-testid='nbsec-finding'][data-rule='NBS-SEC-002']").wait_for()

    # the kernel's report of the session (or, from a kernel's nbsec without the report
    # builder, the server's report of the saved notebook): written beside it, its page opened
    button = page.locator(part("nbsec-report-button"))
    button.click()
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="live-report.nbsec.html")
    tab.wait_for(timeout=240_000)
    assert page.locator(part("nbsec-notice")).inner_text() == ""
    assert button.inner_text() == "Governance report"
    root = lab_server.root_dir
    report = json.loads((root / "live-report.nbsec.json").read_text(encoding="utf-8"))
    assert "NBS-SEC-002" in {f["rule"] for f in report["findings"]}
    for written in root.glob("live-report.nbsec.*"):
        assert "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5" not in written.read_text(encoding="utf-8")
