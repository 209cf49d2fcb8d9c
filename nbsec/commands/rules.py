"""``nbsec rules``: list the rules nbsec checks, or show one rule's documentation."""

from __future__ import annotations

import argparse
import json
import sys

NAME = "rules"
HELP = "list nbsec's rules (ids, severities, tags) or show one rule's documentation"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule", nargs="?", help="a rule id (NBS-PKL-001) or family (PKL)")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    from nbsec.errors import UsageError
    from nbsec.rules import FAMILIES, all_rules

    rules = list(all_rules().values())
    if args.rule:
        wanted = args.rule.upper()
        if wanted in FAMILIES:
            rules = [r for r in rules if r.family == wanted]
        else:
            rules = [r for r in rules if r.id == wanted]
        if not rules:
            raise UsageError(f"no rule or family named {args.rule!r}")
    if args.format == "json":
        json.dump(
            [
                {
                    "id": r.id,
                    "title": r.title,
                    "severity": r.severity.value,
                    "confidence": r.confidence.value,
                    "tags": list(r.tags),
                    "remediation": r.remediation,
                    "description": r.description,
                }
                for r in rules
            ],
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
        return 0
    if args.rule and len(rules) == 1:
        r = rules[0]
        print(f"{r.id}  {r.title}")
        print(
            f"severity: {r.severity.value}  confidence: {r.confidence.value}  "
            f"tags: {', '.join(r.tags)}"
        )
        print()
        print(r.description)
        print()
        print(f"Fix: {r.remediation}")
        return 0
    width = max(len(r.title) for r in rules)
    for r in rules:
        print(f"{r.id}  {r.severity.value:<8}  {r.title:<{width}}  {' '.join(r.tags)}")
    return 0
