"""``nbsec redact``: every place a notebook keeps text is masked in place with its shape kept,
recorded without values, idempotent, valid for nbformat; --check, --dry-run, --only, waivers,
baselines, -o; and the leak test (no planted value in any byte, in any encoding)."""

from __future__ import annotations

import base64
import binascii
import contextlib
import html
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import nbformat
import pytest

from nbsec.cli import main
from nbsec.policy import Policy
from nbsec.source import scan_notebook
from tests.source import notebook_builder as nb
from tests.source import secret_samples as s

EMAIL = "grace.hopper@navy-research.org"
EMAIL2 = "alan.turing@bletchley-park.co.uk"
SSN = "536-22-8843"
PASSWORD = "Tr0ub4dor&3-prod"
ANSI_RED = "\x1b[0;31m"


@pytest.fixture(autouse=True)
def _no_ambient_policy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NBSEC_POLICY", raising=False)
    monkeypatch.chdir(tmp_path)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def frame(names: list[str], emails: list[str]) -> dict[str, str]:
    rows = [[n, e, f"{40 + i}.5"] for i, (n, e) in enumerate(zip(names, emails, strict=True))]
    text = "\n".join(
        ["     name                    email   spend"]
        + [f"{i}  {n}  {e}  {sp}" for i, (n, e, sp) in enumerate(rows)]
    )
    return {"text/html": nb.frame_html(["name", "email", "spend"], rows), "text/plain": text}


NAMES = ["Grace Hopper", "Alan Turing", "Ada Lovelace", "Edsger Dijkstra"]
EMAILS = [EMAIL, EMAIL2, "ada.lovelace@analytical.io", "e.dijkstra@tue-math.nl"]


def attachment_cell() -> Any:
    cell = nb.markdown("Notes in ![n](attachment:notes.txt)")
    cell["attachments"] = {
        "notes.txt": {"text/plain": b64(f"call {EMAIL} about key {s.AWS_KEY_ID}\n")},
        "chart.png": {"image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"},
    }
    return cell


def metadata_cell() -> Any:
    cell = nb.code("settings = load()")
    cell["metadata"] = {"tags": ["setup"], "db": {"password": PASSWORD}}
    return cell


# (case id, cells, notebook metadata, planted values, pointers that must hold a label)
CASES: list[tuple[str, list[Any], dict[str, Any] | None, list[str], list[str]]] = [
    (
        "stream-lines",
        [nb.code("print(row)", nb.stream(["loaded\n", f"contact {EMAIL}\n", "done\n"]))],
        None,
        [EMAIL],
        ["/cells/0/outputs/0/text"],
    ),
    (
        "dataframe-html-and-plain",
        [nb.code("df.head()", nb.result(frame(NAMES, EMAILS)))],
        None,
        [*NAMES, *EMAILS],
        ["/cells/0/outputs/0/data/text~1html", "/cells/0/outputs/0/data/text~1plain"],
    ),
    (
        "traceback-with-colours",
        [
            nb.code(
                "fetch()",
                nb.error(
                    "HTTPError",
                    f"401 for url: https://api.h.org/v1?api_key={s.GENERIC_TOKEN}",
                    [
                        f"{ANSI_RED}HTTPError{ANSI_RED}  Traceback (most recent call last)",
                        f"{ANSI_RED}HTTPError{ANSI_RED}: 401 for url: "
                        f"https://api.h.org/v1?api_key={s.GENERIC_TOKEN}",
                    ],
                ),
            )
        ],
        None,
        [s.GENERIC_TOKEN],
        ["/cells/0/outputs/0/evalue", "/cells/0/outputs/0/traceback/1"],
    ),
    ("markdown", [nb.markdown(f"Ask **{EMAIL}** for access.")], None, [EMAIL], ["/cells/0/source"]),
    ("raw-cell", [nb.raw(f"ssn: {SSN}")], None, [SSN], ["/cells/0/source"]),
    (
        "text-attachment",
        [attachment_cell()],
        None,
        [EMAIL, s.AWS_KEY_ID],
        ["/cells/0/attachments/notes.txt/text~1plain"],
    ),
    ("cell-metadata", [metadata_cell()], None, [PASSWORD], ["/cells/0/metadata/db/password"]),
    (
        "widget-state",
        [nb.code("w")],
        {
            "widgets": {
                "application/vnd.jupyter.widget-state+json": {
                    "state": {"m1": {"state": {"value": EMAIL, "description": "Email"}}},
                    "version_major": 2,
                    "version_minor": 0,
                }
            }
        },
        [EMAIL],
        [
            "/metadata/widgets/application~1vnd.jupyter.widget-state+json/state/m1/state/value",
        ],
    ),
    (
        "json-key-and-value",
        [
            nb.code(
                "counts",
                nb.result({"application/json": {EMAIL: 3, "owner": EMAIL2}, "text/plain": "{}"}),
            )
        ],
        None,
        [EMAIL, EMAIL2],
        ["/cells/0/outputs/0/data/application~1json/owner"],
    ),
    (
        "json-value-under-a-masked-key",
        [
            nb.code(
                "by_owner",
                nb.result({"application/json": {EMAIL: {"deputy": EMAIL2}}, "text/plain": "{}"}),
            )
        ],
        None,
        [EMAIL, EMAIL2],
        ["/cells/0/outputs/0/data/application~1json/[EMAIL_ADDRESS]/deputy"],
    ),
    (
        "csv-download-link-and-mailto",
        [
            nb.code(
                "HTML(link)",
                nb.display(
                    {
                        "text/html": f'<a href="mailto:{quote(EMAIL2)}">owner</a> '
                        '<a download="c.csv" href="data:text/csv;base64,'
                        + b64(
                            "name,email\n"
                            + "".join(f"{n},{e}\n" for n, e in zip(NAMES, EMAILS, strict=True))
                        )
                        + '">csv</a>'
                    }
                ),
            )
        ],
        None,
        [*NAMES, *EMAILS],
        ["/cells/0/outputs/0/data/text~1html"],
    ),
    (
        "svg-and-latex",
        [
            nb.code(
                "plot()",
                nb.display(
                    {
                        "image/svg+xml": f"<svg><text>SSN {SSN}</text></svg>",
                        "text/latex": f"Contact: {EMAIL}",
                    }
                ),
            )
        ],
        None,
        [SSN, EMAIL],
        ["/cells/0/outputs/0/data/image~1svg+xml", "/cells/0/outputs/0/data/text~1latex"],
    ),
    (
        "custom-mime-base64-text",
        [nb.code("show()", nb.display({"application/vnd.acme.note": b64(f"mail {EMAIL}\n")}))],
        None,
        [EMAIL],
        ["/cells/0/outputs/0/data/application~1vnd.acme.note"],
    ),
    (
        "secret-in-code-printed-in-output",
        [nb.code(f'password = "{PASSWORD}"\nprint(password)', nb.stream(f"{PASSWORD}\n"))],
        None,
        [],  # the code keeps it: only the output is checked below
        ["/cells/0/outputs/0/text"],
    ),
]


def _write(tmp_path: Path, cells: list[Any], metadata: dict[str, Any] | None) -> Path:
    meta = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    meta.update(metadata or {})
    return nb.write(tmp_path / "nb.ipynb", *cells, metadata=meta)


def _resolve(document: Any, pointer: str) -> Any:
    node = document
    for part in pointer.lstrip("/").split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def leaked(raw: bytes, values: list[str]) -> list[str]:
    """Planted values found in any byte of a file: as written, JSON-unescaped, HTML-unescaped,
    percent-decoded, or inside any base64 run (at every alignment)."""
    text = raw.decode("utf-8")
    views = [text, html.unescape(text)]
    with contextlib.suppress(ValueError):
        views.append(json.dumps(json.loads(text), ensure_ascii=False))
    views.append(unquote(text))
    for run in re.findall(r"[A-Za-z0-9+/]{12,}={0,2}", text):
        for shift in range(4):
            chunk = run[shift:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            try:
                views.append(base64.b64decode(chunk).decode("utf-8", "ignore"))
            except (binascii.Error, ValueError):
                continue
    return [v for v in values if any(v in view for view in views)]


@pytest.mark.parametrize(
    ("cells", "metadata", "planted", "pointers"),
    [pytest.param(c, m, p, ptr, id=i) for i, c, m, p, ptr in CASES],
)
def test_redact_masks_in_place_and_keeps_shape(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cells: list[Any],
    metadata: dict[str, Any] | None,
    planted: list[str],
    pointers: list[str],
) -> None:
    path = _write(tmp_path, cells, metadata)
    before = json.loads(path.read_text())
    assert leaked(path.read_bytes(), planted) == planted  # the values are there to start with
    assert main(["redact", str(path)]) == 0
    raw = path.read_bytes()
    after = json.loads(raw)
    assert leaked(raw, planted) == []
    nbformat.validate(nbformat.reads(raw.decode(), as_version=4))
    for pointer in pointers:
        stored = _resolve(after, pointer)
        shown = _text(stored)
        if "/attachments/" in pointer or "vnd.acme" in pointer:
            shown = base64.b64decode(shown).decode()
        assert re.search(r"\[(REDACTED|[A-Z_\\]+)\]", shown), pointer
        # a list of lines stays a list of lines, a string a string (the address before
        # redaction spells a renamed key by its old name)
        old_pointer = pointer.replace("[EMAIL_ADDRESS]", EMAIL) if "]/" in pointer else pointer
        assert type(stored) is type(_resolve(before, old_pointer))
    # the shape is kept: same cells, same outputs, same MIME types, same traceback frames
    assert len(after["cells"]) == len(before["cells"])
    for old, new in zip(before["cells"], after["cells"], strict=True):
        assert [o.get("output_type") for o in old.get("outputs", [])] == [
            o.get("output_type") for o in new.get("outputs", [])
        ]
        for o_old, o_new in zip(old.get("outputs", []), new.get("outputs", []), strict=True):
            assert sorted(o_old.get("data", {})) == sorted(o_new.get("data", {}))
            assert len(o_old.get("traceback", [])) == len(o_new.get("traceback", []))
    # recorded, without values
    entries = after["metadata"]["nbsec"]["redactions"]
    assert entries and all({"rule", "fingerprint", "where", "label"} <= set(e) for e in entries)
    assert leaked(json.dumps(entries).encode(), planted) == []
    for entry in entries:  # each address is one of the redacted document
        _resolve(after, entry["where"])
    # nothing left to find in outputs, markdown or metadata
    left = [
        f
        for f in scan_notebook(path, policy=Policy())
        if f.rule.startswith(("NBS-PII", "NBS-SEC")) and "a secret in code" not in f.message
        if not (
            f.location.line is not None
            and f.location.output_index is None
            and after["cells"][f.location.cell_index]["cell_type"] == "code"
        )
    ]
    assert left == []
    # idempotent: a second run changes no byte
    capsys.readouterr()
    assert main(["redact", str(path)]) == 0
    assert path.read_bytes() == raw
    assert "nothing to mask" in capsys.readouterr().out


def test_table_stays_a_table(tmp_path: Path) -> None:
    path = _write(tmp_path, [nb.code("df", nb.result(frame(NAMES, EMAILS)))], None)
    main(["redact", str(path)])
    data = json.loads(path.read_text())["cells"][0]["outputs"][0]["data"]
    html_after = _text(data["text/html"])
    assert html_after.count("<tr") == len(NAMES) + 1
    assert html_after.count("<td>[PERSON]</td>") == len(NAMES)
    assert html_after.count("<td>[EMAIL_ADDRESS]</td>") == len(NAMES)
    assert "<td>40.5</td>" in html_after  # other columns untouched
    plain = _text(data["text/plain"]).splitlines()
    assert len(plain) == len(NAMES) + 1 and all("[EMAIL_ADDRESS]" in r for r in plain[1:])


def test_images_and_colour_codes_are_untouched(tmp_path: Path) -> None:
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg"
    cell = nb.code(
        "x",
        nb.display({"image/png": png, "text/plain": f"<Figure {EMAIL}>"}),
        nb.error("E", "x", [f"{ANSI_RED}E{ANSI_RED}: mail {EMAIL} refused"]),
    )
    path = _write(tmp_path, [cell], None)
    main(["redact", str(path)])
    outputs = json.loads(path.read_text())["cells"][0]["outputs"]
    assert outputs[0]["data"]["image/png"] == png
    assert outputs[1]["traceback"] == [f"{ANSI_RED}E{ANSI_RED}: mail [EMAIL_ADDRESS] refused"]


def test_code_is_never_rewritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = f'password = "{PASSWORD}"\nprint(password)'
    path = _write(tmp_path, [nb.code(source, nb.stream(f"{PASSWORD}\n"))], None)
    assert main(["redact", str(path)]) == 0
    cell = json.loads(path.read_text())["cells"][0]
    assert _text(cell["source"]) == source
    assert _text(cell["outputs"][0]["text"]) == "[REDACTED]\n"
    assert "a secret in code is not masked" in capsys.readouterr().err


def _planted_everywhere(tmp_path: Path) -> Path:
    cells = [c for _, cs, _, _, _ in CASES for c in cs if c is not None]
    return _write(tmp_path, cells, CASES[7][2])


def test_check_and_dry_run_change_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _planted_everywhere(tmp_path)
    raw = path.read_bytes()
    assert main(["redact", "--check", str(path)]) == 1
    assert main(["redact", "--dry-run", str(path)]) == 0
    assert path.read_bytes() == raw
    out = capsys.readouterr().out
    assert out.count("would mask") == 2
    assert "--- " in out and "+++ " in out and "@@ cell" in out and "[EMAIL_ADDRESS]" in out
    # the diff shows masked evidence and hashes, never a value
    planted = [EMAIL, EMAIL2, SSN, PASSWORD, s.GENERIC_TOKEN, s.AWS_KEY_ID, *NAMES]
    assert leaked(out.encode(), planted) == []
    main(["redact", str(path)])
    assert main(["redact", "--check", str(path)]) == 0


def test_only_one_family(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [nb.code("print(cfg)", nb.stream(f"mail {EMAIL}\nPassword: {PASSWORD}\n"))],
        None,
    )
    main(["redact", "--only", "SEC", str(path)])
    text = _text(json.loads(path.read_text())["cells"][0]["outputs"][0]["text"])
    assert EMAIL in text and PASSWORD not in text
    main(["redact", "--only", "PII", str(path)])
    assert EMAIL not in path.read_text()


def test_waivers_and_baselines_are_respected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cells = [nb.code("print(x)", nb.stream(f"mail {EMAIL}\nPassword: {PASSWORD}\n"))]
    path = _write(tmp_path, cells, None)
    (tmp_path / "nbsec.toml").write_text(
        '[[waivers]]\nrule = "NBS-PII-003"\nreason = "test fixtures are synthetic"\n'
    )
    baseline = tmp_path / "baseline.json"
    assert main(["scan", str(path), "--write-baseline", str(baseline), "--fail-on", "info"]) == 1
    raw = path.read_bytes()
    assert main(["redact", "--baseline", str(baseline), "--check", str(path)]) == 0
    assert main(["redact", str(path)]) == 0
    text = path.read_text()
    assert EMAIL in text and PASSWORD not in text
    assert raw != path.read_bytes()


def test_output_directory_keeps_the_originals(tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "sub").mkdir()
    a = nb.write(source / "a.ipynb", nb.markdown(f"mail {EMAIL}"))
    b = nb.write(source / "sub" / "b.ipynb", nb.markdown("nothing here"))
    raw_a = a.read_bytes()
    assert main(["redact", "-o", str(tmp_path / "out"), str(source)]) == 0
    assert a.read_bytes() == raw_a
    assert EMAIL not in (tmp_path / "out" / "a.ipynb").read_text()
    assert (tmp_path / "out" / "sub" / "b.ipynb").read_bytes() == b.read_bytes()


def test_a_bad_notebook_is_an_error_and_the_others_are_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = nb.write(tmp_path / "good.ipynb", nb.markdown(f"mail {EMAIL}"))
    (tmp_path / "bad.ipynb").write_text("{not json")
    (tmp_path / "v5.ipynb").write_text('{"cells": [], "nbformat": 5}')
    assert main(["redact", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "bad.ipynb: not a notebook" in err and "v5.ipynb: unsupported notebook format 5" in err
    assert EMAIL not in good.read_text()


def test_nbsec_own_record_is_not_read_back_as_data(tmp_path: Path) -> None:
    """A cell id of eight digits, copied into the redaction record, is no phone number: the
    record is written once, kept as written, and never masked itself."""
    cell = nb.code("print(row)", nb.stream(f"contact {EMAIL}\n"), cell_id="55651859")
    own = {"governance": {"owner": "Grace Hopper"}, "notes": f"ask {EMAIL2}"}
    path = _write(tmp_path, [cell], {"nbsec": own})
    assert main(["redact", str(path)]) == 0
    after = json.loads(path.read_text())
    records = after["metadata"]["nbsec"]["redactions"]
    # a key nbsec does not write is searched like any metadata
    assert sorted((r["rule"], r["cell_id"], r["where"]) for r in records) == [
        ("NBS-PII-003", "55651859", "/cells/0/outputs/0/text"),
        ("NBS-PII-004", None, "/metadata/nbsec/notes"),
    ]
    assert EMAIL2 not in path.read_text()
    assert after["cells"][0]["id"] == "55651859"
    assert after["metadata"]["nbsec"]["governance"] == {"owner": "Grace Hopper"}
    assert scan_notebook(path, policy=Policy()) == []


def test_stale_nbsec_blocks_are_rewritten(tmp_path: Path) -> None:
    from nbsec.findings import Location
    from nbsec.kernel.display import findings_bundle
    from nbsec.source import NameScope, check_cell_source

    load = "import pickle\nobj = pickle.load(open('m.pkl', 'rb'))"
    found = check_cell_source(load, location=Location(cell_id="c1"), scope=NameScope())
    cell = nb.code("x = 1", nb.display(findings_bundle(found, "nbsec: 1 code finding")))
    cell["id"] = "c1"
    path = _write(tmp_path, [cell], None)
    assert [f.rule for f in scan_notebook(path, policy=Policy())] == ["NBS-SRC-007"]
    assert main(["redact", "--check", str(path)]) == 1
    main(["redact", str(path)])
    after = json.loads(path.read_text())
    assert after["cells"][0]["outputs"] == []
    assert after["metadata"]["nbsec"]["redactions"][0]["rule"] == "NBS-SRC-007"
    assert scan_notebook(path, policy=Policy()) == []


def test_pre_commit_hooks_run_the_cli(tmp_path: Path) -> None:
    import shlex

    import yaml

    root = Path(__file__).resolve().parents[2]
    hooks = {h["id"]: h for h in yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text())}
    assert {"nbsec", "nbsec-redact-check", "nbsec-redact"} <= set(hooks)
    path = nb.write(tmp_path / "a.ipynb", nb.markdown(f"mail {EMAIL}"))
    check = shlex.split(hooks["nbsec-redact-check"]["entry"])
    assert check[0] == "nbsec" and main([*check[1:], str(path)]) == 1
    assert main([*shlex.split(hooks["nbsec-redact"]["entry"])[1:], str(path)]) == 0
    assert main([*check[1:], str(path)]) == 0
