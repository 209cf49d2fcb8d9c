"""Which partitions a sampled scan of a Dask frame reads, and how many rows of each.

A Dask partition can only be computed whole, so sampling every partition would read the whole
frame. The plan is made from the partitions' row counts (:func:`plan`; the caller gets them from
file metadata when Dask has it, else from one ``len`` per partition computed by Dask) so that the
sample has the policy's ``pii.sample`` rows (see :mod:`nbsec.pii.sample_size` for what that buys),
or every row when the frame has fewer:

* partitions are taken in a seeded random order, skipping empty ones, until at least
  ``min(MIN_PARTITIONS, non-empty partitions)`` are chosen **and** they hold at least ``sample``
  rows: 32 partitions of a frame of large partitions, 200 of a frame of 50-row partitions;
* each chosen partition gives a share of the sample proportional to its rows,
  ``ceil(sample * rows_i / chosen_rows)`` (never more than it has), taken as a seeded uniform
  sample (:class:`~nbsec.pii.row_sample.BottomK`) of its rows. The quotas add up to at least
  ``sample``; every row of the chosen partitions has the same chance, whatever their sizes, so
  the shares of the sample are those of the chosen rows.

A frame of at most ``MIN_PARTITIONS`` partitions (or whose partitions are all needed to reach
``sample`` rows) is sampled from every partition: a stratified sample with proportional allocation.
With more partitions it is a two-stage (cluster) sample: the binomial guarantee of
:mod:`nbsec.pii.sample_size` holds when personal data is spread over partitions independently of
their order; a column whose personal data sits in a few partitions is seen with the probability
that the draw reaches them. (Spark frames use Spark's row-level Bernoulli sample instead, since
Spark can sample inside its scan: see :mod:`nbsec.pii.spark_frames`.)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from nbsec.pii.row_sample import SEED

MIN_PARTITIONS = 32  # a sample is spread over at least this many partitions (or all)


@dataclass(frozen=True)
class PartitionSample:
    """Which partitions a scan reads and how many rows of each it keeps."""

    partitions: int  # partitions of the frame
    chosen: tuple[int, ...]  # partitions read (all of them for a full pass)
    quotas: tuple[int, ...] = ()  # rows sampled of each chosen partition (empty: every row)
    seed: int = SEED

    @property
    def exhaustive(self) -> bool:
        return not self.quotas

    @property
    def rows_sampled(self) -> int:
        """Rows the sample keeps (0 for a full pass, which keeps every row)."""
        return sum(self.quotas)

    def quota(self, position: int) -> int:
        """Rows kept of the ``position``-th chosen partition (0: every row)."""
        return self.quotas[position] if self.quotas else 0


def every_row(partitions: int) -> PartitionSample:
    """A full pass: every row of every partition."""
    partitions = max(1, partitions)
    return PartitionSample(partitions, tuple(range(partitions)))


def plan(lengths: Sequence[int], sample: int) -> PartitionSample:
    """The sample plan for partitions of ``lengths`` rows and a sample of ``sample`` rows (a
    full pass when the frame has at most ``sample`` rows)."""
    lengths = [max(0, int(n)) for n in lengths]
    sample = max(1, sample)
    if sum(lengths) <= sample:
        return every_row(len(lengths))
    filled = [i for i, n in enumerate(lengths) if n > 0]
    rng = random.Random(SEED)  # noqa: S311 - sampling, not secrets
    order = rng.sample(filled, len(filled))
    least = min(MIN_PARTITIONS, len(filled))
    chosen: list[int] = []
    covered = 0
    for index in order:
        if len(chosen) >= least and covered >= sample:
            break
        chosen.append(index)
        covered += lengths[index]
    chosen.sort()
    # ceil(sample * n / covered) <= n because covered >= sample: no quota exceeds its partition
    quotas = tuple(-(-sample * lengths[i] // covered) for i in chosen)
    return PartitionSample(len(lengths), tuple(chosen), quotas)
