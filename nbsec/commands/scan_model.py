"""``nbsec scan-model PATH...``: static scan of model and pickle files (directories recurse).

Every regular file under the given paths is scanned by content, whatever its name. JSON output is
``{"files": [ModelScan.to_dict(), ...]}`` plus the keys every findings command writes. A file that
cannot be read is a one-line error naming it (exit code 2); the other files are still scanned.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path

NAME = "scan-model"
HELP = "scan model and pickle files (pickle, PyTorch, joblib, numpy, Keras, safetensors, archives)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from nbsec.commands.findings_output import add_output_arguments

    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to scan")
    parser.add_argument("--policy", default=None, metavar="FILE", help="policy file to use")
    add_output_arguments(parser)


def iter_files(paths: list[str], errors: list[str]) -> Iterator[Path]:
    """Files under ``paths`` in a stable order; missing paths go to ``errors``."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in (".git", "__pycache__"))
                for name in sorted(files):
                    candidate = Path(root) / name
                    if candidate.is_file() and not candidate.is_symlink():
                        yield candidate
        elif path.is_file():
            yield path
        else:
            errors.append(f"{raw}: no such file or directory")


def run(args: argparse.Namespace) -> int:
    from nbsec.commands import policy_for
    from nbsec.commands.findings_output import RunResult, finish
    from nbsec.models import scan_model

    policy = policy_for(args, args.paths[0] if args.paths else None)
    result = RunResult()
    files = []
    for path in iter_files(list(args.paths), result.errors):
        scan = scan_model(path, policy=policy)
        result.scanned += 1
        files.append(scan.to_dict())
        if scan.verdict == "error":
            result.errors.append(scan.error or f"{path}: cannot be scanned")
            continue
        if policy.path_allowed(path) or (scan.sha256 and policy.sha256_allowed(scan.sha256)):
            result.text_preamble.append(f"{'allowed':<11} {scan.format:<20} {path}")
            continue
        result.findings.extend(scan.findings)
        result.text_preamble.append(f"{scan.verdict:<11} {scan.format:<20} {path}")
    result.json_payload = {"files": files}
    return finish(result, args, policy)
