"""Findings judged against the policy: active or waived, each family's outcome, the waivers with
who, why and expiry, the executive summary, and the difference from the previous report."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbsec.findings import Finding, Severity, count_by_severity, sort_findings
from nbsec.policy import Policy, Waiver
from nbsec.report.cell_labels import where
from nbsec.report.model import (
    DiffEntry,
    FamilyOutcome,
    FixItem,
    PolicySection,
    ReportDiff,
    Summary,
    WaiverEntry,
)
from nbsec.rules import FAMILIES


@dataclass
class Judged:
    """The findings of one notebook sorted by the policy."""

    active: list[Finding]
    waived: list[tuple[Finding, Waiver]]
    disabled: list[Finding]

    def status(self) -> dict[str, str]:
        """fingerprint -> ``active`` / ``waived``."""
        out = {f.fingerprint: "active" for f in self.active}
        out.update({f.fingerprint: "waived" for f, _ in self.waived})
        return out


def session_waivers(items: Iterable[Mapping[str, Any]]) -> tuple[Waiver, ...]:
    """Waivers given in a kernel session (``%nbsec allow``) that apply to findings: those of a
    rule or family (file-scoped ones admit files, they do not hide findings)."""
    out: list[Waiver] = []
    for item in items:
        if item.get("kind") == "rule" and item.get("target"):
            out.append(Waiver(reason=str(item.get("reason") or ""), rule=str(item["target"])))
        elif item.get("kind") == "fingerprint" and item.get("target"):
            out.append(
                Waiver(reason=str(item.get("reason") or ""), fingerprint=str(item["target"]))
            )
    return tuple(out)


def judge(findings: Iterable[Finding], policy: Policy, today: dt.date) -> Judged:
    active: list[Finding] = []
    waived: list[tuple[Finding, Waiver]] = []
    disabled: list[Finding] = []
    for finding in sort_findings(findings):
        if not policy.rule_enabled(finding.rule):
            disabled.append(finding)
            continue
        waiver = policy.waiver_for(finding, today)
        if waiver is not None:
            waived.append((finding, waiver))
        else:
            active.append(finding)
    return Judged(active, waived, disabled)


def fails(judged: Judged, fail_on: Severity) -> bool:
    return any(f.severity.at_least(fail_on) for f in judged.active)


def summary(judged: Judged, policy: Policy, gaps: list[str]) -> Summary:
    counts = count_by_severity(judged.active)
    worst = next((s for s in Severity if counts[s.value]), None)
    families = Counter(f.rule.split("-")[1] for f in judged.active)
    failed = fails(judged, policy.fail_on)
    by_rule: dict[str, list[Finding]] = {}
    for finding in judged.active:  # already most severe first
        by_rule.setdefault(finding.rule, []).append(finding)
    fix_first = [
        FixItem(
            rule=rule,
            title=items[0].title,
            severity=items[0].severity.value,
            where=where(items[0]) + (f" and {len(items) - 1} more" if len(items) > 1 else ""),
            remediation=items[0].remediation,
            count=len(items),
        )
        for rule, items in list(by_rule.items())[:3]
    ]
    total = len(judged.active)
    if total == 0:
        headline = "No open findings"
    else:
        parts = [f"{n} {s}" for s, n in counts.items() if n]
        headline = f"{total} open finding{'s' if total != 1 else ''} ({', '.join(parts)})"
    headline += f"; {'fails' if failed else 'passes'} the policy gate (fail on {policy.fail_on})"
    return Summary(
        risk=worst.value if worst else "none",
        outcome="fail" if failed else "pass",
        fail_on=policy.fail_on.value,
        headline=headline,
        counts=counts,
        by_family={name: families.get(name, 0) for name in FAMILIES},
        waived=len(judged.waived),
        fix_first=fix_first,
        gaps=gaps,
    )


def family_outcomes(judged: Judged, policy: Policy) -> list[FamilyOutcome]:
    out: list[FamilyOutcome] = []
    for family, name in FAMILIES.items():
        prefix = f"NBS-{family}-"
        active = [f for f in judged.active if f.rule.startswith(prefix)]
        waived = [f for f, _ in judged.waived if f.rule.startswith(prefix)]
        disabled = not policy.rule_enabled(f"NBS-{family}")
        worst = max((f.severity for f in active), key=lambda s: s.rank, default=None)
        if disabled:
            outcome = "disabled"
        elif worst is not None and worst.at_least(policy.fail_on):
            outcome = "fail"
        elif active:
            outcome = "findings below the gate"
        elif waived:
            outcome = "waived"
        else:
            outcome = "pass"
        out.append(
            FamilyOutcome(
                family=family,
                name=name,
                outcome=outcome,
                active=len(active),
                waived=len(waived),
                worst=worst.value if worst else None,
            )
        )
    return out


def waiver_entries(
    judged: Judged,
    policy: Policy,
    session: Iterable[Mapping[str, Any]],
    today: dt.date,
    model_hashes: Iterable[str | None] = (),
    model_paths: Iterable[str | None] = (),
) -> list[WaiverEntry]:
    matched = Counter(id(w) for _, w in judged.waived)
    out: list[WaiverEntry] = []
    for waiver in policy.waivers:
        target = waiver.rule or waiver.fingerprint or waiver.path or "-"
        scope = "rule" if waiver.rule else "finding" if waiver.fingerprint else "path"
        if waiver.path and (waiver.rule or waiver.fingerprint):
            target += f" in {waiver.path}"
        expired = waiver.expires is not None and today > waiver.expires
        out.append(
            WaiverEntry(
                target=target,
                scope=scope,
                reason=waiver.reason,
                by=_who(waiver),
                expires=waiver.expires.isoformat() if waiver.expires else None,
                expired=expired,
                origin="policy",
                matched=matched.get(id(waiver), 0),
            )
        )
    hashes = [h for h in model_hashes if h]
    paths = [p for p in model_paths if p]
    for item in session:
        kind = str(item.get("kind") or "")
        target = str(item.get("target") or "")
        if kind == "rule":
            count = sum(
                1 for f, w in judged.waived if w.rule == target and w.reason == item.get("reason")
            )
        elif kind == "sha256":
            count = sum(1 for h in hashes if h.lower().removeprefix("sha256:") == target.lower())
        elif kind == "path":
            count = sum(1 for p in paths if Path(p).match(target) or p == target)
        else:
            count = 0
        expires = item.get("expires")
        expired = False
        if isinstance(expires, str) and expires:
            try:
                expired = today > dt.date.fromisoformat(expires[:10])
            except ValueError:
                expired = False
        out.append(
            WaiverEntry(
                target=target,
                scope=kind or "-",
                reason=str(item.get("reason") or ""),
                by=str(item["by"]) if item.get("by") else None,
                expires=str(expires) if expires else None,
                expired=expired,
                origin="session",
                matched=count,
            )
        )
    return out


def _who(waiver: Waiver) -> str | None:
    for attribute in ("by", "approved_by", "owner"):
        value = getattr(waiver, attribute, None)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def previous_report(candidate: Path) -> tuple[dict[str, Any], str] | None:
    """A previous report JSON (and its sha256), or ``None`` if ``candidate`` is not one."""
    try:
        raw = candidate.read_bytes()
        data = json.loads(raw)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("urn:nbsec:report"):
        return None
    return data, hashlib.sha256(raw).hexdigest()


def diff(
    judged: Judged, previous: tuple[dict[str, Any], str] | None, shown_as: str
) -> tuple[ReportDiff | None, str]:
    if previous is None:
        return None, "no previous report of this notebook was given or found beside it"
    data, digest = previous
    before: dict[str, dict[str, Any]] = {}
    for item in data.get("findings") or []:
        if isinstance(item, dict) and item.get("status") == "active" and item.get("fingerprint"):
            before[str(item["fingerprint"])] = item
    now = {f.fingerprint: f for f in judged.active}
    new = [_entry(f) for fp, f in now.items() if fp not in before]
    resolved = [
        DiffEntry(
            rule=str(item.get("rule", "")),
            title=str(item.get("title", "")),
            severity=str(item.get("severity", "")),
            where=str(item.get("where", "")),
            fingerprint=fp,
        )
        for fp, item in before.items()
        if fp not in now
    ]
    produced = data.get("identity", {}).get("produced", {}).get("at")
    result = ReportDiff(
        previous=shown_as,
        previous_sha256=digest,
        previous_produced_at=str(produced) if produced else None,
        new=new,
        resolved=resolved,
        unchanged=sum(1 for fp in now if fp in before),
    )
    note = (
        f"compared with {shown_as}: {len(new)} new, {len(resolved)} resolved, "
        f"{result.unchanged} unchanged"
    )
    return result, note


def _entry(finding: Finding) -> DiffEntry:
    return DiffEntry(
        rule=finding.rule,
        title=finding.title,
        severity=finding.severity.value,
        where=where(finding),
        fingerprint=finding.fingerprint,
    )


def policy_section(
    judged: Judged,
    policy: Policy,
    waivers: list[WaiverEntry],
    report_diff: ReportDiff | None,
    diff_note: str,
) -> PolicySection:
    source = str(policy.source) if policy.source else "the built-in defaults"
    return PolicySection(
        checked=f"every finding against {source}: rules enabled, waivers (expired ones no "
        f"longer apply), and the gate fail_on = {policy.fail_on}",
        outcome="fail" if fails(judged, policy.fail_on) else "pass",
        fail_on=policy.fail_on.value,
        families=family_outcomes(judged, policy),
        waivers=waivers,
        diff=report_diff,
        diff_note=diff_note,
    )


def finding_rows(judged: Judged) -> list[dict[str, Any]]:
    """The report JSON's ``findings``: the Finding contract plus status, waiver and where."""
    rows: list[dict[str, Any]] = []
    for finding in judged.active:
        rows.append(
            {**finding.to_dict(), "status": "active", "waiver": None, "where": where(finding)}
        )
    for finding, waiver in judged.waived:
        rows.append(
            {
                **finding.to_dict(),
                "status": "waived",
                "waiver": waiver.reason,
                "where": where(finding),
            }
        )
    return rows
