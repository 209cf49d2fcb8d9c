"""Static notebook scanning: nbsec side by side with detect-secrets, bandit through nbQA and
NB Defense, on a generated corpus with planted issues (benchmarks/notebook_corpus.py); start-up
time of ``nbsec scan`` beside the ``main`` branch; and leaks planted into real public notebooks
(benchmarks/leak_eval.py: recall, placeholders, nbsec's own outputs, redaction, throughput).
gitleaks is not among the peers: neither PyPI, npm nor Debian ship its engine here (the npm
wrappers download the binary from its releases page at install time, which fails offline).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_static_scan.py [--typical 120] [--large 3]
                                                    [--no-peers] [--startup-only]

Peers run from side virtualenvs created on first use with ``uv`` (nothing is installed into the
project's venv): ``benchmarks/.cache/peers-notebooks`` (detect-secrets, bandit, nbqa) and
``benchmarks/.cache/peers-nbdefense`` (nbdefense, whose pins clash with the others). One run;
the machine is shared, so timings are indicative (CPU seconds are printed next to wall time for
nbsec).

Scoring is per notebook and family: every notebook has at most one planted issue per family
(secret, pickle, model, pii, code), so a tool *detects* a planted issue when it reports that
family anywhere in that notebook, and raises a *false alarm* when it reports a family in a notebook
where none was planted (the other cells are ordinary code with decoys: cell ids, UUIDs, hashes,
base64 plots, environment look-ups, safe loaders).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "benchmarks" / ".cache"
CORPUS = CACHE / "notebook_corpus"
PEERS = CACHE / "peers-notebooks"
NBDEFENSE = CACHE / "peers-nbdefense"
FAMILIES = ("secret", "pickle", "model", "pii", "code")

# what each peer's rule ids mean in our families (import-only warnings such as bandit's B403 /
# B404 are not counted: they fire on `import pickle` whatever the code does with it)
BANDIT_FAMILIES = {
    "B105": "secret",
    "B106": "secret",
    "B107": "secret",
    "B301": "pickle",
    "B302": "pickle",
    "B506": "pickle",
    "B614": "pickle",
    "B615": "model",
    "B310": "model",
    "B102": "code",
    "B307": "code",
    "B602": "code",
    "B604": "code",
    "B605": "code",
    "B609": "code",
    "B202": "code",
}
NBSEC_FAMILIES = {"SEC": "secret", "PKL": "pickle", "MDL": "model", "PII": "pii", "SRC": "code"}
Flags = dict[str, set[str]]  # notebook (relative path) -> families reported


# -- corpus ---------------------------------------------------------------------------------------
def ensure_corpus(n_typical: int, n_large: int) -> dict[str, Any]:
    sys.path.insert(0, str(REPO))
    from benchmarks.notebook_corpus import build

    manifest_file = CORPUS / "manifest.json"
    if manifest_file.exists():
        manifest: dict[str, Any] = json.loads(manifest_file.read_text())
        if (manifest.get("typical"), manifest.get("large")) == (n_typical, n_large):
            return manifest
        shutil.rmtree(CORPUS)
    print(f"generating corpus: {n_typical} typical + {n_large} large notebooks", file=sys.stderr)
    return build(CORPUS, n_typical, n_large)


# -- nbsec ----------------------------------------------------------------------------------------
def run_nbsec(files: list[Path]) -> tuple[Flags, int, float, float]:
    from nbsec.policy import Policy
    from nbsec.source import scan_notebook

    policy = Policy()
    flags: Flags = {}
    total = 0
    scan_notebook(files[0], policy=policy)  # warm: imports and rule data load once per process
    wall, cpu = time.perf_counter(), time.process_time()
    for path in files:
        findings = scan_notebook(path, policy=policy)
        total += len(findings)
        flags[path.relative_to(CORPUS).as_posix()] = {
            NBSEC_FAMILIES[f.rule.split("-")[1]] for f in findings
        }
    return flags, total, time.perf_counter() - wall, time.process_time() - cpu


CELL_LINES = [
    "import pandas as pd",
    "import numpy as np",
    "from sklearn.linear_model import LogisticRegression",
    "df = pd.read_csv('data/customers.csv')",
    "df = df.dropna()",
    "X = df[['a', 'b', 'c']]",
    "y = df['churned']",
    "for col in X.columns:",
    "    print(col, X[col].mean())",
    "%matplotlib inline",
    "!ls -la data",
    "model = LogisticRegression(max_iter=200)",
    "model.fit(X, y)",
    "score = model.score(X, y)",
    "print(f'score={score:.3f}')",
    "def f(x):",
    "    return x * 2",
    "vals = [f(v) for v in range(10)]",
    "result = {'a': 1, 'b': 2}",
    "import os",
    "path = os.path.join('out', 'x.csv')",
    "df.to_csv(path)",
    "summary = df.describe()",
    "token = os.environ.get('HF_TOKEN')",
    "arr = np.load('a.npy')",
    "arr.shape",
    "x = 1",
    "y = 2",
    "z = x + y",
    "summary",
]


def cell_check_ms(repeat: int = 300) -> list[list[str]]:
    """check_cell_source on a 30-line cell (the kernel's pre-run budget), fresh sources each time
    so the cache does not help; with and without IPython escapes."""
    from nbsec.policy import Policy
    from nbsec.source import NameScope, check_cell_source

    policy = Policy()
    rows = []
    plain = [line for line in CELL_LINES if line[0] not in "%!"] + ["w = 3", "v = 4"]
    for label, lines in (
        ("30 lines, plain Python", plain),
        ("30 lines, with %magic and !cmd", CELL_LINES),
    ):
        sources = ["\n".join(lines) + f"\nq{i} = {i}" for i in range(repeat)]
        check_cell_source(sources[0] + "\n", policy=policy)  # warm: IPython, rule data
        wall, cpu = time.perf_counter(), time.process_time()
        for source in sources:
            check_cell_source(source, policy=policy, scope=NameScope())
        rows.append(
            [
                label,
                f"{(time.process_time() - cpu) / repeat * 1000:.2f}",
                f"{(time.perf_counter() - wall) / repeat * 1000:.2f}",
            ]
        )
    return rows


def nbsec_cli_seconds(directory: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "nbsec",
            "scan",
            str(directory),
            "--format",
            "json",
            "-o",
            os.devnull,
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - start


# -- peers ----------------------------------------------------------------------------------------
def ensure_venv(path: Path, packages: list[str]) -> Path | None:
    python = path / "bin" / "python"
    if python.exists():
        return path / "bin"
    uv = shutil.which("uv")
    if uv is None:
        print("uv not found: peers skipped", file=sys.stderr)
        return None
    subprocess.run([uv, "venv", "-q", str(path), "--python", "3.11"], check=True)
    proc = subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(python), *packages],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print(f"could not install {packages}: {proc.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return path / "bin"


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[str, float, int]:
    start = time.perf_counter()
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env or dict(os.environ),
        check=False,
        timeout=3600,
    )
    return proc.stdout, time.perf_counter() - start, proc.returncode


def run_detect_secrets(bin_dir: Path, group: str) -> tuple[Flags, int, float]:
    out, seconds, _ = timed([str(bin_dir / "detect-secrets"), "scan", "--all-files", group], CORPUS)
    flags: Flags = defaultdict(set)
    total = 0
    for filename, results in json.loads(out or "{}").get("results", {}).items():
        total += len(results)
        if results:
            flags[Path(filename).as_posix()].add("secret")
    return flags, total, seconds


_BANDIT_ISSUE = re.compile(r">> Issue: \[(B\d+):[^\]]*\].*?Location: (?:\./)?([^:\n]+):", re.S)


def run_bandit_nbqa(bin_dir: Path, group: str) -> tuple[Flags, int, float]:
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"}
    out, seconds, _ = timed([str(bin_dir / "nbqa"), "bandit", group], CORPUS, env)
    flags: Flags = defaultdict(set)
    total = 0
    for test_id, filename in _BANDIT_ISSUE.findall(out):
        total += 1
        family = BANDIT_FAMILIES.get(test_id)
        if family:
            flags[Path(filename).as_posix()].add(family)
    return flags, total, seconds


def run_nbdefense(bin_dir: Path, group: str) -> tuple[Flags, int, float, str]:
    report = Path(tempfile.mkdtemp()) / "nbdefense.json"
    private_tmp = Path(tempfile.mkdtemp(prefix="nbdefense-tmp-"))
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    _, seconds, code = timed(
        [
            str(bin_dir / "nbdefense"),
            "scan",
            "-r",
            "-y",
            "-q",
            "--no-progress-bars",
            "-o",
            "json",
            "-f",
            str(report),
            group,
        ],
        CORPUS,
        env,
    )
    flags: Flags = defaultdict(set)
    total = 0
    left = sum(1 for p in private_tmp.rglob("*") if p.is_file())
    note = f"exit {code}; {left} file(s) left in its TMPDIR"
    if report.exists():
        data = json.loads(report.read_text())
        for notebook in data.get("notebook_issues", []):
            name = (Path(group) / Path(notebook["path"]).name).as_posix()
            for issue in notebook.get("issues", []):
                total += 1
                family = {"SECRETS": "secret", "PII_FOUND": "pii"}.get(issue.get("code"), "")
                if family:
                    flags[name].add(family)
    shutil.rmtree(private_tmp, ignore_errors=True)
    shutil.rmtree(report.parent, ignore_errors=True)
    return flags, total, seconds, note


# -- scoring and tables ---------------------------------------------------------------------------
def score(manifest: dict[str, Any], flags: Flags, names: list[str]) -> dict[str, Any]:
    detected: Counter[str] = Counter()
    alarms: Counter[str] = Counter()
    for name in names:
        planted = {p["family"]: p["kind"] for p in manifest["notebooks"][name]["planted"]}
        reported = flags.get(name, set())
        for family, kind in planted.items():
            if family in reported:
                detected[kind] += 1
        for family in reported - set(planted):
            alarms[family] += 1
    return {"detected": detected, "alarms": alarms}


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--typical", type=int, default=120)
    parser.add_argument("--large", type=int, default=3)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--startup-runs", type=int, default=15)
    parser.add_argument(
        "--startup-only", action="store_true", help="only the start-up table (about a minute)"
    )
    parser.add_argument(
        "--split",
        choices=("dev", "heldout", "all"),
        default="all",
        help="which real notebooks get planted leaks (benchmarks/.cache/real_notebooks)",
    )
    args = parser.parse_args()
    if args.startup_only:
        print_startup(args.startup_runs, peers=not args.no_peers)
        return

    manifest = ensure_corpus(args.typical, args.large)
    names = sorted(manifest["notebooks"])
    groups = {g: sorted(n for n in names if n.startswith(g + "/")) for g in ("typical", "large")}
    tools: dict[str, dict[str, Any]] = {}

    flags_all: Flags = {}
    for group, members in groups.items():
        flags, total, wall, cpu = run_nbsec([CORPUS / n for n in members])
        flags_all.update(flags)
        tools.setdefault("nbsec", {"findings": 0, "time": {}, "note": ""})
        tools["nbsec"]["findings"] += total
        tools["nbsec"]["time"][group] = (wall, cpu)
    tools["nbsec"]["flags"] = flags_all
    cli = nbsec_cli_seconds(CORPUS / "typical")
    tools["nbsec"]["note"] = f"CLI over typical/ incl. start-up: {cli:.1f} s"

    if not args.no_peers:
        peers = ensure_venv(PEERS, ["detect-secrets", "bandit", "nbqa"])
        if peers is not None:
            for label, runner in (
                ("detect-secrets", run_detect_secrets),
                ("bandit via nbQA", run_bandit_nbqa),
            ):
                entry: dict[str, Any] = {"findings": 0, "time": {}, "flags": {}, "note": ""}
                for group in groups:
                    flags, total, seconds = runner(peers, group)
                    entry["flags"].update(flags)
                    entry["findings"] += total
                    entry["time"][group] = (seconds, None)
                tools[label] = entry
        nbdefense = ensure_venv(NBDEFENSE, ["nbdefense", "setuptools<81", "numpy<2"])
        if nbdefense is not None:
            entry = {"findings": 0, "time": {}, "flags": {}, "note": ""}
            notes = []
            for group in groups:
                flags, total, seconds, note = run_nbdefense(nbdefense, group)
                entry["flags"].update(flags)
                entry["findings"] += total
                entry["time"][group] = (seconds, None)
                notes.append(f"{group}: {note}")
            entry["note"] = "; ".join(notes) + "; PII plugin needs a spaCy model from GitHub"
            tools["NB Defense"] = entry
        else:
            print("NB Defense: could not be installed (see above)", file=sys.stderr)

    print_table(
        "check_cell_source per cell (kernel pre-run check)",
        ["cell", "cpu ms", "wall ms"],
        cell_check_ms(),
    )
    labels = list(tools)
    scores = {t: score(manifest, tools[t]["flags"], names) for t in labels}
    planted: Counter[tuple[str, str]] = Counter(
        (p["family"], p["kind"]) for n in names for p in manifest["notebooks"][n]["planted"]
    )
    rows = [
        [family, kind, str(count), *[str(scores[t]["detected"][kind]) for t in labels]]
        for (family, kind), count in sorted(planted.items())
    ]
    total_planted = sum(planted.values())
    rows.append(
        ["all", "", str(total_planted), *[str(sum(scores[t]["detected"].values())) for t in labels]]
    )
    print_table(
        "Planted issues detected (notebooks where the tool reports the family)",
        ["family", "planted kind", "planted", *labels],
        rows,
    )
    print_table(
        "False alarms (notebooks where a family is reported but none was planted)",
        ["family", *labels],
        [[f, *[str(scores[t]["alarms"][f]) for t in labels]] for f in FAMILIES],
    )
    n_typ, n_large = len(groups["typical"]), len(groups["large"])
    speed_rows = []
    for t in labels:
        typ_wall, typ_cpu = tools[t]["time"]["typical"]
        large_wall, _ = tools[t]["time"].get("large", (0.0, None))
        cpu = f" (cpu {typ_cpu:.1f} s)" if typ_cpu is not None else ""
        speed_rows.append(
            [
                t,
                str(tools[t]["findings"]),
                f"{typ_wall:.1f} s{cpu}",
                f"{n_typ / typ_wall:.1f}" if typ_wall else "-",
                f"{large_wall / max(n_large, 1):.1f} s" if n_large else "-",
                tools[t]["note"],
            ]
        )
    print_table(
        f"Throughput ({n_typ} typical notebooks; {n_large} large: 200 cells, ~5 MB outputs)",
        ["tool", "reports", "typical: time", "notebooks/s", "large: s/notebook", "notes"],
        speed_rows,
    )
    print_startup(args.startup_runs, peers=not args.no_peers)
    from benchmarks.leak_eval import evaluate, files_for_split, print_report

    real = REPO / "benchmarks" / ".cache" / "real_notebooks"
    files = files_for_split(real, args.split) or sorted((CORPUS / "typical").glob("*.ipynb"))
    print_report(evaluate(files, peers=not args.no_peers))


def _one_run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one command in a fresh process."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(
        cmd,
        env=env,
        capture_output=True,
        check=False,
        cwd=tempfile.gettempdir(),  # `-m` puts the working directory first on sys.path
    )
    wall = time.perf_counter() - start
    after = os.times()
    return wall, (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def _scan_cmd(python: str, path: Path) -> list[str]:
    return [python, "-m", "nbsec", "scan", str(path), "--no-cache", "--format", "json", "-o",
            os.devnull]  # fmt: skip


def import_profile(path: Path, top: int = 8) -> list[list[str]]:
    """The heaviest top-level imports of one ``nbsec scan`` (``python -X importtime``)."""
    proc = subprocess.run(
        [*_scan_cmd(sys.executable, path)[:1], "-X", "importtime", *_scan_cmd("", path)[1:]],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
        cwd=tempfile.gettempdir(),
    )
    rows: list[tuple[int, str]] = []
    total = 0
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split(":", 1)[1].split("|")
        if name.startswith("  ") or not name.strip():
            continue  # only top-level imports: their times include their children
        rows.append((int(cumulative), name.strip()))
        total += int(cumulative)
    rows.sort(reverse=True)
    return [[name, f"{us / 1000:.1f}"] for us, name in rows[:top]] + [
        ["all imports", f"{total / 1000:.1f}"]
    ]


def print_startup(runs: int, peers: bool = True) -> None:
    """``nbsec scan`` of one notebook, interpreter start-up included: this checkout beside the
    ``main`` branch (exported with ``git archive``), the bare interpreter (the floor) and the
    peers scanning the same notebook, runs interleaved, medians; then where nbsec's import time
    goes."""
    import statistics

    notebook = REPO / "example_notebooks" / "finetune_model.ipynb"
    base = {**os.environ}
    ours = {**base, "PYTHONPATH": str(REPO)}
    commands: dict[str, tuple[list[str], dict[str, str]]] = {
        "python -c pass (floor)": ([sys.executable, "-c", "pass"], base),
        "nbsec, this checkout": (_scan_cmd(sys.executable, notebook), ours),
    }
    main_tree = Path(tempfile.mkdtemp(prefix="nbsec-main-"))
    archive = subprocess.run(
        f"git -C {REPO} archive main nbsec | tar x -C {main_tree}",
        shell=True,
        capture_output=True,
        check=False,
    )
    if archive.returncode == 0:
        commands["nbsec, main"] = (
            _scan_cmd(sys.executable, notebook),
            {**base, "PYTHONPATH": str(main_tree)},
        )
    if peers:
        bin_dir = ensure_venv(PEERS, ["detect-secrets", "bandit", "nbqa"])
        if bin_dir is not None:
            detect = [str(bin_dir / "detect-secrets"), "scan", str(notebook)]
            commands["detect-secrets scan"] = (detect, base)
            path_env = {**base, "PATH": f"{bin_dir}:{base.get('PATH', '')}"}
            commands["nbqa bandit"] = ([str(bin_dir / "nbqa"), "bandit", str(notebook)], path_env)
    # a first run of each warms the file cache and writes bytecode; it is not counted
    for cmd, env in commands.values():
        _one_run(cmd, env)
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
    for _ in range(runs):
        for label, (cmd, env) in commands.items():
            times[label].append(_one_run(cmd, env))
    reference = statistics.median(v[0] for v in times["nbsec, this checkout"])
    rows = []
    for label, values in times.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        rows.append([label, f"{wall:.3f}", f"{min(v[0] for v in values):.3f}", f"{cpu:.3f}",
                     f"{wall / max(reference, 1e-9):.2f}"])  # fmt: skip
    print_table(
        f"nbsec scan of one notebook incl. start-up ({runs} interleaved runs, seconds; the "
        "machine is shared: compare ratios)",
        ["command", "median wall", "min wall", "median CPU", "wall / nbsec"],
        rows,
    )
    print_table("Where nbsec scan's import time goes (python -X importtime, ms)",
                ["top-level import", "cumulative ms"], import_profile(notebook))  # fmt: skip
    shutil.rmtree(main_tree, ignore_errors=True)


if __name__ == "__main__":
    main()
