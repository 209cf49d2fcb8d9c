"""What ``%load_ext nbsec`` costs a kernel: load time and memory, and CPU per cell in auto mode.

Each measurement runs in a fresh interpreter (so imports are cold) with a real IPython shell:

* load: wall time and resident memory added by ``%load_ext nbsec``, and which heavy libraries it
  imported (none should be: presidio, pandas and friends load on first use);
* per cell: process CPU time of typical cells (assignments, a small function, a list
  comprehension, a dict update) with nbsec watching vs. the same shell with nbsec off, median and
  p99 over many runs, and the ratio;
* a cell that makes a new 10,000-row DataFrame, which triggers the inline PII scan (budget 50 ms).

Run: ``python benchmarks/bench_kernel_overhead.py [--cells 400]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    from IPython.core.interactiveshell import InteractiveShell

    def rss_mb():
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * resource.getpagesize() / 2**20

    shell = InteractiveShell.instance()
    shell.run_cell("x = 1")
    before_mods = set(sys.modules)
    rss0 = rss_mb()
    t0 = time.perf_counter()
    shell.run_line_magic("load_ext", "nbsec")
    load_ms = (time.perf_counter() - t0) * 1000
    rss1 = rss_mb()
    heavy = sorted(
        m for m in set(sys.modules) - before_mods
        if m.split(".")[0] in {"pandas", "numpy", "presidio_analyzer", "spacy", "torch", "polars",
                               "pyarrow", "nbformat", "nbclient", "sklearn"}
        and "." not in m
    )
    cells = [
        "a = [i * i for i in range(200)]",
        "def f(v):\\n    return sum(v) / len(v)\\nb = f(a)",
        "d = {str(i): i for i in range(100)}\\nd.update(x=1)",
        "s = ' '.join(str(i) for i in range(100))",
        "import math\\nc = math.sqrt(b)",
    ]
    n = int(sys.argv[1])

    def run(label):
        out = []
        for i in range(n):
            cell = cells[i % len(cells)]
            t = time.process_time()
            shell.run_cell(cell, store_history=True)
            out.append((time.process_time() - t) * 1000)
        return out

    for _ in range(20):
        shell.run_cell(cells[0])
    on = run("on")
    shell.run_line_magic("nbsec", "off")
    off = run("off")
    shell.run_line_magic("nbsec", "on")
    shell.run_cell("import pandas as pd")
    t = time.process_time()
    shell.run_cell(
        "frame = pd.DataFrame({'email': [f'user{i}@example.com' for i in range(10000)],"
        " 'amount': range(10000)})"
    )
    frame_ms = (time.process_time() - t) * 1000
    # the same kind of cell again, now that the PII engine is loaded: what every later frame costs
    warm = []
    for k in range(5):
        t = time.process_time()
        shell.run_cell(
            f"frame{k} = pd.DataFrame({{'email': [f'u{k}_{{i}}@example.com' for i in range(10000)],"
            " 'amount': range(10000)})"
        )
        warm.append((time.process_time() - t) * 1000)
    shell.run_line_magic("nbsec", "off")
    t = time.process_time()
    shell.run_cell(
        "frame2 = pd.DataFrame({'email': [f'user{i}@example.com' for i in range(10000)],"
        " 'amount': range(10000)})"
    )
    frame_off_ms = (time.process_time() - t) * 1000
    from nbsec.policy import Policy
    print(json.dumps({"load_ms": load_ms, "load_mb": rss1 - rss0, "heavy": heavy,
                      "on": on, "off": off, "frame_ms": frame_ms, "frame_off_ms": frame_off_ms,
                      "frame_warm_ms": warm, "budget_ms": Policy().pii.inline_budget_ms}))
    """
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=400)
    args = parser.parse_args()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(args.cells)],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    on, off = data["on"], data["off"]
    med_on, med_off = statistics.median(on), statistics.median(off)
    print("nbsec kernel overhead (one IPython shell, CPU time per cell)")
    print(f"  %load_ext nbsec        {data['load_ms']:8.1f} ms wall, {data['load_mb']:+.1f} MB RSS")
    print(f"  heavy imports at load  {', '.join(data['heavy']) or 'none'}")
    print(f"  {'':22} {'median':>8} {'p99':>8}")
    print(f"  {'cell, nbsec off':22} {med_off:8.3f} {percentile(off, 0.99):8.3f} ms")
    print(f"  {'cell, nbsec watching':22} {med_on:8.3f} {percentile(on, 0.99):8.3f} ms")
    print(f"  added per cell         {med_on - med_off:8.3f} ms (ratio {med_on / med_off:.2f}x)")
    print(
        f"  new 10,000-row frame   {data['frame_ms']:8.1f} ms with nbsec "
        f"(first use: loads the PII engine), {data['frame_off_ms']:.1f} ms without"
    )
    warm = statistics.median(data["frame_warm_ms"])
    added = warm - data["frame_off_ms"]
    target = data["budget_ms"] + 10
    print(
        f"  later new frames       {warm:8.1f} ms median with nbsec: {added:+.1f} ms added "
        f"(target <= PII budget {data['budget_ms']} ms + 10 = {target} ms: "
        f"{'met' if added <= target else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
