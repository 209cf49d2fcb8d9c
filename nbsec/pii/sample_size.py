"""How many rows a sampled PII scan reads, and what that buys.

A column is labelled with an entity when the scanned values reach the entity's threshold: a share
of rows (``min_fraction``, 0.2 % for e-mail addresses and cards, the lowest of all entities) and a
number of distinct values (``min_hits``, 2-3). Whether a sample of ``n`` rows sees a column's
personal data is a binomial question: with true prevalence ``p``, the number of matching rows in
the sample is ``Binomial(n, p)``, and the column is labelled when that count reaches
``max(min_hits, ceil(min_fraction * n))``.

A column that sits exactly at the threshold is labelled half of the time whatever ``n`` is, so the
statement nbsec makes is about a margin: **a column whose prevalence is at least twice the lowest
threshold is labelled with probability at least 99 %**. :func:`rows_needed` gives the smallest
``n`` for which that holds: 4,000 rows for the 0.2 % threshold (99.01 %). The policy's
``pii.sample`` (10,000 rows by default) is above it and gives 99.98 %; 1,600 rows would give
88 %. pandas, polars, Spark and Dask frames and ``nbsec pii`` files all use the same
``pii.sample``.

Spark frames are sampled by Spark's own row-level Bernoulli sample, whose fraction
(:func:`bernoulli_fraction`) is set so that it keeps at least ``pii.sample`` rows with probability
99.9 % (about 3 % more rows on average), so the statement holds as is. Dask frames are sampled
from a seeded choice of partitions, each in proportion to its rows, together at least
``pii.sample`` rows (see :mod:`nbsec.pii.partition_sample`): the statement holds when a column's
personal data is spread over partitions independently of their order; when it is concentrated in
a few partitions the sample is a cluster sample and its effective size is smaller, which
:func:`cluster_effective_rows` estimates.
"""

from __future__ import annotations

import math
from statistics import NormalDist

CONFIDENCE = 0.99
MARGIN = 2.0
LOWEST_THRESHOLD = 0.002  # e-mail, card and IBAN: see nbsec.pii.entity_patterns.SPECS
LOWEST_MIN_HITS = 3
BERNOULLI_CONFIDENCE = 0.999  # chance that a Bernoulli sample keeps at least the rows asked


def _binomial_cdf(k: int, n: int, p: float) -> float:
    """P[X <= k] for X ~ Binomial(n, p), summed in log space (exact, no scipy)."""
    if k < 0:
        return 0.0
    if k >= n or p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for i in range(k + 1):
        log_term = (
            math.lgamma(n + 1)
            - math.lgamma(i + 1)
            - math.lgamma(n - i + 1)
            + i * log_p
            + (n - i) * log_q
        )
        total += math.exp(log_term)
    return min(total, 1.0)


def rows_to_label(n: int, min_fraction: float, min_hits: int) -> int:
    """Matching rows a sample of ``n`` rows must hold for the column to be labelled."""
    return max(min_hits, math.ceil(min_fraction * n))


def detection_probability(
    n: int,
    prevalence: float,
    min_fraction: float = LOWEST_THRESHOLD,
    min_hits: int = LOWEST_MIN_HITS,
) -> float:
    """Probability that ``n`` sampled rows label a column whose true share is ``prevalence``."""
    if n <= 0:
        return 0.0
    need = rows_to_label(n, min_fraction, min_hits)
    return 1.0 - _binomial_cdf(need - 1, n, prevalence)


def rows_needed(
    min_fraction: float = LOWEST_THRESHOLD,
    min_hits: int = LOWEST_MIN_HITS,
    *,
    confidence: float = CONFIDENCE,
    margin: float = MARGIN,
) -> int:
    """The smallest sample that labels a column at ``margin`` times the threshold with
    probability ``confidence`` (searched in steps of 100 rows)."""
    if not 0.0 < confidence < 1.0 or margin <= 1.0 or not 0.0 < min_fraction < 1.0:
        raise ValueError("confidence in (0, 1), margin > 1 and min_fraction in (0, 1) expected")
    prevalence = min(1.0, margin * min_fraction)
    n = 100
    while detection_probability(n, prevalence, min_fraction, min_hits) < confidence:
        n += 100
        if n > 10_000_000:  # pragma: no cover - unreachable for margins above 1
            break
    return n


def cluster_effective_rows(n: int, clusters: int, intra_correlation: float) -> float:
    """Kish's effective sample size of ``n`` rows drawn as ``clusters`` equal clusters, when rows
    of one partition are correlated by ``intra_correlation`` (0: as good as independent rows)."""
    if clusters <= 0 or n <= 0:
        return 0.0
    per_cluster = n / clusters
    return n / (1.0 + (per_cluster - 1.0) * max(0.0, intra_correlation))


def bernoulli_fraction(
    sample: int, rows: int, *, confidence: float = BERNOULLI_CONFIDENCE
) -> float:
    """The fraction of a Bernoulli sample of ``rows`` rows that keeps at least ``sample`` rows
    with probability ``confidence`` (1.0: every row is needed).

    The kept rows are ``Binomial(rows, f)``, of mean ``m = f * rows`` and standard deviation at
    most ``sqrt(m)``; ``m - z * sqrt(m) = sample`` (``z`` the normal quantile of ``confidence``)
    gives ``sqrt(m) = (z + sqrt(z^2 + 4 * sample)) / 2``: about ``sample + 3.1 * sqrt(sample)``.
    """
    if rows <= 0 or sample >= rows:
        return 1.0
    z = NormalDist().inv_cdf(confidence)
    mean = ((z + math.sqrt(z * z + 4.0 * sample)) / 2.0) ** 2
    return min(1.0, mean / rows)
