"""``nbsec lineage NB.ipynb``: per-cell lineage of a notebook as JSON, Mermaid, OpenLineage or
PROV-JSON.

With ``--execute`` the notebook is run with nbclient in its own directory, with nbsec loaded in
the kernel; without it, the lineage a kernel session left (``metadata.nbsec`` or the ledger beside
the notebook) is read, and the command says so when there is none. Exit 0 on success, 2 with a
one-line reason on any error.
"""

from __future__ import annotations

import argparse
import sys

NAME = "lineage"
HELP = "per-cell lineage of a notebook (files, URLs, variables, models with hashes)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook", help="the .ipynb file")
    parser.add_argument(
        "--execute",
        action="store_true",
        help="run the notebook (nbclient, its own directory as cwd) with nbsec loaded",
    )
    parser.add_argument(
        "--format",
        choices=("json", "mermaid", "openlineage", "prov"),
        default="json",
        help="output format (default: json)",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    parser.add_argument(
        "--timeout", type=int, default=600, help="seconds per cell with --execute (default 600)"
    )
    parser.add_argument("--kernel", default=None, help="kernel name (default: the notebook's)")
    parser.add_argument(
        "--stop-on-error",
        action="store_true",
        help="with --execute, fail (exit 2) when a cell raises instead of recording the error",
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from nbsec.errors import InputError
    from nbsec.lineage.batch import execute_lineage, recorded_lineage
    from nbsec.lineage.render import render

    notebook = Path(args.notebook)
    if not notebook.is_file():
        raise InputError(f"{notebook}: no such notebook")
    if args.execute:
        graph = execute_lineage(
            notebook,
            timeout=args.timeout,
            kernel_name=args.kernel,
            allow_errors=not args.stop_on_error,
        )
    else:
        graph = recorded_lineage(notebook)
    text = render(graph, args.format, job_name=notebook.stem)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{args.output}: cannot write ({exc.strerror or exc})") from None
    else:
        sys.stdout.write(text)
    return 0
