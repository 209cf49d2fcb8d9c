"""Seeded uniform row samples from a stream of pandas batches, in bounded memory.

Every row read gets a random key from a seeded generator; the ``k`` rows with the smallest keys
are the sample. That is a uniform sample without replacement of the rows seen, whatever the batch
sizes, it never holds more than ``k`` rows plus one batch, and the same seed over the same rows
gives the same sample. Used per partition by the Spark and Dask scans and over a whole file by
``nbsec pii --engine local``.
"""

from __future__ import annotations

from typing import Any

SEED = 20240531


class BottomK:
    """Keep the ``k`` rows with the smallest random keys among all rows added."""

    def __init__(self, k: int, seed: int = SEED) -> None:
        import numpy as np

        if k <= 0:
            raise ValueError("a sample needs at least one row")
        self.k = k
        self.rows_seen = 0
        self._rng = np.random.default_rng(seed)
        self._keys: Any = np.empty(0)
        self._frame: Any = None

    def add(self, batch: Any) -> None:
        """Offer every row of a pandas batch to the sample."""
        import numpy as np
        import pandas as pd

        n = len(batch)
        if n == 0:
            return
        self.rows_seen += n
        keys = self._rng.random(n)
        if self._frame is not None and len(self._keys) >= self.k:
            threshold = self._keys.max()
            chosen = np.flatnonzero(keys < threshold)
            if not len(chosen):
                return
            batch, keys = batch.iloc[chosen], keys[chosen]
        if self._frame is None:
            frame, all_keys = batch, keys
        else:
            frame = pd.concat([self._frame, batch], ignore_index=True)
            all_keys = np.concatenate([self._keys, keys])
        if len(all_keys) > self.k:
            best = np.argpartition(all_keys, self.k - 1)[: self.k]
            best.sort()
            frame, all_keys = frame.iloc[best], all_keys[best]
        self._frame = frame.reset_index(drop=True)
        self._keys = all_keys

    def frame(self) -> Any:
        """The sampled rows (a pandas frame; ``None`` if no row was offered)."""
        return self._frame
