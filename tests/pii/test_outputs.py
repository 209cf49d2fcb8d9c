"""Saved outputs: frame reprs parsed per column with spans, names and e-mails in free text, NER."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nbsec.pii import scan_text
from nbsec.policy import Policy
from nbsec.source.output_pii import pii_engine, pii_spans, text_issues
from nbsec.source.text_tables import parse_text_tables
from tests.pii.conftest import policy_with

TITANIC = pd.DataFrame(
    {
        "PassengerId": [1, 2, 3, 4, 5],
        "Survived": [0, 1, 1, 1, 0],
        "Name": [
            "Braund, Mr. Owen Harris",
            "Cumings, Mrs. John Bradley (Florence Briggs Thayer)",
            "Heikkinen, Miss. Laina",
            "Futrelle, Mrs. Jacques Heath (Lily May Peel)",
            "Allen, Mr. William Henry",
        ],
        "Sex": ["male", "female", "female", "female", "male"],
        "Age": [22.0, 38.0, 26.0, 35.0, 35.0],
    }
)


def _repr(frame: pd.DataFrame) -> str:
    # as a notebook shows it: wide, every column
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        return repr(frame)


def test_head_repr_is_parsed_per_column_with_spans() -> None:
    text = _repr(TITANIC)
    (table,) = parse_text_tables(text)
    assert list(table.columns) == ["PassengerId", "Survived", "Name", "Sex", "Age"]
    assert table.columns["Name"][0] == "Braund, Mr. Owen Harris"
    for name, spans in table.spans.items():
        for value, span in zip(table.columns[name], spans, strict=True):
            assert span is not None and text[span[0] : span[1]] == value


def test_titanic_head_in_text_plain_is_personal_data() -> None:
    engine = pii_engine()
    assert engine is not None
    issues = text_issues(_repr(TITANIC), Policy(), engine)
    assert [(i.rule, i.key) for i in issues] == [("NBS-PII-002", "column:Name:PERSON")]
    assert issues[0].line == 1


def test_truncated_series_and_value_counts() -> None:
    engine = pii_engine()
    assert engine is not None
    with pd.option_context("display.max_rows", 4):
        text = repr(pd.Series([f"user{i}@example.com" for i in range(50)], name="email"))
    issues = text_issues(text, Policy(), engine)
    assert [i.key for i in issues] == ["column:email:EMAIL_ADDRESS"]
    counts = repr(
        pd.Series(["Southampton"] * 5 + ["Cherbourg"] * 3 + ["Queenstown"]).value_counts()
    )
    assert text_issues(counts, Policy(), engine) == []  # places with counts: an aggregate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("['john.smith@example.com', 'ana@example.org']", ["EMAIL_ADDRESS", "EMAIL_ADDRESS"]),
        ("{'name': 'Maria Garcia', 'id': 7}", ["PERSON"]),
        ("0    Braund, Mr. Owen Harris", ["PERSON"]),
        ("ValueError: user jane.doe@corp.com not found", ["EMAIL_ADDRESS"]),
        ("Written by Agnieszka Kowalska and Mehmet Yılmaz.", ["PERSON", "PERSON"]),  # noqa: RUF001
        ("array([0, 1, 1, 0, 1, 0, 0, 1, 1, 1])", []),
        ("[0 1 1 0 1 0 0 1 1 1]", []),
        ("2023-01-05 12:30:00    1.23\n2023-01-06 12:30:00    1.50", []),
        ("Random Forest, Adam optimizer, Max Pooling, New York, Linear Regression", []),
        ("True", []),
    ],
)
def test_free_text(text: str, expected: list[str]) -> None:
    assert [h.type for h in scan_text(text, policy=Policy())] == expected


def test_spans_mask_in_place() -> None:
    text = "Report\n" + _repr(TITANIC) + "\ncontact: jane.doe@corp.com"
    spans = pii_spans(text, Policy())
    assert {s.entity for s in spans} == {"PERSON", "EMAIL_ADDRESS"}
    masked = list(text)
    for s in spans:
        masked[s.start : s.end] = "#" * (s.end - s.start)
    out = "".join(masked)
    assert "Braund" not in out and "jane.doe" not in out and "female" in out
    assert len(out) == len(text)


@pytest.mark.slow
def test_ner_path_with_a_real_pipeline_component(tmp_path: Path) -> None:
    """A spaCy pipeline made here (an entity ruler naming one person) is used through presidio:
    it finds a name no lexicon knows."""
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [{"label": "PERSON", "pattern": [{"LOWER": "zorblax"}, {"LOWER": "quendari"}]}]
    )
    model = tmp_path / "model"
    nlp.to_disk(model)
    text = "the ticket was filed by Zorblax Quendari yesterday"
    assert scan_text(text, policy=Policy()) == []
    hits = scan_text(text, policy=policy_with(spacy_model=str(model)))
    assert [(h.type, text[h.start : h.end]) for h in hits] == [("PERSON", "Zorblax Quendari")]
