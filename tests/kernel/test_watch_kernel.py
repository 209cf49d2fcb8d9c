"""Auto mode in a real kernel: warnings before, guards during, PII scans after each cell; the
panel's request table; restoring the kernel on unload."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from nbsec.kernel.display import MIME_TYPE
from tests.kernel.harness import Kernel

pytestmark = pytest.mark.kernel

HANDSHAKE = {"type": "handshake", "v": 2, "payload": {"client": "t", "protocol": 2}}

FRAME_CELL = """\
import pandas as pd
customers = pd.DataFrame({
    "customer_id": range(1, 41),
    "contact": [f"user{i}@example.com" for i in range(40)],
    "note": ["<img src=x onerror=alert(1)>"] * 40,
    "spend": [i * 1.5 for i in range(40)],
})
"""

MALICIOUS_PICKLE = """\
import pickle, os
class Payload:
    def __reduce__(self):
        return (os.system, ("touch {marker}",))
with open("model.pkl", "wb") as fh:
    pickle.dump(Payload(), fh)
del Payload
"""


def nbsec_outputs(results: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in results if MIME_TYPE in r]


def test_pii_frame_is_flagged_once_with_escaped_html(kernel: Kernel) -> None:
    kernel.execute("%load_ext nbsec")
    out = kernel.execute(FRAME_CELL)
    assert out.status == "ok"
    blocks = nbsec_outputs(out.results)
    assert len(blocks) == 1
    data = blocks[0][MIME_TYPE]
    assert data["v"] == 1  # type: ignore[index]
    findings = data["findings"]  # type: ignore[index]
    assert [(f["rule"], "'contact'" in f["message"]) for f in findings] == [("NBS-PII-001", True)]
    assert "user1@example.com" not in json.dumps(blocks[0])
    html = str(blocks[0]["text/html"])
    assert "<img" not in html
    # re-running the same cell does not repeat the warning
    again = kernel.execute(FRAME_CELL)
    assert nbsec_outputs(again.results) == []


def test_nothing_is_shown_when_nothing_is_found(kernel: Kernel) -> None:
    kernel.execute("%load_ext nbsec")
    out = kernel.execute("import json\nx = json.loads('[1, 2]')\nsum(x)")
    assert out.results == [{"text/plain": "3"}]
    assert out.stderr == ""


def test_risky_code_is_flagged_before_it_runs(kernel: Kernel) -> None:
    kernel.execute("%load_ext nbsec")
    out = kernel.execute(
        "import numpy as np\nimport io\nbuf = io.BytesIO()\nnp.save(buf, np.arange(3))\n"
        "buf.seek(0)\narr = np.load(buf, allow_pickle=True)\n"
    )
    rules = [
        (f["rule"], f["location"]["line"])
        for block in nbsec_outputs(out.results)
        for f in block[MIME_TYPE]["findings"]  # type: ignore[index]
    ]
    assert ("NBS-PKL-004", 6) in rules


def test_a_known_payload_is_blocked_in_warn_mode_too(kernel: Kernel, tmp_path: Path) -> None:
    # warn mode warns about what is suspicious; a known code-execution payload is dangerous and
    # blocked in every mode
    marker = tmp_path / "ran"
    kernel.execute(MALICIOUS_PICKLE.format(marker=marker))
    kernel.execute("%load_ext nbsec")
    out = kernel.execute("import pickle\nobj = pickle.load(open('model.pkl', 'rb'))")
    rules = {
        f["rule"]
        for block in nbsec_outputs(out.results)
        for f in block[MIME_TYPE]["findings"]  # type: ignore[index]
    }
    assert "NBS-PKL-001" in rules  # the source rule on pickle.load, before the cell ran
    assert out.status == "error" and out.error is not None
    assert out.error["ename"] == "BlockedLoad"
    assert not marker.exists()
    models = kernel.execute("%nbsec models").text()
    assert "dangerous" in models and "blocked" in models


def test_malicious_pickle_is_blocked_before_any_byte_is_unpickled(
    kernel: Kernel, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "nbsec.toml").write_text('mode = "block"\n')
    kernel.execute(MALICIOUS_PICKLE.format(marker=marker))
    kernel.execute("%load_ext nbsec")
    out = kernel.execute("import pickle\nobj = pickle.load(open('model.pkl', 'rb'))")
    assert out.status == "error"
    assert out.error is not None and out.error["ename"] == "BlockedLoad"
    assert not marker.exists()
    assert "blocked" in kernel.execute("%nbsec models").text()


def test_block_mode_for_one_cell(kernel: Kernel, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    kernel.execute(MALICIOUS_PICKLE.format(marker=marker))
    kernel.execute("%load_ext nbsec")
    out = kernel.execute("%%nbsec\nimport pickle\nobj = pickle.load(open('model.pkl', 'rb'))")
    assert out.status == "error"
    assert out.error is not None and out.error["ename"] == "BlockedLoad"
    assert not marker.exists()
    assert "obj" not in kernel.execute("print(sorted(globals()))").stdout.split("'")


def test_allow_waives_and_is_visible_in_policy(kernel: Kernel) -> None:
    kernel.execute("%load_ext nbsec")
    allow = kernel.execute('%nbsec allow --rule NBS-PII-001 --reason "synthetic data"')
    assert "synthetic data" in allow.text()
    assert "every NBS-PII-001 finding (never admits a file)" in allow.text()
    out = kernel.execute(FRAME_CELL)
    assert nbsec_outputs(out.results) == []
    policy = kernel.execute("%nbsec policy").text()
    assert "every NBS-PII-001 finding (never admits a file): synthetic data" in policy


@pytest.mark.parametrize(
    "line",
    ["%nbsec frobnicate", "%nbsec allow NBS-PII-001", "%nbsec mode sometimes", "%nbsec scan nope"],
)
def test_bad_magic_arguments_are_one_line(kernel: Kernel, line: str) -> None:
    kernel.execute("%load_ext nbsec")
    out = kernel.execute(line)
    assert out.status == "ok"
    assert out.stderr.strip().count("\n") == 0
    assert out.stderr.startswith("nbsec: ")


def test_request_table_over_the_comm(kernel: Kernel, tmp_path: Path) -> None:
    kernel.execute("%load_ext nbsec")
    kernel.execute(FRAME_CELL)
    comm = kernel.comm_open("nbsec", HANDSHAKE)
    hello = kernel.comm_next(comm)[1]
    assert hello["success"] is True
    version = hello["payload"]["state_version"]

    events: list[dict[str, object]] = []

    def ask(
        kind: str, payload: dict[str, object], request_id: str, timeout: float = 15
    ) -> dict[str, object]:
        kernel.comm_send(comm, {"type": kind, "v": 2, "id": request_id, "payload": payload})
        while True:
            data = kernel.comm_next(comm, timeout=timeout)[1]
            if "success" in data:
                assert data["id"] == request_id
                return data
            events.append(data)

    state = ask("get_state", {}, "r1")
    assert state["success"] is True
    payload = state["payload"]
    assert payload["state"]["version"] == version  # type: ignore[index]
    assert payload["state"]["frames"]["customers"]["pii_columns"]  # type: ignore[index]
    assert payload["metadata"]["frames_with_pii"] == ["customers"]  # type: ignore[index]
    job = ask("scan_frame", {"name": "customers"}, "r2")["payload"]["job"]  # type: ignore[index]
    assert (job["kind"], job["target"]) == ("full_scan", "customers")
    missing = ask("scan_frame", {"name": "nope"}, "r3")
    assert (missing["error"], missing["error_code"]) == (
        "no DataFrame named 'nope' in the kernel",
        "not_found",
    )
    mode = ask("set_mode", {"mode": "block"}, "r4")
    assert mode["payload"]["status"]["mode"] == "block"  # type: ignore[index]
    assert ask("set_mode", {"mode": "panic"}, "r5")["error_code"] == "invalid"
    waiver = ask("allow", {"scope": {"kind": "rule", "rule": "NBS-SRC-001"}, "reason": "ok"}, "r6")
    assert waiver["payload"]["waiver"]["scope"] == {"kind": "rule", "rule": "NBS-SRC-001"}  # type: ignore[index]
    assert waiver["payload"]["waiver"]["admits_file"] is False  # type: ignore[index]
    # the governance report of the session (the kernel does not know a notebook here), written
    # into the folder asked for; paths relative to the kernel's folder, as the panel opens them
    report = ask("report", {"path": "governance"}, "r7", timeout=120)
    assert report["success"] is True, report["error"]
    written = report["payload"]
    assert written == {
        "path": "governance/kernel-session.nbsec.ipynb",
        "html_path": "governance/kernel-session.nbsec.html",
    }
    page = (tmp_path / "governance" / "kernel-session.nbsec.html").read_text()
    assert "customers" in page and "user1@example.com" not in page
    assert ask("exec", {"code": "1"}, "r8")["error"] == "unknown message type 'exec'"

    # the full scan finished between messages (in steps): its progress, then an update with
    # the frame
    def exhaustive_update() -> bool:
        return any(
            e["type"] == "update"
            and e["payload"]
            .get("frames", {})
            .get("upsert", {})
            .get("customers", {})
            .get(  # type: ignore[union-attr]
                "exhaustive"
            )
            for e in events
        )

    while not (
        any(
            e["type"] == "scan_progress" and e["payload"]["job"]["state"] == "done"  # type: ignore[index]
            for e in events
        )
        and exhaustive_update()
    ):
        events.append(kernel.comm_next(comm, timeout=60)[1])
    # every change made from the panel reached it as a delta from the version it had
    updates = [e["payload"] for e in events if e["type"] == "update"]
    assert updates and updates[0]["base"] == version  # type: ignore[index]
    for before, after in itertools.pairwise(updates):
        assert after["base"] == before["version"]  # type: ignore[index]
    assert any(
        u.get("frames", {}).get("upsert", {}).get("customers", {}).get("exhaustive")  # type: ignore[union-attr]
        for u in updates
    )
    assert updates[-1]["status"]["mode"] == "block"  # type: ignore[index]
    # an update is pushed after a cell that changes the state, with only what changed
    kernel.execute("import pandas as pd\nmore = pd.DataFrame({'phone': ['+1 415 555 0100'] * 5})")
    kind, update = kernel.comm_next(comm)
    while update["type"] != "update" or "more" not in update["payload"].get("frames", {}).get(
        "upsert", {}
    ):
        kind, update = kernel.comm_next(comm)
    assert kind == "comm_msg"
    assert list(update["payload"]["frames"]["upsert"]) == ["more"]
    assert update["payload"]["frames"]["remove"] == []


def test_unload_restores_the_kernel(kernel: Kernel) -> None:
    before = kernel.execute(
        "import pickle, pandas, numpy\n"
        "ids = (id(pickle.load), id(pickle.loads), id(pandas.read_pickle), id(numpy.load))\n"
        "print(ids)"
    ).stdout
    kernel.execute("%load_ext nbsec")
    during = kernel.execute(
        "print((id(pickle.load), id(pickle.loads), id(pandas.read_pickle), id(numpy.load)))"
    ).stdout
    assert during != before
    kernel.execute("%unload_ext nbsec")
    after = kernel.execute(
        "print((id(pickle.load), id(pickle.loads), id(pandas.read_pickle), id(numpy.load)))"
    ).stdout
    assert after == before
    # the audit hook stays (Python cannot remove it) but does nothing
    out = kernel.execute("import pickle\npickle.loads(pickle.dumps(print))")
    assert out.status == "ok"
    assert nbsec_outputs(out.results) == []


def test_dashboard_shows_the_session_and_updates_as_cells_run(kernel: Kernel) -> None:
    kernel.execute("%load_ext nbsec")
    out = kernel.execute("board = %nbsec dashboard\nboard")
    assert out.status == "ok", out.error
    assert any("application/vnd.jupyter.widget-view+json" in r for r in out.results)
    read = (
        "tabs = board.children[1]\n"
        "print([tabs.get_title(i) for i in range(4)])\n"
        "print(tabs.children[0].value.count('NBS-'), tabs.children[1].value.count('EMAIL'))"
    )
    before = kernel.execute(read).stdout.splitlines()
    assert before[0] == "['Findings', 'PII per frame', 'Models & pickles', 'Lineage']"
    assert before[1] == "0 0"
    kernel.execute(FRAME_CELL)
    after = kernel.execute(read).stdout.splitlines()
    assert after[1] == "1 1"
    frames_html = kernel.execute("print(board.children[1].children[1].value)").stdout
    assert "contact" in frames_html
    assert "user1@example.com" not in frames_html
    assert "<img src=x" not in frames_html
    lineage = kernel.execute(
        "sel = board.children[1].children[3].children[0]\n"
        "sel.value = 'customers'\n"
        "print(board.children[1].children[3].children[1].value)"
    ).stdout
    assert "customers@" in lineage


def test_frames_made_or_changed_out_of_sight_are_still_scanned(kernel: Kernel) -> None:
    # the watcher looks only at the names the cell bound (from the namespace diff) and the
    # frames it knows: a frame bound through globals() and a column added by a function call
    # (no assignment to the frame's name in the cell) are still seen
    kernel.execute("%load_ext nbsec")
    kernel.execute(
        "import pandas as pd\n"
        "people = pd.DataFrame({'email': [f'p{i}@example.com' for i in range(300)],"
        " 'n': range(300)})\n"
        "filler = {f'v{i}': i for i in range(2000)}\nglobals().update(filler)"
    )
    added = kernel.execute(
        "def add_ssn(frame):\n"
        "    frame['ssn'] = [f'{100 + i % 600:03d}-{10 + i % 80:02d}-{1000 + i:04d}'"
        " for i in range(len(frame))]\n"
        "add_ssn(people)"
    )
    messages = [
        f["message"]
        for block in nbsec_outputs(added.results)
        for f in block[MIME_TYPE]["findings"]  # type: ignore[index]
    ]
    assert len(messages) == 1 and "'ssn'" in messages[0]  # the e-mail column is not news
    hidden = kernel.execute(
        "def publish():\n"
        "    globals()['contacts'] = pd.DataFrame({'mail': [f'c{i}@example.org'"
        " for i in range(50)]})\n"
        "publish()"
    )
    [block] = nbsec_outputs(hidden.results)
    [finding] = block[MIME_TYPE]["findings"]  # type: ignore[index]
    assert "'mail'" in finding["message"] and "contacts" in finding["message"]
    comm = kernel.comm_open("nbsec", HANDSHAKE)
    kernel.comm_next(comm)
    kernel.comm_send(comm, {"type": "get_state", "v": 2, "payload": {}})
    data = kernel.comm_next(comm)[1]
    while data.get("type") != "get_state":
        data = kernel.comm_next(comm)[1]
    frames = data["payload"]["state"]["frames"]
    assert sorted(frames["people"]["pii_columns"]) == ["email", "ssn"]
    assert frames["people"]["columns"] == 3
    assert list(frames["contacts"]["pii_columns"]) == ["mail"]
    # the frame is gone from the state once its name is deleted
    kernel.execute("del contacts")
    kernel.comm_send(comm, {"type": "get_state", "v": 2, "payload": {}})
    data = kernel.comm_next(comm)[1]
    while data.get("type") != "get_state":
        data = kernel.comm_next(comm)[1]
    assert "contacts" not in data["payload"]["state"]["frames"]


def test_a_background_pass_reaches_the_panel_between_cells(kernel: Kernel) -> None:
    # in a fresh kernel the first pass runs with nbsec's core recognizers while presidio's load;
    # the complete pass finishes in the background and reaches the panel without another cell
    kernel.execute("%load_ext nbsec")
    comm = kernel.comm_open("nbsec", HANDSHAKE)
    assert kernel.comm_next(comm)[1]["type"] == "handshake"
    made = kernel.execute(
        "import pandas as pd\n"
        "first = ['James', 'Maria', 'Robert', 'Linda', 'Michael', 'Susan', 'David', 'Karen']\n"
        "last = ['Smith', 'Garcia', 'Johnson', 'Miller', 'Brown', 'Davis', 'Wilson', 'Moore']\n"
        "people = pd.DataFrame({'name': [f'{first[i % 8]} {last[(i // 8) % 8]}'"
        " for i in range(400)], 'email': [f'p{i}@example.com' for i in range(400)]})"
    )
    assert made.status == "ok"

    def complete(event: dict[str, Any]) -> dict[str, Any] | None:
        frame = event.get("payload", {}).get("frames", {}).get("upsert", {}).get("people")
        return frame if frame and not frame["partial"] else None

    summary = None
    while summary is None:  # no cell runs meanwhile
        summary = complete(kernel.comm_next(comm, timeout=120)[1])
    assert sorted(summary["pii_columns"]) == ["email", "name"]
    later = kernel.execute("x = 1")
    shown = [
        f
        for out in (made, later)
        for block in nbsec_outputs(out.results)
        for f in block[MIME_TYPE]["findings"]  # type: ignore[index]
    ]
    # each column is shown once (in the cell, or after the next one when only the background
    # found it), always under the cell that made the frame
    names = [f for f in shown if "column 'name'" in f["message"]]
    assert len(names) == 1
    assert {f["location"]["execution_count"] for f in shown} == {2}


def test_a_known_frame_changed_by_a_function_the_cell_does_not_name_is_seen(
    kernel: Kernel,
) -> None:
    # known frames the cell did not name keep their last fingerprint only while their identity,
    # shape and column index stay as they were
    kernel.execute("%load_ext nbsec")
    kernel.execute("import pandas as pd\nscores = pd.DataFrame({'n': range(200)})")
    kernel.execute(
        "def enrich():\n    scores['contact'] = [f'user{i}@example.com' for i in range(200)]"
    )
    kernel.execute("x = 1")
    out = kernel.execute("enrich()")
    messages = [
        f["message"]
        for block in nbsec_outputs(out.results)
        for f in block[MIME_TYPE]["findings"]  # type: ignore[index]
    ]
    assert len(messages) == 1 and "'contact'" in messages[0] and "scores" in messages[0]
