"""SARIF 2.1.0 output, for GitHub code scanning and other CI dashboards.

One run, tool ``nbsec`` with every rule that has a result (id, name, short and full description,
help, default level, ``security-severity`` and tags). Each result carries its ``ruleId``, ``level``,
message, a physical location (the file, and the line when known), a logical location naming the
notebook cell, ``partialFingerprints`` (our stable fingerprint, so code scanning tracks a finding
across commits) and ``properties`` with the cell index/id and the masked evidence. Waived or
baselined findings are emitted with a ``suppressions`` entry rather than dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from nbsec._version import __version__
from nbsec.findings import Finding, Severity, cell_label, output_label
from nbsec.rules import Rule, all_rules

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/nbsec/nbsec"

LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

# GitHub maps security-severity to critical (>= 9.0), high (7.0-8.9), medium (4.0-6.9), low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.title.replace("-", " ").split()[:8]),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "help": {"text": rule.remediation, "markdown": f"**Fix:** {rule.remediation}"},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "tags": ["security", *rule.tags],
            "precision": {"high": "high", "medium": "medium", "low": "low"}[rule.confidence.value],
        },
        **({"helpUri": rule.help_uri} if rule.help_uri else {}),
    }


def _artifact_uri(path: str | None) -> str:
    if not path:
        return "unknown"
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            return candidate.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return candidate.as_uri()
    return candidate.as_posix()


def _location(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    physical: dict[str, Any] = {"artifactLocation": {"uri": _artifact_uri(loc.path)}}
    if loc.line is not None and loc.line >= 1:
        region: dict[str, Any] = {"startLine": loc.line}
        if loc.column is not None and loc.column >= 1:
            region["startColumn"] = loc.column
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if loc.cell_index is not None:
        # people read these names: cells and outputs numbered as the notebook shows them
        name = cell_label(loc.cell_index)
        if loc.output_index is not None:
            name += f" {output_label(loc.output_index)}"
        location["logicalLocations"] = [
            {"name": name, "fullyQualifiedName": f"{_artifact_uri(loc.path)}#{name}"}
        ]
    return location


def to_sarif(
    findings: Iterable[Finding],
    *,
    suppressed: Sequence[tuple[Finding, str]] = (),
    invocation_errors: Sequence[str] = (),
) -> dict[str, Any]:
    """The SARIF log for ``findings``; ``suppressed`` are (finding, justification) pairs."""
    active = list(findings)
    registry = all_rules()
    used = sorted({f.rule for f in active} | {f.rule for f, _ in suppressed})
    descriptors = [_rule_descriptor(registry[r]) for r in used if r in registry]
    index = {d["id"]: i for i, d in enumerate(descriptors)}

    def result(finding: Finding, suppression: str | None) -> dict[str, Any]:
        text = finding.message
        if finding.evidence:
            text += f" Evidence: {finding.evidence}"
        out: dict[str, Any] = {
            "ruleId": finding.rule,
            "level": LEVELS[finding.severity],
            "message": {"text": text},
            "locations": [_location(finding)],
            "partialFingerprints": {"nbsecFingerprint/v1": finding.fingerprint},
            "properties": {
                "severity": finding.severity.value,
                "confidence": finding.confidence.value,
                "security-severity": SECURITY_SEVERITY[finding.severity],
                "cellIndex": finding.location.cell_index,
                "cellId": finding.location.cell_id,
                "outputIndex": finding.location.output_index,
                "evidence": finding.evidence,
                "tags": list(finding.tags),
            },
        }
        if finding.rule in index:
            out["ruleIndex"] = index[finding.rule]
        if suppression is not None:
            out["suppressions"] = [{"kind": "external", "justification": suppression}]
        return out

    results = [result(f, None) for f in active] + [result(f, why) for f, why in suppressed]
    invocation: dict[str, Any] = {"executionSuccessful": not invocation_errors}
    if invocation_errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": err}} for err in invocation_errors
        ]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "nbsec",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "invocations": [invocation],
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
