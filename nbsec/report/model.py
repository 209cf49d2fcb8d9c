"""The governance report as data: one dataclass tree, rendered to a notebook, HTML and JSON.

Every renderer reads this tree and nothing else, so the notebook, the HTML page and the report
JSON (``<stem>.nbsec.json``, validated by ``report.schema.json`` in this package) always say the
same thing. The tree holds what a reviewer may see: names, paths, hashes, counts, masked examples
and finding messages; never a data value, a secret, a cell's source or an output.

Each section says what was checked (``checked``), so an empty section reads "checked X, found
nothing" rather than a blank. Cell positions are shown 1-based (``cell 4``) with the cell id where
the notebook has one; the findings keep the 0-based ``cell_index`` of the Finding JSON contract.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = "1.1"
SCHEMA_ID = "urn:nbsec:report:1"
SEVERITIES = ("critical", "high", "medium", "low", "info")


@dataclass
class NotebookIdentity:
    path: str
    name: str
    sha256: str | None
    size: int | None
    cells: int
    code_cells: int
    executed_cells: int
    nbformat: str
    language: str


@dataclass
class GitInfo:
    commit: str
    dirty: bool
    branch: str | None
    tracked: bool  # the notebook itself is under version control


@dataclass
class KernelInfo:
    name: str | None
    display_name: str | None
    language: str | None
    python: str | None
    source: str  # "notebook metadata" | "executing kernel" | "live kernel"


@dataclass
class PolicyInfo:
    path: str | None
    sha256: str | None
    mode: str
    fail_on: str


@dataclass
class LedgerInfo:
    path: str | None
    records: int
    session_id: str | None
    intact: bool | None
    problem: str | None
    anchor: str | None
    anchor_found: bool | None


@dataclass
class Production:
    at: str
    mode: str  # "static" | "executed" | "live"
    via: str  # "cli" | "nbconvert" | "magic" | "api" | "server"
    nbsec_version: str
    seconds: float | None = None


@dataclass
class Identity:
    notebook: NotebookIdentity
    git: GitInfo | None
    kernel: KernelInfo
    policy: PolicyInfo
    ledger: LedgerInfo
    produced: Production


@dataclass
class FixItem:
    rule: str
    title: str
    severity: str
    where: str
    remediation: str
    count: int


@dataclass
class Summary:
    risk: str  # a severity, or "none"
    outcome: str  # "pass" | "fail" | "incomplete" (not read or checked in full; never a pass)
    fail_on: str
    headline: str
    counts: dict[str, int]
    by_family: dict[str, int]
    waived: int
    fix_first: list[FixItem]
    gaps: list[str]
    unchecked: list[str] = field(default_factory=list)  # what could not be read or checked


@dataclass
class GovernanceField:
    key: str
    label: str
    value: str | None
    required: bool


@dataclass
class Governance:
    checked: str
    fields: list[GovernanceField]
    gaps: list[str]


@dataclass
class DataItem:
    uri: str
    kind: str  # "file" | "url"
    role: str  # "input" | "output" | "input and output"
    seen: str  # "run" (observed by a kernel) | "code" (named in the code, not observed)
    sha256: str | None
    partial: bool
    size: int | None
    rows: int | None
    columns: list[dict[str, str]]
    read_by: list[str]
    written_by: list[str]
    current: str | None  # "unchanged" | "changed" | "missing" | "present" | None (not checked)


@dataclass
class DataSection:
    checked: str
    items: list[DataItem]


@dataclass
class PiiEntity:
    type: str
    score: float | None
    fraction: float | None


@dataclass
class PiiColumn:
    name: str
    entities: list[PiiEntity]
    examples: list[str]


@dataclass
class PiiTable:
    kind: str  # "frame" | "output table" | "output text"
    name: str
    where: str
    rows: int | None
    rows_scanned: int | None
    columns: list[PiiColumn]
    status: str  # "active" | "waived"


@dataclass
class PersonalDataSection:
    checked: str
    tables: list[PiiTable]


@dataclass
class ModelItem:
    kind: str  # "load" | "download" | "written" | "call"
    api: str | None
    what: str
    source: str | None
    revision: str | None
    pinned: bool | None
    sha256: str | None
    format: str | None
    verdict: str | None
    globals: list[str]
    action: str | None
    waivers: list[str]
    where: list[str]
    rules: list[str]
    current: str | None


@dataclass
class ModelsSection:
    checked: str
    items: list[ModelItem]


@dataclass
class Derivation:
    output: str
    kind: str  # "file" | "url" | "model" | "variable"
    derived_from: list[str]
    cells: list[str]


@dataclass
class LineageSection:
    checked: str
    available: bool
    cells_recorded: int
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    derivations: list[Derivation]
    omitted: str | None = None


@dataclass
class SecretItem:
    rule: str
    title: str
    severity: str
    where: str
    hash: str
    status: str


@dataclass
class SecretsSection:
    checked: str
    items: list[SecretItem]


@dataclass
class Package:
    name: str
    version: str | None
    license: str | None
    direct: bool
    imported_as: list[str]


@dataclass
class DeclaredRequirement:
    requirement: str
    where: str


@dataclass
class EnvironmentSection:
    checked: str
    source: str  # "kernel" | "report process"
    python: str
    implementation: str
    packages: list[Package]
    declared: list[DeclaredRequirement]
    unresolved: list[str]


@dataclass
class FamilyOutcome:
    family: str
    name: str
    outcome: str  # "pass" | "fail" | "findings below the gate" | "waived" | "disabled"
    active: int
    waived: int
    worst: str | None


@dataclass
class WaiverEntry:
    target: str
    scope: str
    reason: str
    by: str | None
    expires: str | None
    expired: bool
    origin: str  # "policy" | "session" | "notebook" | "ledger"
    matched: int
    applied: bool  # the report applies it to the findings (policy file; a live session's own)
    note: str | None


@dataclass
class DiffEntry:
    rule: str
    title: str
    severity: str
    where: str
    fingerprint: str


@dataclass
class ReportDiff:
    previous: str
    previous_sha256: str
    previous_produced_at: str | None
    new: list[DiffEntry]
    resolved: list[DiffEntry]
    unchanged: int


@dataclass
class PolicySection:
    checked: str
    outcome: str
    fail_on: str
    families: list[FamilyOutcome]
    waivers: list[WaiverEntry]
    diff: ReportDiff | None
    diff_note: str


@dataclass
class ReproIssue:
    kind: str
    where: str
    detail: str


@dataclass
class ReproducibilitySection:
    checked: list[str]
    issues: list[ReproIssue]


@dataclass
class Attachment:
    name: str
    media_type: str
    description: str
    sha256: str
    size: int


@dataclass
class Report:
    identity: Identity
    summary: Summary
    governance: Governance
    data: DataSection
    personal_data: PersonalDataSection
    models: ModelsSection
    lineage: LineageSection
    secrets: SecretsSection
    environment: EnvironmentSection
    policy: PolicySection
    reproducibility: ReproducibilitySection
    limitations: list[str]
    findings: list[dict[str, Any]]
    attachments: list[Attachment] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report JSON (``report.schema.json``)."""
        body = dataclasses.asdict(self)
        return {"schema": SCHEMA_ID, "schema_version": SCHEMA_VERSION, **body}
