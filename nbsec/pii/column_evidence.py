"""Per-column evidence: collected where the values are, merged anywhere, judged once.

This is the one seam between the PII engine and everything that scans data it cannot hold at
once (Spark executors, Dask workers, files streamed in chunks):

* :func:`collect_frame` - *collect evidence for these column values*: one
  :class:`ColumnEvidence` per column of a pandas batch;
* :meth:`ColumnEvidence.merge` - evidence of two batches of the same column, in any order and
  grouping (a tree of merges gives the same result as one batch);
* :func:`judge_columns` - *judge these merged columns*: the engine's column classifier turns
  merged evidence plus the column name into a :class:`~nbsec.pii.results.ColumnScan`.

The evidence is a bounded *distinct-value sample with exact counts*: each distinct value of the
column with the number of rows holding it. Up to ``max_distinct`` values it is exact; past that,
a value is kept only if the low ``level`` bits of a stable hash of it are zero, and ``level``
rises until the sample fits. A value is kept or dropped the same way in every batch and process,
so merged counts of kept values stay exact and the kept values are a uniform sample of the
distinct values; their counts are scaled by ``2**level`` when judged. Dates are kept apart (a
column's distinct calendar dates are few).

Because this evidence holds raw values, merging and judging run where the values already are
(on the executors or workers); only the judged :class:`ColumnScan` (entity types, shares and
masked examples) travels to the driver. Evidence is serialised as JSON, never pickled.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nbsec.pii.column_values import MAX_TEXT, ColumnValues, to_text
from nbsec.pii.results import ColumnScan

if TYPE_CHECKING:
    from nbsec.pii.column_classifier import Settings
    from nbsec.policy import Policy

MAX_DISTINCT = 20_000
_DATE_LIST_CAP = 50_000


def _hashes(texts: Sequence[str]) -> Any:
    """A stable 64-bit hash of each text (pandas' keyed SipHash: the same in every process)."""
    import numpy as np
    import pandas as pd

    return pd.util.hash_array(np.asarray(texts, dtype=object))


def _mask(level: int) -> int:
    return (1 << level) - 1


@dataclass
class ColumnEvidence:
    """What one column's values say, in a form that merges. See the module docstring."""

    texts: dict[str, int] = field(default_factory=dict)
    dates: dict[dt.date, int] = field(default_factory=dict)
    timed: int = 0  # date values with a time of day
    nulls: int = 0
    seen: int = 0  # non-null text values seen, kept or not
    level: int = 0
    max_distinct: int = MAX_DISTINCT

    @property
    def complete(self) -> bool:
        """True while every distinct value seen is kept (nothing was sampled away)."""
        return self.level == 0

    # -- collecting ------------------------------------------------------------------------
    def add_values(self, values: ColumnValues) -> None:
        """Add the output of :mod:`nbsec.pii.column_values` (one entry per row)."""
        counts = Counter(values.texts)
        self.add_text_counts(list(counts), list(counts.values()))
        for day, c in Counter(values.dates).items():
            self.dates[day] = self.dates.get(day, 0) + c
        self.timed += values.has_time
        self.nulls += values.nulls

    def add_text_counts(self, texts: Sequence[str], counts: Sequence[int] | Any) -> None:
        """Add distinct ``texts`` held by ``counts`` rows each."""
        import numpy as np

        if not len(texts):
            return
        counts_arr = np.asarray(counts, dtype=np.int64)
        self.seen += int(counts_arr.sum())
        if self.level or len(self.texts) + len(texts) > self.max_distinct:
            hashes = _hashes(texts)
            level = self._level_for(hashes)
            if level != self.level:
                self._prune(level)
            keep = (hashes & np.uint64(_mask(self.level))) == 0
            texts = np.asarray(texts, dtype=object)[keep].tolist()
            counts_arr = counts_arr[keep]
        held = self.texts
        for text, c in zip(texts, counts_arr.tolist(), strict=True):
            held[text] = held.get(text, 0) + c

    def _level_for(self, incoming: Any) -> int:
        import numpy as np

        level = self.level
        held = _hashes(list(self.texts)) if self.texts else np.zeros(0, dtype=np.uint64)
        while level < 60:
            m = np.uint64(_mask(level))
            kept = int(np.count_nonzero((incoming & m) == 0)) + int(
                np.count_nonzero((held & m) == 0)
            )
            if kept <= self.max_distinct:
                break
            level += 1
        return level

    def _prune(self, level: int) -> None:
        import numpy as np

        self.level = level
        if not self.texts:
            return
        keys = list(self.texts)
        keep = (_hashes(keys) & np.uint64(_mask(level))) == 0
        self.texts = {k: self.texts[k] for k, ok in zip(keys, keep.tolist(), strict=True) if ok}

    def add_series(self, series: Any) -> None:
        """Add one column of a pandas batch, de-duplicated before any per-value work."""
        import numpy as np
        import pandas as pd

        total = len(series)
        if total == 0:
            return
        dtype = series.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            series = series.astype(object)
            dtype = series.dtype
        if pd.api.types.is_bool_dtype(dtype):
            return
        if pd.api.types.is_integer_dtype(dtype):
            counts = series.value_counts(dropna=True, sort=False)
            self.nulls += total - int(counts.sum())
            ints = counts.index.to_numpy(dtype=np.int64)
            self.add_text_counts(ints.astype(str).tolist(), counts.to_numpy())
            return
        if pd.api.types.is_float_dtype(dtype):
            arr = series.to_numpy(dtype=np.float64, na_value=np.nan)
            finite = arr[np.isfinite(arr)]
            self.nulls += len(arr) - len(finite)
            integral = finite[(finite == np.floor(finite)) & (np.abs(finite) < 1e18)]
            values, counts_arr = np.unique(integral.astype(np.int64), return_counts=True)
            self.add_text_counts(values.astype(str).tolist(), counts_arr)
            return
        if _arrow_dates(dtype):  # date32/date64 in pyarrow storage: datetime.date values
            valid = series.dropna()
            self.nulls += total - len(valid)
            for day, c in valid.value_counts(sort=False).items():
                self.dates[day] = self.dates.get(day, 0) + int(c)
            return
        if pd.api.types.is_datetime64_any_dtype(dtype):
            valid = series.dropna()
            self.nulls += total - len(valid)
            if len(valid):
                naive = valid.dt.tz_localize(None) if getattr(valid.dt, "tz", None) else valid
                self.timed += int((naive != naive.dt.normalize()).sum())
                for day, c in naive.dt.date.value_counts(sort=False).items():
                    self.dates[day] = self.dates.get(day, 0) + int(c)
            return
        if pd.api.types.is_timedelta64_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
            return
        try:
            counts = series.value_counts(dropna=True, sort=False)
        except TypeError:  # unhashable cells (lists, dicts, arrays): one by one
            self.add_values(_values_of(series.tolist()))
            return
        self.nulls += total - int(counts.sum())
        index = counts.index
        if pd.api.types.infer_dtype(index, skipna=True) == "string":
            texts = pd.Series(index, dtype=object)
            blank = texts.str.strip().eq("").to_numpy()
            c = counts.to_numpy()
            self.nulls += int(c[blank].sum())
            kept = texts[~blank]
            long_ = kept.str.len() > MAX_TEXT
            if long_.any():
                kept = kept.where(~long_, kept.str.slice(0, MAX_TEXT))
            self.add_text_counts(kept.tolist(), c[~blank])
            return
        for value, c in zip(index.tolist(), counts.to_numpy().tolist(), strict=True):
            self.add_values(_values_of([value], repeat=c))

    # -- merging ---------------------------------------------------------------------------
    def merge(self, other: ColumnEvidence) -> None:
        """Fold ``other`` (the same column, other rows) into this evidence."""
        if other.level > self.level:
            self._prune(other.level)
        self.add_text_counts(list(other.texts), list(other.texts.values()))
        # add_text_counts counted the kept values only; ``seen`` covers the dropped ones too
        self.seen += other.seen - sum(other.texts.values())
        for day, c in other.dates.items():
            self.dates[day] = self.dates.get(day, 0) + c
        self.timed += other.timed
        self.nulls += other.nulls

    # -- wire format -----------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(
            {
                "t": list(self.texts.items()),
                "d": [[d.isoformat(), c] for d, c in self.dates.items()],
                "timed": self.timed,
                "nulls": self.nulls,
                "seen": self.seen,
                "level": self.level,
                "max": self.max_distinct,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> ColumnEvidence:
        raw = json.loads(text)
        return cls(
            texts={str(t): int(c) for t, c in raw["t"]},
            dates={dt.date.fromisoformat(d): int(c) for d, c in raw["d"]},
            timed=int(raw["timed"]),
            nulls=int(raw["nulls"]),
            seen=int(raw["seen"]),
            level=int(raw["level"]),
            max_distinct=int(raw["max"]),
        )


def _arrow_dates(dtype: Any) -> bool:
    arrow = getattr(dtype, "pyarrow_dtype", None)
    if arrow is None:
        return False
    import pyarrow as pa

    return bool(pa.types.is_date(arrow))


def _values_of(values: Iterable[Any], repeat: int = 1) -> ColumnValues:
    out = ColumnValues()
    for value in values:
        to_text(value, out)
    if repeat != 1:
        out.texts *= repeat
        out.dates *= repeat
        out.has_time *= repeat
        out.nulls *= repeat
    return out


def collect_frame(
    frame: Any,
    into: list[ColumnEvidence] | None = None,
    *,
    max_distinct: int = MAX_DISTINCT,
) -> list[ColumnEvidence]:
    """Collect evidence for every column of a pandas batch (by position), into ``into`` if
    given (the same columns of earlier batches)."""
    width = frame.shape[1]
    out = (
        into
        if into is not None
        else [ColumnEvidence(max_distinct=max_distinct) for _ in range(width)]
    )
    for i in range(width):
        out[i].add_series(frame.iloc[:, i])
    return out


def merge_all(parts: Iterable[list[ColumnEvidence]]) -> list[ColumnEvidence] | None:
    """Merge per-batch evidence lists column by column; ``None`` when there were no batches."""
    merged: list[ColumnEvidence] | None = None
    for part in parts:
        if merged is None:
            merged = part
            continue
        for mine, theirs in zip(merged, part, strict=True):
            mine.merge(theirs)
    return merged


# -- judging ---------------------------------------------------------------------------------


def settings_for(policy: Policy, exhaustive: bool) -> Settings:
    """The classifier settings a policy asks for (built where the judge runs)."""
    from nbsec.pii.frame_scan import _settings

    return _settings(policy, exhaustive)


def judge_column(name: str, evidence: ColumnEvidence, settings: Settings) -> ColumnScan:
    """The :class:`ColumnScan` of one column from its merged evidence."""
    from nbsec.masking import mask
    from nbsec.pii import column_classifier as cc

    scale = 1 << evidence.level
    counts: Counter[str] = Counter({t: c * scale for t, c in evidence.texts.items()})
    date_rows = sum(evidence.dates.values())
    n = sum(counts.values()) + date_rows
    scan = ColumnScan(name=name, values_scanned=n)
    if n == 0:
        return scan
    context = cc.name_context(name)
    hits: list[Any] = []
    examples: dict[str, list[str]] = {}
    if date_rows and date_rows >= 0.8 * n:
        dates, timed, fraction_n = _date_list(evidence, n)
        hit = cc._birth_dates(dates, timed, fraction_n, "DATE_TIME" in context)
        if hit and settings.wants("DATE_TIME"):
            hits.append(hit)
            examples["DATE_TIME"] = [mask(d.isoformat(), "DATE_TIME") for d in dates[:3]]
    elif counts:
        hits, examples = cc._classify_texts(counts, n, context, settings)
    kept = [h for h in hits if h.score >= settings.min_score and settings.wants(h.type)]
    kept.sort(key=lambda h: (-h.fraction, -h.score, h.type))
    scan.entities = kept
    seen: list[str] = []
    for hit in kept:
        for example in examples.get(hit.type, []):
            if example and example not in seen and len(seen) < cc.MAX_EXAMPLES:
                seen.append(example)
    scan.examples = seen
    return scan


def _date_list(evidence: ColumnEvidence, n: int) -> tuple[list[dt.date], int, int]:
    """Dates one per row (scaled down proportionally past a cap), the timed count and the row
    count on the same scale, in first-seen order like the classifier's own list."""
    total = sum(evidence.dates.values())
    ratio = min(1.0, _DATE_LIST_CAP / total) if total else 1.0
    dates: list[dt.date] = []
    for day, c in evidence.dates.items():
        dates.extend([day] * max(1, round(c * ratio)))
    return dates, round(evidence.timed * ratio), max(1, round(n * ratio))


def judge_columns(
    names: Sequence[str], evidence: Sequence[ColumnEvidence], policy: Policy, exhaustive: bool
) -> list[ColumnScan]:
    """Judge every column; ``names`` and ``evidence`` are in column order."""
    settings = settings_for(policy, exhaustive)
    return [judge_column(n, e, settings) for n, e in zip(names, evidence, strict=True)]


def scan_to_json(scan: ColumnScan) -> str:
    """A judged column for the wire (masked examples only: no raw value)."""
    return json.dumps(
        {
            "name": scan.name,
            "values_scanned": scan.values_scanned,
            "entities": [
                {
                    "type": e.type,
                    "score": e.score,
                    "fraction": e.fraction,
                    "recognizer": e.recognizer,
                }
                for e in scan.entities
            ],
            "examples": scan.examples,
        }
    )


def scan_from_json(text: str) -> ColumnScan:
    from nbsec.pii.results import EntityHit

    raw = json.loads(text)
    return ColumnScan(
        name=str(raw["name"]),
        entities=[
            EntityHit(str(e["type"]), float(e["score"]), float(e["fraction"]), str(e["recognizer"]))
            for e in raw["entities"]
        ],
        examples=[str(x) for x in raw["examples"]],
        values_scanned=int(raw["values_scanned"]),
    )
