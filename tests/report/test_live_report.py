"""The report of a live session, built from the session's plain data: what the kernel saw (frames,
loads, lineage, waivers, governance fields), written beside the notebook; and a session whose
notebook is not known."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from nbsec.errors import UsageError
from nbsec.lineage.records import Access, CellRecord, VariableInfo
from nbsec.policy import Policy
from nbsec.report.live_report import output_target, report_session
from nbsec.report.live_session import LiveSession
from tests.report.attachments import validate_files


def _session(folder: Path, notebook: Path | None) -> LiveSession:
    data = folder / "people.csv"
    data.write_text("name,email\nAda Lovelace,ada@example.org\n")
    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    record = CellRecord(
        execution_count=1,
        source_sha256="0" * 64,
        cell_index=0,
        cell_id="c0",
        session_id="live-1",
        started="2026-12-04T10:00:00.000+00:00",
        defines=["people"],
        variables={"people": VariableInfo("pandas.DataFrame", None, (1, 2),
                                          (("name", "str"), ("email", "str")))},
        reads=[Access(str(data), "file", "open", digest, data.stat().st_size)],
    )  # fmt: skip
    frame_finding = {
        "rule": "NBS-PII-001", "title": "Personal data in a DataFrame column",
        "severity": "medium", "confidence": "high",
        "message": "frame 'people' column 'email' holds EMAIL_ADDRESS (100% of 1)",
        "remediation": "-", "location": {"cell_id": "c0"}, "evidence": "a***@e***.org",
        "tags": [], "fingerprint": "",
    }  # fmt: skip
    return LiveSession(
        notebook=str(notebook) if notebook else None,
        findings=[frame_finding],
        frames={
            "people": {
                "rows": 1,
                "rows_scanned": 1,
                "exhaustive": True,
                "columns": 2,
                "pii_columns": {
                    "email": {
                        "entities": [{"type": "EMAIL_ADDRESS", "score": 1.0, "fraction": 1.0}],
                        "examples": ["a***@e***.org"],
                    }
                },
            }
        },
        models=[
            {
                "kind": "load",
                "api": "joblib.load",
                "path": "model.joblib",
                "sha256": "2" * 64,
                "verdict": "suspicious",
                "globals": ["sklearn.x.Y"],
                "action": "warned",
                "cell": {"cell_id": "c0"},
            }
        ],
        waivers=[
            {
                "target": "NBS-PII",
                "kind": "rule",
                "reason": "synthetic people",
                "at": "2026-01-01T00:00:00+00:00",
            }
        ],
        records=[record.to_dict()],
        governance={"owner": "growth team", "purpose": "retention study"},
        session_id="live-1",
        kernel={"python": "3.11.7", "implementation": "CPython"},
        modules=["pandas"],
        packages=[
            {
                "name": "pandas",
                "version": "2.2.0",
                "license": "BSD-3-Clause",
                "direct": True,
                "imported_as": ["pandas"],
            }
        ],
        captured_at="2026-12-04T00:00:00+00:00",
    )


def test_the_session_is_reported_beside_its_notebook(make_notebook: Callable[..., Path]) -> None:
    notebook = make_notebook(["people = pd.read_csv('people.csv')"], name="study.ipynb")
    session = _session(notebook.parent, notebook)
    written = report_session(session, policy=Policy())
    assert written.folder == str(notebook.parent)
    assert written.files == [
        "study.nbsec.ipynb", "study.nbsec.html", "study.nbsec.json", "study.nbsec.sarif",
        "study.nbsec.cdx.json", "study.nbsec.openlineage.json",
    ]  # fmt: skip
    report = validate_files(notebook.parent, "study")
    assert report["identity"]["produced"]["mode"] == "live"
    assert report["identity"]["produced"]["via"] == "magic"
    assert report["identity"]["kernel"]["source"] == "live kernel"
    frames = [t for t in report["personal_data"]["tables"] if t["kind"] == "frame"]
    assert frames[0]["name"] == "people" and frames[0]["status"] == "waived"
    assert frames[0]["columns"][0]["examples"] == ["a***@e***.org"]
    assert [f["status"] for f in report["findings"]] == ["waived"]
    waiver = report["policy"]["waivers"][0]
    assert (waiver["origin"], waiver["scope"], waiver["matched"], waiver["applied"]) == (
        "session",
        "family",
        1,
        True,
    )
    assert waiver["target"].startswith("every NBS-PII finding")
    model = report["models"]["items"][0]
    assert (model["what"], model["verdict"], model["action"]) == (
        "model.joblib",
        "suspicious",
        "warned",
    )
    assert model["where"] == ["cell 1 (id c0)"]
    assert report["data"]["items"][0]["uri"] == "people.csv"
    assert report["data"]["items"][0]["rows"] == 1
    fields = {f["key"]: f["value"] for f in report["governance"]["fields"]}
    assert fields["owner"] == "growth team" and fields["purpose"] == "retention study"
    assert report["environment"]["source"] == "kernel"
    assert "study" in repr(written) and "study.nbsec.html" in written._repr_html_()


def test_a_session_without_a_notebook_is_reported_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = report_session(_session(tmp_path, None), policy=Policy(), out_dir=out)
    assert written.notebook == "this kernel session (its notebook is not known)"
    report = validate_files(out, "kernel-session")
    assert report["identity"]["notebook"]["cells"] == 0
    assert report["lineage"]["available"] and report["lineage"]["cells_recorded"] == 1


def test_report_target_is_a_folder_or_a_notebook_name(tmp_path: Path) -> None:
    assert output_target(None, tmp_path) == (None, None)
    assert output_target("reports", tmp_path) == (tmp_path / "reports", None)
    assert output_target("out/governance.ipynb", tmp_path) == (tmp_path / "out", "governance")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="give a folder"):
        output_target("file", tmp_path)


def test_a_named_report_uses_that_name_for_every_file(tmp_path: Path) -> None:
    folder, base = output_target("governance.ipynb", tmp_path)
    written = report_session(_session(tmp_path, None), policy=Policy(), out_dir=folder, base=base)
    assert written.files == [
        "governance.ipynb", "governance.html", "governance.json", "governance.sarif",
        "governance.cdx.json", "governance.openlineage.json",
    ]  # fmt: skip
    attachments = json.loads((tmp_path / "governance.json").read_text())["attachments"]
    assert [a["name"] for a in attachments] == [
        "governance.sarif",
        "governance.cdx.json",
        "governance.openlineage.json",
    ]


def test_a_session_survives_a_json_round_trip(tmp_path: Path) -> None:
    session = _session(tmp_path, None)
    session.write(tmp_path / "s.json")
    again = LiveSession.read(tmp_path / "s.json")
    assert again == session
    assert json.loads((tmp_path / "s.json").read_text())["format"] == "nbsec-live-session/1"


def test_a_first_look_at_an_engine_frame_is_not_reported_as_its_size(tmp_path: Path) -> None:
    # after a Spark or Dask first look the summary's rows are the rows looked at, not the frame's
    session = _session(tmp_path, None)
    session.frames["people"].update(
        rows=10_000, rows_scanned=10_000, exhaustive=False, rows_known=False, engine="spark"
    )
    out = tmp_path / "out"
    written = report_session(session, policy=Policy(), out_dir=out)
    report = validate_files(out, "kernel-session")
    [table] = [t for t in report["personal_data"]["tables"] if t["kind"] == "frame"]
    assert (table["rows"], table["rows_scanned"]) == (None, 10_000)
    [note] = [n for n in report["limitations"] if "first look" in n]
    assert "people (first 10000 rows)" in note
    assert not any("scanned from a sample" in n for n in report["limitations"])
    page = next(name for name in written.files if name.endswith(".html"))
    assert "first 10000 rows" in (out / page).read_text()
