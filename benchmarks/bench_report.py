"""Governance reports: time to build one report of each example notebook, statically and
executed, and notebooks per second in batch with ``--jobs 1`` and ``--jobs 2``.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_report.py [--repeat 5] [--batch 24]
                                                             [--no-execute]

Side by side, in the same run, on the same inputs:

* static: ``nbsec.report.generate`` (report model, notebook, HTML page and every attachment)
  beside nbconvert's own HTML export of the same notebook (``HTMLExporter``, lab template): what
  it costs to turn a notebook into a page at all;
* executed: ``--execute`` (the notebook run in a kernel with nbsec loaded, then the report)
  beside running the same notebook with plain nbclient and no nbsec. ``%pip install`` is kept
  from changing this environment (``PIP_NO_INDEX=1``); cells that need the network fail fast, in
  both runs alike;
* batch: ``nbsec report DIR -o OUT`` as a command, over notebooks of the static-scan corpus
  (``benchmarks/notebook_corpus.py``, realistic notebooks with outputs), with one and two worker
  processes.

The machine is shared: timings are indicative, the ratios within one run are what to compare.
Static times are medians after one warm-up (imports excluded); executed times include kernel
start-up.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "example_notebooks"
NOTEBOOKS = ("customer_churn", "finetune_model", "load_pickled_pipeline")


def _median(fn: object, repeat: int) -> float:
    assert callable(fn)
    fn()  # warm-up: imports, caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_static(work: Path, repeat: int) -> None:
    from nbconvert import HTMLExporter

    from nbsec.report.generate import generate

    print(f"\n== one report, static (median of {repeat}) ==")
    print(f"{'notebook':<26} {'nbsec report':>13} {'nbconvert html':>15} {'ratio':>7}")
    exporter = HTMLExporter()
    for name in NOTEBOOKS:
        path = work / f"{name}.ipynb"
        ours = _median(lambda p=path: generate(p, html=True), repeat)
        peer = _median(lambda p=path: exporter.from_filename(str(p)), repeat)
        print(f"{name:<26} {ours:>12.3f}s {peer:>14.3f}s {ours / peer:>6.2f}x")


def _plain_execution(path: Path) -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    started = time.perf_counter()
    NotebookClient(
        nb,
        timeout=600,
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
    ).execute()
    return time.perf_counter() - started


def bench_executed(work: Path) -> None:
    from nbsec.report.generate import generate

    print("\n== one report, executed (one run each, kernel start-up included) ==")
    print(f"{'notebook':<26} {'nbsec --execute':>16} {'plain nbclient':>15} {'ratio':>7}")
    for name in NOTEBOOKS:
        path = work / f"{name}.ipynb"
        try:
            started = time.perf_counter()
            generate(path, execute=True, html=True)
            ours = time.perf_counter() - started
            peer = _plain_execution(path)
        except Exception as exc:  # one notebook failing never stops the benchmark
            print(f"{name:<26} failed: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}")
            continue
        print(f"{name:<26} {ours:>15.2f}s {peer:>14.2f}s {ours / peer:>6.2f}x")


def _corpus(target: Path, count: int) -> Path:
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "notebook_corpus.py"), str(target),
         "--typical", str(count), "--large", "0"],
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
    )  # fmt: skip
    return target / "typical"


def bench_batch(work: Path, count: int) -> None:
    corpus = _corpus(work / "corpus", count)
    notebooks = len(list(corpus.glob("*.ipynb")))
    print(f"\n== batch: nbsec report over {notebooks} corpus notebooks (command wall time) ==")
    print(f"{'jobs':<6} {'seconds':>9} {'notebooks/s':>12}")
    results = {}
    for jobs in (1, 2):
        out = work / f"out-{jobs}"
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "nbsec", "report", str(corpus), "-o", str(out), "--html",
             "--jobs", str(jobs)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        if done.returncode == 2:
            print(f"{jobs:<6} failed: {done.stderr.strip().splitlines()[-1]}")
            continue
        written = len(list(out.rglob("*.nbsec.ipynb")))
        results[jobs] = seconds
        print(f"{jobs:<6} {seconds:>8.2f}s {written / seconds:>12.2f}")
    if len(results) == 2:
        print(f"speed-up with 2 jobs: {results[1] / results[2]:.2f}x on {os.cpu_count()} CPUs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch", type=int, default=24, help="corpus notebooks for the batch")
    parser.add_argument("--no-execute", action="store_true", help="skip the executed reports")
    args = parser.parse_args()
    os.environ["PIP_NO_INDEX"] = "1"  # %pip install in an executed notebook changes nothing
    os.environ.pop("NBSEC_POLICY", None)
    with tempfile.TemporaryDirectory(prefix="nbsec-bench-report-") as tmp:
        work = Path(tmp)
        for name in NOTEBOOKS:
            shutil.copy(EXAMPLES / f"{name}.ipynb", work / f"{name}.ipynb")
        shutil.copytree(EXAMPLES / "data", work / "data")
        os.chdir(work)
        failed = False
        for step in (
            lambda: bench_static(work, args.repeat),
            None if args.no_execute else (lambda: bench_executed(work)),
            lambda: bench_batch(work, args.batch),
        ):
            if step is None:
                continue
            try:
                step()
            except Exception as exc:  # run every part even when one fails
                failed = True
                print(f"failed: {type(exc).__name__}: {exc}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
