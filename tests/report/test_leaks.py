"""No raw personal value or secret in any file a report writes: notebook, HTML, report JSON, SARIF,
ML-BOM, OpenLineage, static and executed, in any form a reader could decode (escaped for markdown,
HTML or JSON, URL-encoded, or inside a base64 blob such as the pictures' data URIs)."""

from __future__ import annotations

import base64
import binascii
import contextlib
import csv
import html
import json
import re
import urllib.parse
from pathlib import Path

import nbformat
import pytest

from nbsec.cli import main
from tests.report.conftest import write_notebook

# distinctive values: none of them can appear in a report by chance
SECRETS = {
    "aws": "AKIA" + "Q7ZK4XN2PLWTR5MJ",
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzq8Hd3LmXy",
    "github": "ghp_" + "R8s2kLq9ZtX4vB7nM1cP6wY3hJ5dF0gA2eQx",
    "password": "Tr0ub4dor&" + "Zebra-Staple-91",
    "url_token": "tok_" + "9fK2mQ7xLp4Rz8Vb",
}
PII = {
    "email": "evangeline.wojciechowski@quillmere.example.com",
    "email2": "bartholomew.okonkwo@fernvale.example.net",
    "ssn": "536-22-8174",
    "card": "4539 1488 0343 6467",
    "iban": "DE89 3704 0044 0532 0130 00",
    "phone": "+1 415-555-0147",
    "name": "Evangeline Wojciechowski",
}
VALUES = {**SECRETS, **PII}


def _seeded_notebook(folder: Path) -> Path:
    rows = [
        {"name": PII["name"], "email": PII["email"], "ssn": PII["ssn"], "card": PII["card"]},
        {"name": "Bartholomew Okonkwo", "email": PII["email2"], "ssn": "412-67-3390",
         "card": "5500 0055 5555 5559"},
        {"name": "Cordelia Haverbrook", "email": "cordelia.haverbrook@fernvale.example.net",
         "ssn": "301-58-2246", "card": "3782 822463 10005"},
        {"name": "Ignatius Pemberton", "email": "ignatius.pemberton@quillmere.example.com",
         "ssn": "245-81-6632", "card": "6011 0009 9013 9424"},
        {"name": "Rosalind Achterberg", "email": "rosalind.achterberg@fernvale.example.net",
         "ssn": "587-14-9023", "card": "4111 1111 1111 1111"},
    ]  # fmt: skip
    with (folder / "customers.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    table = "<table><thead><tr><th>name</th><th>email</th><th>iban</th></tr></thead><tbody>" + (
        "".join(
            f"<tr><td>{html.escape(r['name'])}</td><td>{r['email']}</td><td>{PII['iban']}</td></tr>"
            for r in rows
        )
    ) + "</tbody></table>"  # fmt: skip
    printed = f"call {PII['name']} at {PII['phone']} or {PII['email']}\nSSN {PII['ssn']}\n"
    cells = [
        ("md", f"Contact {PII['email']} (key {SECRETS['github']})"),
        "import pandas as pd\ndf = pd.read_csv('customers.csv')\ndf.head()",
        (
            "df.head()",
            [nbformat.v4.new_output("execute_result", data={"text/html": table,
                                                             "text/plain": "table"})],
        ),
        ("print(df.iloc[0])", [nbformat.v4.new_output("stream", name="stdout", text=printed)]),
        f"AWS_ACCESS_KEY_ID = '{SECRETS['aws']}'\n"
        f"AWS_SECRET_ACCESS_KEY = '{SECRETS['aws_secret']}'",
        f"DSN = 'postgresql://svc:{SECRETS['password']}@db.internal:5432/crm'",
        "import urllib.request\n"
        f"URL = 'http://127.0.0.1:9/export.csv?token={SECRETS['url_token']}&user={PII['email']}'\n"
        "try:\n    urllib.request.urlopen(URL, timeout=0.5)\nexcept OSError:\n    pass",
        "df.to_csv('contacts-out.csv', index=False)",
    ]  # fmt: skip
    return write_notebook(
        folder / "seeded.ipynb",
        cells,
        {"nbsec": {"governance": {"owner": "data team", "contact": "dpo@example.org"}},
         "authors": [{"name": PII["name"], "token": SECRETS["github"]}]},
    )  # fmt: skip


_B64 = re.compile(r"[A-Za-z0-9+/=_-]{24,}")


def _readable_forms(text: str) -> list[str]:
    """The text and every way a value could hide in it."""
    forms = [text, text.replace("\\", ""), html.unescape(text), urllib.parse.unquote_plus(text)]
    with contextlib.suppress(ValueError):
        forms.append(json.dumps(json.loads(text), ensure_ascii=False))
    for blob in _B64.findall(text):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = decode(blob + "=" * (-len(blob) % 4)).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                continue
            forms += [decoded, html.unescape(decoded), decoded.replace("\\", "")]
    return forms


def _assert_no_leak(folder: Path) -> list[str]:
    checked = []
    for path in sorted(folder.glob("seeded.nbsec.*")):
        forms = _readable_forms(path.read_text(encoding="utf-8"))
        for key, value in VALUES.items():
            needles = {value, value.replace(" ", ""), urllib.parse.quote(value, safe="")}
            for form in forms:
                for needle in needles:
                    assert needle not in form, f"{key} leaked into {path.name}"
        checked.append(path.name)
    return checked


def test_static_report_files_hold_no_value(tmp_path: Path) -> None:
    notebook = _seeded_notebook(tmp_path)
    out = tmp_path / "out"
    assert main(["report", str(notebook), "-o", str(out), "--html"]) == 1
    checked = _assert_no_leak(out)
    assert checked == [
        "seeded.nbsec.cdx.json",
        "seeded.nbsec.html",
        "seeded.nbsec.ipynb",
        "seeded.nbsec.json",
        "seeded.nbsec.openlineage.json",
        "seeded.nbsec.sarif",
    ]
    report = json.loads((out / "seeded.nbsec.json").read_text(encoding="utf-8"))
    rules = {f["rule"] for f in report["findings"]}
    # the test is only worth something if the values were found (and masked), not missed
    expected = {"NBS-SEC-001", "NBS-SEC-002", "NBS-SEC-004", "NBS-PII-002", "NBS-PII-003"}
    assert expected <= rules, rules


@pytest.mark.kernel
@pytest.mark.slow
def test_executed_report_files_hold_no_value(tmp_path: Path) -> None:
    notebook = _seeded_notebook(tmp_path)
    out = tmp_path / "out"
    assert main(["report", str(notebook), "-o", str(out), "--html", "--execute"]) == 1
    _assert_no_leak(out)
    report = json.loads((out / "seeded.nbsec.json").read_text(encoding="utf-8"))
    frames = {t["name"]: t for t in report["personal_data"]["tables"] if t["kind"] == "frame"}
    assert "df" in frames
    entities = {e["type"] for c in frames["df"]["columns"] for e in c["entities"]}
    assert {"EMAIL_ADDRESS", "US_SSN", "CREDIT_CARD"} <= entities
    # the frame's scan was finished before the session was captured (presidio's recognizers,
    # not only the first pass the cell's budget allowed)
    assert not [x for x in report["limitations"] if "was not complete" in x]
    uris = [i["uri"] for i in report["data"]["items"]]
    assert "customers.csv" in uris and "contacts-out.csv" in uris
    assert any("token=h-" in u for u in uris), uris  # the query value is hashed, not shown
