"""Living with the panel on a 20-cell notebook, in a real JupyterLab through headless Chromium.

One notebook of twenty cells with nine findings of five kinds (pickle, YAML, numpy and torch
loads, a GitHub token, a shell command built from data, an unpinned hub download, personal data
in a DataFrame) is run top to bottom. The panel must then list every finding on one line, all on
one screen; filter them; group them by cell and kind; be walked from the keyboard (arrow keys
in the list, Enter to the cell and line, F8 / Shift+F8 from the notebook); mark each finding's
line in the editor gutter with a tooltip; show the counts in the status bar; offer its commands
in the palette; and look right in the light and dark themes (screenshots for the README).
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.jupyterlab import LabServer
from tests.browser.panel_page import (
    PANEL,
    PLUGIN_ID,
    open_with_panel,
    part,
    screenshot,
    wait_for_status,
    widen_sidebar,
)

pytestmark = pytest.mark.browser

EMAILS = ["alice.smith@example.com", "bob.jones@example.org", "carol.white@example.net"]
TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"  # a made-up GitHub token

# twenty cells; harmless to run (the risky calls that would fail sit under `if False:`)
CELLS = [
    "%load_ext nbsec",
    "import pandas as pd\nimport numpy as np",
    f'customers = pd.DataFrame({{"email": {EMAILS!r} * 100, "plan": ["a", "b", "c"] * 100}})',
    "summary = customers.describe()",
    'import pickle\nwith open("weights.pkl", "wb") as f:\n    pickle.dump({"w": 1}, f)',
    'with open("weights.pkl", "rb") as f:\n    weights = pickle.load(f)',
    f'GITHUB_TOKEN = "{TOKEN}"',
    "import subprocess\nname = 'ok'\nsubprocess.run(f'echo {name}', shell=True, check=True)",
    'import yaml\nconfig = yaml.load("a: 1", Loader=yaml.Loader)',
    "x = np.arange(10)",
    "y = x * 2",
    'np.save("arr.npy", x)\narr = np.load("arr.npy", allow_pickle=True)',
    "total = int(y.sum())",
    "if False:\n    from huggingface_hub import hf_hub_download\n"
    '    path = hf_hub_download("someone/model", "model.bin")',
    "def helper(v):\n    return v + 1",
    "z = helper(3)",
    'if False:\n    import torch\n    state = torch.load("model.pt")',
    "print(total)",
    'with open("weights.pkl", "rb") as f:\n    again = pickle.load(f)',
    "done = True",
]

# every finding: rule -> where the panel says it is (1-based cells, as the notebook numbers them)
EXPECTED = sorted(
    [
        ("NBS-PII-001", "customers.email"),
        ("NBS-PKL-001", "cell 6, line 2"),
        ("NBS-SEC-002", "cell 7, line 1"),
        ("NBS-SRC-002", "cell 8, line 3"),
        ("NBS-PKL-006", "cell 9, line 2"),
        ("NBS-PKL-004", "cell 12, line 2"),
        ("NBS-MDL-002", "cell 14, line 3"),
        ("NBS-PKL-005", "cell 17, line 3"),
        ("NBS-PKL-001", "cell 19, line 2"),
    ]
)
# the findings with a line of their own: (0-based cell, line) -> rule, for the gutter markers
MARKED = {
    (5, 2): "NBS-PKL-001",
    (6, 1): "NBS-SEC-002",
    (7, 3): "NBS-SRC-002",
    (8, 2): "NBS-PKL-006",
    (11, 2): "NBS-PKL-004",
    (13, 3): "NBS-MDL-002",
    (16, 3): "NBS-PKL-005",
    (18, 2): "NBS-PKL-001",
}
FINDING = f"{PANEL} [data-testid='nbsec-finding']"


def _rows(page: Any) -> list[tuple[str, str]]:
    """(rule, where) of each listed finding, in the order shown."""
    rows: list[tuple[str, str]] = page.eval_on_selector_all(
        FINDING,
        """nodes => nodes.map(node => [
            node.dataset.rule,
            node.querySelector("[data-testid='nbsec-where']").textContent,
        ])""",
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _active_cell(page: Any) -> tuple[int, int, bool]:
    """The notebook's active cell index, its editor's 1-based cursor line, whether it has focus."""
    found: list[Any] = page.evaluate(
        """() => {
            const notebook = window.jupyterapp.shell.currentWidget.content;
            const cell = notebook.activeCell;
            const editor = cell.editor;
            return [notebook.activeCellIndex, editor.getCursorPosition().line + 1,
                    editor.hasFocus()];
        }"""
    )
    return found[0], found[1], found[2]


def _selected(page: Any) -> tuple[str, str]:
    node = page.locator(f"{FINDING}[aria-selected='true']")
    return (
        node.get_attribute("data-rule") or "",
        node.locator("[data-testid='nbsec-where']").inner_text(),
    )


def _saved_group_by(server: LabServer) -> Any:
    request = urllib.request.Request(
        server.url(f"lab/api/settings/{PLUGIN_ID}"),
        headers={"Authorization": f"token {server.token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["settings"].get("groupBy")


def _luminance(css_colour: str) -> float:
    """Relative luminance (0 black .. 1 white) of an `rgb(...)` / `rgba(...)` colour."""
    values = [float(v) for v in re.findall(r"[\d.]+", css_colour)[:3]]
    r, g, b = (v / 255 for v in values)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.fixture
def grouping_restored(lab_server: LabServer) -> Iterator[None]:
    """The test changes the saved grouping and the theme; both go back to the defaults."""
    try:
        yield
    finally:
        lab_server.put_settings(PLUGIN_ID, {})


def test_twenty_cell_notebook_can_be_filtered_grouped_and_stepped_through(
    lab_page: Any, lab_server: LabServer, grouping_restored: None
) -> None:
    page = lab_page
    notebook = open_with_panel(page, lab_server, "twenty.ipynb", CELLS)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    last = notebook.locator(".jp-Cell").nth(len(CELLS) - 1).locator(".jp-InputPrompt")
    last.filter(has_text=re.compile(r"\[\d+\]")).wait_for(timeout=120_000)
    wait_for_status(page, "connected")
    page.locator(FINDING).nth(len(EXPECTED) - 1).wait_for()

    # every finding, once, on one line, all on one screen of the panel
    assert sorted(_rows(page)) == EXPECTED
    panel_box = page.locator(PANEL).bounding_box()
    for row in page.locator(f"{FINDING} .jp-NbsecPanel-findingLine").all():
        box = row.bounding_box()
        assert box["height"] <= 26
        assert box["y"] + box["height"] <= panel_box["y"] + panel_box["height"]
    counts = {
        severity: int(page.locator(part(f"nbsec-count-{severity}")).inner_text().split()[0])
        for severity in ("critical", "high", "medium", "low", "info")
    }
    assert sum(counts.values()) == len(EXPECTED)
    widen_sidebar(page, 110)
    screenshot(page, "panel-light")

    # the status bar counts what the panel counts
    status_item = page.locator("[data-testid='nbsec-status-item']")
    shown = {
        severity: int(status_item.locator(f"[data-testid='nbsec-status-{severity}']").inner_text())
        for severity, count in counts.items()
        if count
    }
    assert shown == {severity: count for severity, count in counts.items() if count}

    # the filter box: words match rule ids, kinds and cells
    filter_box = page.locator(part("nbsec-filter"))
    for query, rules in [
        ("PKL", ["NBS-PKL-001", "NBS-PKL-001", "NBS-PKL-004", "NBS-PKL-005", "NBS-PKL-006"]),
        ("secrets", ["NBS-SEC-002"]),
        ("cell 12", ["NBS-PKL-004"]),
        ("customers email", ["NBS-PII-001"]),
    ]:
        filter_box.fill(query)
        page.locator(FINDING).first.wait_for()
        assert sorted(rule for rule, _where in _rows(page)) == rules, query
    filter_box.press("Escape")
    assert filter_box.input_value() == ""
    page.locator(FINDING).nth(len(EXPECTED) - 1).wait_for()

    # grouped by cell: one group per cell, in notebook order; the choice is kept in the settings
    page.locator(part("nbsec-group-by")).select_option("cell")
    groups = page.locator(f"{PANEL} [data-testid='nbsec-group'] .jp-NbsecPanel-groupLabel")
    groups.first.filter(has_text="Cell 3").wait_for()
    assert groups.all_inner_texts() == [f"Cell {n}" for n in (3, 6, 7, 8, 9, 12, 14, 17, 19)]
    assert _saved_group_by(lab_server) == "cell"
    page.locator(part("nbsec-group-by")).select_option("family")
    groups.first.wait_for()
    kinds = set(groups.all_inner_texts())
    assert kinds == {"Unsafe loads", "Secrets", "Risky code", "Model sources", "Personal data"}
    page.locator(part("nbsec-group-by")).select_option("cell")
    groups.first.filter(has_text="Cell 3").wait_for()

    # the keyboard: from the filter box into the list, Enter goes to the cell and line
    filter_box.focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.testid") == "nbsec-group"
    page.keyboard.press("ArrowDown")  # the finding of cell 3 (the frame's)
    page.keyboard.press("ArrowDown")  # the group of cell 6
    page.keyboard.press("ArrowDown")  # its finding
    assert page.evaluate("document.activeElement.dataset.rule") == "NBS-PKL-001"
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.activeCellIndex === 5"
    )
    assert _active_cell(page) == (5, 2, True)

    # F8 / Shift+F8 step through the findings from the notebook, in the panel's order
    page.keyboard.press("F8")
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.activeCellIndex === 6"
    )
    assert _active_cell(page) == (6, 1, True)
    assert _selected(page) == ("NBS-SEC-002", "cell 7, line 1")
    page.keyboard.press("F8")
    page.keyboard.press("F8")
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.activeCellIndex === 8"
    )
    assert _active_cell(page) == (8, 2, True)
    page.keyboard.press("Shift+F8")
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.activeCellIndex === 7"
    )
    assert _selected(page) == ("NBS-SRC-002", "cell 8, line 3")
    # the selected finding's line is highlighted in its editor
    highlighted = notebook.locator(".jp-Cell").nth(7).locator(".jp-NbsecGutter-selectedLine")
    assert "subprocess.run" in highlighted.inner_text()

    # gutter markers: one per line with a finding, its findings as the tooltip
    markers = notebook.locator("[data-testid='nbsec-gutter-marker']")
    found = {}
    for marker in markers.all():
        cell = marker.evaluate(
            "node => [...node.closest('.jp-Notebook').querySelectorAll('.jp-Cell')]"
            ".indexOf(node.closest('.jp-Cell'))"
        )
        found[(cell, int(marker.get_attribute("data-line")))] = marker.get_attribute("title")
    assert {where: re.search(r"NBS-\w+-\d+", tip).group() for where, tip in found.items()} == (
        MARKED
    )
    assert "numpy.load() with allow_pickle=True" in found[(11, 2)]
    # clicking a marker opens its finding in the panel
    notebook.locator(".jp-Cell").nth(11).locator("[data-testid='nbsec-gutter-marker']").click()
    page.locator(f"{FINDING}[data-rule='NBS-PKL-004'][aria-expanded='true']").wait_for()
    assert _selected(page) == ("NBS-PKL-004", "cell 12, line 2")

    # the commands are in the palette, and Accel+Alt+S opens the panel
    page.keyboard.press("Control+Shift+C")
    palette = page.locator(".lm-CommandPalette:visible")
    palette.locator(".lm-CommandPalette-input").fill("nbsec finding")
    items = palette.locator(".lm-CommandPalette-itemLabel")
    items.first.wait_for()
    assert {"Go to the Next nbsec Finding", "Go to the Previous nbsec Finding"} <= set(
        items.all_inner_texts()
    )
    page.keyboard.press("Escape")
    page.locator(".jp-SideBar .lm-TabBar-tab[data-id='filebrowser']").click()
    page.locator(PANEL).wait_for(state="hidden")
    notebook.locator(".jp-Cell").first.locator(".jp-InputPrompt").click()
    page.keyboard.press("Control+Alt+s")
    page.locator(PANEL).wait_for(state="visible")

    # the dark theme: the panel takes the theme's colours
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme',"
        " {theme: 'JupyterLab Dark'})"
    )
    try:
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
        page.wait_for_timeout(500)  # the theme's stylesheet settles
        screenshot(page, "panel-dark")
        background = page.locator(PANEL).evaluate("n => getComputedStyle(n).backgroundColor")
        text = (
            page.locator(FINDING)
            .first.locator(".jp-NbsecPanel-findingTitle")
            .evaluate("n => getComputedStyle(n).color")
        )
        assert _luminance(background) < 0.25
        assert _luminance(text) > 0.6
    finally:
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme',"
            " {theme: 'JupyterLab Light'})"
        )
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'")
