"""nbsec's PII scan of a partitioned parquet dataset through Spark and Dask, beside its peers.

    PYTHONPATH=. python benchmarks/bench_distributed.py            # 100,000,000 rows (~12 GB)
    PYTHONPATH=. python benchmarks/bench_distributed.py --rows 2000000 --full-pass  # make bench

The dataset (``distributed_dataset.py``: 12 columns of customers, realistic values, one parquet
file per million rows) is generated once under ``benchmarks/.cache/`` and reused. Each finished
measurement is kept there too (``results-<rows>.json``): a run that was interrupted measures only
what is missing, and ``--fresh`` measures everything again.

Every measurement runs in a fresh process of its own, so its peak memory (Linux's ``VmHWM`` of
the Python driver, or of the Dask client: the peak since the process started its program;
``ru_maxrss`` would count this script's memory at the fork) is its own; the SparkSession / Dask
cluster is started first and its start-up is reported apart. In Spark's local mode the executors
run inside the driver's JVM (``spark.driver.memory`` 3g), a child process of the Python driver:
its resident memory is sampled (psutil, every 0.2 s) and its ``VmHWM`` read at the end, the
larger reported in a column of its own. The Dask workers are processes of their own too: each
one's ``VmHWM`` is read on the worker (``client.run``) when the operation is over and reported
in a third column. Measured, in one run:

* **floors**: one counting pass over the same data. Spark: ``count()`` of every column (reads
  every value; plain ``df.count()`` is printed too, which Spark answers from parquet metadata
  without reading a value); Dask: ``ddf.count()`` (every column's non-null count) and ``len``;
* **nbsec**: ``nbsec.scan_dataframe(df)`` on the Spark frame (Spark ``local[*]``) and on the Dask
  frame (a ``LocalCluster`` of one worker process per CPU), the default sampled scan; with
  ``--full-pass`` also ``exhaustive=True``;
* **presidio's documented Spark approach** (docs/samples/deployments/spark: an
  ``AnalyzerEngine`` broadcast to the executors and used inside a pandas UDF over every row of a
  column), here over all 12 columns with presidio's model-free ``NoOpNlpEngine`` (its default
  engine downloads a spaCy model), and a column labelled with the entity type that at least half
  of its values hold. Its best reasonable configuration: one engine built once per Python worker
  (what the broadcast gives, without pickling the engine; Spark reuses its Python workers), all
  12 columns in one UDF stage, only per-column counts of entity types collected. Over every row
  it would take days at 100M rows, so it runs over the same Bernoulli sample as nbsec, and its
  every-row time is extrapolated (printed as such): one reading pass (the floor) plus its
  measured analysis time per sampled row (its wall time less the floor) times every row.

Accuracy against the generator's truth is printed per tool; entity types a tool cannot find
(presidio without an NER model: PERSON, LOCATION) are listed apart and left out of its score.
Timings come from a shared, loaded machine (seven engineers, two cores): ratios measured side by
side in one run are the point, not the absolute seconds. Run it with ``nice``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from distributed_dataset import TRUTH, ensure_dataset  # noqa: E402

CACHE = HERE / ".cache" / "distributed"
PRESIDIO_NOT_FINDABLE = frozenset({"PERSON", "LOCATION"})


# -- one measurement, in its own process ------------------------------------------------------


def _peak_mb(pid: int | str = "self") -> float:
    """A process's peak resident memory (MB) since it started its program: Linux's ``VmHWM``.
    ``ru_maxrss`` is not used where ``VmHWM`` exists: after fork and exec it keeps the parent's
    resident memory at the fork (this script's, with the dataset generator's pools, in each
    measurement's process; a nanny's in each Dask worker)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    if pid != "self":
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker_peak_mb() -> float:
    """Run on each Dask worker (``client.run``): that worker process's peak resident memory, as
    the kernel keeps it (no sampling gaps)."""
    return _peak_mb()


class JvmMemory:
    """The peak resident memory of the Java processes under this one (Spark's driver JVM, which
    in local mode holds the executors too), sampled every ``interval`` seconds in a thread."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> float:
        """Stop sampling; the peak (MB), including a last sample taken now and the Java
        processes' own peaks as the kernel keeps them (``VmHWM``), which no sample can miss."""
        self._stop.set()
        self._thread.join()
        self.sample()
        try:
            import psutil
        except ImportError:
            return self.peak_mb
        kept = 0.0
        for child in psutil.Process().children(recursive=True):
            try:
                if "java" in child.name().lower():
                    kept += _peak_mb(child.pid)
            except psutil.Error:
                continue
        self.peak_mb = max(self.peak_mb, kept)
        return self.peak_mb

    def sample(self) -> float:
        """The Java processes' resident memory now (MB), and the peak updated."""
        try:
            import psutil
        except ImportError:
            return 0.0
        total = 0
        for child in psutil.Process().children(recursive=True):
            try:
                if "java" in child.name().lower():
                    total += child.memory_info().rss
            except psutil.Error:  # a process that ended meanwhile
                continue
        now = total / 2**20
        self.peak_mb = max(self.peak_mb, now)
        return now

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)


def _spark_session() -> Any:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[*]")
        .appName("nbsec-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "3g")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


_ANALYZER: Any = None


def _presidio_analyzer() -> Any:
    """presidio's AnalyzerEngine, offline: NoOpNlpEngine, tldextract without its download."""
    global _ANALYZER
    if _ANALYZER is None:
        import tldextract
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NoOpNlpEngine

        offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
        tldextract.tldextract.TLD_EXTRACTOR = offline
        tldextract.extract = offline
        _ANALYZER = AnalyzerEngine(
            nlp_engine=NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}]),
            supported_languages=["en"],
        )
    return _ANALYZER


def _presidio_types(series: pd.Series) -> pd.Series:
    """The pandas UDF body: per value, the entity types presidio finds (score >= 0.5)."""
    analyzer = _presidio_analyzer()
    out = []
    for value in series.tolist():
        if value is None or value != value:
            out.append([])
            continue
        found = analyzer.analyze(text=str(value), language="en")
        out.append(sorted({r.entity_type for r in found if r.score >= 0.5}))
    return pd.Series(out)


def _labels(scan: Any) -> dict[str, list[str]]:
    return {name: col.entity_types for name, col in scan.columns.items()}


def measure(task: str, data: str, rows: int) -> dict[str, Any]:
    """Run one task; returns its wall time (the operation only), start-up and peak memory."""
    started = time.perf_counter()
    out: dict[str, Any] = {"task": task}
    engine, what = task.split(":", 1)
    if engine == "spark":
        from pyspark.sql import functions as F

        jvm = JvmMemory()  # the session's JVM, from its launch to the end of the operation
        jvm.start()
        spark = _spark_session()
        df = spark.read.parquet(data)
        out["startup"] = time.perf_counter() - started
        t0 = time.perf_counter()
        if what == "count":
            out["result"] = df.count()
        elif what == "count-every-value":
            out["result"] = df.select([F.count(F.col(c)) for c in df.columns]).collect()[0][0]
        elif what in ("nbsec", "nbsec-full"):
            import nbsec

            scan = nbsec.scan_dataframe(df, exhaustive=what == "nbsec-full")
            out["labels"] = _labels(scan)
            out["rows_scanned"] = scan.rows_scanned
        elif what == "presidio":
            from pyspark.sql.functions import pandas_udf

            udf = pandas_udf(_presidio_types, "array<string>")
            sample = df.sample(withReplacement=False, fraction=min(1.0, 10_000 / rows), seed=7)
            found = sample.select([udf(F.col(c).cast("string")).alias(c) for c in df.columns])
            # count per column and entity type in Spark; only the counts come back
            exploded = found.select(
                F.explode(
                    F.array(
                        *[
                            F.struct(F.lit(c).alias("column"), F.col(c).alias("types"))
                            for c in df.columns
                        ]
                    )
                ).alias("cell")
            ).select("cell.column", F.explode_outer("cell.types").alias("type"))
            counts = exploded.groupBy("column", "type").count().collect()
            analysed = sample.count()
            labels: dict[str, list[str]] = {c: [] for c in df.columns}
            for row in counts:
                if row["type"] is not None and row["count"] >= 0.5 * analysed:
                    labels[row["column"]].append(row["type"])
            out["labels"] = {c: sorted(v) for c, v in labels.items()}
            out["rows_scanned"] = analysed
        out["jvm_mb"] = jvm.stop()
        spark.stop()
    else:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_port=0,
            memory_limit="4GiB",
        )
        client = Client(cluster)
        import dask.dataframe as dd

        ddf = dd.read_parquet(data)
        out["startup"] = time.perf_counter() - started
        t0 = time.perf_counter()
        if what == "count":
            out["result"] = len(ddf)
        elif what == "count-every-value":
            out["result"] = int(ddf.count().compute().iloc[0])
        elif what in ("nbsec", "nbsec-full"):
            import nbsec

            scan = nbsec.scan_dataframe(ddf, exhaustive=what == "nbsec-full")
            out["labels"] = _labels(scan)
            out["rows_scanned"] = scan.rows_scanned
        # each worker's own peak, read on the worker once the operation is over; the time this
        # takes is not the operation's
        asked = time.perf_counter()
        peaks = client.run(_worker_peak_mb)
        t0 += time.perf_counter() - asked
        out["workers_mb"] = sorted(float(mb) for mb in peaks.values())
        client.close()
        cluster.close()
    if "labels" not in out and "result" not in out:
        raise SystemExit(f"unknown task {task}")
    out["wall"] = time.perf_counter() - t0
    out["peak_mb"] = _peak_mb()
    return out


# -- the run -----------------------------------------------------------------------------------


def _score(labels: dict[str, list[str]], skip: frozenset[str]) -> tuple[int, int, int, list[str]]:
    """(true positives, false positives, false negatives) over (column, entity) pairs."""
    tp = fp = fn = 0
    notes = []
    for column, truth in TRUTH.items():
        got = set(labels.get(column, ()))
        want = {t for t in truth if t not in skip}
        got_scored = {g for g in got if g not in skip}
        tp += len(want & got_scored)
        fp += len(got_scored - want)
        fn += len(want - got_scored)
        if got_scored != want:
            notes.append(f"{column}: got {sorted(got)} want {sorted(truth)}")
    return tp, fp, fn, notes


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _child(task: str, data: Path, rows: int, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--measure", task, "--data", str(data), "--rows", str(rows)]
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return {"task": task, "error": f"timed out after {timeout:.0f} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()][-1:] or ["no output"]
        return {"task": task, "error": f"exit {proc.returncode}: {tail[0][:200]}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--full-pass", action="store_true", help="also time exhaustive scans")
    parser.add_argument("--no-presidio", action="store_true")
    parser.add_argument("--engines", default="spark,dask")
    parser.add_argument("--timeout", type=float, default=3600.0, help="per measurement (s)")
    parser.add_argument(
        "--fresh", action="store_true", help="measure again what an earlier run already measured"
    )
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure:
        print(json.dumps(measure(args.measure, args.data, args.rows)))
        return 0

    data = ensure_dataset(CACHE, args.rows, log=lambda m: print(m, flush=True))
    engines = [e for e in args.engines.split(",") if e]
    print(f"dataset: {data} ({args.rows:,} rows x 12 columns, parquet)")
    print("machine: shared by seven engineers, 2 cores, loaded; timings are upper bounds\n")
    tasks = []
    for engine in engines:
        tasks += [f"{engine}:count", f"{engine}:count-every-value", f"{engine}:nbsec"]
        if args.full_pass:
            tasks.append(f"{engine}:nbsec-full")
    if "spark" in engines and not args.no_presidio:
        tasks.append("spark:presidio")
    # each finished measurement is kept beside the dataset, so an interrupted run resumes
    saved_path = CACHE / f"results-{args.rows}.json"
    saved: dict[str, Any] = json.loads(saved_path.read_text()) if saved_path.exists() else {}
    if args.fresh:
        saved = {}
    results: dict[str, Any] = {}
    for task in tasks:
        if task in saved and "error" not in saved[task]:
            results[task] = saved[task]
            continue
        results[task] = _child(task, data, args.rows, args.timeout)
        saved[task] = results[task]
        saved_path.write_text(json.dumps(saved, indent=1))

    failed = [t for t, r in results.items() if "error" in r]
    header = (
        f"{'engine':<6} {'tool':<32} {'wall s':>9} {'x floor':>8} {'x count':>8} "
        f"{'driver MB':>10} {'JVM MB':>7} {'workers MB':>15} {'start s':>8}"
    )
    print(header)
    print("-" * len(header))
    for engine in engines:
        floor = results.get(f"{engine}:count-every-value", {}).get("wall")
        metadata = results.get(f"{engine}:count", {}).get("wall")
        for task, result in results.items():
            if not task.startswith(engine + ":"):
                continue
            name = task.split(":", 1)[1]
            if "error" in result:
                print(f"{engine:<6} {name:<32} failed: {result['error']}")
                continue
            ratio = f"{result['wall'] / floor:.2f}" if floor else "-"
            ratio_count = f"{result['wall'] / metadata:.1f}" if metadata else "-"
            jvm_mb = f"{result['jvm_mb']:.0f}" if result.get("jvm_mb") else "-"
            workers = result.get("workers_mb")
            workers_mb = f"{sum(workers):.0f} ({max(workers):.0f})" if workers else "-"
            print(
                f"{engine:<6} {name:<32} {result['wall']:>9.2f} {ratio:>8} {ratio_count:>8} "
                f"{result['peak_mb']:>10.0f} {jvm_mb:>7} {workers_mb:>15} "
                f"{result['startup']:>8.1f}"
            )
            if name == "presidio" and result.get("rows_scanned") and floor:
                per_row = max(result["wall"] - floor, 0.0) / result["rows_scanned"]
                every_row = max(result["wall"], floor + per_row * args.rows)
                print(
                    f"{engine:<6} {'presidio, every row (extrapolated)':<32} "
                    f"{every_row:>9.0f} {every_row / floor:>8.0f} {'':>8}   "
                    f"({per_row * 1000:.2f} ms per row analysed)"
                )
    print("\nx floor: ratio to one counting pass that reads every value ('count-every-value');")
    print("x count: ratio to Spark's df.count() / Dask's len(), answered from parquet metadata.")
    print("driver MB: peak RSS (VmHWM) of the Python driver (Spark) / client (Dask; the")
    print("LocalCluster's scheduler runs in it); Spark local[*] runs its executors inside the")
    print("driver JVM (spark.driver.memory 3g), not counted there. JVM MB: that JVM's peak RSS")
    print("(sampled every 0.2 s, and its VmHWM at the end; - where there is no JVM or psutil).")
    print("workers MB: the Dask workers' peak RSS (each worker's VmHWM, read on it at the end")
    print("with client.run), summed over the workers (an upper bound of their peak together),")
    print("the largest worker's in parentheses.\n")

    print(f"{'accuracy':<40} {'F1':>5}  rows scanned  misses / extras")
    for task, result in results.items():
        if "labels" not in result:
            continue
        skip = PRESIDIO_NOT_FINDABLE if task.endswith("presidio") else frozenset()
        tp, fp, fn, notes = _score(result["labels"], skip)
        apart = f" (not scored: {', '.join(sorted(skip))})" if skip else ""
        print(
            f"{task + apart:<40} {_f1(tp, fp, fn):>5.2f}  {result['rows_scanned']:>12,}  "
            + ("; ".join(notes) or "-")
        )
    if failed:
        print(f"\nmeasurements that failed: {', '.join(failed)}")
    nbsec_failed = [t for t in failed if ":nbsec" in t]
    return 1 if nbsec_failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
