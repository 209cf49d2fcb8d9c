"""The nbsec sidebar in a real JupyterLab, driven through headless Chromium.

Each case opens its own notebook (so its own fresh kernel) in one shared JupyterLab page (the
``autoConnect`` case gets a page of its own, as settings are read when the app starts), checks
that the panel reports that nbsec is not loaded in that kernel, loads nbsec one way or another,
and checks that the panel then shows the handshake the kernel answered over the ``nbsec`` comm:
"connected", the kernel's nbsec version, its mode and policy. The panel follows the active
notebook, so every newly opened notebook also exercises the switch from one kernel to the next.

The live cases then check what the panel shows of the kernel's state (frames, masked examples,
findings, counts), its actions (full scan, block mode, allow, on/off), ``metadata.nbsec`` in the
saved file, and, against a stand-in comm target, that kernel text is rendered as text and that
malformed updates are dropped. Screenshots land in ``reports/screenshots/``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import nbsec
from tests.browser.jupyterlab import LabServer, open_notebook, write_notebook
from tests.browser.panel_page import (
    NOT_LOADED,
    PANEL,
    PLUGIN_ID,
    cell_output,
    open_sidebar,
    open_with_panel,
    panel_text,
    part,
    run_cell,
    save,
    saved_metadata,
    screenshot,
    wait_for_status,
    wait_for_testid,
)

pytestmark = pytest.mark.browser


def _load_by_cell_magic(page: Any, notebook: Any) -> None:
    run_cell(page, notebook, 0)


def _load_by_button(page: Any, notebook: Any) -> None:
    page.locator(part("nbsec-load-button")).click()


# how nbsec gets loaded into the kernel -> the notebook's cells and the action that loads it
LOADERS: dict[str, tuple[list[str], Callable[[Any, Any], None]]] = {
    "cell-magic": (["%load_ext nbsec"], _load_by_cell_magic),
    "load-button": (["x = 1"], _load_by_button),
}


@pytest.mark.parametrize("how", list(LOADERS))
def test_panel_connects_once_nbsec_is_loaded(
    lab_page: Any, lab_server: LabServer, how: str
) -> None:
    page = lab_page
    sources, load = LOADERS[how]
    notebook = open_with_panel(page, lab_server, f"panel-{how}.ipynb", sources)
    assert page.locator(part("nbsec-load-button")).is_visible()
    screenshot(page, f"panel-{how}-not-loaded")

    load(page, notebook)

    try:
        wait_for_status(page, "connected")
    finally:
        screenshot(page, f"panel-{how}-connected")
    assert page.locator(part("nbsec-version")).inner_text() == f"nbsec {nbsec.__version__}"
    assert page.locator(part("nbsec-mode")).inner_text() == "warn"
    assert page.locator(part("nbsec-enabled")).inner_text() == "on"
    assert page.locator(part("nbsec-policy")).inner_text() == "defaults (no policy file)"
    assert page.locator(part("nbsec-load-button")).count() == 0


# A stand-in `nbsec` comm target that answers the handshake with whatever REPLY holds, so the
# panel's validation and rendering of kernel-provided values can be checked in the browser.
FAKE_TARGET = """\
import json
from comm import get_comm_manager
REPLY = json.loads(r'''{first}''')
def _fake_nbsec(comm, open_msg):
    if REPLY is not None:
        comm.send(REPLY)
get_comm_manager().register_target("nbsec", _fake_nbsec)
"""

MARKUP = '<img src=x onerror="document.body.dataset.injected=1">'
STATUS = {
    "mode": "block",
    "enabled": False,
    "locked": False,
    "policy_file": None,
    "policy_error": None,
}
GOOD_PAYLOAD = {
    "protocol": 2,
    "status": STATUS,
    "state_version": 1,
    "limits": {"max_message_bytes": 1048576, "max_update_items": 400},
    "features": ["subshell_requests"],
}


def _reply(payload: object, **envelope: object) -> dict[str, object]:
    return {
        "type": "handshake",
        "v": 2,
        "success": True,
        "error": None,
        "payload": payload,
        **envelope,
    }


# handshake reply the kernel sends -> status line and detail (or version line) the panel shows
NOT_UNDERSTOOD = (
    "The kernel\u2019s nbsec answered in a way this panel does not understand ({}). Are the "
    "panel and the kernel\u2019s nbsec the same version?"
)
OLDER_KERNEL = "protocol version 2 is not supported (kernel speaks 1)"
FAKE_REPLIES = [
    ("just text", "error", NOT_UNDERSTOOD.format("message is not a JSON object")),
    ({}, "error", NOT_UNDERSTOOD.format('expected a "handshake" message')),
    (
        _reply({"x": 1}),
        "error",
        NOT_UNDERSTOOD.format(
            "\"handshake\" message has a malformed payload (message: 'nbsec_version' is missing)"
        ),
    ),
    (
        _reply({}, v=3),
        "error",
        NOT_UNDERSTOOD.format('unsupported protocol version in "handshake" message'),
    ),
    (
        _reply({}, success=False, error="not today", error_code="failed"),
        "error",
        "The kernel refused the connection: not today",
    ),
    (
        _reply({}, v=1, success=False, error=OLDER_KERNEL),
        "error",
        f"The kernel\u2019s nbsec speaks another version of the panel protocol ({OLDER_KERNEL}). "
        "Install the same nbsec in the kernel\u2019s environment as in JupyterLab\u2019s.",
    ),
    (
        None,
        NOT_LOADED,
        "The kernel did not answer within 5 s. Load nbsec here, or run %load_ext nbsec in a cell.",
    ),
    (_reply({**GOOD_PAYLOAD, "nbsec_version": MARKUP}), "connected", f"nbsec {MARKUP}"),
]


def test_panel_validates_handshake_replies_and_renders_them_as_text(
    lab_page: Any, lab_server: LabServer
) -> None:
    page = lab_page
    replies = [json.dumps(reply) for reply, _, _ in FAKE_REPLIES]
    sources = [FAKE_TARGET.format(first=replies[0])]
    sources += [f"REPLY = json.loads(r'''{reply}''')" for reply in replies[1:]]
    notebook = open_with_panel(page, lab_server, "panel-fake-replies.ipynb", sources)

    # Each cell sets the next reply (None: stay silent). After a cell ran, the panel retries on
    # its own when it showed "not loaded"; after an error it retries through its Retry button.
    previous = NOT_LOADED
    for index, (_reply, status, shown) in enumerate(FAKE_REPLIES):
        run_cell(page, notebook, index)
        if previous == "error":
            page.locator(part("nbsec-connect-button")).click()
        previous = status
        target = part("nbsec-version" if status == "connected" else "nbsec-detail")
        try:
            page.locator(target).filter(has_text=shown).wait_for(state="visible")
        except Exception:
            screenshot(page, f"panel-fake-reply-{index}-failure")
            raise
        assert page.locator(part("nbsec-status")).inner_text() == status
        assert page.locator(target).inner_text() == shown

    screenshot(page, "panel-markup-as-text")
    assert page.locator(f"{PANEL} img").count() == 0
    assert page.evaluate("document.body.dataset.injected") is None
    assert page.locator(part("nbsec-mode")).inner_text() == "block"
    assert page.locator(part("nbsec-enabled")).inner_text() == "off"


def test_panel_reconnects_after_kernel_restart(lab_page: Any, lab_server: LabServer) -> None:
    page = lab_page
    notebook = open_with_panel(page, lab_server, "panel-restart.ipynb", ["%load_ext nbsec"])
    run_cell(page, notebook, 0)
    wait_for_status(page, "connected")

    # A restarted kernel has lost the extension: the panel must notice and say so.
    # (not awaited: the command waits for the confirmation dialog clicked below)
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:restart-kernel'); }")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    wait_for_status(page, NOT_LOADED)

    run_cell(page, notebook, 0)
    wait_for_status(page, "connected")
    assert page.locator(part("nbsec-version")).inner_text() == f"nbsec {nbsec.__version__}"


@pytest.fixture
def manual_connect(lab_server: LabServer) -> Iterator[None]:
    """The panel's `autoConnect` setting off for one test, back to the default afterwards."""
    lab_server.put_settings(PLUGIN_ID, {"autoConnect": False})
    try:
        yield
    finally:
        lab_server.put_settings(PLUGIN_ID, {})


@pytest.mark.slow
def test_panel_waits_for_connect_click_when_auto_connect_is_off(
    manual_connect: None, fresh_lab_page: Any, lab_server: LabServer
) -> None:
    page = fresh_lab_page
    name = "panel-manual.ipynb"
    write_notebook(lab_server.root_dir, name, ["%load_ext nbsec"])
    notebook = open_notebook(page, name)
    open_sidebar(page)
    wait_for_status(page, "not connected")
    assert page.locator(part("nbsec-load-button")).count() == 0

    page.locator(part("nbsec-connect-button")).click()
    wait_for_status(page, NOT_LOADED)
    run_cell(page, notebook, 0)
    wait_for_status(page, "connected")


# --- the live panel: kernel state, actions, metadata.nbsec ------------------------------------

EMAILS = ["alice.smith@example.com", "bob.jones@example.org", "carol.white@example.net"]
# a column whose *name* is markup: the panel must show it as text (frame list and finding)
MARKUP_COLUMN = '<img src=x onerror="document.body.dataset.injected=1">'
FRAME_CELL = f"""\
import pandas as pd
customers = pd.DataFrame({{
    "customer_id": list(range(3000)),
    "email": {EMAILS!r} * 1000,
    {MARKUP_COLUMN!r}: {list(reversed(EMAILS))!r} * 1000,
}})
"""
# a pickle load: the static rules flag it before the cell runs, the guard records it as it runs
RISKY_CELL = """\
import pickle
with open("weights.pkl", "wb") as f:
    pickle.dump({"w": [0.25, 0.5]}, f)
with open("weights.pkl", "rb") as f:
    weights = pickle.load(f)
"""
LIVE_SOURCES = ["%load_ext nbsec", FRAME_CELL, RISKY_CELL, "%nbsec", "%nbsec mode warn"]


def test_panel_shows_the_kernel_state_and_saves_it_in_metadata(
    lab_page: Any, lab_server: LabServer
) -> None:
    page = lab_page
    name = "panel-live.ipynb"
    notebook = open_with_panel(page, lab_server, name, LIVE_SOURCES)
    path = lab_server.root_dir / name

    # not connected to nbsec: a save leaves metadata.nbsec out
    save(page)
    assert "nbsec" not in saved_metadata(path)

    run_cell(page, notebook, 0)
    wait_for_status(page, "connected")
    wait_for_testid(page, "nbsec-findings", "No active findings.")

    # (a) a new DataFrame with e-mail columns: frame, column, entity and masked examples
    run_cell(page, notebook, 1)
    frame = page.locator(f"{PANEL} [data-testid='nbsec-frame'][data-frame='customers']")
    try:
        frame.wait_for(state="visible")
    except Exception:
        screenshot(page, "panel-live-failure")
        raise
    # the cell's budget may cut the first pass short on a loaded machine: the kernel goes on in
    # the background and updates the panel when the sample is done
    size = frame.locator(".jp-NbsecPanel-frameSize")
    size.filter(has_text="3000 rows, 3 columns, sampled 2000 rows").wait_for(timeout=120_000)
    columns = frame.locator("[data-testid='nbsec-column-name']").all_inner_texts()
    assert sorted(columns) == sorted(["email", MARKUP_COLUMN])
    email = frame.locator("[data-testid='nbsec-pii-column'][data-column='email']")
    assert email.locator("[data-testid='nbsec-entity']").inner_text() == "EMAIL_ADDRESS 100%"
    examples = email.locator("[data-testid='nbsec-examples']").inner_text().split(", ")
    assert sorted(examples) == ["a***@e***.com", "b***@e***.org", "c***@e***.net"]
    finding = page.locator(f"{PANEL} [data-testid='nbsec-finding'][data-rule='NBS-PII-001']")
    assert finding.count() == 2
    assert page.locator(part("nbsec-count-medium")).inner_text().split() == ["2", "medium"]

    # a large frame is sampled as the cell runs; "Full scan" asks the kernel for every row
    assert size.inner_text() == "3000 rows, 3 columns, sampled 2000 rows"
    frame.locator("[data-testid='nbsec-scan-button']").click()
    # every row through the PII engine, in chunks between the kernel's other work: allow for a
    # loaded machine
    size.filter(has_text="3000 rows, 3 columns, complete scan").wait_for(timeout=240_000)
    assert page.locator(part("nbsec-notice")).inner_text() == ""

    # (b) markup from the kernel is text: shown verbatim, no element made of it
    assert MARKUP_COLUMN in panel_text(page)
    assert page.locator(f"{PANEL} img").count() == 0
    assert page.evaluate("document.body.dataset.injected") is None

    # a finding about a cell names it by position and, clicked, activates it
    run_cell(page, notebook, 2)
    risky = page.locator(f"{PANEL} [data-testid='nbsec-finding'][data-rule='NBS-PKL-001']")
    risky.wait_for(state="visible")
    assert risky.locator("[data-testid='nbsec-where']").inner_text() == "cell 3, line 5"

    # the guarded load is listed with its verdict, action, file and short sha256
    model = page.locator(part("nbsec-model"))
    model.wait_for(state="visible")
    weights = (lab_server.root_dir / "weights.pkl").read_bytes()
    shown = {
        part: model.locator(f"[data-testid='nbsec-model-{part}']").text_content()
        for part in ("verdict", "api", "action", "what", "sha256")
    }
    assert shown == {
        "verdict": "safe",
        "api": "pickle.load",
        "action": "allowed",
        "what": "weights.pkl",
        "sha256": hashlib.sha256(weights).hexdigest()[:12],
    }
    assert page.locator(part("nbsec-count-critical")).inner_text().split() == ["1", "critical"]
    notebook.locator(".jp-Cell").nth(0).locator(".jp-InputPrompt").click()
    risky.locator(".jp-NbsecPanel-findingLine").click()
    notebook.locator(".jp-Cell").nth(2).and_(page.locator(".jp-mod-active")).wait_for()

    # no raw value anywhere in the panel
    text = panel_text(page)
    assert [e for e in EMAILS if e in text] == []

    # (e) the populated panel, tall enough to show findings and frames
    page.set_viewport_size({"width": 1280, "height": 1300})
    try:
        screenshot(page, "panel-live")
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})

    # (c) block mode from the panel reaches the kernel
    page.locator(part("nbsec-mode-block")).click()
    wait_for_testid(page, "nbsec-mode", "block")
    assert page.locator(part("nbsec-mode-block")).get_attribute("aria-pressed") == "true"
    run_cell(page, notebook, 3)
    assert re.search(r"mode\s+block", cell_output(notebook, 3))
    # and a mode set in a cell shows in the panel
    run_cell(page, notebook, 4)
    wait_for_testid(page, "nbsec-mode", "warn")
    assert page.locator(part("nbsec-mode-warn")).get_attribute("aria-pressed") == "true"

    # (d) saving writes the kernel's summary into metadata.nbsec
    save(page)
    summary = saved_metadata(path)["nbsec"]
    assert summary["counts"]["medium"] == 2
    assert summary["frames_with_pii"] == ["customers"]
    assert summary["rules"] == ["NBS-PII-001", "NBS-PKL-001"]
    saved_shas = [m["sha256"].removeprefix("sha256:") for m in summary["models"]]
    assert saved_shas == [hashlib.sha256(weights).hexdigest()]
    assert [e for e in EMAILS if e in json.dumps(summary)] == []

    # Allow offers exact scopes (this finding first), requires a reason, shows what the waiver
    # covers before confirming; the waiver is listed and the finding leaves the active list
    risky.locator(".jp-NbsecPanel-caret").first.click()
    risky.locator("[data-testid='nbsec-allow-button']").click()
    dialog = page.locator(".jp-Dialog")
    scopes = dialog.locator(".jp-NbsecWaiverForm-scopeLabel").all_inner_texts()
    assert scopes == [
        "This finding only",
        "Every NBS-PKL-001 finding",
        "Every NBS-PKL-* finding",
    ]
    assert dialog.locator("[data-testid='nbsec-waiver-scope-0']").is_checked()
    dialog.locator(".jp-mod-accept").click()  # no reason: asked again, nothing allowed
    dialog.locator(".jp-NbsecWaiverForm-error").wait_for()
    assert page.locator(part("nbsec-waiver")).count() == 0
    dialog.locator("[data-testid='nbsec-waiver-reason']").fill(
        "fixture pickle written by this notebook"
    )
    dialog.locator(".jp-mod-accept").click()
    review = page.locator(".jp-Dialog [data-testid='nbsec-waiver-review']")
    review.wait_for()
    assert review.locator("[data-testid='nbsec-waiver-count-preview']").inner_text() == (
        "It hides 1 finding now."
    )
    assert review.locator("[data-testid='nbsec-waiver-admits-preview']").inner_text() == (
        "It does not let any file load."
    )
    assert page.locator(part("nbsec-waiver")).count() == 0  # a dry run records nothing
    page.locator(".jp-Dialog .jp-mod-accept").click()
    waiver = wait_for_testid(page, "nbsec-waiver", "fixture pickle written by this notebook")
    assert waiver.locator("[data-testid='nbsec-waiver-scope']").inner_text() == "one finding"
    risky.wait_for(state="detached")
    assert page.locator(part("nbsec-count-critical")).inner_text().split() == ["0", "critical"]

    # the on/off switch
    page.locator(part("nbsec-enabled-switch")).click()
    wait_for_testid(page, "nbsec-enabled", "off")
    page.locator(part("nbsec-enabled-switch")).click()
    wait_for_testid(page, "nbsec-enabled", "on")


# A stand-in `nbsec` comm target that answers the handshake and `get_state` (echoing the
# request's id) with STATE, and sends whatever a later cell passes to `push()`: the panel's
# checks of the kernel's state and of updates.
FAKE_STATE_TARGET = """\
import json
from comm import get_comm_manager
HANDSHAKE = json.loads(r'''{handshake}''')
STATE = json.loads(r'''{state}''')
METADATA = json.loads(r'''{metadata}''')
COMMS = []
def _fake_nbsec(comm, open_msg):
    COMMS.append(comm)
    def on_msg(msg):
        data = msg["content"]["data"]
        if data.get("type") == "get_state":
            comm.send({{"type": "get_state", "v": 2, "id": data.get("id"), "success": True,
                       "error": None, "payload": {{"state": STATE, "metadata": METADATA}}}})
    comm.on_msg(on_msg)
    comm.send(HANDSHAKE)
def push(update):
    for comm in COMMS:
        comm.send(update)
get_comm_manager().register_target("nbsec", _fake_nbsec)
"""

COUNTS = {"critical": 0, "high": 1, "medium": 0, "low": 0, "info": 0}
NOWHERE = {
    "path": None,
    "cell_id": None,
    "cell_index": None,
    "execution_count": None,
    "line": None,
    "output_index": None,
    "column": None,
}
# every text the panel renders from the state is markup here, where the protocol allows free text
MARKUP_FINDING = {
    "rule": "NBS-SRC-001",
    "title": MARKUP,
    "severity": "high",
    "confidence": "high",
    "message": MARKUP,
    "remediation": MARKUP,
    "location": {**NOWHERE, "cell_id": MARKUP, "path": MARKUP},
    "evidence": MARKUP,
    "tags": [],
    "fingerprint": "sha256:" + "0" * 64,
    "waiver": None,
    "subject": None,
}
MARKUP_STATE = {
    "version": 1,
    "status": STATUS,
    "counts": COUNTS,
    "findings": [MARKUP_FINDING],
    "frames": {
        MARKUP: {
            "rows": 3,
            "rows_scanned": 3,
            "exhaustive": True,
            "partial": False,
            "columns": 1,
            "pii_columns": {
                MARKUP: {
                    "entities": [{"type": "PERSON", "score": 1.0, "fraction": 1.0}],
                    "examples": [MARKUP],
                }
            },
            "cell": None,
        }
    },
    "models": [
        {
            "key": MARKUP,
            "kind": "load",
            "api": MARKUP,
            "path": MARKUP,
            "source": MARKUP,
            "sha256": None,
            "verdict": "suspicious",
            "action": "warned",
            "loads": 1,
            "globals": [MARKUP],
            "reason": MARKUP,
            "own": None,
            "last_cell": None,
        }
    ],
    "waivers": [
        {
            "id": "w-" + "0" * 12,
            "scope": {"kind": "path", "path": MARKUP},
            "reason": MARKUP,
            "at": "2026-01-01T00:00:00+00:00",
            "expires": None,
            "origin": "session",
            "covers": MARKUP,
            "admits_file": True,
            "active": False,
            "note": MARKUP,
        }
    ],
    "lineage": {
        "summary": {
            "session_id": None,
            "ledger": None,
            "ledger_head": None,
            "ledger_lines": 0,
            "cells_recorded": 0,
            "sources": [],
        },
        "cells": [],
    },
    "scans": [],
}
METADATA = {
    "v": 2,
    "counts": COUNTS,
    "findings": 1,
    "rules": ["NBS-SRC-001"],
    "frames_with_pii": [],
    "models": [],
    "data_sources": [],
    "ledger": None,
    "waivers": [],
}
# texts above shown whole once the finding is opened (tooltips and labels are attributes): the
# finding's title and where (its path) on its line, and title, message, evidence, file and
# remediation in its details; frame name, column and example; model source, api and reason;
# waiver scope (its path), reason, what it covers and why it is not in force
MARKUP_SHOWN = 17


def _update(base: int, version: int, **delta: object) -> dict[str, object]:
    payload = {"base": base, "version": version, "status": STATUS, "counts": COUNTS, **delta}
    return {"type": "update", "v": 2, "payload": payload}


MALFORMED = '"update" message has a malformed payload ({})'
# an update the kernel pushes -> the notice the panel shows while it keeps the last good state
BAD_UPDATES = [
    (_update(1, "2"), MALFORMED.format("message.version: expected integer")),  # type: ignore[arg-type]
    (
        _update(1, 2, findings={"upsert": [{**MARKUP_FINDING, "severity": 5}], "remove": []}),
        MALFORMED.format("message.findings.upsert[0].severity: not one of the allowed values"),
    ),
    (
        _update(1, 2, frames=[]),
        MALFORMED.format("message.frames: expected object"),
    ),
    ({**_update(1, 2), "v": 3}, 'unsupported protocol version in "update" message'),
    ({"type": "evaluate", "v": 2, "payload": {"code": "1"}}, 'unexpected "evaluate" message'),
]
SECOND_FINDING = {
    **MARKUP_FINDING,
    "rule": "NBS-SRC-002",
    "title": "second",
    "fingerprint": "sha256:" + "1" * 64,
}


def test_panel_renders_kernel_state_as_text_and_follows_updates_by_version(
    lab_page: Any, lab_server: LabServer
) -> None:
    page = lab_page
    handshake = _reply({**GOOD_PAYLOAD, "nbsec_version": "9.9"})
    sources = [
        FAKE_STATE_TARGET.format(
            handshake=json.dumps(handshake),
            state=json.dumps(MARKUP_STATE),
            metadata=json.dumps(METADATA),
        )
    ]
    sources += [f"push(json.loads(r'''{json.dumps(update)}'''))" for update, _ in BAD_UPDATES]
    two = _update(
        1,
        2,
        counts={**COUNTS, "high": 2},
        findings={"upsert": [SECOND_FINDING], "remove": []},
    )
    sources.append(f"push(json.loads(r'''{json.dumps(two)}'''))")
    # an update from version 5: the panel missed some and asks for the whole state again
    newer = {**MARKUP_STATE, "version": 6, "findings": [], "counts": {**COUNTS, "high": 0}}
    sources.append(
        f"STATE = json.loads(r'''{json.dumps(newer)}''')\n"
        f"push(json.loads(r'''{json.dumps(_update(5, 6, counts=newer['counts']))}'''))"
    )
    notebook = open_with_panel(page, lab_server, "panel-fake-state.ipynb", sources)
    run_cell(page, notebook, 0)
    wait_for_status(page, "connected")
    try:
        page.locator(part("nbsec-waiver")).wait_for(state="visible")
    except Exception:
        screenshot(page, "panel-fake-state-failure")
        raise

    page.locator(part("nbsec-finding")).locator(".jp-NbsecPanel-caret").click()
    page.locator(f"{PANEL} .jp-NbsecPanel-remediation").wait_for()
    text_content = page.locator(PANEL).evaluate("node => node.textContent")
    assert text_content.count(MARKUP) == MARKUP_SHOWN
    assert page.locator(f"{PANEL} img").count() == 0
    assert page.evaluate("document.body.dataset.injected") is None

    for index, (_update_message, notice) in enumerate(BAD_UPDATES, start=1):
        run_cell(page, notebook, index)
        shown = f"ignored a message from the kernel: {notice}"
        wait_for_testid(page, "nbsec-notice", shown)
        assert page.locator(part("nbsec-notice")).inner_text() == shown
        assert page.locator(part("nbsec-count-high")).inner_text().split() == ["1", "high"]
        assert page.locator(part("nbsec-finding")).count() == 1
    assert page.locator(f"{PANEL} img").count() == 0

    # an update from the version the panel has is applied
    run_cell(page, notebook, len(BAD_UPDATES) + 1)
    wait_for_testid(page, "nbsec-count-high", "2")
    assert page.locator(part("nbsec-finding")).count() == 2
    # one from a version it does not have makes it read the whole state again
    run_cell(page, notebook, len(BAD_UPDATES) + 2)
    wait_for_testid(page, "nbsec-findings", "No active findings.")
    assert page.locator(part("nbsec-count-high")).inner_text().split() == ["0", "high"]


@pytest.fixture
def summary_not_saved(lab_server: LabServer) -> Iterator[None]:
    """The panel's `saveSummary` setting off for one test, back to the default afterwards."""
    lab_server.put_settings(PLUGIN_ID, {"saveSummary": False})
    try:
        yield
    finally:
        lab_server.put_settings(PLUGIN_ID, {})


@pytest.mark.slow
def test_save_leaves_metadata_alone_when_save_summary_is_off(
    summary_not_saved: None, fresh_lab_page: Any, lab_server: LabServer
) -> None:
    page = fresh_lab_page
    name = "panel-no-summary.ipynb"
    notebook = open_with_panel(page, lab_server, name, ["%load_ext nbsec", FRAME_CELL])
    run_cell(page, notebook, 0)
    run_cell(page, notebook, 1)
    page.locator(f"{PANEL} [data-testid='nbsec-frame'][data-frame='customers']").wait_for()

    save(page)
    assert "nbsec" not in saved_metadata(lab_server.root_dir / name)
