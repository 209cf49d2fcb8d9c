"""``%nbsec report`` and ``%nbsec meta`` in a real kernel, and the panel's ``report`` request:
the report of the session itself (what the kernel saw, not a re-scan), written beside the
notebook, every file valid, nothing the session read leaked into it."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from tests.kernel.harness import Kernel
from tests.report.attachments import Markup, validate_files
from tests.report.conftest import write_notebook

pytestmark = pytest.mark.kernel

HANDSHAKE = {"type": "handshake", "v": 2, "payload": {"client": "t", "protocol": 2}}
EMAILS = ["ada.lovelace@example.org", "alan.turing@example.net", "grace.hopper@example.com"]
READ = "import pandas as pd\ncustomers = pd.read_csv('customers.csv')\ncustomers.shape"
WRITE = "customers[['plan']].to_csv('plans.csv', index=False)"
BASIS = "contract with the customer, GDPR art. 6(1)(b)"
HOSTILE = "<img src=x onerror=alert(1)>"
# a frame whose column name is markup, made from the people read
EVIL = f"hostile = pd.DataFrame({{{HOSTILE!r}: customers['email']}})"


def _session(tmp_path: Path) -> Kernel:
    rows = ["email,plan,age"] + [f"{e},{p},{30 + i}" for i, (e, p) in enumerate(
        zip(EMAILS * 4, ["basic", "pro", "team"] * 4, strict=True)
    )]  # fmt: skip
    (tmp_path / "customers.csv").write_text("\n".join(rows) + "\n")
    # saved by an earlier session (the panel writes the kernel's summary into metadata.nbsec)
    saved = {"nbsec": {"governance": {"legal_basis": BASIS}}}
    write_notebook(tmp_path / "analysis.ipynb", ["%load_ext nbsec", READ, WRITE, EVIL], saved)
    kernel = Kernel(cwd=tmp_path)
    kernel.execute("__session__ = 'analysis.ipynb'", silent=True)
    assert kernel.execute("%load_ext nbsec").status == "ok"
    assert kernel.execute(READ).status == "ok"
    assert kernel.execute(WRITE).status == "ok"
    assert kernel.execute(EVIL).status == "ok"
    return kernel


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], str]:
    """One session: governance fields set, the report written by the magic and by the panel's
    request (a kernel start is slow)."""
    tmp_path = tmp_path_factory.mktemp("live")
    kernel = _session(tmp_path)
    try:
        meta = kernel.execute("%nbsec meta purpose=churn model for retention owner=data team")
        assert meta.status == "ok" and "churn model for retention" in meta.text(), meta.stderr
        bad = kernel.execute("%nbsec meta colour=blue")
        assert "unknown governance field 'colour'" in bad.stderr
        out = kernel.execute("%nbsec report")
        assert out.status == "ok" and not out.error, out.stderr
        comm = kernel.comm_open("nbsec", HANDSHAKE)
        assert kernel.comm_next(comm)[1]["type"] == "handshake"
        kernel.comm_send(
            comm,
            {"type": "report", "v": 2, "id": "r1", "payload": {"path": "out/governance.ipynb"}},
        )
        while True:
            _, reply = kernel.comm_next(comm, timeout=120)
            if reply.get("id") == "r1":
                break
    finally:
        kernel.stop()
    return tmp_path, reply, out.text() + out.html()


def test_the_magic_writes_the_sessions_report_beside_the_notebook(
    live: tuple[Path, dict[str, str], str],
) -> None:
    folder, _, shown = live
    assert "nbsec report of analysis.ipynb" in shown and "analysis.nbsec.html" in shown
    report = validate_files(folder, "analysis")
    assert report["identity"]["produced"]["mode"] == "live"
    assert report["identity"]["kernel"]["source"] == "live kernel"
    governance = {f["key"]: f["value"] for f in report["governance"]["fields"]}
    assert governance["purpose"] == "churn model for retention"
    assert governance["owner"] == "data team"
    assert governance["legal_basis"] == BASIS  # restored from the saved notebook
    assert governance["intended_use"] is None
    assert report["governance"]["gaps"] == ["intended use not stated"]
    # what the session read and wrote, from the kernel's record (the saved notebook has no
    # outputs: a static scan could not know either file)
    data = {Path(i["uri"]).name: i for i in report["data"]["items"]}
    assert data["customers.csv"]["rows"] == 12 and len(data["customers.csv"]["columns"]) == 3
    assert "plans.csv" in data
    pii = [
        (c["name"], e["type"])
        for t in report["personal_data"]["tables"]
        for c in t["columns"]
        for e in c["entities"]
    ]
    assert ("email", "EMAIL_ADDRESS") in pii, pii


def test_the_panels_request_names_the_report_and_gets_its_paths(
    live: tuple[Path, dict[str, str], str],
) -> None:
    folder, reply, _ = live
    assert reply["type"] == "report" and reply.get("ok", True), reply
    payload = reply["payload"]
    assert payload == {"path": "out/governance.ipynb", "html_path": "out/governance.html"}
    names = sorted(p.name for p in (folder / "out").iterdir())
    assert names == [
        "governance.cdx.json", "governance.html", "governance.ipynb", "governance.json",
        "governance.openlineage.json", "governance.sarif",
    ]  # fmt: skip


def test_nothing_the_session_read_is_in_any_file(live: tuple[Path, dict[str, str], str]) -> None:
    folder, _, _ = live
    produced = [p for p in folder.rglob("*") if p.is_file() and p.suffix != ".csv"]
    produced = [p for p in produced if p.name != "analysis.ipynb"]  # the ledger too
    assert len(produced) >= 12
    for path in produced:
        text = path.read_text(encoding="utf-8")
        for email in EMAILS:
            assert email not in text and email.split("@")[0] not in text, (path, email)
    report = json.loads((folder / "analysis.nbsec.json").read_text())
    assert report["personal_data"]["tables"], "the frame's PII is reported, masked"


def test_frame_text_is_text_in_the_page(live: tuple[Path, dict[str, str], str]) -> None:
    folder, _, _ = live
    report = json.loads((folder / "analysis.nbsec.json").read_text(encoding="utf-8"))
    columns = [c["name"] for t in report["personal_data"]["tables"] for c in t["columns"]]
    assert HOSTILE in columns  # reported, under its own name
    page = (folder / "analysis.nbsec.html").read_text(encoding="utf-8")
    markup = Markup()
    markup.feed(page)
    assert "img" not in markup.tags and markup.handlers == []
    assert html.escape(HOSTILE, quote=False) in page
