"""scan_notebook: locations in sources, outputs, markdown and metadata; PII in saved outputs;
resolution across cells; decoys that live in notebooks (cell ids, images, attachments)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbsec.findings import Finding
from nbsec.policy import Policy
from nbsec.source import scan_notebook
from tests.source import notebook_builder as nb
from tests.source import secret_samples as s

Where = tuple[str, int | None, int | None, int | None]  # rule, cell_index, line, output_index


def where(findings: list[Finding]) -> list[Where]:
    return sorted(
        (f.rule, f.location.cell_index, f.location.line, f.location.output_index) for f in findings
    )


def scan(tmp_path: Path, *cells: object, **kwargs: object) -> list[Finding]:
    path = nb.write(tmp_path / "nb.ipynb", *cells, **kwargs)  # type: ignore[arg-type]
    return scan_notebook(path, policy=Policy())


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        pytest.param(
            [nb.code("import joblib as jl"), nb.markdown("x"), nb.code("m = jl.load('m.pkl')")],
            [("NBS-PKL-002", 2, 1, None)],
            id="import-in-cell-0-applies-later",
        ),
        pytest.param(
            [nb.markdown(f"Use token `{s.GITHUB}` to log in")],
            [("NBS-SEC-002", 0, 1, None)],
            id="secret-in-markdown",
        ),
        pytest.param(
            [nb.raw(f"line\n{s.PRIVATE_KEY}")],
            [("NBS-SEC-003", 0, 2, None)],
            id="private-key-in-raw-cell",
        ),
        pytest.param(
            [nb.code("print(cfg)", nb.stream("ok\n"), nb.stream(f"key={s.AWS_KEY_ID}\n"))],
            [("NBS-SEC-001", 0, 1, 1)],
            id="secret-in-stream-output",
        ),
        pytest.param(
            [nb.code("cfg", nb.result({"application/json": {"auth": {"token": s.SLACK}}}))],
            [("NBS-SEC-002", 0, None, 0)],
            id="secret-in-json-output",
        ),
        pytest.param(
            [
                nb.code(
                    "cfg",
                    nb.result(
                        {"text/plain": f"'{s.STRIPE}'", "text/html": f"<pre>{s.STRIPE}</pre>"}
                    ),
                )
            ],
            [("NBS-SEC-002", 0, 1, 0)],
            id="same-secret-in-two-mime-types-once",
        ),
        pytest.param(
            [
                nb.code(
                    "boom()",
                    nb.error(
                        "AuthError", "denied", [f"AuthError: denied for token {s.HUGGINGFACE}"]
                    ),
                )
            ],
            [("NBS-SEC-002", 0, 1, 0)],
            id="secret-in-traceback",
        ),
        pytest.param(
            [
                nb.code(
                    "engine.url",
                    nb.stream("ok\n"),
                    nb.stream("postgresql://etl:S3cr3tPassw0rd!@db.internal.example.net/x\n"),
                )
            ],
            [("NBS-SEC-004", 0, 1, 1)],
            id="password-at-host-is-a-secret-not-an-email",
        ),
        pytest.param(
            [
                nb.code(
                    "print(conn, owner)",
                    nb.stream(
                        "mysql://ada.lovelace%40engines.org:Tr0ub4dor&3x@db.example.net/db\n"
                        "owner grace.hopper@navy-research.org\n"
                    ),
                )
            ],
            # the user name is an e-mail address: personal data beside the password
            [("NBS-PII-003", 0, 1, 0), ("NBS-PII-003", 0, 2, 0), ("NBS-SEC-004", 0, 1, 0)],
            id="email-beside-a-url-password-still-personal-data",
        ),
        pytest.param(
            [nb.code("print(visit)", nb.stream("visit 17\nclient_ip: 81.2.69.142\n"))],
            [("NBS-PII-003", 0, 2, 0)],
            id="a-visitors-address-in-a-stream",
        ),
        pytest.param(
            [nb.code("%%time\nimport pickle\nobj = pickle.load(f)")],
            [("NBS-PKL-001", 0, 3, None)],
            id="cell-magic-line-numbers",
        ),
    ],
)
def test_locations(tmp_path: Path, cells: list[object], expected: list[Where]) -> None:
    assert where(scan(tmp_path, *cells)) == sorted(expected)


def test_secret_in_metadata(tmp_path: Path) -> None:
    meta = {
        "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
        "deploy": {"token": s.GITLAB},
    }
    findings = scan(tmp_path, nb.code("x = 1"), metadata=meta)
    assert where(findings) == [("NBS-SEC-002", None, None, None)]


def test_a_value_named_on_the_line_above(tmp_path: Path) -> None:
    """Widget state keeps a field's label and its value as two strings: the label names it."""
    state = {
        "state": {
            "9f1c": {
                "model_name": "TextModel",
                "state": {"description": "card_number", "value": "4539148803436467"},
            }
        },
        "version_major": 2,
        "version_minor": 0,
    }
    findings = scan(
        tmp_path,
        nb.code("x = 1"),
        metadata={"widgets": {"application/vnd.jupyter.widget-state+json": state}},
    )
    assert where(findings) == [("NBS-PII-004", None, None, None)]
    assert "CREDIT_CARD" in findings[0].message


def test_pii_table_output_per_column(tmp_path: Path) -> None:
    html = nb.frame_html(
        ["customer_id", "email", "phone", "spend"],
        [
            ["1001", "ann.smith@acme.com", "(415) 555-0132", "12.50"],
            ["1002", "bob.jones@example.org", "212-555-0199", "3.10"],
            ["1003", "cara@mail.io", "+1 646 555 0100", "99.00"],
        ],
    )
    findings = scan(
        tmp_path, nb.code("df.head()", nb.result({"text/html": html, "text/plain": "table"}))
    )
    assert where(findings) == [("NBS-PII-002", 0, None, 0), ("NBS-PII-002", 0, None, 0)]
    messages = sorted(f.message for f in findings)
    assert "'email'" in messages[0] and "EMAIL_ADDRESS" in messages[0]
    assert "'phone'" in messages[1] and "PHONE_NUMBER" in messages[1]
    assert all("ann.smith" not in (f.evidence or "") for f in findings)


def test_pii_text_output_per_line(tmp_path: Path) -> None:
    text = "loaded 3 rows\nfirst: jane.doe@acme-corp.com\nok\n"
    findings = scan(tmp_path, nb.code("print(x)", nb.stream(text)))
    assert where(findings) == [("NBS-PII-003", 0, 2, 0)]
    assert findings[0].evidence == "j***@a***.com"


@pytest.mark.parametrize(
    "cell",
    [
        pytest.param(
            nb.code("x = 1", cell_id="7f3a9c2e-41b8-4d3e-9a1f-2c6b8e0d5a47"), id="cell-id"
        ),
        pytest.param(
            nb.code(
                "plot()",
                nb.display(
                    {
                        "image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAf"
                        "FcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg",
                        "text/plain": "<Figure size 640x480 with 1 Axes>",
                    }
                ),
            ),
            id="base64-image-output",
        ),
        pytest.param(
            nb.markdown(
                "![x](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"
                "CAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==)"
                " see the api key docs"
            ),
            id="inline-image-markdown",
        ),
        pytest.param(nb.code("import os\nkey = os.environ['API_KEY']"), id="env-lookup"),
        pytest.param(
            nb.code(
                "df = pd.read_csv('data/customers.csv')\ndf.describe()",
                nb.stream("count 200\nmean 41.5\n"),
            ),
            id="aggregates",
        ),
        pytest.param(
            nb.code(
                "!wget https://example.org/data.csv\napp.run()",
                nb.stream(
                    "Resolving pypi.org (pypi.org)... 151.101.0.223\n"
                    "Connecting to pypi.org|151.101.0.223|:443... connected.\n"
                    " * Running on http://127.0.0.1:5000\n"
                    "Dask dashboard: http://10.0.0.5:8787/status\n"
                    "INFO 2024-01-02 12:30:45 worker 172.17.0.2 started\n"
                    "eth0 fe80::1ff:fe23:4567:890a%eth0\n"
                    "fetched http://93.184.216.34/index.html\n"
                ),
            ),
            id="machine-addresses",
        ),
    ],
)
def test_notebook_decoys(tmp_path: Path, cell: object) -> None:
    assert scan(tmp_path, cell) == []


def test_attachments_are_not_searched(tmp_path: Path) -> None:
    cell = nb.markdown("![a](attachment:a.png)")
    cell["attachments"] = {"a.png": {"image/png": "AKIA" + "Q" * 16}}
    assert scan(tmp_path, cell) == []


def test_non_python_kernel_gets_secret_checks_only(tmp_path: Path) -> None:
    meta = {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}}
    findings = scan(tmp_path, nb.code(f"pickle.load(f)\ntoken <- '{s.GITHUB}'"), metadata=meta)
    assert where(findings) == [("NBS-SEC-002", 0, 2, None)]


def test_policy_disables_rules(tmp_path: Path) -> None:
    path = nb.write(tmp_path / "nb.ipynb", nb.code("import pickle\npickle.load(f)"))
    assert scan_notebook(path, policy=Policy(disable_rules=("NBS-PKL-001",))) == []
