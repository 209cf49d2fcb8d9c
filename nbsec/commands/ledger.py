"""``nbsec ledger verify FILE...``: check the hash chain of lineage ledgers.

Exit 0 when every chain is intact, 1 when one is broken (the first broken line is reported),
2 when a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys

NAME = "ledger"
HELP = "verify the hash chain of lineage ledgers (.nbsec/ledger/*.jsonl)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)
    verify = sub.add_parser(
        "verify", help="check the chain and report the first broken line", description=HELP
    )
    verify.add_argument("files", nargs="+", metavar="FILE", help="ledger files (.jsonl)")
    verify.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    from nbsec.errors import InputError
    from nbsec.lineage.ledger import verify_ledger

    results = []
    errors = []
    for name in args.files:
        try:
            results.append(verify_ledger(name))
        except InputError as exc:
            errors.append(str(exc))
    if args.format == "json":
        payload = {
            "ledgers": [
                {
                    "path": str(r.path),
                    "ok": r.ok,
                    "lines": r.lines,
                    "broken_line": r.broken_line,
                    "reason": r.reason or None,
                    "kinds": r.kinds,
                }
                for r in results
            ],
            "errors": errors,
        }
        json.dump(payload, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for r in results:
            if r.ok:
                kinds = ", ".join(f"{n} {k}" for k, n in sorted(r.kinds.items()))
                print(f"{r.path}: OK, {r.lines} lines ({kinds})")
            else:
                print(f"{r.path}: BROKEN at line {r.broken_line}: {r.reason}")
    for message in errors:
        print(f"nbsec: {message}", file=sys.stderr)
    if errors:
        return 2
    return 0 if all(r.ok for r in results) else 1
