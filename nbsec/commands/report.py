"""``nbsec report NB.ipynb... [-o DIR] [--execute] [--html] [--jobs N]``: governance reports.

For each notebook (directories recurse; reports nbsec wrote, ``*.nbsec.ipynb``, are skipped) it
writes the governance notebook ``NAME.nbsec.ipynb``, with ``--html`` the page ``NAME.nbsec.html``,
and the attachments (report JSON, SARIF, CycloneDX ML-BOM, OpenLineage) beside the notebook, or in
``-o DIR`` (keeping the folders below the inputs' common directory). Notebooks are reported in
``--jobs`` worker processes; a notebook that cannot be read or run is one error line and the
others are still done. A re-run rebuilds only the reports whose notebook, policy, nbsec version
or other inputs changed (``nbsec.commands.report_cache``; ``--no-cache`` to rebuild all;
``--execute`` always runs).

The command is the CI gate: exit 0 when every notebook passes its policy gate (no open finding at
or above ``--fail-on``, default the policy's ``fail_on``), 1 when one fails, 2 when a notebook
could not be reported, or was reported only in part (malformed: its report says INCOMPLETE, or
FAIL), with a one-line reason on stderr, or when the arguments are wrong.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

NAME = "report"
HELP = "governance report of notebooks: notebook + HTML, report JSON, SARIF, ML-BOM, OpenLineage"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from nbsec.commands.batch_runner import add_jobs_argument
    from nbsec.commands.findings_output import _severity_arg
    from nbsec.commands.results_cache import add_cache_arguments

    parser.add_argument("paths", nargs="+", metavar="NB", help="notebooks or directories")
    parser.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        default=None,
        help="write the reports here (default: beside each notebook)",
    )
    parser.add_argument(
        "--execute",
        action="store_true",
        help="run each notebook (nbclient, its own directory, nbsec loaded) and report what "
        "happened at run time",
    )
    parser.add_argument("--html", action="store_true", help="also write NAME.nbsec.html")
    add_jobs_argument(parser)
    add_cache_arguments(parser)
    parser.add_argument(
        "--fail-on",
        type=_severity_arg,
        default=None,
        metavar="SEVERITY",
        help="exit 1 if an open finding is at or above this severity (default: the policy's "
        "fail_on, else high)",
    )
    parser.add_argument(
        "--previous",
        metavar="FILE",
        default=None,
        help="a previous report JSON to compare with (one notebook only; by default "
        "NAME.nbsec.json already in the output directory is used)",
    )
    parser.add_argument(
        "--timeout", type=int, default=600, help="seconds per cell with --execute (default 600)"
    )
    parser.add_argument("--kernel", default=None, help="kernel name (default: the notebook's)")
    parser.add_argument(
        "--policy",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="policy file (default: NBSEC_POLICY, else the nearest nbsec.toml or pyproject.toml)",
    )


@dataclass(frozen=True)
class Job:
    notebook: str
    out_dir: str
    execute: bool
    html: bool
    policy_file: str | None
    fail_on: str | None
    previous: str | None
    timeout: int
    kernel: str | None


@dataclass(frozen=True)
class Done:
    notebook: str
    report: str
    html: str | None
    failed: bool
    risk: str
    headline: str
    outcome: str  # the policy gate: pass | fail | incomplete (not read in full)
    problems: tuple[str, ...] = ()
    # what the report read and wrote, stamped (path, size, mtime_ns): the results cache serves
    # a report again only while these are unchanged
    depends: tuple[tuple[str, int, int], ...] = ()


def report_one(job: Job) -> Done:
    """Build and write the report of one notebook (run in a worker process)."""
    from nbsec.commands.report_cache import dependencies
    from nbsec.findings import Severity
    from nbsec.report.generate import generate, write

    files = generate(
        job.notebook,
        execute=job.execute,
        html=job.html,
        policy_file=job.policy_file,
        previous=job.previous,
        out_dir=job.out_dir,
        via="cli",
        timeout=job.timeout,
        kernel_name=job.kernel,
        fail_on=Severity.parse(job.fail_on) if job.fail_on else None,
    )
    written = write(files, job.out_dir)
    folder = Path(job.out_dir)
    return Done(
        notebook=job.notebook,
        report=str(folder / files.notebook_name()),
        html=str(folder / files.html_name()) if files.html is not None else None,
        failed=files.failed,
        outcome=files.model.summary.outcome,
        risk=files.model.summary.risk,
        headline=files.model.summary.headline,
        problems=files.problems,
        depends=dependencies(Path(job.notebook), files, written, job.previous),
    )


def find_notebooks(paths: list[str], errors: list[str]) -> list[Path]:
    from nbsec.commands.scan import iter_notebooks
    from nbsec.report.generate import is_report_notebook

    found: list[Path] = []
    seen: set[Path] = set()
    for arg in paths:
        root = Path(arg)
        if not root.exists():
            errors.append(f"{arg}: no such file or directory")
            continue
        for notebook in iter_notebooks(root):
            if root.is_dir() and is_report_notebook(notebook):
                continue
            key = notebook.resolve()
            if key not in seen:
                seen.add(key)
                found.append(notebook)
    return found


def _out_dirs(notebooks: list[Path], output: str | None) -> list[Path]:
    if output is None:
        return [n.parent for n in notebooks]
    parents = [n.resolve().parent for n in notebooks]
    common = Path(os.path.commonpath([str(p) for p in parents])) if parents else Path.cwd()
    return [Path(output) / p.relative_to(common) for p in parents]


def run(args: argparse.Namespace) -> int:
    from nbsec.commands.batch_runner import run_batch
    from nbsec.commands.report_cache import report_cache
    from nbsec.errors import UsageError

    if args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    errors: list[str] = []
    notebooks = find_notebooks(list(args.paths), errors)
    if args.previous and len(notebooks) > 1:
        raise UsageError("--previous compares one notebook's report; give one notebook")
    if args.policy and not Path(args.policy).is_file():
        raise UsageError(f"{args.policy}: policy file not found")
    jobs = [
        Job(
            notebook=str(notebook),
            out_dir=str(folder),
            execute=args.execute,
            html=args.html,
            policy_file=args.policy,
            fail_on=args.fail_on.value if args.fail_on else None,
            previous=args.previous,
            timeout=args.timeout,
            kernel=args.kernel,
        )
        for notebook, folder in zip(notebooks, _out_dirs(notebooks, args.output_dir), strict=True)
    ]
    cache = report_cache(args)
    try:
        outcomes = run_batch(
            jobs,
            report_one,
            jobs=args.jobs,
            label=lambda j: j.notebook,
            what="nbsec report",
            preload=("nbsec.report.generate", "nbsec.source.scanner", "nbsec.report.preload"),
            cache=cache,
        )
    finally:
        if cache is not None:
            cache.close()
    if cache is not None and cache.note:
        print(cache.note, file=sys.stderr)
    failed = False
    for outcome in outcomes:
        if outcome.error is not None:
            errors.append(outcome.error)
            continue
        done = outcome.value
        assert done is not None
        failed = failed or done.failed
        gate = {"fail": "FAIL", "incomplete": "INCOMPLETE"}.get(done.outcome, "pass")
        print(f"{gate:<4}  {done.notebook}: {done.headline}")
        also = f" and {Path(done.html).name}" if done.html else ""
        kept = " (unchanged: kept)" if outcome.cached else ""
        print(f"      -> {done.report}{also}{kept}")
        if done.problems:  # reported, and still an input error: the CI sees exit 2
            more = f" (and {len(done.problems) - 1} more)" if len(done.problems) > 1 else ""
            errors.append(
                f"{done.notebook}: malformed notebook: {done.problems[0]}{more}; "
                "the rest of it was reported"
            )
    for error in errors:
        print(f"nbsec: error: {error}", file=sys.stderr)
    reported = sum(1 for o in outcomes if o.ok)
    if len(jobs) > 1:
        summary = f"{reported} of {len(jobs)} notebooks reported"
        unchanged = sum(1 for o in outcomes if o.ok and o.cached)
        summary += f" ({unchanged} unchanged, kept)" if unchanged else ""
        print(summary + (f", {len(errors)} error(s)" if errors else ""), file=sys.stderr)
    if errors or not notebooks:
        if not notebooks and not errors:
            print("nbsec: error: no notebooks found", file=sys.stderr)
        return 2
    return 1 if failed else 0
