"""Per-column evidence: collected per batch, merged in any grouping, judged like the classifier."""

from __future__ import annotations

import itertools
import random

import pandas as pd
import pytest

from nbsec.pii import column_classifier as cc
from nbsec.pii.column_evidence import (
    ColumnEvidence,
    collect_frame,
    judge_columns,
    merge_all,
    scan_from_json,
    scan_to_json,
    settings_for,
)
from nbsec.pii.column_values import read_column
from nbsec.policy import Policy
from tests.dist.frames import customers, mixed


def _classifier_view(frame: pd.DataFrame, policy: Policy) -> dict[str, object]:
    settings = settings_for(policy, True)
    out = {}
    for i, name in enumerate(frame.columns):
        scan = cc.classify(str(name), read_column(frame, i, None), settings)
        out[str(name)] = (scan.to_dict(), scan.values_scanned)
    return out


def _evidence_view(evidence: list[ColumnEvidence], names: list[str], policy: Policy) -> dict:
    scans = judge_columns(names, evidence, policy, True)
    return {s.name: (s.to_dict(), s.values_scanned) for s in scans}


@pytest.mark.parametrize("build", [customers, mixed], ids=["customers", "mixed-dtypes"])
def test_judged_evidence_equals_the_classifier_on_the_same_values(build) -> None:
    frame = build(1_500)
    policy = Policy()
    names = [str(c) for c in frame.columns]
    assert _evidence_view(collect_frame(frame), names, policy) == _classifier_view(frame, policy)


@pytest.mark.parametrize("batches", [1, 3, 7])
def test_merge_in_any_grouping_gives_one_batchs_result(batches: int) -> None:
    frame = customers(2_100)
    names = [str(c) for c in frame.columns]
    policy = Policy()
    whole = _evidence_view(collect_frame(frame), names, policy)
    bounds = [round(i * len(frame) / batches) for i in range(batches + 1)]
    parts = [collect_frame(frame.iloc[a:b]) for a, b in itertools.pairwise(bounds)]
    # a right-leaning fold and a balanced tree
    assert _evidence_view(merge_all(parts), names, policy) == whole
    parts = [collect_frame(frame.iloc[a:b]) for a, b in itertools.pairwise(bounds)]
    while len(parts) > 1:
        parts = [merge_all(parts[i : i + 2]) for i in range(0, len(parts), 2)]
    assert _evidence_view(parts[0], names, policy) == whole


def test_evidence_travels_as_json_and_back() -> None:
    frame = customers(300)
    for ev in collect_frame(frame):
        again = ColumnEvidence.from_json(ev.to_json())
        assert again == ev


def test_past_the_distinct_cap_a_hash_sample_keeps_counts_and_prevalence() -> None:
    rng = random.Random(3)
    values = [f"person{i}@example.com" if i % 4 == 0 else f"order-{i:07d}" for i in range(40_000)]
    rng.shuffle(values)
    frame = pd.DataFrame({"contact": values})
    parts = [
        collect_frame(frame.iloc[i : i + 5_000], max_distinct=2_000)
        for i in range(0, 40_000, 5_000)
    ]
    merged = merge_all(parts)
    ev = merged[0]
    assert not ev.complete and ev.level >= 4
    assert len(ev.texts) <= 2_000
    assert ev.seen == 40_000
    # a value kept once is kept everywhere: the same kept set as one big batch at that level
    single = collect_frame(frame, max_distinct=2_000)[0]
    assert single.level == ev.level and single.texts == ev.texts
    scan = judge_columns(["contact"], merged, Policy(), True)[0]
    assert scan.entity_types == ["EMAIL_ADDRESS"]
    assert 0.2 <= scan.entities[0].fraction <= 0.3
    assert abs(scan.values_scanned - 40_000) < 8_000


def test_blank_strings_and_nulls_count_as_nulls() -> None:
    frame = pd.DataFrame({"x": ["a@b.example.com", "  ", None, "", "a@b.example.com"]})
    ev = collect_frame(frame)[0]
    assert ev.texts == {"a@b.example.com": 2}
    assert ev.nulls == 3 and ev.seen == 2


def test_judged_columns_carry_masked_examples_only() -> None:
    frame = customers(500)
    scans = judge_columns([str(c) for c in frame.columns], collect_frame(frame), Policy(), True)
    wire = "".join(scan_to_json(s) for s in scans)
    for column in ("email", "ssn", "card", "iban", "full_name"):
        for raw in frame[column].head(50):
            assert str(raw) not in wire
    assert [scan_from_json(scan_to_json(s)) for s in scans] == scans
