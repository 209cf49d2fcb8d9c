"""PII in Spark DataFrames (and pandas-on-Spark), scanned inside Spark.

The frame is never collected. Two Spark stages do the work on the executors:

1. Spark's own seeded Bernoulli sample (``DataFrame.sample(fraction, seed)``: each partition
   draws with its own seed derived from ``seed``, in the JVM, so only the sampled rows ever reach
   Python) of the fraction of the frame's rows (Spark's ``count()``) that keeps at least
   ``sample`` rows with probability 99.9 %
   (:func:`~nbsec.pii.sample_size.bernoulli_fraction`: ``sample / rows`` would keep fewer half of
   the time), then ``mapInPandas`` turns each partition's sampled
   rows into the engine's per-column evidence (:mod:`nbsec.pii.column_evidence`: counts, a
   bounded hash sketch, masked examples), one row per column. A full pass skips the sample and
   collects evidence from every row;
2. after ``repartition(1)``, one ``mapInPandas`` task merges every column's evidence and judges
   the columns with the frame's row context, on an executor (the recognizers and name lists are
   loaded there, never on the driver).

Only the judged columns (entity types, shares, masked examples: a few kilobytes) come back to the
driver; its memory does not depend on the frame's size. The row count is
Spark's own ``count()`` (for files, read from their metadata). Complex columns (structs, maps,
arrays of structs, variants) are scanned as their JSON text.

Why a Bernoulli sample and not the head of each partition: a Python task that stops reading its
input early makes Spark discard that Python worker and the JVM keep feeding it, which measured
10-20x slower than letting the JVM sample every partition; and a row-level sample needs no
assumption about how personal data is spread over partitions (the binomial statement of
:mod:`nbsec.pii.sample_size` holds as is).

The executors' Python must have nbsec installed (as for any pandas UDF using a library); a task
that cannot import it fails with Spark's error, reported as a one-line :class:`InputError`.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from nbsec.errors import InputError
from nbsec.pii.results import ColumnScan, FrameScan
from nbsec.pii.row_sample import SEED
from nbsec.pii.sample_size import bernoulli_fraction
from nbsec.policy import Policy

if TYPE_CHECKING:
    from nbsec.pii.evidence import ColumnEvidence
    from nbsec.pii.scan_job import EngineSettings

_EVIDENCE_SCHEMA = "column int, evidence string, rows long"
_RESULT_SCHEMA = "scans string, rows long, complete boolean"
_ATOMIC = {
    "StringType",
    "CharType",
    "VarcharType",
    "ByteType",
    "ShortType",
    "IntegerType",
    "LongType",
    "FloatType",
    "DoubleType",
    "DecimalType",
    "BooleanType",
    "DateType",
    "TimestampType",
    "TimestampNTZType",
    "BinaryType",
}
_EXCEPTION_LINE = re.compile(r"^(?:[\w.]+\.)?[A-Z]\w*(?:Error|Exception)(?:\s*\[[A-Z_]+\])?: ")
_SKIPPED = {"NullType", "CalendarIntervalType", "DayTimeIntervalType", "YearMonthIntervalType"}


def is_spark_frame(obj: object) -> bool:
    if not type(obj).__module__.startswith("pyspark."):
        return False
    from pyspark.sql import DataFrame

    return isinstance(obj, DataFrame)


def is_pandas_on_spark(obj: object) -> bool:
    if not type(obj).__module__.startswith("pyspark.pandas"):
        return False
    from pyspark import pandas as ps

    return isinstance(obj, ps.DataFrame | ps.Series)


def spark_frame_of(obj: Any) -> Any:
    """A pandas-on-Spark frame or series as the Spark DataFrame behind it (no computation)."""
    if is_pandas_on_spark(obj):
        if not hasattr(obj, "columns"):
            obj = obj.to_frame()
        return obj.to_spark()
    return obj


def _scannable(df: Any) -> tuple[Any, list[str]]:
    """The frame with positional column names (``c0``, ``c1``...; duplicates are fine) and types
    that Arrow carries to pandas; complex types become their JSON text. Returns the names too."""
    from pyspark.sql import functions as F

    names = [str(f.name) for f in df.schema.fields]
    renamed = df.toDF(*[f"c{i}" for i in range(len(names))])
    columns = []
    for i, f in enumerate(df.schema.fields):
        kind = type(f.dataType).__name__
        col = F.col(f"c{i}")
        if kind in _ATOMIC or (
            kind == "ArrayType" and type(f.dataType.elementType).__name__ in _ATOMIC
        ):
            columns.append(col)
        elif kind in ("StructType", "MapType", "ArrayType"):
            columns.append(F.to_json(col).alias(f"c{i}"))
        elif kind in _SKIPPED:
            columns.append(F.lit(None).cast("string").alias(f"c{i}"))
        else:  # variants, user-defined types: their text
            columns.append(col.cast("string").alias(f"c{i}"))
    return renamed.select(*columns), names


class _Collector:
    """``mapInPandas`` function: the evidence of the rows one task receives (on executors)."""

    def __init__(self, names: Sequence[str], settings: EngineSettings) -> None:
        self.names = list(names)
        self.settings = settings

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd

        from nbsec.pii.column_evidence import collect_frame, empty_evidence, evidence_to_json

        evidence = empty_evidence(self.names)
        rows = 0
        for batch in batches:
            evidence = collect_frame(batch, self.names, self.settings, into=evidence)
            rows += len(batch)
        yield pd.DataFrame(
            {
                "column": list(range(len(self.names))),
                "evidence": [evidence_to_json([e]) for e in evidence],
                "rows": [rows] * len(self.names),
            }
        )


class _Judge:
    """``mapInPandas`` function over every evidence row, gathered in one partition: merge each
    column's evidence and judge the columns with their row context, on an executor, so the
    driver never loads the recognizers; yields one row of judged columns (masked examples
    only)."""

    def __init__(self, names: Sequence[str], settings: EngineSettings) -> None:
        self.names = list(names)
        self.settings = settings

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd

        from nbsec.pii.column_evidence import empty_evidence, evidence_from_json, judge_on_worker

        merged: dict[int, ColumnEvidence] = {}
        rows: dict[int, int] = {}
        for batch in batches:
            for column, text, counted in zip(
                batch["column"], batch["evidence"], batch["rows"], strict=True
            ):
                i = int(column)
                part = evidence_from_json(text)[0]
                merged[i] = merged[i].merge(part) if i in merged else part
                rows[i] = rows.get(i, 0) + int(counted)
        if not merged:  # no evidence at all: the driver reports the columns itself
            return
        evidence = empty_evidence(self.names)
        for i, ev in merged.items():
            evidence[i] = ev
        judged, complete = judge_on_worker([evidence], self.settings)
        yield pd.DataFrame(
            {"scans": [judged], "rows": [max(rows.values())], "complete": [complete]}
        )


def scan_spark(
    df: Any,
    *,
    sample: int,
    exhaustive: bool,
    policy: Policy,
    rows: int | None = None,
    job_group: str | None = None,
) -> FrameScan:
    """Scan a Spark (or pandas-on-Spark) DataFrame inside Spark. ``rows``: the row count if the
    caller knows it (else Spark's ``count()`` is run). ``job_group`` names nbsec's Spark jobs
    (shown in the Spark UI) so :func:`cancel_jobs` can stop them; call from the thread that
    runs the scan."""
    from nbsec.pii.column_evidence import engine_settings, scans_from_json, unique_names

    df = spark_frame_of(df)
    frame, raw_names = _scannable(df)
    if not raw_names:
        return FrameScan(rows=0, rows_scanned=0, exhaustive=True)
    names = unique_names(raw_names)
    description = "nbsec: PII scan" + (" (full pass)" if exhaustive else "")
    _name_jobs(df, job_group or "nbsec-pii", description)
    try:
        total = int(df.count()) if rows is None else rows
        fraction = bernoulli_fraction(sample, total)
        full = exhaustive or fraction >= 1.0
        if not full:
            frame = frame.sample(withReplacement=False, fraction=fraction, seed=SEED)
        settings = engine_settings(policy, full)
        evidence = frame.mapInPandas(_Collector(names, settings), _EVIDENCE_SCHEMA)
        # the evidence rows (a few per column and partition) meet in one task to be judged
        judged = evidence.repartition(1).mapInPandas(_Judge(names, settings), _RESULT_SCHEMA)
        results = judged.collect()
    except Exception as exc:
        raise InputError(f"Spark could not scan the frame: {_spark_reason(exc)}") from None
    result = FrameScan(rows=total, rows_scanned=0, exhaustive=False)
    if results:
        row = results[0]
        result.columns = scans_from_json(row["scans"])
        result.rows_scanned = int(row["rows"])
        result.exhaustive = full and bool(row["complete"])
    else:  # no task produced evidence (no partition at all): every column, none with PII
        result.columns = {name: ColumnScan(name=name) for name in names}
        result.exhaustive = full
    if full:
        result.rows = max(result.rows, result.rows_scanned)
    return result


_GLANCE_STEP = 0.05  # seconds of scanning between looks at the kernel's ``idle`` event


def glance_spark(
    df: Any,
    *,
    sample: int,
    policy: Policy,
    job_group: str | None = None,
    idle: threading.Event | None = None,
    **_: Any,
) -> FrameScan:
    """A first look at a Spark frame that never computes it whole: the first ``sample`` rows
    Spark gives (``take``: it reads the first partition and asks more partitions only while rows
    are missing; its tasks stop reading when they have enough), scanned on the driver with the
    engine that scans pandas frames. What the kernel does when it first sees a frame: seconds
    for a 100M-row frame read from files. Not a uniform sample: a full pass (``exhaustive``
    :func:`scan_spark`) or the sampled :func:`scan_spark` gives the statistical statement. (A
    frame whose plan ends in a shuffle, a join or an aggregation, computes that shuffle first:
    Spark has no row of it sooner.) With ``idle`` (the kernel's: set while no cell runs), the rows
    are scanned in steps of at most 50 ms, taken only while it is set."""
    import pandas as pd

    from nbsec.pii.column_evidence import unique_names
    from nbsec.pii.scan_job import ScanJob

    df = spark_frame_of(df)
    frame, raw_names = _scannable(df)
    if not raw_names:
        return FrameScan(rows=0, rows_scanned=0, exhaustive=True)
    names = unique_names(raw_names)
    _name_jobs(df, job_group or "nbsec-pii", "nbsec: PII first look (first rows)")
    try:
        got = frame.take(sample)
    except Exception as exc:
        raise InputError(f"Spark could not read the frame: {_spark_reason(exc)}") from None
    rows = pd.DataFrame.from_records([tuple(r) for r in got], columns=range(len(names)))
    rows.columns = pd.Index(names)
    job = ScanJob(rows, sample=sample, exhaustive=False, policy=policy)
    if idle is None:
        job.run()
    else:
        job.wait_for_full = True  # the whole recognizer set, as without steps
        while not job.run(deadline=time.perf_counter() + _GLANCE_STEP):
            idle.wait()
    result = job.result()
    whole = len(got) < sample  # Spark had no more rows: this was all of it
    result.rows = len(got)
    result.exhaustive = whole and result.exhaustive
    result.rows_known = whole
    return result


def _name_jobs(df: Any, group: str, description: str) -> None:
    """Put this thread's next Spark jobs in ``group`` (classic Spark), or tag them (Connect)."""
    session = df.sparkSession
    try:
        context = session.sparkContext
    except Exception:  # Spark Connect: no SparkContext, tags instead
        # naming jobs is a courtesy, never a failure
        with contextlib.suppress(Exception):
            session.addTag(group)
        return
    context.setJobGroup(group, description, interruptOnCancel=True)


def cancel_jobs(df: Any, group: str) -> None:
    """Cancel the running Spark jobs of ``group`` (see ``job_group`` of :func:`scan_spark`)."""
    session = spark_frame_of(df).sparkSession
    try:
        session.sparkContext.cancelJobGroup(group)
    except Exception:
        session.interruptTag(group)


def _spark_reason(exc: BaseException) -> str:
    """One meaningful line of a (possibly Java-wrapped Python) Spark error: the exception line
    of the Python traceback when there is one, else the first line."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    for line in lines:
        if "ModuleNotFoundError" in line or "ImportError" in line:
            return line[:300] + " (is nbsec installed in the executors' Python?)"
    errors = [
        ln
        for ln in lines
        if _EXCEPTION_LINE.match(ln) and not ln.startswith(("at ", "org.apache", "java."))
    ]
    if errors:
        return errors[-1][:300]
    return (lines[0] if lines else type(exc).__name__)[:300]
