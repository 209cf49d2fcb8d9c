"""nbsec's PII engine beside presidio-structured, on seeded labelled frames, in one run.

    PYTHONPATH=. python benchmarks/bench_pii.py            # full run (about 10 minutes on 2 cores)
    PYTHONPATH=. python benchmarks/bench_pii.py --quick    # smaller frames, no 1M-row frame

Accuracy (frames from ``benchmarks/pii/make_frames.py``; truth = entity types per column):

* column precision / recall / F1 - a column is positive when it holds any PII;
* entity precision / recall / F1 - over (frame, column, entity type) pairs.

Tools: nbsec default (sampled) and exhaustive; presidio-structured's ``PandasAnalysisBuilder``
with the ``most_common`` and ``mixed`` strategies, on the full frames and on n=1000 samples.
presidio runs with ``NoOpNlpEngine`` because its default engine downloads a spaCy model (not
possible here, and a scanner should not); that also means it cannot find PERSON / LOCATION. A
frame on which presidio-structured raises is listed and rerun with every column cast to str.

Speed, on a 1,000,000 x 12 frame: nbsec default wall / CPU time, presidio's per-cell ``analyze`` of
a 1,000-row sample of the same frame, and nbsec exhaustive throughput in cells per second against
presidio's. Peak memory is traced (``tracemalloc``) in separate runs so it does not distort times.
Timings on a shared machine are noisy; ratios are the point.

presidio-structured and Faker are benchmark-only dependencies.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "pii"))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import make_frames

Prediction = dict[str, dict[str, set[str]]]  # frame -> column -> entity types


@dataclass
class Run:
    tool: str
    pred: Prediction
    wall: float
    cpu: float
    cells: int
    raised: list[str]


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    gc.collect()
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def _peak_mb(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


# -- the tools ----------------------------------------------------------------------------------


def nbsec_scan(frame: Any, exhaustive: bool = False) -> dict[str, set[str]]:
    from nbsec.pii import scan_dataframe
    from nbsec.policy import Policy

    scan = scan_dataframe(frame, exhaustive=exhaustive, policy=Policy())
    return {name: set(col.entity_types) for name, col in scan.columns.items()}


_ENGINE: Any = None


def presidio_engine() -> Any:
    global _ENGINE
    if _ENGINE is None:
        from nbsec.pii.engine import analyzer

        _ENGINE = analyzer("")  # offline: NoOpNlpEngine, tldextract pinned
    return _ENGINE


def presidio_scan(frame: Any, strategy: str, n: int | None) -> dict[str, set[str]]:
    from presidio_structured import PandasAnalysisBuilder

    builder = PandasAnalysisBuilder(analyzer=presidio_engine())
    analysis = builder.generate_analysis(frame, n=n, selection_strategy=strategy)
    return {str(col): {ent} for col, ent in analysis.entity_mapping.items()}


def run_tool(
    tool: str, frames: list[make_frames.LabelledFrame], fn: Callable[[Any], dict[str, set[str]]]
) -> Run:
    pred: Prediction = {}
    raised: list[str] = []
    wall = cpu = 0.0
    cells = 0
    for lf in frames:
        try:
            out, w, c = _timed(lambda lf=lf: fn(lf.frame))
        except Exception as exc:
            # presidio-structured raises for the whole frame on dates, lists, dicts, bytes: retry
            # as a user would, with every column cast to str (the failed attempt's time counts)
            raised.append(f"{lf.name} ({type(exc).__name__})")
            try:
                out, w, c = _timed(lambda lf=lf: fn(lf.frame.map(str)))
            except Exception as again:
                out, w, c = {}, 0.0, 0.0
                raised[-1] += f", again as str ({type(again).__name__}): counted as nothing found"
        pred[lf.name] = out
        wall += w
        cpu += c
        cells += lf.frame.shape[0] * lf.frame.shape[1]
    return Run(tool, pred, wall, cpu, cells, raised)


CACHE = Path(__file__).resolve().parent / ".cache"


def _save_runs(path: Path, runs: list[Run]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = [
        {
            "tool": r.tool,
            "wall": r.wall,
            "cpu": r.cpu,
            "cells": r.cells,
            "raised": r.raised,
            "pred": {f: {c: sorted(t) for c, t in cols.items()} for f, cols in r.pred.items()},
        }
        for r in runs
    ]
    path.write_text(json.dumps(doc))


def _load_runs(path: Path) -> dict[str, Run]:
    if not path.is_file():
        return {}
    out = {}
    for item in json.loads(path.read_text()):
        pred = {f: {c: set(t) for c, t in cols.items()} for f, cols in item["pred"].items()}
        out[item["tool"]] = Run(
            item["tool"], pred, item["wall"], item["cpu"], item["cells"], item["raised"]
        )
    return out


# -- scoring ------------------------------------------------------------------------------------


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def score(run: Run, frames: list[make_frames.LabelledFrame]) -> dict[str, float]:
    ctp = cfp = cfn = etp = efp = efn = 0
    for lf in frames:
        pred = run.pred.get(lf.name, {})
        for col, truth in lf.truth.items():
            got = pred.get(col, set())
            if truth and got:
                ctp += 1
            elif got:
                cfp += 1
            elif truth:
                cfn += 1
            etp += len(truth & got)
            efp += len(got - truth)
            efn += len(truth - got)
    cp, cr, cf = _prf(ctp, cfp, cfn)
    ep, er, ef = _prf(etp, efp, efn)
    return {"col_p": cp, "col_r": cr, "col_f1": cf, "ent_p": ep, "ent_r": er, "ent_f1": ef}


def mistakes(run: Run, frames: list[make_frames.LabelledFrame]) -> list[str]:
    out = []
    for lf in frames:
        pred = run.pred.get(lf.name, {})
        for col, truth in lf.truth.items():
            got = pred.get(col, set())
            if got != truth:
                out.append(f"{lf.name}.{col}: truth {sorted(truth)} got {sorted(got)}")
    return out


# -- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows per labelled frame")
    parser.add_argument("--seed", type=int, default=make_frames.SEED, help="generator seed")
    parser.add_argument("--big-rows", type=int, default=1_000_000)
    parser.add_argument("--exhaustive-rows", type=int, default=200_000)
    parser.add_argument("--quick", action="store_true", help="small frames, no big frame")
    parser.add_argument("--skip-presidio", action="store_true")
    parser.add_argument("--mistakes", action="store_true", help="list every wrong column")
    parser.add_argument(
        "--reuse-presidio",
        action="store_true",
        help="reuse presidio-structured results saved by an earlier run with the same rows/seed",
    )
    args = parser.parse_args()
    if args.quick:
        args.rows, args.big_rows, args.exhaustive_rows = 500, 0, 0

    print(f"generating labelled frames ({args.rows} rows each) ...", flush=True)
    frames = make_frames.labelled_frames(args.rows, seed=args.seed)
    n_cols = sum(len(lf.truth) for lf in frames)
    n_pos = sum(1 for lf in frames for t in lf.truth.values() if t)
    print(f"{len(frames)} frames, {n_cols} columns, {n_pos} with PII\n", flush=True)

    runs = [
        run_tool("nbsec default", frames, nbsec_scan),
        run_tool("nbsec exhaustive", frames, lambda f: nbsec_scan(f, exhaustive=True)),
    ]
    if not args.skip_presidio:
        cache = CACHE / f"presidio_{args.rows}_{args.seed}.json"
        cached = _load_runs(cache) if args.reuse_presidio else {}
        for strategy in ("most_common", "mixed"):
            for n in (None, 1000):
                label = f"presidio-structured {strategy} {'full' if n is None else 'n=1000'}"
                if label in cached:
                    print(f"{label}: reusing {cache}", flush=True)
                    runs.append(cached[label])
                    continue
                print(f"running {label} ...", flush=True)
                runs.append(
                    run_tool(label, frames, lambda f, s=strategy, n=n: presidio_scan(f, s, n))
                )
                _save_runs(cache, [r for r in runs if r.tool.startswith("presidio")])

    # customers_eu holds only strings, which presidio-structured accepts
    sample = next(lf for lf in frames if lf.name == "customers_eu").frame.head(1000)
    mem = {"nbsec default": _peak_mb(lambda: nbsec_scan(sample))}
    if not args.skip_presidio:
        mem["presidio-structured"] = _peak_mb(lambda: presidio_scan(sample, "most_common", None))

    header = (
        f"{'tool':<40} {'col P':>6} {'col R':>6} {'col F1':>6} {'ent P':>6} {'ent R':>6} "
        f"{'ent F1':>6} {'wall s':>8} {'CPU s':>8} {'cells/s':>10}"
    )
    print(header)
    print("-" * len(header))
    base = runs[0]
    for run in runs:
        s = score(run, frames)
        rate = run.cells / run.wall if run.wall else float("nan")
        print(
            f"{run.tool:<40} {s['col_p']:6.2f} {s['col_r']:6.2f} {s['col_f1']:6.2f} "
            f"{s['ent_p']:6.2f} {s['ent_r']:6.2f} {s['ent_f1']:6.2f} {run.wall:8.2f} "
            f"{run.cpu:8.2f} {rate:10.0f}"
        )
    print()
    for run in runs[2:]:
        print(f"speed ratio nbsec default vs {run.tool}: {run.wall / base.wall:,.0f}x faster")
        if run.raised:
            print(f"  {run.tool} raised on {', '.join(run.raised)}; rerun on str-cast copies")
    print(
        "peak traced memory on customers_eu (1000 rows): "
        + ", ".join(f"{k} {v:.1f} MB" for k, v in mem.items())
    )
    if args.mistakes:
        for run in runs:
            wrong = mistakes(run, frames)
            print(f"\n{run.tool}: {len(wrong)} column(s) wrong")
            for line in wrong:
                print("  " + line)

    if args.big_rows:
        big_speed(args, skip_presidio=args.skip_presidio)


def big_speed(args: argparse.Namespace, *, skip_presidio: bool) -> None:
    print(f"\ngenerating the big frame ({args.big_rows:,} x 12) ...", flush=True)
    big = make_frames.big_frame(args.big_rows)
    cells = big.shape[0] * big.shape[1]
    nbsec_scan(big.head(5000))  # warm-up: lexicons, phonenumbers metadata
    pred, wall, cpu = _timed(lambda: nbsec_scan(big))
    truth = make_frames.BIG_TRUTH
    right = sum(1 for c, t in truth.items() if pred.get(c, set()) == t)
    print(
        f"nbsec default on {args.big_rows:,} x 12: wall {wall:.2f} s, CPU {cpu:.2f} s, "
        f"{right}/12 columns exactly right"
    )
    for col, t in truth.items():
        if pred.get(col, set()) != t:
            print(f"  {col}: truth {sorted(t)} got {sorted(pred.get(col, set()))}")
    mem = _peak_mb(lambda: nbsec_scan(big))
    frame_mb = big.memory_usage(deep=False).sum() / 1e6
    print(f"  peak traced memory {mem:.1f} MB (frame itself: {frame_mb:.0f} MB shallow)")

    presidio_rate = float("nan")
    if not skip_presidio:
        engine = presidio_engine()
        sample = big.sample(1000, random_state=1)
        texts = [str(v) for col in sample.columns for v in sample[col]]

        def per_cell() -> None:
            for text in texts:
                engine.analyze(text=text, language="en")

        _, p_wall, p_cpu = _timed(per_cell)
        presidio_rate = len(texts) / p_wall
        print(
            f"presidio analyze() per cell on a 1,000-row sample ({len(texts):,} cells): "
            f"wall {p_wall:.2f} s, CPU {p_cpu:.2f} s, {presidio_rate:,.0f} cells/s"
        )
        print(
            f"  nbsec default on the whole frame / presidio on 1,000 rows: {wall / p_wall:.3f}x "
            "(goal <= 0.25x)"
        )
        full_estimate = cells / presidio_rate
        print(f"  presidio on the whole frame, estimated: {full_estimate / 3600:.1f} h")

    if args.exhaustive_rows:
        part = big.head(args.exhaustive_rows)
        _, e_wall, e_cpu = _timed(lambda: nbsec_scan(part, exhaustive=True))
        e_rate = part.shape[0] * part.shape[1] / e_wall
        print(
            f"nbsec exhaustive on {args.exhaustive_rows:,} x 12: wall {e_wall:.2f} s, "
            f"CPU {e_cpu:.2f} s, {e_rate:,.0f} cells/s"
            + (f" = {e_rate / presidio_rate:,.0f}x presidio (goal >= 50x)" if presidio_rate else "")
        )


if __name__ == "__main__":
    main()
