"""The report model built from the evidence: one function per section, assembled here.

:func:`build_model` is the only place that knows the order of the report; the renderers
(notebook, HTML, JSON) read the :class:`~nbsec.report.model.Report` it returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from nbsec.findings import Finding
from nbsec.report import policy_section as ps
from nbsec.report.cell_labels import cell_label, where
from nbsec.report.code_references import Reference, find_references
from nbsec.report.environment import (
    declared_requirements,
    imports_in_source,
    python_description,
    resolve_packages,
)
from nbsec.report.evidence import Evidence
from nbsec.report.governance import governance_section
from nbsec.report.identity import identity
from nbsec.report.inventory import PACKAGE_RULES, data_section, models_section
from nbsec.report.limitations import limitations
from nbsec.report.lineage_section import lineage_section
from nbsec.report.model import (
    DeclaredRequirement,
    EnvironmentSection,
    Package,
    Report,
    SecretItem,
    SecretsSection,
)
from nbsec.report.personal_data import personal_data_section
from nbsec.report.reproducibility import reproducibility_section


@dataclass
class BuildOptions:
    previous: Path | None = None  # a previous report JSON of this notebook
    previous_shown_as: str | None = None
    confine: Path | None = None  # files outside this directory are never read
    now: dt.datetime | None = None
    missing_attachments: tuple[str, ...] = ()


def _references(evidence: Evidence) -> list[Reference]:
    from nbsec.source.magics import transform_cell

    if evidence.notebook.language not in ("python", "python3", "ipython"):
        return []
    cells = []
    for cell in evidence.notebook.code_cells():
        python = transform_cell(cell.source).python
        if python:
            cells.append((cell.index, cell.id, python))
    return find_references(cells)


def _environment(evidence: Evidence, kernel_python: str | None) -> EnvironmentSection:
    from nbsec.source.magics import transform_cell

    modules: list[str] = []
    declared: list[DeclaredRequirement] = []
    for cell in evidence.notebook.code_cells():
        python = transform_cell(cell.source).python
        if python:
            modules += imports_in_source(python)
        for requirement in declared_requirements(cell.source):
            declared.append(DeclaredRequirement(requirement, cell_label(cell.index, cell.id)))
    for finding in evidence.findings:  # installs from a URL or VCS, as the scanner saw them
        if finding.rule in PACKAGE_RULES:
            declared.append(DeclaredRequirement(finding.message, where(finding)))
    session = evidence.session
    if session is not None and session.packages is not None:
        packages = [
            Package(
                name=str(p.get("name")),
                version=p.get("version"),
                license=p.get("license"),
                direct=bool(p.get("direct")),
                imported_as=[str(x) for x in p.get("imported_as") or []],
            )
            for p in session.packages
        ]
        unresolved = list(session.unresolved_modules)
        python = str(session.kernel.get("python") or "")
        implementation = str(session.kernel.get("implementation") or "")
        source = "kernel"
        checked = (
            "modules the kernel session's namespace refers to, resolved to installed "
            "distributions in the kernel, with their run-time dependencies"
        )
    else:
        resolved, unresolved = resolve_packages(modules)
        packages = [
            Package(p.name, p.version, p.license, p.direct, list(p.imported_as)) for p in resolved
        ]
        here, implementation = python_description()
        python = kernel_python or here
        source = "report process"
        checked = (
            "modules imported by the notebook's code, resolved to distributions installed where "
            "the report was built, with their run-time dependencies; %pip install lines"
        )
    return EnvironmentSection(
        checked=checked,
        source=source,
        python=python,
        implementation=implementation,
        packages=packages,
        declared=declared,
        unresolved=unresolved,
    )


def _secrets(judged: ps.Judged) -> SecretsSection:
    items = [
        SecretItem(
            rule=f.rule,
            title=f.title,
            severity=f.severity.value,
            where=where(f),
            hash=f.evidence or "-",
            status=status,
        )
        for f, status in [(f, "active") for f in judged.active]
        + [(f, "waived") for f, _ in judged.waived]
        if f.rule.startswith("NBS-SEC-")
    ]
    return SecretsSection(
        checked="cell sources, markdown, raw cells, every saved output and the notebook's "
        "metadata, for credentials, keys and tokens (shown by hash only)",
        items=items,
    )


def build_model(evidence: Evidence, options: BuildOptions | None = None) -> Report:
    options = options or BuildOptions()
    now = options.now or dt.datetime.now(dt.UTC)
    today = now.date()
    references = _references(evidence)
    model_findings: list[Finding] = []
    models = models_section(evidence, references, options.confine, model_findings)
    findings = evidence.findings + [
        f for f in model_findings if f.fingerprint not in {g.fingerprint for g in evidence.findings}
    ]
    recorded = ps.recorded_waivers(
        evidence.session.waivers if evidence.session is not None else None,
        evidence.meta.get("waivers") or [],
        evidence.ledger.waivers,
    )
    policy = evidence.policy
    judged = ps.judge(
        findings,
        policy,
        today,
        extra=[r.waiver for r in recorded if r.applied],
        subjects=evidence.subjects,
    )
    status = judged.status()
    who = identity(evidence, at=now)
    governance = governance_section(evidence.governance)
    data = data_section(evidence, references, options.confine)
    personal = personal_data_section(evidence, status)
    lineage = lineage_section(evidence)
    if lineage.available:
        from nbsec.report.lineage_svg import render_svg

        _, lineage.omitted = render_svg(lineage.nodes, lineage.edges)
    secrets = _secrets(judged)
    environment = _environment(evidence, who.kernel.python)
    waivers = ps.waiver_entries(
        judged,
        evidence.policy,
        recorded,
        today,
        model_hashes=[m.sha256 for m in models.items],
        model_paths=[m.what for m in models.items],
    )
    previous = ps.previous_report(options.previous) if options.previous else None
    report_diff, diff_note = ps.diff(
        judged, previous, options.previous_shown_as or str(options.previous or "")
    )
    policy_part = ps.policy_section(
        judged, policy, waivers, report_diff, diff_note, evidence.unchecked
    )
    reproducibility = reproducibility_section(evidence, models.items)
    gaps = list(governance.gaps)
    if any(w.expired for w in waivers):
        gaps.append("expired waiver(s) in the policy")
    if evidence.ledger.intact is False:
        gaps.append("ledger integrity check failed")
    if who.ledger.anchor_found is False:
        gaps.append("the ledger does not hold the head saved in the notebook")
    summary = ps.summary(judged, policy, gaps, evidence.unchecked)
    notes = limitations(evidence, data, environment, lineage, list(options.missing_attachments))
    if any(item.kind == "load" for item in models.items):
        notes.append(
            "Model loads were judged before they ran, file by file, by the load guard's "
            "wrappers. A load through an Unpickler object created before nbsec was loaded, or "
            "through a library's own earlier reference to pickle.loads, has no wrapper Python "
            "lets nbsec install: there the audit hook judges each global before it is called "
            "(a dangerous one is refused), not the whole file."
        )
    return Report(
        identity=who,
        summary=summary,
        governance=governance,
        data=data,
        personal_data=personal,
        models=models,
        lineage=lineage,
        secrets=secrets,
        environment=environment,
        policy=policy_part,
        reproducibility=reproducibility,
        limitations=notes,
        findings=ps.finding_rows(judged),
    )
