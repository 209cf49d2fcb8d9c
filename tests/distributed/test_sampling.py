"""Sample sizes, seeded row samples and partition plans."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from nbsec.pii import entity_patterns as ep
from nbsec.pii import sample_size as ss
from nbsec.pii.partition_sample import MIN_PARTITIONS, every_row, plan
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


def test_the_stated_figures_are_the_computed_ones() -> None:
    doc = " ".join((ss.__doc__ or "").split())
    needed = ss.rows_needed()
    threshold = 2 * ss.LOWEST_THRESHOLD
    assert f"{needed:,} rows for the 0.2 % threshold" in doc
    assert f"({100 * ss.detection_probability(needed, threshold):.2f} %)" in doc
    sample = PiiSettings().sample
    assert f"({sample:,} rows by default)" in doc
    assert f"gives {100 * ss.detection_probability(sample, threshold):.2f} %" in doc
    assert f"1,600 rows would give {100 * ss.detection_probability(1_600, threshold):.0f} %" in doc


def test_bernoulli_fraction_keeps_the_sample() -> None:
    for sample, rows in ((10_000, 100_000_000), (2_000, 400_000), (500, 3_000)):
        fraction = ss.bernoulli_fraction(sample, rows)
        # exact binomial: fewer than `sample` rows kept with probability at most 0.1 %
        assert ss._binomial_cdf(sample - 1, rows, fraction) <= 1 - ss.BERNOULLI_CONFIDENCE
        assert fraction * rows < sample * 1.25
        # sample / rows, the plain fraction, keeps too few rows about half of the time
        assert ss._binomial_cdf(sample - 1, rows, sample / rows) > 0.45
    assert ss.bernoulli_fraction(10_000, 10_200) == 1.0
    assert ss.bernoulli_fraction(10_000, 9_000) == 1.0


def _shares(layout, lengths):  # type: ignore[no-untyped-def]
    return [q / lengths[i] for i, q in zip(layout.chosen, layout.quotas, strict=True)]


def test_many_small_partitions_reach_the_sample() -> None:
    lengths = [50] * 1_000
    layout = plan(lengths, 10_000)
    assert len(layout.chosen) == 200 and layout.quotas == (50,) * 200
    assert layout.rows_sampled == 10_000
    assert max(layout.chosen) - min(layout.chosen) > 900  # spread over the frame
    assert layout == plan(lengths, 10_000)  # seeded
    assert ss.detection_probability(layout.rows_sampled, 2 * ss.LOWEST_THRESHOLD) > 0.999


def test_large_partitions_are_read_by_32() -> None:
    layout = plan([100_000] * 1_000, 10_000)
    assert len(layout.chosen) == MIN_PARTITIONS and set(layout.quotas) == {313}
    assert 10_000 <= layout.rows_sampled < 10_000 + MIN_PARTITIONS


def test_uneven_partitions_are_sampled_in_proportion() -> None:
    lengths = [40_000, 4_000, 4_000, 2_000]
    layout = plan(lengths, 10_000)
    assert layout.chosen == (0, 1, 2, 3) and layout.quotas == (8_000, 800, 800, 400)
    rng = random.Random(3)
    lengths = [rng.choice([0, 7, 120, 2_500, 30_000]) for _ in range(300)]
    for sample in (2_000, 10_000):
        layout = plan(lengths, sample)
        chosen_rows = sum(lengths[i] for i in layout.chosen)
        assert sample <= layout.rows_sampled < sample + len(layout.chosen)
        assert len(layout.chosen) >= MIN_PARTITIONS and chosen_rows >= sample
        assert all(lengths[i] > 0 for i in layout.chosen)
        assert all(q <= lengths[i] for i, q in zip(layout.chosen, layout.quotas, strict=True))
        # every chosen row has the same chance, up to the rounding up of each quota
        assert all(
            sample / chosen_rows <= share <= sample / chosen_rows + 1 / lengths[i]
            for i, share in zip(layout.chosen, _shares(layout, lengths), strict=True)
        )


def test_small_frames_and_full_passes_read_every_row() -> None:
    assert plan([3_000, 0, 4_000], 10_000) == every_row(3)
    assert plan([3_000, 0, 4_000], 10_000).exhaustive
    assert plan([], 10_000).chosen == (0,)
    full = every_row(1_000)
    assert full.exhaustive and len(full.chosen) == 1_000 and full.quota(5) == 0
