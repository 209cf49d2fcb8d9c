"""``nbsec scan PATH...``: static scan of notebooks (no kernel, nothing executed).

Directories are searched recursively for ``*.ipynb`` (``.ipynb_checkpoints`` and hidden
directories are skipped). A notebook that cannot be read is reported as a one-line error naming
the file and the run goes on with the others; the exit code is then 2. Nothing scanned is written
anywhere: only findings (masked evidence, hashed secrets) leave the process.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path

from nbsec.commands.findings_output import add_output_arguments

NAME = "scan"
HELP = "static scan of notebooks: secrets, PII in outputs, unsafe loads, model sources, risky code"
_SKIP_DIRS = frozenset({".ipynb_checkpoints", "node_modules", "__pycache__", ".git", ".venv"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="notebooks or directories")
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


def run(args: argparse.Namespace) -> int:
    from nbsec.commands import policy_for
    from nbsec.commands.findings_output import RunResult, finish
    from nbsec.errors import InputError
    from nbsec.source.output_pii import pii_engine
    from nbsec.source.scanner import scan_notebook

    policy = policy_for(args, args.paths[0])
    result = RunResult()
    for arg in args.paths:
        root = Path(arg)
        if not root.exists():
            result.errors.append(f"{arg}: no such file or directory")
            continue
        for notebook in iter_notebooks(root):
            result.scanned += 1
            try:
                result.findings.extend(scan_notebook(notebook, policy=policy))
            except InputError as exc:
                result.errors.append(str(exc))
            except RecursionError:
                result.errors.append(f"{notebook}: notebook too deeply nested to analyse")
    if pii_engine() is None:
        result.text_preamble.append("nbsec: note: PII engine not installed; outputs not checked")
    result.json_payload["pii_checked"] = pii_engine() is not None
    return finish(result, args, policy)
