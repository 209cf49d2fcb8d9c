"""The seam: evidence collected per batch, merged in any grouping, judged like a pandas scan."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

import nbsec
from nbsec.pii.column_evidence import (
    collect_frame,
    engine_settings,
    evidence_from_json,
    evidence_to_json,
    judge_columns,
    merge_columns,
    unique_names,
)
from nbsec.policy import Policy
from tests.distributed.frames import customers, mixed


def _judged(frame: pd.DataFrame, batches: int = 1) -> dict[str, tuple]:
    settings = engine_settings(Policy(), True)
    names = unique_names(frame.columns)
    bounds = [round(i * len(frame) / batches) for i in range(batches + 1)]
    parts = [collect_frame(frame.iloc[a:b], names, settings) for a, b in itertools.pairwise(bounds)]
    scans = judge_columns(merge_columns(parts), settings)
    return {
        name: (scan.entity_types, [round(e.fraction, 6) for e in scan.entities])
        for name, scan in scans.items()
    }


@pytest.mark.parametrize("build", [customers, mixed], ids=["customers", "mixed-dtypes"])
def test_judged_evidence_matches_a_pandas_scan(build) -> None:
    frame = build(1_500)
    expected = nbsec.scan_dataframe(frame, exhaustive=True)
    judged = _judged(frame)
    assert {k: v[0] for k, v in judged.items()} == {
        name: expected.columns[name].entity_types for name in judged
    }
    assert judged["email" if "email" in judged else "tags"][0] == ["EMAIL_ADDRESS"]


@pytest.mark.parametrize("batches", [2, 3, 7])
def test_merge_in_any_grouping_gives_one_batchs_verdict(batches: int) -> None:
    frame = customers(2_100)
    assert _judged(frame, batches) == _judged(frame, 1)


def test_evidence_travels_as_json_and_back() -> None:
    frame = customers(400)
    settings = engine_settings(Policy(), False)
    evidence = collect_frame(frame, unique_names(frame.columns), settings)
    assert evidence_from_json(evidence_to_json(evidence)) == evidence


def test_the_wire_carries_masked_examples_only() -> None:
    frame = customers(500)
    settings = engine_settings(Policy(), True)
    wire = evidence_to_json(collect_frame(frame, unique_names(frame.columns), settings))
    for column in ("email", "ssn", "card", "iban", "full_name", "phone"):
        for raw in frame[column].head(100):
            assert str(raw) not in wire, column


def test_duplicate_names_are_made_unique() -> None:
    assert unique_names(["a", "b", "a", "a", 3]) == ["a", "b", "a.2", "a.3", "3"]
