"""NBS-SEC-007: outputs showing the value of a secret environment variable (engine of the live
kernel check): which variables count, where their values are found, evidence without values."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from nbsec.source.env_secrets import EnvSecretIndex
from tests.source import secret_samples as s

ENV = {
    "OPENAI_API_KEY": s.OPENAI,
    "DB_PASSWORD": "hunter2-prod",
    "HF_TOKEN": s.HUGGINGFACE,
    "GITHUB_ACCESS_TOKEN": s.GITHUB,
    "SESSION_TOKEN": s.GENERIC_TOKEN,
    "WAREHOUSE_DSN": "postgresql://etl@db:5432/prod?sslmode=require",
    # not secrets
    "PATH": "/usr/bin:/bin",
    "HOME": "/root",
    "TOKENIZERS_PARALLELISM": "false",
    "MAX_TOKENS": "4096",
    "CUDA_VISIBLE_DEVICES": "0,1",
    "PASSWORD_PLACEHOLDER_NOTE": "changeme",
    "PYTHONHASHSEED": "0",
    "API_KEY": "YOUR_API_KEY",
}


@pytest.fixture(scope="module")
def index() -> EnvSecretIndex:
    return EnvSecretIndex.build(ENV, listed=["WAREHOUSE_DSN"])


SECRET_NAMES = [
    "DB_PASSWORD",
    "GITHUB_ACCESS_TOKEN",
    "HF_TOKEN",
    "OPENAI_API_KEY",
    "SESSION_TOKEN",
    "WAREHOUSE_DSN",
]


def test_which_variables_hold_secrets(index: EnvSecretIndex) -> None:
    assert index.names == tuple(SECRET_NAMES)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (f"key: {s.OPENAI}\n", ["OPENAI_API_KEY"]),
        (repr(dict(ENV)), SECRET_NAMES),
        ("connecting with hunter2-prod\n", ["DB_PASSWORD"]),
        (f"GET /v1?token={quote(s.GENERIC_TOKEN)}", ["SESSION_TOKEN"]),
        (
            "Authorization: Basic " + base64.b64encode(b"hunter2-prod").decode(),
            ["DB_PASSWORD"],
        ),
        ("tokenizers parallelism is false; max tokens 4096; devices 0,1", []),
        ("hunter2 alone is not the value", []),
    ],
)
def test_values_found_in_outputs(index: EnvSecretIndex, text: str, names: list[str]) -> None:
    issues = index.issues("cell output\n" + text)
    assert index.any_in(text) == bool(names)
    assert sorted(i.message.split("variable ")[1].split(" ")[0] for i in issues) == names
    assert all(i.rule == "NBS-SEC-007" for i in issues)
    for issue in issues:
        shown = json.dumps([issue.message, issue.evidence, issue.key])
        assert all(v not in shown for v in ENV.values() if len(v) >= 6 and v != "/usr/bin:/bin")
        for span in issue.spans:
            assert span.label == "SECRET"


def test_the_index_follows_the_environment(index: EnvSecretIndex) -> None:
    same = index.current(dict(ENV), listed=["WAREHOUSE_DSN"])
    assert same is index
    changed = index.current({**ENV, "NEW_SECRET_KEY": s.GENERIC_TOKEN[::-1]}, ["WAREHOUSE_DSN"])
    assert changed is not index and "NEW_SECRET_KEY" in changed.names
    assert changed.issues(f"x {s.GENERIC_TOKEN[::-1]} y")[0].line == 1


def test_an_empty_environment_finds_nothing() -> None:
    empty = EnvSecretIndex.build({})
    assert empty.issues("anything") == [] and not empty.any_in("anything")
    assert empty.longest == 0


def test_the_longest_form_bounds_what_a_stream_keeps(index: EnvSecretIndex) -> None:
    value = ENV["DB_PASSWORD"]
    assert index.longest >= len(quote(value, safe=""))
    assert all(not index.any_in(value[:i]) for i in range(len(value)))
