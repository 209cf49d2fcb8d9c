"""The presidio engine: offline, built once, optional spaCy model, long-tail entities."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from nbsec.errors import PolicyError
from nbsec.pii import engine, scan_dataframe
from tests.pii.conftest import person_names, policy_with


@pytest.mark.slow  # importing presidio_analyzer (and spaCy) takes seconds
def test_model_free_engine_is_built_once_and_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def no_network(*_a: object, **_k: object) -> None:
        raise AssertionError("the PII engine touched the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    first = engine.analyzer("")
    assert engine.analyzer("") is first
    results = first.analyze(text="write to jane@example.com", language="en")
    assert "EMAIL_ADDRESS" in {r.entity_type for r in results}


def test_missing_spacy_model_is_a_policy_error(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": ["x"]})
    with pytest.raises(PolicyError, match="spacy_model"):
        scan_dataframe(frame, policy=policy_with(spacy_model=str(tmp_path / "no-such-model")))


@pytest.mark.slow  # importing presidio_analyzer (and spaCy) takes seconds
def test_configured_spacy_model_serves_free_text(tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    model_dir = tmp_path / "blank_en"
    spacy.blank("en").to_disk(model_dir)
    texts = [f"Meeting notes number {i}: the committee agreed on the budget." for i in range(50)]
    frame = pd.DataFrame({"notes": texts, "who": person_names(50, random.Random(1))})
    scan = scan_dataframe(frame, policy=policy_with(spacy_model=str(model_dir)))
    # a blank pipeline has no NER: free text stays clean, model-free names still work
    assert scan.columns["notes"].entity_types == []
    assert scan.columns["who"].entity_types == ["PERSON"]


def _nhs(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            text = "".join(map(str, digits)) + str(check)
            return f"{text[:3]} {text[3:6]} {text[6:]}"


@pytest.mark.slow  # importing presidio_analyzer (and spaCy) takes seconds
def test_presidio_recognizers_are_the_engine() -> None:
    rng = random.Random(4)
    frame = pd.DataFrame({"nhs_number": [_nhs(rng) for _ in range(40)]})
    default = scan_dataframe(frame, policy=policy_with())
    hits = default.columns["nhs_number"].entities
    assert [(h.type, h.recognizer) for h in hits] == [("UK_NHS", "NhsRecognizer")]
    assert "checksum" in hits[0].reason
    only_email = scan_dataframe(frame, policy=policy_with(entities=("EMAIL_ADDRESS",)))
    assert only_email.columns["nhs_number"].entities == []
    denied = scan_dataframe(frame, policy=policy_with(deny_entities=("UK_NHS",)))
    assert "UK_NHS" not in denied.columns["nhs_number"].entity_types


def test_importing_nbsec_pii_stays_light() -> None:
    code = (
        "import sys, nbsec.pii, nbsec.commands.pii\n"
        "heavy = [m for m in ('pandas', 'numpy', 'presidio_analyzer', 'spacy', 'phonenumbers',"
        " 'polars') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=root,
        check=True,
        env={"PYTHONPATH": str(root), "PATH": ""},
    )
    assert out.stdout.strip() == ""
