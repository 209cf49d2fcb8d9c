"""``nbsec report``: the CI gate (exit 0/1/2), batches with one bad notebook, output folders, the
comparison with the previous report, and a malformed notebook reported in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from nbsec.cli import main
from tests.report.attachments import validate_files

REPO = Path(__file__).resolve().parents[2]
SECRET = "ghp_" + "R8s2kLq9ZtX4vB7nM1cP6wY3hJ5dF0gA2eQx"  # critical
DSN = "postgresql://analyst:" + "Wint3r-Churn-2024!@db.internal:5432/crm"  # high


def test_a_clean_notebook_passes(make_notebook: Callable[..., Path], capsys) -> None:
    nb = make_notebook(["x = 1 + 1", ("md", "# notes")])
    assert main(["report", str(nb)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("pass  ") and "No open findings" in out
    report = validate_files(nb.parent, "analysis")
    assert report["summary"]["outcome"] == "pass" and report["summary"]["risk"] == "none"


def test_findings_at_the_gate_fail_and_fail_on_moves_the_gate(
    make_notebook: Callable[..., Path], capsys
) -> None:
    nb = make_notebook([f"url = '{DSN}'"])
    assert main(["report", str(nb)]) == 1
    assert capsys.readouterr().out.startswith("FAIL  ")
    assert main(["report", str(nb), "--fail-on", "critical"]) == 0
    report = json.loads((nb.parent / "analysis.nbsec.json").read_text())
    assert report["summary"]["fail_on"] == "critical" and report["summary"]["outcome"] == "pass"
    assert report["secrets"]["items"][0]["rule"].startswith("NBS-SEC-")


def test_a_policy_waiver_is_reported_with_its_expiry(
    make_notebook: Callable[..., Path], tmp_path: Path
) -> None:
    nb = make_notebook([f"token = '{SECRET}'"])
    (tmp_path / "nbsec.toml").write_text(
        '[[waivers]]\nrule = "NBS-SEC"\nreason = "rotated token, kept for the demo"\n'
        'expires = 2099-01-01\n\n[[waivers]]\nrule = "NBS-PII"\nreason = "old"\n'
        "expires = 2001-01-01\n"
    )
    assert main(["report", str(nb)]) == 0
    report = json.loads((nb.parent / "analysis.nbsec.json").read_text())
    waivers = {w["reason"]: w for w in report["policy"]["waivers"]}
    current, old = waivers["rotated token, kept for the demo"], waivers["old"]
    assert current["matched"] >= 1 and not current["expired"] and current["applied"]
    assert current["scope"] == "family" and current["origin"] == "policy"
    assert old["expired"] and old["expires"] == "2001-01-01" and not old["applied"]
    assert "expired waiver(s) in the policy" in report["summary"]["gaps"]
    assert {f["status"] for f in report["findings"]} == {"waived"}


def _nbsec_report(*args: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "nbsec", "report", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)


def test_malformed_notebook_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ipynb"
    bad.write_text('{"cells": [{"cell_type": "code", "source": 1}], "nbformat": 4}')
    done = _nbsec_report(bad)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == [
        f"nbsec: error: {bad}: malformed notebook: cell 1 has a malformed source; "
        "the rest of it was reported"
    ], done.stderr
    # what could be read is reported, and the report says the file is malformed
    report = validate_files(tmp_path, "broken")
    assert any("malformed: cell 1" in item for item in report["limitations"])
    # a file that is not a notebook at all: one line, nothing written
    junk = tmp_path / "junk.ipynb"
    junk.write_text('{"cells": [')
    done = _nbsec_report(junk)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"nbsec: error: {junk}: not a notebook: invalid JSON")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.glob("junk.nbsec.*"))


def _malformed(path: Path, *sources: str) -> Path:
    """A notebook whose first cell's source is a number (malformed), then code cells."""
    cells = [{"cell_type": "code", "id": "c0", "metadata": {}, "outputs": [],
              "execution_count": None, "source": 5}]  # fmt: skip
    for i, source in enumerate(sources, start=1):
        cells.append({"cell_type": "code", "id": f"c{i}", "metadata": {}, "outputs": [],
                      "execution_count": None, "source": source})  # fmt: skip
    document = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("sources", "outcome", "line"),
    [
        # nothing open in what could be read: never a pass
        (("x = 1 + 1",), "incomplete", "INCOMPLETE  "),
        # an open finding at the gate in what could be read: a fail stays a fail
        ((f"url = '{DSN}'",), "fail", "FAIL  "),
    ],
)
def test_a_notebook_not_read_in_full_never_passes(
    tmp_path: Path, capsys, sources: tuple[str, ...], outcome: str, line: str
) -> None:
    nb = _malformed(tmp_path / "bad.ipynb", *sources)
    out = tmp_path / "rep"
    assert main(["report", str(nb), "-o", str(out), "--html", "--no-cache"]) == 2
    printed = capsys.readouterr()
    assert printed.out.startswith(line + f"{nb}: ")
    assert "passes" not in printed.out
    assert printed.err.splitlines() == [
        f"nbsec: error: {nb}: malformed notebook: cell 1 has a malformed source; "
        "the rest of it was reported"
    ]
    report = validate_files(out, "bad")
    summary = report["summary"]
    assert report["schema_version"] == "1.1"
    assert summary["outcome"] == report["policy"]["outcome"] == outcome
    assert summary["unchecked"] == ["cell 1 has a malformed source"]
    assert summary["headline"].endswith("not read in full (cell 1 has a malformed source)")
    assert "passes" not in summary["headline"]
    assert "the notebook was not read in full: cell 1 has a malformed source" in summary["gaps"]
    # the page and the governance notebook say so in their first lines, never PASS
    page = (out / "bad.nbsec.html").read_text(encoding="utf-8")
    governance = json.loads((out / "bad.nbsec.ipynb").read_text(encoding="utf-8"))
    title = "".join(governance["cells"][0]["source"])
    assert f"<p>{outcome.upper()} (fail on high)" in page and "PASS" not in page
    assert f"**{outcome.upper()} (fail on high)" in title and "PASS" not in title
    assert governance["metadata"]["nbsec_report"]["outcome"] == outcome
    # a re-run served from the cache says the same and still exits 2
    assert main(["report", str(nb), "-o", str(out), "--html"]) == 2
    assert main(["report", str(nb), "-o", str(out), "--html"]) == 2
    again = capsys.readouterr()
    assert again.out.splitlines()[-1].endswith("(unchanged: kept)")
    assert again.out.splitlines()[-2].startswith(line)


@pytest.mark.parametrize(
    ("problem", "kept"),
    [
        ("cell 1 has a malformed source", "cell 1 has a malformed source"),
        ("cell 2 output 1: too complex to analyse (RecursionError)",
         "cell 2 output 1: too complex to analyse (RecursionError)"),
        # a check that failed is named by its exception's type; its message may quote the cell
        ("cell 3: internal error (ValueError: invalid literal: 'jane@example.com')",
         "cell 3: internal error (ValueError)"),
        ("cell 4: internal error (KeyError: 'x')", "cell 4: internal error (KeyError)"),
    ],
)  # fmt: skip
def test_problems_are_kept_without_the_content_they_quote(problem: str, kept: str) -> None:
    from nbsec.report.evidence import _problem_line

    assert _problem_line(problem) == kept


@pytest.mark.slow
def test_batch_in_workers_reports_the_bad_notebook_and_does_the_rest(
    examples: Path, tmp_path: Path
) -> None:
    (examples / "nested").mkdir()
    (examples / "nested" / "broken.ipynb").write_text("not json")
    (examples / "nested" / "customer_churn.ipynb").write_bytes(
        (examples / "customer_churn.ipynb").read_bytes()
    )
    out = tmp_path / "reports"
    done = subprocess.run(
        [sys.executable, "-m", "nbsec", "report", str(examples), "-o", str(out), "--html",
         "--jobs", "2"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("nbsec: error:")]
    assert errors == [f"nbsec: error: {examples / 'nested' / 'broken.ipynb'}: not a notebook: "
                      "invalid JSON: Expecting value (line 1)"]  # fmt: skip
    assert "4 of 5 notebooks reported, 1 error(s)" in done.stderr
    # same-named notebooks in different folders keep their folders under -o
    for stem, folder in [
        ("customer_churn", out),
        ("finetune_model", out),
        ("load_pickled_pipeline", out),
        ("customer_churn", out / "nested"),
    ]:
        validate_files(folder, stem)
        assert (folder / f"{stem}.nbsec.html").is_file()
    # input order in the output, whatever order the workers finished in
    names = [line.split(": ")[0].split()[-1] for line in done.stdout.splitlines() if ": " in line]
    assert [Path(n).name for n in names] == [
        "customer_churn.ipynb",
        "finetune_model.ipynb",
        "load_pickled_pipeline.ipynb",
        "customer_churn.ipynb",
    ]


def test_reports_written_by_nbsec_are_not_reported_again(examples: Path) -> None:
    assert main(["report", str(examples / "customer_churn.ipynb")]) == 1
    assert (examples / "customer_churn.nbsec.ipynb").is_file()
    from nbsec.commands.report import find_notebooks

    found = find_notebooks([str(examples)], [])
    assert sorted(p.name for p in found) == [
        "customer_churn.ipynb",
        "finetune_model.ipynb",
        "load_pickled_pipeline.ipynb",
    ]


def test_previous_report_beside_the_notebook_gives_the_difference(
    make_notebook: Callable[..., Path],
) -> None:
    nb = make_notebook(
        [f"token = '{SECRET}'", "import pickle\nobj = pickle.load(open('m.pkl', 'rb'))"]
    )
    main(["report", str(nb)])
    first = json.loads((nb.parent / "analysis.nbsec.json").read_text())
    assert first["policy"]["diff"] is None
    make_notebook(
        ["import os\nos.system(input())", "import pickle\nobj = pickle.load(open('m.pkl', 'rb'))"]
    )
    main(["report", str(nb)])
    second = json.loads((nb.parent / "analysis.nbsec.json").read_text())
    diff = second["policy"]["diff"]
    assert diff["previous"].endswith("analysis.nbsec.json")
    assert {d["rule"] for d in diff["resolved"]} == {
        f["rule"] for f in first["findings"] if f["rule"].startswith("NBS-SEC")
    }
    assert diff["new"] and all(d["rule"].startswith("NBS-SRC") for d in diff["new"])
    assert diff["unchanged"] == 1


def test_previous_needs_one_notebook(make_notebook: Callable[..., Path], capsys) -> None:
    a = make_notebook(["x = 1"], name="a.ipynb")
    b = make_notebook(["x = 1"], name="b.ipynb")
    assert main(["report", str(a), str(b), "--previous", str(a)]) == 2
    assert "--previous compares one notebook" in capsys.readouterr().err


@pytest.mark.kernel
@pytest.mark.parametrize(
    ("cells", "extra", "message"),
    [
        (["import os\nos._exit(3)"], [], "the kernel died during execution"),
        (["x = 1"], ["--kernel", "no-such-kernel"], "no kernel named 'no-such-kernel'"),
    ],
)
def test_execute_failures_are_one_line(
    make_notebook: Callable[..., Path], cells: list[str], extra: list[str], message: str
) -> None:
    nb = make_notebook(cells)
    done = subprocess.run(
        [sys.executable, "-m", "nbsec", "report", str(nb), "--execute", *extra],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
        timeout=300,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"nbsec: error: {nb.resolve()}: {message}")
