"""Without nbsec in the kernel, the panel shows the saved notebook's static findings.

The notebook below was saved with a GitHub token in a cell and e-mail addresses in a printed
output; its kernel never loads nbsec. The panel asks nbsec's server extension to scan the saved
file and lists what it finds in the same way as live findings (one line each, leading to the
cell and line), marks the lines in the editor, and reads the file again after each save.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.jupyterlab import LabServer, open_notebook
from tests.browser.panel_page import (
    NOT_LOADED,
    PANEL,
    open_sidebar,
    part,
    screenshot,
    wait_for_status,
)

pytestmark = pytest.mark.browser

TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"  # a made-up GitHub token
OTHER_TOKEN = "ghp_" + "zY9xW7vU5tS3rQ1pO9nM7lK5jH3gF1eD9cB7"


def _saved_notebook(root: Any, name: str) -> None:
    cells = [
        {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": "# Contacts"},
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": "token",
            "metadata": {},
            "outputs": [],
            "source": f'GITHUB_TOKEN = "{TOKEN}"',
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "id": "contacts",
            "metadata": {},
            "outputs": [
                {
                    "name": "stdout",
                    "output_type": "stream",
                    "text": "contact: alice.smith@example.com\ncontact: bob.jones@example.org\n",
                }
            ],
            "source": "print_contacts()",
        },
    ]
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / name).write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def _insert_other_token(page: Any) -> None:
    """A fourth cell with another token, typed into the open notebook and not saved."""
    page.evaluate(
        """token => {
            const panel = window.jupyterapp.shell.currentWidget;
            panel.content.model.sharedModel.insertCell(3, {
                cell_type: 'code', source: `OTHER_TOKEN = "${token}"`,
            });
        }""",
        OTHER_TOKEN,
    )


def _rows(page: Any) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = page.eval_on_selector_all(
        f"{PANEL} [data-testid='nbsec-saved'] [data-testid='nbsec-finding']",
        """nodes => nodes.map(node => [
            node.dataset.rule,
            node.querySelector("[data-testid='nbsec-where']").textContent,
        ])""",
    )
    return sorted(tuple(row) for row in rows)  # type: ignore[misc]


def test_the_saved_notebook_is_scanned_when_the_kernel_has_no_nbsec(
    lab_page: Any, lab_server: LabServer
) -> None:
    page = lab_page
    name = "saved-contacts.ipynb"
    _saved_notebook(lab_server.root_dir, name)
    notebook = open_notebook(page, name)
    open_sidebar(page)
    wait_for_status(page, NOT_LOADED)

    saved = page.locator(part("nbsec-saved"))
    saved.locator("[data-testid='nbsec-finding']").first.wait_for()
    note = page.locator(part("nbsec-saved-note"))
    assert note.inner_text().startswith("The saved file, scanned without running it")
    assert _rows(page) == [
        ("NBS-PII-003", "cell 3, output 1, line 1"),
        ("NBS-PII-003", "cell 3, output 1, line 2"),
        ("NBS-SEC-002", "cell 2, line 1"),
    ]
    # no value anywhere: the token is a hash, the addresses are masked
    text = page.locator(PANEL).inner_text()
    assert TOKEN not in text and "alice.smith@example.com" not in text
    # the token's line is marked in its editor, and the status bar counts the findings
    marker = notebook.locator(".jp-Cell").nth(1).locator("[data-testid='nbsec-gutter-marker']")
    assert "NBS-SEC-002" in (marker.get_attribute("title") or "")
    # a line of an output is not a line of the cell's code: no marker for the printed addresses
    printed = notebook.locator(".jp-Cell").nth(2).locator("[data-testid='nbsec-gutter-marker']")
    assert printed.count() == 0
    assert page.locator("[data-testid='nbsec-status-item'] .jp-NbsecStatus-count").count() > 0
    screenshot(page, "panel-saved-notebook")

    # a finding leads to its cell; without a kernel's nbsec nothing can be waived here
    saved.locator("[data-testid='nbsec-finding'][data-rule='NBS-SEC-002']").locator(
        ".jp-NbsecPanel-findingLine"
    ).click()
    notebook.locator(".jp-Cell").nth(1).and_(page.locator(".jp-mod-active")).wait_for()
    assert page.locator(part("nbsec-allow-button")).count() == 0

    # an edit is not in the scan until it is saved; then the list follows the file
    _insert_other_token(page)
    note.filter(has_text="unsaved changes are not included").wait_for()
    assert ("NBS-SEC-002", "cell 4, line 1") not in _rows(page)
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    saved.locator("[data-testid='nbsec-finding'][data-rule='NBS-SEC-002']").nth(1).wait_for()
    assert ("NBS-SEC-002", "cell 4, line 1") in _rows(page)
    assert note.inner_text() == "The saved file, scanned without running it."


def test_the_governance_report_of_the_saved_notebook_is_written_and_opened(
    lab_page: Any, lab_server: LabServer
) -> None:
    page = lab_page
    name = "report-contacts.ipynb"
    _saved_notebook(lab_server.root_dir, name)
    open_notebook(page, name)
    open_sidebar(page)
    wait_for_status(page, NOT_LOADED)
    saved = page.locator(part("nbsec-saved"))
    saved.locator("[data-testid='nbsec-finding']").first.wait_for()

    # an edit not saved yet: the report saves the notebook first, so it covers what is on screen
    _insert_other_token(page)
    button = page.locator(part("nbsec-report-button"))
    assert button.inner_text() == "Governance report"
    button.click()
    # the page opens in JupyterLab's HTML viewer, in a tab of its own (the first report of a
    # server loads the PII engine: allow for a loaded machine)
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="report-contacts.nbsec.html")
    tab.wait_for(timeout=240_000)
    assert button.inner_text() == "Governance report"
    assert page.locator(part("nbsec-notice")).inner_text() == ""

    root = lab_server.root_dir
    saved_source = json.loads((root / name).read_text(encoding="utf-8"))
    assert any(OTHER_TOKEN in "".join(c["source"]) for c in saved_source["cells"])
    report = json.loads((root / "report-contacts.nbsec.json").read_text(encoding="utf-8"))
    assert sorted(f["rule"] for f in report["findings"]) == [
        "NBS-PII-003",
        "NBS-PII-003",
        "NBS-SEC-002",
        "NBS-SEC-002",
    ]
    for written in root.glob("report-contacts.nbsec.*"):
        text = written.read_text(encoding="utf-8")
        assert TOKEN not in text and OTHER_TOKEN not in text, written.name
        assert "alice.smith@example.com" not in text, written.name
    # nothing of the page's text runs: JupyterLab shows it sandboxed
    # (other tests of the session may have left their own report pages open)
    frame = page.get_by_label("report-contacts.nbsec.html", exact=True).locator("iframe")
    assert "allow-scripts" not in (frame.get_attribute("sandbox") or "")
    screenshot(page, "panel-saved-report")
