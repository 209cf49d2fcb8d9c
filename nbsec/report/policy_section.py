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
from nbsec.policy import Policy, Subject, Waiver
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


NOT_APPLIED_NOTEBOOK = (
    "saved in the notebook: anyone can edit a notebook's metadata, so the report does not "
    "apply it; put it in the policy file to make it count"
)
NOT_APPLIED_LEDGER = (
    "given in an earlier kernel session (ledger); not applied by the report: put it in the "
    "policy file to make it count"
)


@dataclass
class RecordedWaiver:
    """A waiver the report lists (besides the policy file's): where it was given, and whether
    the report applies it to the findings."""

    waiver: Waiver
    origin: str  # "session" | "notebook" | "ledger"
    applied: bool
    note: str | None = None
    id: str | None = None


def _as_waiver(item: Mapping[str, Any]) -> Waiver | None:
    from nbsec.kernel.waiver_book import WaiverRecord

    try:
        return WaiverRecord.from_saved(item).waiver
    except (ValueError, TypeError):
        return None


def recorded_waivers(
    session: Iterable[Mapping[str, Any]] | None,
    notebook: Iterable[Any],
    ledger: Iterable[Mapping[str, Any]],
) -> list[RecordedWaiver]:
    """The waivers beyond the policy file. In a live or executed report, those the session
    gave apply (the kernel applied them too); waivers saved in the notebook or found in an
    earlier session's ledger are listed, never applied."""
    out: list[RecordedWaiver] = []
    if session is not None:
        for item in session:
            origin = str(item.get("origin") or "session")
            waiver = _as_waiver(item)
            if origin == "policy" or waiver is None:
                continue
            active = bool(item.get("active", True))
            applied = origin == "session" and active
            note = None
            if origin == "notebook":
                note = NOT_APPLIED_NOTEBOOK
            elif not active:
                note = str(item.get("note") or "not active in the session")
            out.append(RecordedWaiver(waiver, origin, applied, note, item.get("id")))
        return out
    for item in notebook:
        waiver = _as_waiver(item) if isinstance(item, Mapping) else None
        if waiver is not None:
            out.append(RecordedWaiver(waiver, "notebook", False, NOT_APPLIED_NOTEBOOK))
    for item in ledger:
        waiver = _as_waiver(item)
        if waiver is not None:
            out.append(RecordedWaiver(waiver, "ledger", False, NOT_APPLIED_LEDGER))
    return out


def judge(
    findings: Iterable[Finding],
    policy: Policy,
    today: dt.date,
    extra: Iterable[Waiver] = (),
    subjects: Mapping[str, Subject] | None = None,
) -> Judged:
    """Sort findings by the policy file's waivers, then the ``extra`` ones the report applies
    (a live session's own); ``subjects`` tell what a finding is about (a frame column, a file),
    for waivers scoped to one."""
    more = list(extra)
    active: list[Finding] = []
    waived: list[tuple[Finding, Waiver]] = []
    disabled: list[Finding] = []
    for finding in sort_findings(findings):
        if not policy.rule_enabled(finding.rule):
            disabled.append(finding)
            continue
        subject = (subjects or {}).get(finding.fingerprint)
        waiver = policy.waiver_for(finding, today, subject)
        if waiver is None:
            waiver = next((w for w in more if w.matches(finding, today, subject)), None)
        if waiver is not None:
            waived.append((finding, waiver))
        else:
            active.append(finding)
    return Judged(active, waived, disabled)


def fails(judged: Judged, fail_on: Severity) -> bool:
    return any(f.severity.at_least(fail_on) for f in judged.active)


def gate_outcome(judged: Judged, fail_on: Severity, unchecked: list[str]) -> str:
    """``fail`` when an open finding is at or above ``fail_on`` (what could not be read only
    adds findings); else ``incomplete`` when part of the notebook could not be read or checked;
    else ``pass``."""
    if fails(judged, fail_on):
        return "fail"
    return "incomplete" if unchecked else "pass"


def summary(
    judged: Judged, policy: Policy, gaps: list[str], unchecked: list[str] | None = None
) -> Summary:
    unchecked = list(unchecked or [])
    counts = count_by_severity(judged.active)
    worst = next((s for s in Severity if counts[s.value]), None)
    families = Counter(f.rule.split("-")[1] for f in judged.active)
    outcome = gate_outcome(judged, policy.fail_on, unchecked)
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
    gate = f"the policy gate (fail on {policy.fail_on})"
    if unchecked:
        more = f" and {len(unchecked) - 1} more" if len(unchecked) > 1 else ""
        unread = f"not read in full ({unchecked[0]}{more})"
        gaps = [*gaps, f"the notebook was not read in full: {unchecked[0]}{more}"]
        headline += " in what could be read"
    if outcome == "fail":
        headline += f"; fails {gate}" + (f"; {unread}" if unchecked else "")
    elif outcome == "incomplete":
        headline += f"; does not pass {gate}: {unread}"
    else:
        headline += f"; passes {gate}"
    return Summary(
        risk=worst.value if worst else "none",
        outcome=outcome,
        fail_on=policy.fail_on.value,
        headline=headline,
        counts=counts,
        by_family={name: families.get(name, 0) for name in FAMILIES},
        waived=len(judged.waived),
        fix_first=fix_first,
        gaps=gaps,
        unchecked=unchecked,
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


def _scope(waiver: Waiver) -> str:
    if waiver.sha256 is not None or waiver.file is not None:
        return "file"
    if waiver.fingerprint is not None:
        return "finding"
    if waiver.frame is not None:
        return "column"
    if waiver.rule is not None:
        return "family" if len(waiver.rule) == len("NBS-PII") else "rule"
    return "notebook"


def _waiver_entry(
    waiver: Waiver, origin: str, matched: int, today: dt.date, **extra: Any
) -> WaiverEntry:
    return WaiverEntry(
        target=waiver.describe(),
        scope=_scope(waiver),
        reason=waiver.reason,
        by=_who(waiver),
        expires=waiver.expires.isoformat() if waiver.expires else None,
        expired=waiver.expired(today),
        origin=origin,
        matched=matched,
        applied=not waiver.expired(today),
        note=extra.get("note"),
    )


def waiver_entries(
    judged: Judged,
    policy: Policy,
    recorded: Iterable[RecordedWaiver],
    today: dt.date,
    model_hashes: Iterable[str | None] = (),
    model_paths: Iterable[str | None] = (),
) -> list[WaiverEntry]:
    """Every waiver with who, why, expiry and what it covered: findings it waived, or for a
    file waiver the model files it admits."""
    counts = Counter(id(w) for _, w in judged.waived)
    hashes = [h for h in model_hashes if h]
    paths = [p for p in model_paths if p]

    def matched(waiver: Waiver) -> int:
        if waiver.admits_file:
            return sum(1 for h in hashes if waiver.admits(h, None, today)) + sum(
                1 for p in paths if waiver.admits(None, p, today)
            )
        return counts.get(id(waiver), 0)

    out = [_waiver_entry(w, "policy", matched(w), today) for w in policy.waivers]
    for item in recorded:
        note = item.note
        if item.waiver.expired(today) and note is None:
            note = "expired: no longer applies"
        entry = _waiver_entry(item.waiver, item.origin, matched(item.waiver), today, note=note)
        entry.applied = entry.applied and item.applied
        out.append(entry)
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
    unchecked: list[str] | None = None,
) -> PolicySection:
    source = str(policy.source) if policy.source else "the built-in defaults"
    return PolicySection(
        checked=f"every finding against {source}: rules enabled, waivers (expired ones no "
        f"longer apply), and the gate fail_on = {policy.fail_on}",
        outcome=gate_outcome(judged, policy.fail_on, list(unchecked or [])),
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
