"""``nbsec scan``: exit codes, formats, directories, per-file errors, baselines, waivers, SARIF
validity, and the leak test (no raw secret or personal data in any output format)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from nbsec.cli import main
from tests.source import notebook_builder as nb
from tests.source import secret_samples as s

ROOT = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-2.1.0.json").read_text())


@pytest.fixture(autouse=True)
def _no_ambient_policy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NBSEC_POLICY", raising=False)
    monkeypatch.chdir(tmp_path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["scan", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def risky(path: Path) -> Path:
    source = "import pickle\nobj = pickle.load(open('m.pkl', 'rb'))"
    return nb.write(path, nb.code(source, cell_id="load-cell"))


def clean(path: Path) -> Path:
    return nb.write(path, nb.code("import pandas as pd\ndf = pd.read_csv('x.csv')"))


@pytest.mark.parametrize(
    ("make", "fail_on", "code"),
    [
        (clean, None, 0),
        (risky, None, 1),
        (risky, "critical", 1),
        (lambda p: nb.write(p, nb.code("AutoModel.from_pretrained('org/m')")), None, 0),
        (lambda p: nb.write(p, nb.code("AutoModel.from_pretrained('org/m')")), "medium", 1),
    ],
)
def test_exit_codes(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: object,
    fail_on: str | None,
    code: int,
) -> None:
    path = make(tmp_path / "a.ipynb")  # type: ignore[operator]
    extra = ["--fail-on", fail_on] if fail_on else []
    assert run(capsys, str(path), *extra)[0] == code


def test_malformed_notebook_is_an_error_and_the_others_are_still_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.ipynb").write_text("{oops")
    risky(tmp_path / "risky.ipynb")
    code, out, err = run(capsys, str(tmp_path), "--format", "json")
    doc = json.loads(out)
    assert code == 2
    assert [f["rule"] for f in doc["findings"]] == ["NBS-PKL-001"]
    assert doc["findings"][0]["location"]["path"].endswith("risky.ipynb")
    assert doc["summary"]["scanned"] == 2
    (error,) = doc["errors"]
    assert "broken.ipynb" in error and "\n" not in error
    assert err.strip().splitlines() == [f"nbsec: error: {error}"]


def test_directories_recurse_and_skip_checkpoints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    risky(tmp_path / "sub" / "deeper" / "a.ipynb")
    (tmp_path / "sub" / ".ipynb_checkpoints").mkdir()
    risky(tmp_path / "sub" / ".ipynb_checkpoints" / "a-checkpoint.ipynb")
    (tmp_path / "notes.txt").write_text("pickle.load(f)")
    code, out, _ = run(capsys, str(tmp_path), "--format", "json")
    paths = [f["location"]["path"] for f in json.loads(out)["findings"]]
    assert code == 1
    assert [Path(p).relative_to(tmp_path).as_posix() for p in paths] == ["sub/deeper/a.ipynb"]


def test_missing_path_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    risky(tmp_path / "a.ipynb")
    code, _, err = run(capsys, str(tmp_path / "nope.ipynb"), str(tmp_path / "a.ipynb"))
    assert code == 2
    assert "nope.ipynb: no such file or directory" in err


def test_text_format_is_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    risky(tmp_path / "a.ipynb")
    _, out, _ = run(capsys, str(tmp_path / "a.ipynb"))
    lines = out.splitlines()
    assert lines[0].split() == ["SEVERITY", "RULE", "WHERE", "WHAT"]
    assert lines[1] == str(tmp_path / "a.ipynb")
    assert lines[2].split()[:5] == ["CRITICAL", "NBS-PKL-001", "cell", "1", "line"]  # 1-based
    assert lines[-1] == "1 finding(s) (1 critical) in 1 file(s)"


def test_sarif_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leaky(tmp_path / "leaky.ipynb")
    (tmp_path / "broken.ipynb").write_text("[]")
    _, out, _ = run(capsys, str(tmp_path), "--format", "sarif")
    doc = json.loads(out)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    rules = {r["ruleId"] for r in doc["runs"][0]["results"]}
    assert {"NBS-SEC-002", "NBS-PKL-001", "NBS-PII-002"} <= rules


def test_baseline_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = risky(tmp_path / "a.ipynb")
    baseline = tmp_path / "baseline.json"
    assert run(capsys, str(path), "--write-baseline", str(baseline))[0] == 1
    code, out, _ = run(capsys, str(path), "--baseline", str(baseline), "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert (doc["findings"], [f["rule"] for f in doc["baselined"]]) == ([], ["NBS-PKL-001"])
    # a new finding is still reported next to the known one
    source = "import pickle, os\n\nobj = pickle.load(open('m.pkl', 'rb'))\nos.system(c)"
    nb.write(path, nb.code(source, cell_id="load-cell"))
    code, out, _ = run(capsys, str(path), "--baseline", str(baseline), "--format", "json")
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["NBS-SRC-003"]


def test_waiver_from_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    risky(tmp_path / "a.ipynb")
    (tmp_path / "nbsec.toml").write_text(
        '[[waivers]]\nrule = "NBS-PKL-001"\npath = "*a.ipynb"\nreason = "we made this file"\n'
    )
    code, out, _ = run(capsys, str(tmp_path / "a.ipynb"), "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert [(w["rule"], w["waiver"]) for w in doc["waived"]] == [
        ("NBS-PKL-001", "waived: we made this file")
    ]


# -- the leak test ------------------------------------------------------------------------------

PII_VALUES = [
    "ann.smith@acme-corp.com",
    "(415) 555-0132",
    "bob.jones@example.org",
    "212-555-0199",
    "cara.diaz@mail.io",
    "+1 646 555 0100",
]
SECRETS = [
    s.GITHUB,
    s.AWS_KEY_ID,
    s.OPENAI,
    s.DB_PASSWORD,
    s.SLACK,
    s.HUGGINGFACE,
    s.STRIPE,
    s.GOOGLE_API,
    s.JWT,
]


def leaky(path: Path) -> Path:
    table = nb.frame_html(
        ["name", "email", "phone"],
        [
            ["Ann Smith", PII_VALUES[0], PII_VALUES[1]],
            ["Bob Jones", PII_VALUES[2], PII_VALUES[3]],
            ["Cara Diaz", PII_VALUES[4], PII_VALUES[5]],
        ],
    )
    return nb.write(
        path,
        nb.markdown(f"Deploy with `{s.GITHUB}`"),
        nb.code(
            f"import pickle\nAWS = '{s.AWS_KEY_ID}'\nclient = OpenAI(api_key='{s.OPENAI}')\n"
            f"engine = create_engine('postgresql://etl:{s.DB_PASSWORD}@db:5432/prod')\n"
            "obj = pickle.load(f)",
            nb.stream(f"slack {s.SLACK}\ncontact {PII_VALUES[0]}\n"),
            nb.result({"text/html": table, "text/plain": "frame"}),
            nb.display({"application/json": {"hf": s.HUGGINGFACE, "who": PII_VALUES[2]}}),
            nb.error(
                "HTTPError", "401", [f"HTTPError: 401 for key {s.STRIPE} user {PII_VALUES[4]}"]
            ),
        ),
        nb.raw(f"maps key {s.GOOGLE_API}\nAuthorization: Bearer {s.JWT}"),
    )


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_no_raw_secret_or_pii_in_any_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    path = leaky(tmp_path / "leaky.ipynb")
    report = tmp_path / f"report.{fmt}"
    code, out, err = run(capsys, str(path), "--format", fmt)
    run(capsys, str(path), "--format", fmt, "-o", str(report))
    everything = out + err + report.read_text()
    assert code == 1
    rules = {"NBS-SEC-001", "NBS-SEC-002", "NBS-SEC-004", "NBS-PII-002", "NBS-PII-003"}
    assert all(rule in everything for rule in rules)
    for value in SECRETS + PII_VALUES:
        assert value not in everything
        for i in range(0, len(value) - 8, 4):  # no long fragment either
            fragment = value[i : i + 8]
            assert fragment.isalpha() or fragment not in everything, fragment
    # nothing but the requested report was written next to the notebook or in the cwd
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leaky.ipynb", report.name]


def test_module_entry_point_smoke(tmp_path: Path) -> None:
    path = risky(tmp_path / "a.ipynb")
    proc = subprocess.run(
        [sys.executable, "-m", "nbsec", "scan", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["findings"][0]["rule"] == "NBS-PKL-001"
