"""The redaction leak test: every kind of secret and personal data planted in every shape an
output, a markdown cell, an attachment or metadata can store it, and not one planted value may be
left in any byte of the redacted file (as written, JSON-, HTML- and percent-decoded, or inside a
base64 run). Code sources are the exception by contract: they are never rewritten, so no value
is planted there.

A private key is planted by its body lines, each of which is a leak on its own: a key whose
header was masked but whose body survived is still a key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from nbsec.cli import main
from nbsec.policy import Policy
from nbsec.source import scan_notebook
from tests.source import secret_samples as s
from tests.source.secret_samples import rand
from tests.source.test_redact import b64, leaked

ANSI = "\x1b[0;31m"
RESET = "\x1b[0m"
EMAIL = "margaret.hamilton@apollo-guidance.org"
PHONE = "+1 415-555-0198"
SSN = "536-22-8843"
CARD = "4539 1488 0343 6467"
IBAN = "DE89 3704 0044 0532 0130 00"
PERSON = "Katherine Johnson"
PASSWORD = "Tr0ub4dor&3-prod"


def pem(kind: str = "RSA ", lines: int = 5) -> tuple[str, list[str]]:
    """A PEM private key block (newline-separated) and its body lines."""
    body = [rand(64, s.ALNUM + "+/") for _ in range(lines - 1)] + [rand(40, s.ALNUM + "+/") + "=="]
    block = f"-----BEGIN {kind}PRIVATE KEY-----\n" + "\n".join(body)
    return block + f"\n-----END {kind}PRIVATE KEY-----\n", body


KEY_LINES, KEY_BODY = pem()
KEY_CRLF, KEY_CRLF_BODY = pem("")
KEY_JSON, KEY_JSON_BODY = pem("")
KEY_LIST, KEY_LIST_BODY = pem("EC ")
KEY_SPLIT, KEY_SPLIT_BODY = pem("OPENSSH ")
KEY_ANSI, KEY_ANSI_BODY = pem("")
KEY_MD, KEY_MD_BODY = pem("")
KEY_META, KEY_META_BODY = pem("")
KEY_REPR, KEY_REPR_BODY = pem("")
KEY_HTML, KEY_HTML_BODY = pem("ENCRYPTED ")

PROVIDER = [v for v in s.ALL_SECRETS if v not in (s.DB_PASSWORD, s.GENERIC_TOKEN)]
# a secret with no format of its own is a secret by the name it is printed under
LABEL = {s.AWS_SECRET: "aws_secret_access_key", s.AZURE_KEY: "AccountKey"}


def lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def code(source: str, *outputs: Any) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "id": rand(8).lower(),
        "metadata": {},
        "outputs": list(outputs),
        "source": source,
    }


def stream(text: str | list[str], name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def result(data: dict[str, Any], metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "output_type": "execute_result",
        "execution_count": 1,
        "data": data,
        "metadata": metadata or {},
    }


def error(ename: str, evalue: str, traceback: list[str]) -> dict[str, Any]:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": traceback}


def markdown(source: str | list[str], **extra: Any) -> dict[str, Any]:
    return {
        "cell_type": "markdown",
        "id": rand(8).lower(),
        "metadata": {},
        "source": source,
    } | extra


def service_account() -> dict[str, str]:
    return {
        "type": "service_account",
        "project_id": "demo-project",
        "private_key_id": rand(40, "0123456789abcdef"),
        "private_key": KEY_JSON,
        "client_email": "loader@demo-project.iam.gserviceaccount.com",
    }


PII_LINE = f"{PERSON} <{EMAIL}>, phone {PHONE}, SSN {SSN}, card {CARD}, IBAN {IBAN}\n"


# (case id, cells, notebook metadata, planted values)
CASES: list[tuple[str, list[dict[str, Any]], dict[str, Any], list[str]]] = [
    (
        "provider-tokens-one-per-stream-line",
        [code("show()", stream([f"{LABEL.get(v, 'value')}={v}\n" for v in PROVIDER]))],
        {},
        PROVIDER,
    ),
    (
        "stream-split-across-outputs",
        [
            code(
                "print(cfg)",
                stream(f"user {EMAIL} key {s.AWS_KEY_ID}\n"),
                stream("warning: slow\n", "stderr"),
                stream(f"token {s.GITHUB}\n"),
            )
        ],
        {},
        [EMAIL, s.AWS_KEY_ID, s.GITHUB],
    ),
    ("pem-in-stream-lines", [code("print(k)", stream(lines(KEY_LINES)))], {}, KEY_BODY),
    (
        "pem-lines-as-separate-list-items-without-newlines",
        [code("print(k)", stream([ln + "\n" for ln in KEY_LIST.splitlines()]))],
        {},
        KEY_LIST_BODY,
    ),
    (
        "pem-with-crlf",
        [code("print(k)", stream(KEY_CRLF.replace("\n", "\r\n")))],
        {},
        KEY_CRLF_BODY,
    ),
    (
        "pem-split-across-two-stream-outputs",
        [
            code(
                "print(k)",
                stream(lines(KEY_SPLIT)[:3]),
                stream(lines(KEY_SPLIT)[3:]),
            )
        ],
        {},
        KEY_SPLIT_BODY,
    ),
    (
        "pem-in-json-escaped-text",
        [
            code(
                "print(json.dumps(sa))",
                stream(json.dumps(service_account()) + "\n"),
                result(
                    {
                        "application/json": service_account(),
                        "text/plain": repr(service_account()),
                        "text/html": "<pre>"
                        + json.dumps(service_account(), indent=2).replace('"', "&quot;")
                        + "</pre>",
                    }
                ),
            )
        ],
        {},
        KEY_JSON_BODY,
    ),
    (
        "pem-in-python-repr",
        [code("k", result({"text/plain": repr(KEY_REPR)}))],
        {},
        KEY_REPR_BODY,
    ),
    (
        "pem-in-html",
        [
            code(
                "HTML(k)",
                result(
                    {
                        "text/html": "<pre>" + KEY_HTML.replace("\n", "<br>") + "</pre>",
                        "text/plain": "<IPython.core.display.HTML object>",
                    }
                ),
            )
        ],
        {},
        KEY_HTML_BODY,
    ),
    (
        "pem-in-ansi-traceback-and-evalue",
        [
            code(
                "load_key(k)",
                error(
                    "ValueError",
                    f"Could not deserialize key data: {KEY_ANSI!r}",
                    [
                        f"{ANSI}ValueError{RESET}  Traceback (most recent call last)",
                        f"{ANSI}----> 1{RESET} load_key(k)",
                        *(f"{ANSI}{ln}{RESET}" for ln in KEY_ANSI.splitlines()),
                        f"{ANSI}ValueError{RESET}: Could not deserialize key data: {KEY_ANSI!r}",
                    ],
                ),
            )
        ],
        {},
        KEY_ANSI_BODY,
    ),
    (
        "pem-in-markdown-as-list",
        [markdown(["Deploy key:\n", "```\n", *lines(KEY_MD), "```\n"])],
        {},
        KEY_MD_BODY,
    ),
    (
        "pem-and-password-in-metadata",
        [
            code(
                "connect()",
            )
            | {"metadata": {"deploy": {"ssh_key": KEY_META, "db_password": PASSWORD}}}
        ],
        {},
        [*KEY_META_BODY, PASSWORD],
    ),
    (
        "same-output-three-mime-types",
        [
            code(
                "people",
                result(
                    {
                        "text/plain": f"[{{'name': '{PERSON}', 'email': '{EMAIL}'}}]",
                        "text/html": f"<ul><li>{PERSON} &lt;{EMAIL}&gt;</li></ul>",
                        "application/json": [{"name": PERSON, "email": EMAIL, "ssn": SSN}],
                    }
                ),
            )
        ],
        {},
        [PERSON, EMAIL, SSN],
    ),
    (
        "pii-of-every-kind-in-a-stream",
        [code("print(row)", stream(lines("loaded 1 row\n" + PII_LINE)))],
        {},
        [EMAIL, PHONE, SSN, CARD, IBAN],
    ),
    (
        "secrets-in-error-evalue-and-traceback",
        [
            code(
                "fetch()",
                error(
                    "HTTPError",
                    f"401 Client Error for url: https://api.example.net/v1?api_key={s.GENERIC_TOKEN}",
                    [
                        f"{ANSI}HTTPError{RESET}  Traceback (most recent call last)",
                        f"{ANSI}HTTPError{RESET}: 401 Client Error for url: "
                        f"https://api.example.net/v1?{ANSI}api_key={s.GENERIC_TOKEN}{RESET}",
                        f"Authorization: Bearer {s.OPENAI}",
                    ],
                ),
            )
        ],
        {},
        [s.GENERIC_TOKEN, s.OPENAI],
    ),
    (
        "markdown-and-attachment",
        [
            markdown(
                [f"Ask {EMAIL} for the token {s.SLACK}\n", "![n](attachment:notes.txt)\n"],
                attachments={"notes.txt": {"text/plain": b64(f"{PII_LINE}{s.HUGGINGFACE}\n")}},
            )
        ],
        {},
        [EMAIL, s.SLACK, s.HUGGINGFACE, SSN],
    ),
    (
        "widget-state-and-output-metadata",
        [
            code(
                "w",
                result(
                    {"text/plain": "Text(value='')"},
                    metadata={"debug": {"request": f"GET /?access_token={s.GENERIC_TOKEN}"}},
                ),
            )
        ],
        {
            "widgets": {
                "application/vnd.jupyter.widget-state+json": {
                    "state": {
                        "m1": {"state": {"value": EMAIL, "description": "Email"}},
                        "m2": {"state": {"value": s.STRIPE, "description": "API key"}},
                    },
                    "version_major": 2,
                    "version_minor": 0,
                }
            }
        },
        [EMAIL, s.STRIPE, s.GENERIC_TOKEN],
    ),
    (
        "secret-in-code-printed-in-output",
        [code(f'api_key = "{s.AZURE_KEY}"\nprint(api_key)', stream(f"{s.AZURE_KEY}\n"))],
        {},
        [],  # the code keeps it; the output is checked below
    ),
]


def _write(path: Path, cells: list[dict[str, Any]], metadata: dict[str, Any]) -> Path:
    document = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}
        }
        | metadata,
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _outside_code(path: Path) -> bytes:
    """The file with every code cell's source dropped (sources keep their secrets by contract)."""
    document = json.loads(path.read_bytes())
    for cell in document["cells"]:
        if cell.get("cell_type") == "code":
            cell["source"] = ""
    return json.dumps(document, ensure_ascii=False).encode()


@pytest.fixture(autouse=True)
def _no_ambient_policy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NBSEC_POLICY", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("cells", "metadata", "planted"),
    [pytest.param(c, m, p, id=i) for i, c, m, p in CASES],
)
def test_no_planted_value_survives_redaction(
    tmp_path: Path, cells: list[dict[str, Any]], metadata: dict[str, Any], planted: list[str]
) -> None:
    path = _write(tmp_path / "nb.ipynb", cells, metadata)
    assert leaked(path.read_bytes(), planted) == planted  # planted, and the check sees them
    assert main(["redact", str(path)]) == 0
    raw = path.read_bytes()
    assert leaked(_outside_code(path), planted) == []
    nbformat.validate(nbformat.reads(raw.decode(), as_version=4))
    # nothing left for the scanner outside code
    left = [
        (f.rule, f.location.describe(), f.message)
        for f in scan_notebook(path, policy=Policy())
        if f.rule.startswith(("NBS-PII", "NBS-SEC"))
        and not (
            f.location.output_index is None
            and f.location.line is not None
            and "(in " not in f.message
        )
    ]
    assert left == []
    # the code cell that printed a secret keeps its source; its output is masked
    if not planted:
        document = json.loads(raw)
        assert s.AZURE_KEY in document["cells"][0]["source"]
        assert s.AZURE_KEY not in json.dumps(document["cells"][0]["outputs"])
    # idempotent
    assert main(["redact", str(path)]) == 0
    assert path.read_bytes() == raw
