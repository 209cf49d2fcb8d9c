"""``nbsec report`` with the results cache: a re-run rebuilds only the reports whose inputs
changed (the notebook, the policy, a data file it names, the report files themselves)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbsec.cli import main
from tests.report.conftest import write_notebook

DSN = "postgresql://analyst:" + "Wint3r-Churn-2024!@db.internal:5432/crm"  # high


def _stamps(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every report file of the folder: modification time and content."""
    return {
        p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.glob("*.nbsec.*"))
    }


def _of(stamps: dict[str, tuple[int, bytes]], stem: str) -> dict[str, tuple[int, bytes]]:
    return {k: v for k, v in stamps.items() if k.startswith(stem + ".")}


@pytest.fixture
def estate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NBSEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NBSEC_POLICY", raising=False)
    root = tmp_path / "estate"
    root.mkdir()
    (root / "sales.csv").write_text("region,total\nnorth,10\n")
    write_notebook(
        root / "churn.ipynb",
        ["import pandas as pd\ndf = pd.read_csv('sales.csv')", "df.describe()"],
    )
    write_notebook(root / "notes.ipynb", ["x = 1 + 1", ("md", "# notes")])
    return root


def _report(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["report", *argv, "--jobs", "1"])
    out, err = capsys.readouterr()
    return code, out, err


def test_only_changed_notebooks_are_rebuilt(
    estate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _report(capsys, str(estate))
    assert code == 0 and "kept" not in out
    first = _stamps(estate)
    assert {"churn.nbsec.json", "notes.nbsec.json"} <= set(first)

    code, out, err = _report(capsys, str(estate))
    assert code == 0
    assert out.count("(unchanged: kept)") == 2
    assert "2 unchanged, kept" in err
    assert _stamps(estate) == first  # not a byte rewritten

    # one notebook edited: its report is rebuilt (and now fails the gate), the other is kept
    write_notebook(estate / "churn.ipynb", ["import pandas as pd", f"url = '{DSN}'"])
    code, out, err = _report(capsys, str(estate))
    assert code == 1
    assert "1 unchanged, kept" in err
    after = _stamps(estate)
    assert _of(after, "notes") == _of(first, "notes")
    assert after["churn.nbsec.json"] != first["churn.nbsec.json"]
    report = json.loads((estate / "churn.nbsec.json").read_text())
    assert report["summary"]["outcome"] == "fail"
    assert [line for line in out.splitlines() if "kept" in line] == [
        f"      -> {estate / 'notes.nbsec.ipynb'} (unchanged: kept)"
    ]


def test_a_changed_data_file_policy_or_report_rebuilds(
    estate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _report(capsys, str(estate))
    first = _stamps(estate)
    data = json.loads(first["churn.nbsec.json"][1])
    assert any(item["uri"].endswith("sales.csv") for item in data["data"]["items"])

    # the data file the notebook reads changed: that report is rebuilt with its new hash
    (estate / "sales.csv").write_text("region,total\nnorth,10\nsouth,12\n")
    _, out, _ = _report(capsys, str(estate))
    assert out.count("kept") == 1 and "notes.nbsec.ipynb (unchanged" in out
    second = _stamps(estate)
    assert second["churn.nbsec.json"][0] != first["churn.nbsec.json"][0]
    assert _of(second, "notes") == _of(first, "notes")

    # a deleted report file is written again
    (estate / "notes.nbsec.sarif").unlink()
    _report(capsys, str(estate))
    assert (estate / "notes.nbsec.sarif").is_file()

    # a new policy applies to both: both rebuilt, under its gate
    (estate / "nbsec.toml").write_text('fail_on = "critical"\n')
    _, out, _ = _report(capsys, str(estate))
    assert "kept" not in out
    report = json.loads((estate / "notes.nbsec.json").read_text())
    assert report["summary"]["fail_on"] == "critical"

    # options are part of the key; --no-cache rebuilds everything
    _, out, _ = _report(capsys, str(estate), "--html")
    assert "kept" not in out and (estate / "notes.nbsec.html").is_file()
    _, out, _ = _report(capsys, str(estate), "--html")
    assert out.count("kept") == 2
    _, out, _ = _report(capsys, str(estate), "--html", "--no-cache")
    assert "kept" not in out


def test_a_new_commit_rebuilds(estate: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")

    def git(*args: str) -> None:
        subprocess.run(
            [
                "git",
                "-C",
                str(estate),
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.org",
                *args,
            ],
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", "churn.ipynb", "notes.ipynb")
    git("commit", "-q", "-m", "first")
    _report(capsys, str(estate))
    _, out, _ = _report(capsys, str(estate))
    assert out.count("kept") == 2
    (estate / "README.md").write_text("notes\n")
    git("add", "README.md")
    git("commit", "-q", "-m", "second")
    _, out, _ = _report(capsys, str(estate))  # the reports name the commit: rebuilt
    assert "kept" not in out
    report = json.loads((estate / "notes.nbsec.json").read_text())
    assert (
        report["identity"]["git"]["commit"]
        == subprocess.run(
            ["git", "-C", str(estate), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
    )
