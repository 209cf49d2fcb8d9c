"""Static mode reads what a kernel session left: the ledger named in ``metadata.nbsec`` (chain and
anchor checked, files hashed again), findings the kernel displayed in saved outputs, and the
governance fields; plus the notebook's git state."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from nbsec.lineage.ledger import LedgerWriter
from nbsec.lineage.records import Access, CellRecord, VariableInfo
from nbsec.report.generate import generate

MIME = "application/vnd.nbsec.findings+json"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _session(folder: Path, notebook_sources: list[str]) -> tuple[Path, str, int]:
    """A ledger as a kernel session writes it: cell 2 reads data.csv into a frame, cell 3 writes
    out.csv and loads a model; returns the ledger and its head (the anchor)."""
    data, out = folder / "data.csv", folder / "out.csv"
    data.write_text("a,b\n1,2\n3,4\n")
    out.write_text("a\n1\n")
    src = [hashlib.sha256(s.encode()).hexdigest() for s in notebook_sources]
    writer = LedgerWriter(folder / ".nbsec" / "ledger" / "s1.jsonl")
    writer.append("session", {"session_id": "s1", "notebook": str(folder / "nb.ipynb")})
    records = [
        CellRecord(execution_count=1, source_sha256=src[0], cell_index=0, cell_id="c0", seq=0),
        CellRecord(
            execution_count=2,
            source_sha256=src[1],
            cell_index=1,
            cell_id="c1",
            seq=1,
            defines=["df"],
            variables={
                "df": VariableInfo(
                    "pandas.DataFrame", None, (2, 2), (("a", "int64"), ("b", "int64"))
                )
            },
            reads=[Access(str(data), "file", "open", _sha(data), data.stat().st_size)],
        ),
        CellRecord(
            execution_count=3,
            source_sha256="0" * 64,  # the cell was edited after this run
            cell_index=2,
            cell_id="c2",
            seq=2,
            uses=["df"],
            writes=[Access(str(out), "file", "open", _sha(out), out.stat().st_size)],
            models=[
                {
                    "source": str(folder / "m.pkl"),
                    "path": "m.pkl",
                    "sha256": "1" * 64,
                    "verdict": "dangerous",
                    "api": "pickle.load",
                    "action": "warned",
                }
            ],
            findings=[
                {
                    "rule": "NBS-LIN-001",
                    "title": "I/O nbsec could not observe",
                    "severity": "low",
                    "confidence": "medium",
                    "message": "ran a subprocess",
                    "remediation": "-",
                    "location": {"cell_id": "c2"},
                    "evidence": None,
                    "tags": [],
                    "fingerprint": "",
                }
            ],
            unobserved=["subprocess"],
        ),
    ]
    for record in records:
        writer.append("cell", record.to_dict())
    writer.append("governance", {"owner": "risk-analytics"})
    head, lines = writer.head, writer.lines
    writer.close()
    return folder / ".nbsec" / "ledger" / "s1.jsonl", head, lines


@pytest.fixture(params=["v2", "v1"])
def session_notebook(
    make_notebook: Callable[..., Path], tmp_path: Path, request: pytest.FixtureRequest
) -> Path:
    """v2: ``metadata.nbsec.ledger = {path, head, ...}``; v1: ``ledger`` and ``ledger_head``."""
    sources = ["import pandas as pd", "df = pd.read_csv('data.csv')", "df.to_csv('out.csv')"]
    ledger, head, lines = _session(tmp_path, sources)
    shown = {"findings": [{"rule": "NBS-PII-001", "title": "PII in a frame", "severity": "medium",
             "confidence": "high", "message": "frame 'df' column 'a' holds EMAIL_ADDRESS",
             "remediation": "-", "location": {"cell_id": "c1"}, "evidence": "j***@e***.com",
             "tags": [], "fingerprint": ""}], "v": 1}  # fmt: skip
    cells = [
        (sources[0], []),
        (sources[1], [nbformat.v4.new_output("display_data",
                                             data={MIME: shown, "text/plain": "1 finding"})]),
        "df.to_csv('out.csv')  # now with a comment",
    ]  # fmt: skip
    relative = str(ledger.relative_to(tmp_path))
    saved: dict[str, object] = {"governance": {"purpose": "churn triage"}}
    if request.param == "v2":
        saved["ledger"] = {"path": relative, "session_id": "s1", "lines": lines, "head": head}
    else:
        saved.update({"ledger": relative, "ledger_head": head})
    return make_notebook(cells, name="nb.ipynb", nbsec=saved)


def test_the_ledger_named_in_the_metadata_is_read_and_checked(session_notebook: Path) -> None:
    report = generate(session_notebook).model.to_dict()
    ledger = report["identity"]["ledger"]
    assert ledger["path"] == ".nbsec/ledger/s1.jsonl"
    assert ledger["records"] == 3 and ledger["intact"] is True and ledger["anchor_found"] is True
    data = {i["uri"]: i for i in report["data"]["items"]}
    assert data["data.csv"]["seen"] == "run" and data["data.csv"]["current"] == "unchanged"
    assert data["data.csv"]["rows"] == 2 and data["data.csv"]["read_by"] == ["cell 2 (id c1)"]
    assert data["out.csv"]["role"] == "output" and data["out.csv"]["written_by"] == [
        "cell 3 (id c2)"
    ]
    models = {m["what"]: m for m in report["models"]["items"]}
    assert models["m.pkl"]["verdict"] == "dangerous" and models["m.pkl"]["current"] == "missing"
    rules = {(f["rule"], f["where"]) for f in report["findings"]}
    assert ("NBS-PII-001", "cell 2 (id c1)") in rules  # shown by the kernel, saved in the output
    assert ("NBS-LIN-001", "cell 3 (id c2)") in rules  # from the ledger
    issues = {(i["kind"], i["where"]) for i in report["reproducibility"]["issues"]}
    assert ("edited after run", "cell 3 (id c2)") in issues
    governance = {f["key"]: f["value"] for f in report["governance"]["fields"]}
    assert governance["purpose"] == "churn triage" and governance["owner"] == "risk-analytics"
    assert any("subprocess" in line for line in report["limitations"])


def test_a_changed_input_and_an_edited_ledger_are_reported(session_notebook: Path) -> None:
    folder = session_notebook.parent
    (folder / "data.csv").write_text("a,b\n9,9\n")  # swapped since the run
    ledger = folder / ".nbsec" / "ledger" / "s1.jsonl"
    lines = ledger.read_text().splitlines()
    lines[2] = lines[2].replace('"seq":1', '"seq":1 ')  # an edited record
    ledger.write_text("\n".join(lines) + "\n")
    report = generate(session_notebook).model.to_dict()
    data = {i["uri"]: i for i in report["data"]["items"]}
    assert data["data.csv"]["current"] == "changed"
    assert report["identity"]["ledger"]["intact"] is False
    # the line that was edited, exactly
    assert report["identity"]["ledger"]["problem"].startswith("line 3: this line was changed")
    assert "ledger integrity check failed" in report["summary"]["gaps"]


def test_a_ledger_rewritten_with_a_new_chain_misses_the_anchor(session_notebook: Path) -> None:
    ledger = session_notebook.parent / ".nbsec" / "ledger" / "s1.jsonl"
    entries = [json.loads(line) for line in ledger.read_text().splitlines()]
    ledger.unlink()
    writer = LedgerWriter(ledger)  # a consistent chain, recomputed after dropping a record
    for entry in entries[:-1]:
        if entry["kind"] == "cell" and entry["data"]["cell_id"] == "c2":
            continue
        writer.append(entry["kind"], entry["data"])
    writer.close()
    report = generate(session_notebook).model.to_dict()
    assert report["identity"]["ledger"]["anchor_found"] is False
    if report["identity"]["ledger"]["intact"] is False:  # v2 anchors name the line they saw
        assert "records were removed" in report["identity"]["ledger"]["problem"]
    assert any(
        "anchored in metadata.nbsec is not in the ledger" in x for x in report["limitations"]
    )


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True)


def test_git_commit_dirty_and_tracked(make_notebook: Callable[..., Path], tmp_path: Path) -> None:
    notebook = make_notebook(["x = 1"])
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "-c", "user.email=a@b.c", "-c", "user.name=t", "add", "analysis.ipynb")
    _git(tmp_path, "-c", "user.email=a@b.c", "-c", "user.name=t", "commit", "-qm", "nb")
    git = generate(notebook).model.to_dict()["identity"]["git"]
    assert git["dirty"] is False and git["tracked"] is True and git["branch"] == "main"
    assert len(git["commit"]) == 40
    make_notebook(["x = 2"])
    assert generate(notebook).model.to_dict()["identity"]["git"]["dirty"] is True


def test_outside_a_repository_there_is_no_git_section(make_notebook: Callable[..., Path]) -> None:
    notebook = make_notebook(["x = 1"])
    report = generate(notebook).model
    assert report.identity.git is None
    assert json.loads(json.dumps(report.to_dict()))["identity"]["git"] is None


def test_waivers_saved_in_a_notebook_are_listed_not_applied(
    make_notebook: Callable[..., Path], tmp_path: Path
) -> None:
    secret = "ghp_" + "R8s2kLq9ZtX4vB7nM1cP6wY3hJ5dF0gA2eQx"
    saved = [{"scope": {"kind": "rule", "rule": "NBS-SEC"}, "reason": "trust me",
              "at": "2026-01-01T00:00:00+00:00", "origin": "session"}]  # fmt: skip
    notebook = make_notebook([f"token = '{secret}'"], nbsec={"waivers": saved})
    report = generate(notebook).model.to_dict()
    assert {f["status"] for f in report["findings"]} == {"active"}
    assert report["summary"]["outcome"] == "fail"
    (waiver,) = report["policy"]["waivers"]
    assert (waiver["origin"], waiver["applied"], waiver["reason"]) == (
        "notebook",
        False,
        "trust me",
    )
    assert "put it in the policy file" in waiver["note"]


def test_a_file_changed_before_it_was_hashed_is_a_limitation(
    make_notebook: Callable[..., Path], tmp_path: Path
) -> None:
    source = "open('out.bin', 'wb').write(b'x')"
    writer = LedgerWriter(tmp_path / ".nbsec" / "ledger" / "s2.jsonl")
    writer.append("session", {"session_id": "s2", "notebook": "nb.ipynb"})
    out = Access(str(tmp_path / "out.bin"), "file", "open", None, changed=True)
    record = CellRecord(
        execution_count=1,
        source_sha256=hashlib.sha256(source.encode()).hexdigest(),
        cell_index=0,
        cell_id="c0",
        seq=0,
        writes=[out],
    )
    writer.append("cell", record.to_dict())
    head, lines = writer.head, writer.lines
    writer.close()
    saved = {"ledger": {"path": ".nbsec/ledger/s2.jsonl", "session_id": "s2", "lines": lines,
                        "head": head}}  # fmt: skip
    notebook = make_notebook([source], name="nb.ipynb", nbsec=saved)
    report = generate(notebook).model.to_dict()
    (line,) = [x for x in report["limitations"] if "before nbsec could hash them" in x]
    assert line.startswith("1 file(s) were changed by another program") and "out.bin" in line
