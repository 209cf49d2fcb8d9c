"""``nbsec scan PATH...``: static scan of notebooks (no kernel, nothing executed).

Directories are searched recursively for ``*.ipynb`` (``.ipynb_checkpoints`` and hidden
directories are skipped). Notebooks are scanned by the shared batch runner: ``--jobs N`` worker
processes (default: the number of CPUs), a progress bar on a terminal. A notebook that cannot be
read is reported as a one-line error naming the file and the run goes on with the others; the exit
code is then 2. Results of notebooks scanned before, unchanged, under the same nbsec and policy,
come from the results cache (:mod:`nbsec.commands.results_cache`; ``--no-cache`` to skip it).
Nothing scanned is written anywhere: only findings (masked evidence, hashed secrets) leave the
process, and only they are cached.
"""

from __future__ import annotations

import argparse
import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from nbsec.commands.findings_output import add_output_arguments
from nbsec.findings import cell_label, output_label

if TYPE_CHECKING:
    from nbsec.commands.findings_output import RunResult, Triage
    from nbsec.policy import Policy

NAME = "scan"
HELP = "static scan of notebooks: secrets, PII in outputs, unsafe loads, model sources, risky code"
_SKIP_DIRS = frozenset({".ipynb_checkpoints", "node_modules", "__pycache__", ".git", ".venv"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from nbsec.commands.batch_runner import add_jobs_argument
    from nbsec.commands.results_cache import add_cache_arguments

    parser.add_argument("paths", nargs="+", metavar="PATH", help="notebooks or directories")
    add_jobs_argument(parser)
    add_cache_arguments(parser)
    add_output_arguments(parser)


def iter_notebooks(path: Path) -> Iterator[Path]:
    """``path`` itself if it is a file, else every ``*.ipynb`` below it, in a stable order."""
    if not path.is_dir():
        yield path
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".ipynb"):
                yield Path(root) / name


def scan_one(notebook: Path, *, policy: Policy) -> dict[str, list[Any]]:
    """The findings of one notebook and the problems of its malformed parts, as plain data (it
    crosses process boundaries and is cached)."""
    from nbsec.commands.light_imports import without_unused_frameworks
    from nbsec.source.scanner import scan_notebook_file

    with without_unused_frameworks(policy):
        scan = scan_notebook_file(notebook, policy=policy)
    return {
        "findings": [f.to_dict() for f in scan.findings],
        "problems": [str(p) for p in scan.problems],
    }


def _decode(data: Any, path: Path) -> dict[str, list[Any]]:
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise ValueError("cached scan result is not a notebook's findings")
    return {
        "findings": [dict(item) for item in data["findings"]],
        "problems": [str(p) for p in data.get("problems", [])],
    }


def run(args: argparse.Namespace) -> int:
    from nbsec.commands import policy_for
    from nbsec.commands.findings_output import RunResult, finish
    from nbsec.commands.results_cache import run_cached
    from nbsec.findings import Finding
    from nbsec.source.output_pii import pii_engine

    policy = policy_for(args, args.paths[0])
    result = RunResult()
    notebooks: list[Path] = []
    for arg in args.paths:
        root = Path(arg)
        if not root.exists():
            result.errors.append(f"{arg}: no such file or directory")
            continue
        notebooks.extend(iter_notebooks(root))
    outcomes, stats, note = run_cached(
        args,
        NAME,
        policy,
        notebooks,
        functools.partial(scan_one, policy=policy),
        dict,
        _decode,
        # workers fork from a forkserver that has scanned once: the PII engine loads once
        preload=("nbsec.source.scanner", "nbsec.source.preload"),
    )
    for notebook, outcome in zip(notebooks, outcomes, strict=True):
        result.scanned += 1
        if outcome.error is not None:
            result.errors.append(outcome.error)
            continue
        scan = outcome.value or {}
        result.findings.extend(Finding.from_dict(f) for f in scan.get("findings", []))
        problems = scan.get("problems", [])
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            result.errors.append(
                f"{notebook}: malformed notebook: {problems[0]}{more}; the rest of it was scanned"
            )
    if note:
        result.text_preamble.append(note)
    if pii_engine() is None:
        result.text_preamble.append("nbsec: note: PII engine not installed; outputs not checked")
    result.json_payload["pii_checked"] = pii_engine() is not None
    if stats is not None:
        result.json_payload["cache"] = stats
    return finish(result, args, policy, text_renderer=render_text)


_COLORS = {"critical": "\033[1;31m", "high": "\033[31m", "medium": "\033[33m", "low": "\033[36m"}


def _where(cell: int | None, line: int | None, output: int | None) -> str:
    """``cell 4 output 2 line 3``: cells and outputs counted from 1, as the notebook shows them."""
    parts = ["notebook" if cell is None else cell_label(cell)]
    if output is not None:
        parts.append(output_label(output))
    if line is not None:
        parts.append(f"line {line}")
    return " ".join(parts)


def render_text(result: RunResult, tri: Triage, out: TextIO) -> None:
    """Findings grouped by notebook, one row each: severity, rule, where, what (masked)."""
    from nbsec.commands.findings_output import summary_line

    color = out.isatty() and "NO_COLOR" not in os.environ
    for line in result.text_preamble:
        out.write(line + "\n")
    rows = [
        (
            f.location.path or "-",
            f.severity.value.upper(),
            f.rule,
            _where(f.location.cell_index, f.location.line, f.location.output_index),
            " ".join(
                (f"{f.title}: {f.message}" + (f"  [{f.evidence}]" if f.evidence else "")).split()
            ),
            f.severity.value,
        )
        for f in tri.active
    ]
    if rows:
        width_sev = max(len("SEVERITY"), *(len(r[1]) for r in rows))
        width_where = max(len("WHERE"), *(len(r[3]) for r in rows))
        header = f"{'SEVERITY':<{width_sev}}  {'RULE':<11}  {'WHERE':<{width_where}}  WHAT"
        out.write(header + "\n")
        current = None
        for path, sev, rule, where, what, level in rows_by_path(rows):
            if path != current:
                out.write(f"{path}\n")
                current = path
            cell = f"{sev:<{width_sev}}"
            if color and level in _COLORS:
                cell = f"{_COLORS[level]}{cell}\033[0m"
            what = what if len(what) <= 160 else what[:159] + "…"
            out.write(f"{cell}  {rule:<11}  {where:<{width_where}}  {what}\n")
    out.write(summary_line(result, tri) + "\n")


def rows_by_path(
    rows: list[tuple[str, str, str, str, str, str]],
) -> list[tuple[str, str, str, str, str, str]]:
    """Rows grouped by file (files in name order), keeping severity order within a file."""
    return sorted(rows, key=lambda r: r[0])
