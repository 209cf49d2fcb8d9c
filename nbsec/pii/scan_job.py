"""The incremental, deadline-aware frame scan: bounded steps, resumable, with progress and cancel.

A :class:`ScanJob` plans a frame's scan as *rounds* over a seeded random sample of rows (every
sampled row has the same chance): round 0 reads the first 200 sampled rows of every column, so
the whole width is seen early; round 1 reads up to 2,000; round 2 the rest of the sample (or, for
an exhaustive scan, every row in blocks). Each step reads one slice of one column (bounded in
rows and in characters) and adds its :class:`~nbsec.pii.evidence.ColumnEvidence`; a column that
one entity already fills stops early. :meth:`ScanJob.run` takes a deadline and checks it between
steps, so the kernel's 50 ms budget holds for a 50,000 x 100 frame of text as for a tiny one; a
job that ran out of time keeps its place and continues on the next :meth:`run` (a background
thread, ``%nbsec scan`` or the panel's Full scan), and :meth:`ScanJob.result` at any point gives
the verdicts so far, marked ``partial``. :meth:`ScanJob.cancel` stops it; :attr:`progress` says
how far it got.

The index (when it is not the default range) and the column names themselves are scanned as two
more columns, ``(index)`` and ``(column names)``: people's names as column headers of a pivot,
e-mail addresses as the index of a frame.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nbsec.errors import InputError
from nbsec.pii import evidence as evm
from nbsec.pii import judge as jm
from nbsec.pii import recognizers as rz
from nbsec.pii.column_values import (
    ColumnValues,
    collect,
    column_names,
    frame_height,
    is_pandas,
    is_polars,
    read_column,
)
from nbsec.pii.results import ColumnScan, FrameScan
from nbsec.policy import Policy

SEED = 20240531
ROUNDS = (200, 2_000)  # sampled rows read by the end of round 0 and round 1
SETTLED_FRACTION = 0.9
STEP_CHARS = 120_000  # characters of one column read in one step (bounds a step's time)
EXHAUSTIVE_BLOCK = 50_000
INDEX_COLUMN = jm.INDEX_COLUMN
NAMES_COLUMN = jm.NAMES_COLUMN


@dataclass(frozen=True)
class EngineSettings:
    """What a policy asks of the engine, resolved once per scan."""

    regions: tuple[str, ...] = ("US",)
    yaml_files: tuple[str, ...] = ()
    judge: jm.JudgeSettings = field(default_factory=jm.JudgeSettings)
    max_validations: int | None = 400
    max_lexicon_values: int | None = 3_000
    spacy_model: str = ""

    def registry(self) -> rz.Registry:
        return rz.registry(self.regions, self.yaml_files)

    def collect_options(self) -> evm.CollectOptions:
        ner = None
        if self.spacy_model:
            from nbsec.pii.engine import ner_function

            ner = ner_function(self.spacy_model)
        return evm.CollectOptions(
            max_validations=self.max_validations,
            max_lexicon_values=self.max_lexicon_values,
            entities=self.judge.entities if self.judge.entities else None,
            ner=ner,
        )


def settings_from_policy(policy: Policy | None, exhaustive: bool = False) -> EngineSettings:
    from nbsec.pii.validators import phone_regions

    if policy is None:
        from nbsec.policy import load_policy

        policy = load_policy(None)
    pii = policy.pii
    base = policy.source.parent if policy.source else None
    yaml_files = tuple(str(base / p) if base and not _absolute(p) else p for p in pii.recognizers)
    return EngineSettings(
        regions=phone_regions(pii.regions),
        yaml_files=yaml_files,
        judge=jm.JudgeSettings(
            entities=frozenset(pii.entities) if pii.entities else None,
            deny=frozenset(pii.deny_entities),
            min_score=pii.min_score,
        ),
        max_validations=None if exhaustive else 400,
        max_lexicon_values=None if exhaustive else 3_000,
        spacy_model=pii.spacy_model,
    )


def _absolute(path: str) -> bool:
    from pathlib import Path

    return Path(path).is_absolute()


@dataclass
class _Column:
    key: str
    index: int | None  # position in the frame; None for the pseudo-columns
    settled: bool = False
    rows_read: int = 0


class ScanJob:
    """One frame's scan, run in bounded steps (see the module docstring)."""

    def __init__(
        self,
        df: Any,
        *,
        sample: int | None = None,
        exhaustive: bool = False,
        policy: Policy | None = None,
        settings: EngineSettings | None = None,
    ) -> None:
        if (
            (is_pandas(df) or is_polars(df))
            and hasattr(df, "to_frame")
            and not hasattr(df, "columns")
        ):
            df = df.to_frame()
        if not (is_pandas(df) or is_polars(df)) or not hasattr(df, "columns"):
            raise InputError(
                f"scan_dataframe expects a pandas or polars DataFrame, not {type(df)!r}"
            )
        pii_sample = policy.pii.sample if policy is not None else None
        self.settings = settings or settings_from_policy(policy, exhaustive)
        self.frame = df
        self.rows = frame_height(df)
        k = sample if sample is not None else (pii_sample or 10_000)
        if k <= 0:
            raise InputError("scan_dataframe: sample must be a positive number of rows")
        self.exhaustive = exhaustive
        self.full = exhaustive or self.rows <= k
        self.sample_size = self.rows if self.full else k
        self._order = self._sample_order()
        self.columns: list[_Column] = []
        taken: set[str] = set()
        for index, name in enumerate(column_names(df)):
            key = _unique_key(name, taken)
            taken.add(key)
            self.columns.append(_Column(key, index))
        self._extra: dict[str, ColumnValues] = _pseudo_columns(df)
        for key in self._extra:
            self.columns.append(_Column(_unique_key(key, taken), None))
        self.evidence: dict[str, evm.ColumnEvidence] = {}
        self._bounds = self._round_bounds()
        self._round = 0
        self._cursor = 0  # column position within the round
        self._offset = 0  # row offset within the round for the current column
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self.started = time.perf_counter()
        self.elapsed = 0.0
        self._registry: rz.Registry | None = None
        self._options: evm.CollectOptions | None = None
        self.step_chars = STEP_CHARS  # smaller in a kernel, so a step fits in a cell's budget
        self.core = False  # True while only nbsec's core recognizers are used (see ``run``)
        # a complete pass (and a follow-up of a core pass) waits for presidio's recognizers
        self.wait_for_full = exhaustive

    # -- planning ---------------------------------------------------------------------------
    def _sample_order(self) -> Any:
        import numpy as np

        if self.full:
            return None
        # random.sample draws k distinct positions in O(k) memory
        chosen = random.Random(SEED).sample(range(self.rows), self.sample_size)  # noqa: S311
        return np.array(chosen, dtype=np.int64)

    def _round_bounds(self) -> list[int]:
        n = self.sample_size
        if self.exhaustive:
            bounds = [min(n, ROUNDS[0])]
            while bounds[-1] < n:
                bounds.append(min(n, bounds[-1] + EXHAUSTIVE_BLOCK if bounds[-1] else n))
            return bounds
        return sorted({min(n, b) for b in (*ROUNDS, n)})

    # -- state ------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """Every planned read made (with nbsec's core recognizers only when ``core``)."""
        return self._round >= len(self._bounds)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def progress(self) -> float:
        """0..1: the share of planned (column, row) reads done."""
        if self.done:
            return 1.0
        total = max(1, len(self.columns) * self.sample_size)
        read = sum(min(c.rows_read, self.sample_size) if not c.settled else self.sample_size
                   for c in self.columns)  # fmt: skip
        return min(0.99, read / total)

    # -- running ----------------------------------------------------------------------------
    def ready(self) -> bool:
        """Is the recognizer set built (so a step costs only its own work)?"""
        return self._registry is not None or rz.is_built(
            self.settings.regions, self.settings.yaml_files
        )

    def run(self, deadline: float | None = None) -> bool:
        """Work until done, cancelled or ``deadline`` (a ``time.perf_counter()`` value) passes,
        one bounded step at least. Returns whether the scan is complete. With a deadline and the
        recognizers not yet built, it starts building them in the background and returns at
        once; a job busy in another thread past the deadline is left to it."""
        if deadline is None:
            self._lock.acquire()
        elif not self._lock.acquire(timeout=max(0.0, deadline - time.perf_counter())):
            return self.done
        try:
            began = time.perf_counter()
            try:
                if self._registry is None:
                    if deadline is not None and not self.ready() and self.wait_for_full:
                        # a complete pass waits for the whole set (built in the background),
                        # sleeping (not spinning) until the deadline; why a build failed is
                        # this job's error
                        regions, files = self.settings.regions, self.settings.yaml_files
                        rz.build_in_background(regions, files)
                        while rz.is_building(regions, files) and not self.cancelled:
                            if time.perf_counter() >= deadline:
                                return False
                            time.sleep(0.01)
                        failed = rz.build_error(regions, files)
                        if failed is not None:
                            raise failed
                        if self.cancelled:
                            return False
                    if deadline is not None and not self.ready() and not self.wait_for_full:
                        # never wait seconds for presidio inside a cell: nbsec's own core
                        # recognizers now, the whole set when the background build is done
                        rz.build_in_background(self.settings.regions, self.settings.yaml_files)
                        self._registry = rz.core_registry(self.settings.regions)
                        self.core = True
                    else:
                        self._registry = self.settings.registry()
                    self._options = self.settings.collect_options()
                    if self.core:
                        from dataclasses import replace

                        from nbsec.pii import lexicons

                        self._options = replace(self._options, shape=lexicons.is_loaded())
                # one bounded step at least, so every call makes progress; then the deadline
                while not self.done and not self.cancelled:
                    self._step()
                    if deadline is not None and time.perf_counter() >= deadline:
                        return self.done
                return self.done
            finally:
                self.elapsed += time.perf_counter() - began
        finally:
            self._lock.release()

    def _step(self) -> None:
        """Read one bounded slice of one column, or move to the next column / round."""
        if self._cursor >= len(self.columns):
            self._round += 1
            self._cursor = 0
            self._offset = 0
            return
        column = self.columns[self._cursor]
        low = self._bounds[self._round - 1] if self._round else 0
        high = self._bounds[self._round]
        if column.settled or (column.index is None and self._round > 0):
            self._next_column()
            return
        if column.index is None:
            values = self._extra[column.key]
            self._add(column, values)
            column.rows_read = self.sample_size
            self._next_column()
            return
        start = low + self._offset
        if start >= high:
            self._after_column(column)
            return
        stop = min(high, start + self._step_rows(column, high - start))
        positions = self._positions(start, stop)
        values = read_column(self.frame, column.index, positions)
        self._add(column, values)
        column.rows_read = stop
        self._offset = stop - low
        if stop >= high:
            self._after_column(column)

    def _step_rows(self, column: _Column, remaining: int) -> int:
        ev = self.evidence.get(column.key)
        if ev is None or not ev.values:
            return min(remaining, ROUNDS[0], max(20, self.step_chars // 200))
        chars = max(8, ev.chars // max(ev.texts, 1)) if ev.texts else 8
        return max(20, min(remaining, self.step_chars // chars))

    def _positions(self, start: int, stop: int) -> Any:
        import numpy as np

        if self._order is None:
            return np.arange(start, stop, dtype=np.int64)
        return np.sort(self._order[start:stop])

    def _add(self, column: _Column, values: ColumnValues) -> None:
        assert self._registry is not None and self._options is not None
        batch = evm.collect(column.key, values, self._registry, self._options)
        mine = self.evidence.get(column.key)
        self.evidence[column.key] = mine.merge(batch) if mine else batch

    def _after_column(self, column: _Column) -> None:
        settle = self._bounds[self._round] >= min(ROUNDS[1], self.sample_size)
        if settle and not self.exhaustive and self._round + 1 < len(self._bounds):
            ev = self.evidence.get(column.key)
            if ev is not None and ev.values and self._settled(ev):
                column.settled = True
        self._next_column()

    def _settled(self, ev: evm.ColumnEvidence) -> bool:
        assert self._registry is not None
        scan = jm.judge_frame({ev.name: ev}, self._registry, self.settings.judge)[ev.name]
        return any(e.fraction >= SETTLED_FRACTION for e in scan.entities)

    def _next_column(self) -> None:
        self._cursor += 1
        self._offset = 0

    # -- results ----------------------------------------------------------------------------
    def result(self) -> FrameScan:
        """The verdicts so far (``partial`` until the job is done)."""
        # never build presidio's set here (seconds): a job that has not started yet is judged
        # with the core set unless the whole one is ready
        registry = self._registry or (
            self.settings.registry() if self.ready() else rz.core_registry(self.settings.regions)
        )
        # a copy made in one step under the GIL: never waits for a step in another thread
        evidence = dict(self.evidence)
        verdicts = jm.judge_frame(evidence, registry, self.settings.judge)
        scanned = max((c.rows_read for c in self.columns if c.index is not None), default=0)
        out = FrameScan(
            rows=self.rows,
            rows_scanned=min(self.sample_size, scanned) if not self.done else self.sample_size,
            exhaustive=self.done and self.full,
        )
        out.partial = not self.done
        for column in self.columns:
            if column.key in verdicts:
                verdict = verdicts[column.key]
                if column.index is None and not verdict.entities:
                    continue  # the index and the names are listed only when they hold PII
                out.columns[column.key] = verdicts[column.key]
            elif column.index is not None:
                out.columns[column.key] = ColumnScan(name=column.key)
                out.pending.append(column.key)
        if self.rows == 0 and self.done:
            out.exhaustive = True
        return out


def _unique_key(name: str, taken: set[str] | Mapping[str, Any]) -> str:
    if name not in taken:
        return name
    i = 2
    while f"{name}.{i}" in taken:
        i += 1
    return f"{name}.{i}"


def _pseudo_columns(df: Any) -> dict[str, ColumnValues]:
    """The index (unless it is the default range) and the column names, as texts."""
    out: dict[str, ColumnValues] = {}
    if is_pandas(df):
        try:
            import pandas as pd

            index = df.index
            default = isinstance(index, pd.RangeIndex) or (
                index.dtype.kind in "iu" and index.is_monotonic_increasing and index.is_unique
            )
            if not default and not isinstance(index, pd.MultiIndex):
                out[INDEX_COLUMN] = collect(index[:2_000].tolist())
        except Exception:  # noqa: S110 - an exotic index is left out, never fatal
            pass
    names = [c for c in list(df.columns)[:2_000] if isinstance(c, str)]
    if len(names) >= 3:
        out[NAMES_COLUMN] = collect(names)
    return out


def scan_evidence(
    columns: Mapping[str, Sequence[Any]], settings: EngineSettings
) -> tuple[dict[str, evm.ColumnEvidence], rz.Registry]:
    """Evidence of a table given as header -> values (every value read), and the recognizer
    set that read it (the one to judge it with).

    presidio's and stdnum's recognizers (seconds to load in a fresh process) are loaded only
    when some value could be matched by a recognizer of theirs (:func:`~nbsec.pii.recognizers.
    value_needs_full_set`); a table of words, measurements, years and dates is read with the
    core set (:func:`~nbsec.pii.recognizers.core_registry`), which gives it the same verdicts."""
    kept = {
        name: collect(c for c in cells if c is not None and not _blank(c))
        for name, cells in columns.items()
    }
    wide = settings.yaml_files or any(
        rz.value_needs_full_set(v) for values in kept.values() for v in values.texts
    )
    registry = settings.registry() if wide else rz.core_registry(settings.regions)
    options = settings.collect_options()
    out: dict[str, evm.ColumnEvidence] = {}
    for name, values in kept.items():
        out[_unique_key(str(name), out)] = evm.collect(str(name), values, registry, options)
    return out, registry


def _blank(value: Any) -> bool:
    return isinstance(value, str) and value.strip() in ("", "NaN", "None", "<NA>", "NaT", "nan")
