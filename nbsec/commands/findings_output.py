"""What every findings-producing command shares: output formats, the CI gate, baselines, waivers.

A command collects a :class:`RunResult` (findings, plus one-line errors for inputs it could not
read) and hands it to :func:`finish`, which sorts findings into active / waived / baselined, writes
text, JSON or SARIF, and returns the exit code of the contract:

* 2 if any input could not be read (the others were still scanned and reported),
* else 1 if an active finding is at or above ``--fail-on``,
* else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from nbsec.findings import Finding, Severity, count_by_severity, sort_findings
from nbsec.policy import Policy

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


@dataclass
class RunResult:
    """The raw outcome of a command, before policy and baseline are applied."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    scanned: int = 0
    # Extra top-level JSON for commands with their own shape (scan-model's "files", ...).
    json_payload: dict[str, Any] = field(default_factory=dict)
    # Extra text printed before the findings table (per-file verdicts, ...).
    text_preamble: list[str] = field(default_factory=list)


@dataclass
class Triage:
    active: list[Finding]
    waived: list[tuple[Finding, str]]
    baselined: list[Finding]


def add_output_arguments(parser: argparse.ArgumentParser, *, baseline: bool = True) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "json", "sarif"),
        default="text",
        help="output format (default: text, a readable table)",
    )
    parser.add_argument(
        "--fail-on",
        type=_severity_arg,
        default=None,
        metavar="SEVERITY",
        help="exit 1 if a finding is at or above this severity "
        "(critical|high|medium|low|info; default: the policy's fail_on, else high)",
    )
    parser.add_argument(
        "-o", "--output", default=None, metavar="FILE", help="write the report to FILE"
    )
    if baseline:
        parser.add_argument(
            "--baseline",
            default=None,
            metavar="FILE",
            help="findings whose fingerprint is in FILE are reported as known and do not fail",
        )
        parser.add_argument(
            "--write-baseline",
            default=None,
            metavar="FILE",
            help="write the fingerprints of all current findings to FILE",
        )


def _severity_arg(value: str) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def triage(findings: list[Finding], policy: Policy, baseline: frozenset[str]) -> Triage:
    active: list[Finding] = []
    waived: list[tuple[Finding, str]] = []
    baselined: list[Finding] = []
    for f in sort_findings(findings):
        if not policy.rule_enabled(f.rule):
            continue
        waiver = policy.waiver_for(f)
        if waiver is not None:
            waived.append((f, f"waived: {waiver.reason}"))
        elif f.fingerprint in baseline:
            baselined.append(f)
        else:
            active.append(f)
    return Triage(active, waived, baselined)


def finish(
    result: RunResult,
    args: argparse.Namespace,
    policy: Policy,
    *,
    text_renderer: Callable[[RunResult, Triage, TextIO], None] | None = None,
) -> int:
    from nbsec.baseline import load_baseline, write_baseline

    baseline_file = getattr(args, "baseline", None)
    baseline = load_baseline(baseline_file) if baseline_file else frozenset()
    tri = triage(result.findings, policy, baseline)
    fail_on: Severity = args.fail_on or policy.fail_on

    write_to = getattr(args, "write_baseline", None)
    if write_to:
        n = write_baseline(write_to, tri.active + tri.baselined)
        print(f"nbsec: wrote {n} fingerprints to {write_to}", file=sys.stderr)

    out: TextIO
    close = False
    if args.output:
        out = open(args.output, "w", encoding="utf-8")  # noqa: SIM115
        close = True
    else:
        out = sys.stdout
    try:
        if args.format == "json":
            doc = {
                **result.json_payload,
                "findings": [f.to_dict() for f in tri.active],
                "waived": [{**f.to_dict(), "waiver": why} for f, why in tri.waived],
                "baselined": [f.to_dict() for f in tri.baselined],
                "errors": list(result.errors),
                "summary": summary(result, tri, fail_on),
            }
            json.dump(doc, out, indent=2)
            out.write("\n")
        elif args.format == "sarif":
            from nbsec.report.sarif import to_sarif

            suppressed = tri.waived + [(f, "baseline") for f in tri.baselined]
            json.dump(
                to_sarif(tri.active, suppressed=suppressed, invocation_errors=result.errors),
                out,
                indent=2,
            )
            out.write("\n")
        else:
            (text_renderer or render_text)(result, tri, out)
    finally:
        if close:
            out.close()

    for err in result.errors:
        print(f"nbsec: error: {err}", file=sys.stderr)
    if result.errors:
        return EXIT_ERROR
    if any(f.severity.at_least(fail_on) for f in tri.active):
        return EXIT_FINDINGS
    return EXIT_OK


def summary(result: RunResult, tri: Triage, fail_on: Severity) -> dict[str, Any]:
    return {
        "scanned": result.scanned,
        "active": len(tri.active),
        "waived": len(tri.waived),
        "baselined": len(tri.baselined),
        "errors": len(result.errors),
        "by_severity": count_by_severity(tri.active),
        "fail_on": fail_on.value,
    }


_COLORS = {
    Severity.CRITICAL: "\033[1;31m",
    Severity.HIGH: "\033[31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
    Severity.INFO: "\033[2m",
}


def _use_color(out: TextIO) -> bool:
    return out.isatty() and "NO_COLOR" not in os.environ


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_text(result: RunResult, tri: Triage, out: TextIO) -> None:
    """A readable table: severity, rule, where, what (and masked evidence)."""
    color = _use_color(out)
    for line in result.text_preamble:
        out.write(line + "\n")
    if tri.active:
        rows = [
            (
                f.severity.value.upper(),
                f.rule,
                _clip(f.location.describe(), 48),
                _clip(f.message + (f"  [{f.evidence}]" if f.evidence else ""), 100),
                f.severity,
            )
            for f in tri.active
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        header = ("SEVERITY", "RULE", "WHERE", "WHAT")
        widths = [max(w, len(h)) for w, h in zip(widths, header, strict=False)]
        out.write(
            f"{header[0]:<{widths[0]}}  {header[1]:<{widths[1]}}  {header[2]:<{widths[2]}}  "
            f"{header[3]}\n"
        )
        for sev, rule, where, what, level in rows:
            cell = f"{sev:<{widths[0]}}"
            if color:
                cell = f"{_COLORS[level]}{cell}\033[0m"
            out.write(f"{cell}  {rule:<{widths[1]}}  {where:<{widths[2]}}  {what}\n")
    out.write(summary_line(result, tri) + "\n")


def summary_line(result: RunResult, tri: Triage) -> str:
    """``3 finding(s) (1 critical, 2 high) in 2 file(s), 1 waived``: the last line of a table."""
    counts = count_by_severity(tri.active)
    parts = [f"{n} {sev}" for sev, n in counts.items() if n]
    line = f"{len(tri.active)} finding(s)" + (f" ({', '.join(parts)})" if parts else "")
    line += f" in {result.scanned} file(s)"
    if tri.waived:
        line += f", {len(tri.waived)} waived"
    if tri.baselined:
        line += f", {len(tri.baselined)} in baseline"
    if result.errors:
        line += f", {len(result.errors)} error(s)"
    return line
