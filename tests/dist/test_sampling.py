"""Sample sizes, seeded row samples and partition plans."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from nbsec.pii import entity_patterns as ep
from nbsec.pii import sample_size as ss
from nbsec.pii.partition_sample import MAX_PARTITIONS, plan
from nbsec.pii.row_sample import BottomK
from nbsec.policy import PiiSettings


def test_the_stated_threshold_is_the_engines_lowest() -> None:
    lowest = min(ep.SPECS.values(), key=lambda s: (s.min_fraction, -s.min_hits))
    assert lowest.min_fraction == ss.LOWEST_THRESHOLD
    assert (
        max(s.min_hits for s in ep.SPECS.values() if s.min_fraction == lowest.min_fraction)
        == ss.LOWEST_MIN_HITS
    )


def test_the_default_sample_meets_the_stated_confidence() -> None:
    needed = ss.rows_needed()
    assert 2_000 < needed <= PiiSettings().sample
    assert ss.detection_probability(needed, 2 * ss.LOWEST_THRESHOLD) >= 0.99
    assert ss.detection_probability(needed - 500, 2 * ss.LOWEST_THRESHOLD) < 0.99
    assert ss.detection_probability(PiiSettings().sample, 2 * ss.LOWEST_THRESHOLD) > 0.999


@pytest.mark.parametrize(
    ("n", "p", "low", "high"),
    [(10_000, 0.002, 0.45, 0.6), (10_000, 0.0, 0.0, 0.0), (100, 0.5, 0.99, 1.0)],
)
def test_detection_probability_against_the_binomial(n: int, p: float, low: float, high: float):
    assert low <= ss.detection_probability(n, p) <= high


def test_stated_confidence_holds_empirically() -> None:
    """Columns with personal data at twice the threshold, sampled as the engine samples."""
    rng = random.Random(4)
    n, prevalence, trials = ss.rows_needed(), 2 * ss.LOWEST_THRESHOLD, 400
    need = ss.rows_to_label(n, ss.LOWEST_THRESHOLD, ss.LOWEST_MIN_HITS)
    seen = sum(sum(rng.random() < prevalence for _ in range(n)) >= need for _ in range(trials))
    assert seen / trials >= 0.97


def test_cluster_sample_effective_size() -> None:
    assert ss.cluster_effective_rows(10_000, 32, 0.0) == 10_000
    assert ss.cluster_effective_rows(10_000, 32, 1.0) == pytest.approx(32)


def test_bottom_k_is_seeded_uniform_and_bounded() -> None:
    rows = pd.DataFrame({"i": range(100_000)})
    picks = []
    for seed in (1, 1, 2):
        sampler = BottomK(1_000, seed)
        for start in range(0, 100_000, 7_000):
            sampler.add(rows.iloc[start : start + 7_000])
            assert len(sampler.frame()) <= 1_000
        picks.append(sorted(sampler.frame()["i"]))
    assert picks[0] == picks[1] != picks[2]
    assert len(set(picks[0])) == 1_000 and sampler.rows_seen == 100_000
    deciles = pd.Series(picks[0]) // 10_000
    assert deciles.value_counts().min() >= 60  # every tenth of the stream is represented


def test_partition_plans() -> None:
    small = plan(5, 10_000)
    assert small.chosen == (0, 1, 2, 3, 4) and small.quota == 2_000
    big = plan(1_000, 10_000)
    assert len(big.chosen) == MAX_PARTITIONS and big.quota == 313
    assert big.chosen == plan(1_000, 10_000).chosen  # seeded
    assert max(big.chosen) - min(big.chosen) > 500  # spread over the frame
    full = plan(1_000, 10_000, exhaustive=True)
    assert full.exhaustive and len(full.chosen) == 1_000
