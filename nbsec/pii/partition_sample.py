"""Which partitions a sampled scan of a Dask frame reads, and how many rows of each.

A Dask partition can only be computed whole, so sampling every partition would read the whole
frame. The sample has the policy's ``pii.sample`` rows (see :mod:`nbsec.pii.sample_size` for what
that buys), split evenly over ``S = min(partitions, MAX_PARTITIONS)`` partitions chosen by a
seeded random draw: ``quota`` rows each, a seeded uniform sample
(:class:`~nbsec.pii.row_sample.BottomK`) of the partition's rows. A frame of at most
``MAX_PARTITIONS`` partitions is sampled from every partition.

With more partitions it is a two-stage (cluster) sample: the binomial guarantee of
:mod:`nbsec.pii.sample_size` holds when personal data is spread over partitions independently of
their order; a column whose personal data sits in a few partitions is seen with the probability
that the draw reaches them. (Spark frames use Spark's row-level Bernoulli sample instead, since
Spark can sample inside its scan: see :mod:`nbsec.pii.spark_frames`.)
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from nbsec.pii.row_sample import SEED

MAX_PARTITIONS = 32


@dataclass(frozen=True)
class PartitionSample:
    """Which partitions a scan reads and how many rows of each it keeps."""

    partitions: int  # partitions of the frame
    chosen: tuple[int, ...]  # partitions read (all of them for a full pass)
    quota: int  # rows sampled per chosen partition (0: every row)
    seed: int = SEED

    @property
    def exhaustive(self) -> bool:
        return self.quota == 0


def plan(partitions: int, sample: int, *, exhaustive: bool = False) -> PartitionSample:
    """The sample plan for a frame of ``partitions`` partitions and a sample of ``sample`` rows."""
    partitions = max(1, partitions)
    if exhaustive:
        return PartitionSample(partitions, tuple(range(partitions)), 0)
    count = min(partitions, MAX_PARTITIONS)
    if count == partitions:
        chosen = tuple(range(partitions))
    else:
        rng = random.Random(SEED)  # noqa: S311 - sampling, not secrets
        chosen = tuple(sorted(rng.sample(range(partitions), count)))
    return PartitionSample(partitions, chosen, max(1, math.ceil(sample / count)))
