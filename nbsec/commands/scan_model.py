"""``nbsec scan-model PATH...``: static scan of model and pickle files (directories recurse).

Every regular file under the given paths is scanned by content, whatever its name, by the shared
batch runner (``--jobs N`` worker processes, default the number of CPUs; a progress bar on a
terminal). JSON output is ``{"files": [ModelScan.to_dict(), ...]}`` plus the keys every findings
command writes. A file that cannot be read is a one-line error naming it (exit code 2); the other
files are still scanned. Unchanged files scanned before under the same nbsec and policy come from
the results cache (``--no-cache`` to skip it).
"""

from __future__ import annotations

import argparse
import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.models.model_scan import ModelScan
    from nbsec.policy import Policy

NAME = "scan-model"
HELP = "scan model and pickle files (pickle, PyTorch, joblib, numpy, Keras, safetensors, archives)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from nbsec.commands.batch_runner import add_jobs_argument
    from nbsec.commands.findings_output import add_output_arguments
    from nbsec.commands.results_cache import add_cache_arguments

    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to scan")
    parser.add_argument("--policy", default=None, metavar="FILE", help="policy file to use")
    add_jobs_argument(parser)
    add_cache_arguments(parser)
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


def scan_one(path: Path, *, policy: Policy) -> dict[str, Any]:
    """One file's scan as plain values (it crosses process boundaries and goes to the cache)."""
    from nbsec.models import scan_model

    scan = scan_model(path, policy=policy)
    return {**scan.to_dict(), "size": scan.size, "error": scan.error}


def _decode(data: Any, path: Path) -> dict[str, Any]:
    if not isinstance(data, dict) or "verdict" not in data:
        raise ValueError("cached scan-model result is not a file scan")
    return dict(data)


def _model_scan(data: dict[str, Any]) -> ModelScan:
    from nbsec.findings import Finding
    from nbsec.models.model_scan import ModelScan

    return ModelScan(
        path=data["path"],
        format=data["format"],
        sha256=data["sha256"],
        verdict=data["verdict"],
        globals=list(data["globals"]),
        findings=[Finding.from_dict(f) for f in data["findings"]],
        size=int(data.get("size") or 0),
        error=data.get("error"),
    )


def _signed_now(scan: ModelScan, policy: Policy) -> ModelScan:
    """The signature check made afresh: the results cache keys a file by its content, but its
    signature lives in another file (``<file>.sig``, ``model.sig``) that may have changed."""
    from nbsec.models.model_scan import verdict_for
    from nbsec.models.scanner import with_signature
    from nbsec.models.signatures import SIGNATURE_RULES

    kept = [f for f in scan.findings if f.rule not in SIGNATURE_RULES]
    if len(kept) != len(scan.findings) and scan.verdict != "error":
        verdict = verdict_for(kept)
        scan.verdict = "unsupported" if scan.format == "unknown" and verdict == "safe" else verdict
    scan.findings = kept
    return with_signature(scan, scan.path, policy)


def run(args: argparse.Namespace) -> int:
    from nbsec.commands import policy_for
    from nbsec.commands.findings_output import RunResult, finish
    from nbsec.commands.results_cache import run_cached

    policy = policy_for(args, args.paths[0] if args.paths else None)
    result = RunResult()
    paths = list(iter_files(list(args.paths), result.errors))
    outcomes, stats, note = run_cached(
        args, NAME, policy, paths, functools.partial(scan_one, policy=policy), dict, _decode
    )
    files = []
    for outcome in outcomes:
        result.scanned += 1
        if outcome.error is not None or outcome.value is None:
            result.errors.append(outcome.error or f"{paths[outcome.index]}: cannot be scanned")
            continue
        scan = _signed_now(_model_scan(outcome.value), policy)
        path = Path(scan.path)
        files.append(scan.to_dict())
        if scan.verdict == "error":
            result.errors.append(scan.error or f"{path}: cannot be scanned")
            continue
        if policy.path_allowed(path) or (scan.sha256 and policy.sha256_allowed(scan.sha256)):
            result.text_preamble.append(f"{'allowed':<11} {scan.format:<20} {path}")
            continue
        result.findings.extend(scan.findings)
        result.text_preamble.append(f"{scan.verdict:<11} {scan.format:<20} {path}")
    if note:
        result.text_preamble.append(note)
    result.json_payload = {"files": files}
    if stats is not None:
        result.json_payload["cache"] = stats
    return finish(result, args, policy)
