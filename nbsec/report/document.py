"""The report as a document: sections of plain-text blocks (paragraphs, fact tables, tables,
lists, pictures) that both the notebook renderer (markdown) and the HTML renderer draw.

Writing the words once here is what keeps the governance notebook and the HTML page from ever
saying different things. Every string in a block is plain text, never markup: each renderer
escapes it for its own format. Pictures are SVG made by nbsec (labels escaped when drawn).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nbsec.report.charts import severity_chart
from nbsec.report.lineage_svg import render_svg
from nbsec.report.model import Attachment, Report


@dataclass(frozen=True)
class Tag:
    """A short value shown as a coloured label: a severity, a verdict, pass/fail."""

    text: str
    tone: str  # critical | high | medium | low | info | ok | bad | warn | muted | rule


Cell = str | Tag


@dataclass
class Para:
    text: str
    tone: str | None = None  # ok | warn | bad: a call-out


@dataclass
class Facts:
    rows: list[tuple[str, Cell]]


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Cell]]
    empty: str = "none"


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Picture:
    svg: str
    alt: str
    name: str


@dataclass
class Subheading:
    text: str


Block = Para | Facts | Table | Bullets | Picture | Subheading


@dataclass
class Section:
    id: str
    title: str
    checked: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    title: str
    subtitle: str
    sections: list[Section]


_TONES = {"critical", "high", "medium", "low", "info"}
_VERDICT_TONES = {
    "dangerous": "bad",
    "suspicious": "warn",
    "safe": "ok",
    "unsupported": "warn",
    "error": "bad",
    "blocked": "ok",
    "warned": "warn",
    "allowed": "muted",
}


def severity(value: str) -> Tag:
    return Tag(value, value if value in _TONES else "muted")


def rule(value: str) -> Tag:
    """A rule id, kept on one line."""
    return Tag(value, "rule")


def verdict(value: str | None) -> Cell:
    return Tag(value, _VERDICT_TONES.get(value, "muted")) if value else "-"


def _yes(value: bool | None, yes: str = "yes", no: str = "no") -> str:
    return "-" if value is None else yes if value else no


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n = n / 1024  # type: ignore[assignment]
    return str(n)


def _hash(value: str | None, length: int = 16) -> str:
    if not value:
        return "-"
    text = value.removeprefix("sha256:")
    return text[:length] + ("…" if len(text) > length else "")


def _join(items: Sequence[str], empty: str = "-") -> str:
    return ", ".join(items) if items else empty


# the policy gate's outcome: a notebook nbsec could not read in full is never shown as a pass
_GATE_TONES = {"fail": "bad", "incomplete": "warn", "pass": "ok"}


def _gate_tone(outcome: str) -> str:
    return _GATE_TONES.get(outcome, "warn")


def build_document(report: Report) -> Document:
    ident = report.identity
    summary = report.summary
    title = f"Governance report: {ident.notebook.name}"
    subtitle = (
        f"{summary.outcome.upper()} (fail on {summary.fail_on}) · overall risk {summary.risk} · "
        f"{ident.produced.mode} report, {ident.produced.at} · nbsec {ident.produced.nbsec_version}"
    )
    sections = [
        _summary(report),
        _identity(report),
        _governance(report),
        _data(report),
        _personal(report),
        _models(report),
        _lineage(report),
        _secrets(report),
        _environment(report),
        _policy(report),
        _reproducibility(report),
        _limitations(report),
        _findings(report),
        _attachments(report.attachments),
    ]
    return Document(title=title, subtitle=subtitle, sections=sections)


def _summary(report: Report) -> Section:
    s = report.summary
    blocks: list[Block] = [
        Para(s.headline + ".", _gate_tone(s.outcome)),
        Facts(
            [
                ("Overall risk", severity(s.risk) if s.risk != "none" else Tag("none", "ok")),
                ("Policy gate", Tag(s.outcome.upper(), _gate_tone(s.outcome))),
                ("Fails on", s.fail_on),
                (
                    "Open findings by family",
                    _join([f"{fam} {n}" for fam, n in s.by_family.items() if n], "none"),
                ),
                ("Waived findings", str(s.waived)),
            ]
        ),
        Picture(
            severity_chart(s.counts, waived=s.waived),
            "Open findings by severity: " + ", ".join(f"{k} {v}" for k, v in s.counts.items()),
            "severity-chart",
        ),
        Subheading("Fix first"),
        Table(
            ["Severity", "Rule", "What", "Where", "How to fix"],
            [
                [severity(f.severity), rule(f.rule), f.title, f.where, f.remediation]
                for f in s.fix_first
            ],
            empty="Nothing to fix: no open findings.",
        ),
        Subheading("Gaps"),
        Bullets(s.gaps) if s.gaps else Para("No governance gaps found.", "ok"),
    ]
    return Section(
        "summary",
        "Executive summary",
        "every finding of this report against the policy gate",
        blocks,
    )


def _identity(report: Report) -> Section:
    i = report.identity
    nb = i.notebook
    git = i.git
    ledger = i.ledger
    if ledger.path is None:
        ledger_text = "none found (static mode without a recorded session)"
    else:
        state = (
            "intact"
            if ledger.intact
            else f"BROKEN ({ledger.problem})"
            if ledger.intact is False
            else "not verified"
        )
        ledger_text = f"{ledger.path}: {ledger.records} cell record(s), chain {state}"
    anchor = "-"
    if ledger.anchor:
        found = {True: "found in the ledger", False: "NOT in the ledger", None: "not checked"}
        anchor = f"{_hash(ledger.anchor)} ({found[ledger.anchor_found]})"
    rows: list[tuple[str, Cell]] = [
        ("Notebook", nb.path),
        ("Notebook sha256", nb.sha256 or "-"),
        (
            "Cells",
            f"{nb.cells} ({nb.code_cells} code, {nb.executed_cells} with an execution count); "
            f"nbformat {nb.nbformat}; language {nb.language}",
        ),
        (
            "Git",
            "not in a git repository"
            if git is None
            else f"commit {git.commit[:12]}"
            + (f" on {git.branch}" if git.branch else "")
            + (", uncommitted changes" if git.dirty else ", clean")
            + ("" if git.tracked else "; the notebook is not tracked"),
        ),
        (
            "Kernel",
            f"{i.kernel.display_name or i.kernel.name or '-'}; Python {i.kernel.python or '-'} "
            f"(from the {i.kernel.source})",
        ),
        (
            "Policy",
            f"{i.policy.path or 'built-in defaults'}"
            + (f" (sha256 {_hash(i.policy.sha256)})" if i.policy.sha256 else "")
            + f"; mode {i.policy.mode}, fail on {i.policy.fail_on}",
        ),
        ("Ledger", ledger_text),
        ("Ledger anchor (metadata.nbsec)", anchor),
        ("Session", ledger.session_id or "-"),
        (
            "Produced",
            f"{i.produced.at}, {i.produced.mode} report via {i.produced.via}, "
            f"nbsec {i.produced.nbsec_version}",
        ),
    ]
    return Section(
        "identity",
        "Identity and provenance",
        "the notebook file, its repository, kernel, policy and ledger",
        [Facts(rows)],
    )


def _governance(report: Report) -> Section:
    g = report.governance
    rows: list[tuple[str, Cell]] = [
        (f.label, f.value if f.value else Tag("not stated", "warn" if f.required else "muted"))
        for f in g.fields
    ]
    blocks: list[Block] = [Facts(rows)]
    if g.gaps:
        blocks.append(
            Para(
                "Set the missing fields in the notebook with %nbsec meta key=value (for example "
                "%nbsec meta owner=analytics-team), or in the notebook's metadata under "
                "nbsec.governance.",
                "warn",
            )
        )
    return Section("governance", "Purpose, use, owner and legal basis", g.checked, blocks)


def _data(report: Report) -> Section:
    rows: list[list[Cell]] = []
    for item in report.data.items:
        shape = "-"
        if item.rows is not None or item.columns:
            shape = f"{item.rows if item.rows is not None else '?'} x {len(item.columns)}"
        dtypes = _join([f"{c['name']}: {c['type']}" for c in item.columns[:12]])
        if len(item.columns) > 12:
            dtypes += f" (+{len(item.columns) - 12} more)"
        current = {
            "changed": Tag("changed since the run", "bad"),
            "missing": Tag("missing now", "warn"),
            "unchanged": Tag("unchanged", "ok"),
        }.get(item.current or "", item.current or "-")
        cells = "; ".join(
            part
            for part in (
                "read by " + _join(item.read_by) if item.read_by else "",
                "written by " + _join(item.written_by) if item.written_by else "",
            )
            if part
        )
        rows.append(
            [
                item.uri,
                item.role + ("" if item.seen == "run" else " (named in code)"),
                _hash(item.sha256) + (" (partial)" if item.partial else ""),
                _size(item.size),
                shape,
                dtypes,
                cells or "-",
                current,
            ]
        )
    return Section(
        "data",
        "Data inventory",
        report.data.checked,
        [
            Table(
                [
                    "File or URL",
                    "Role",
                    "sha256",
                    "Size",
                    "Rows x cols",
                    "Columns",
                    "Cells",
                    "Now",
                ],
                rows,
                empty="No file or URL was read or written, and none is named in the code.",
            )
        ],
    )


def _personal(report: Report) -> Section:
    rows: list[list[Cell]] = []
    for table in report.personal_data.tables:
        size = "-"
        if table.rows is not None:
            size = f"{table.rows_scanned} of {table.rows} rows" if (
                table.rows_scanned is not None and table.rows_scanned != table.rows
            ) else f"{table.rows} rows"  # fmt: skip
        elif table.rows_scanned is not None:  # a first look at a Spark or Dask frame
            size = f"first {table.rows_scanned} rows"
        status = Tag("waived", "muted") if table.status == "waived" else Tag("open", "warn")
        if not table.columns:
            rows.append([f"{table.kind} {table.name}", table.where, size, "-", "-", "-", status])
        for column in table.columns:
            entities = _join(
                [
                    e.type
                    + (f" {e.fraction:.0%}" if e.fraction is not None else "")
                    + (f" (score {e.score:.2f})" if e.score is not None else "")
                    for e in column.entities
                ]
            )
            rows.append(
                [
                    f"{table.kind} {table.name}",
                    table.where,
                    size,
                    column.name,
                    entities,
                    _join(column.examples),
                    status,
                ]
            )
    return Section(
        "personal-data",
        "Personal data",
        report.personal_data.checked,
        [
            Table(
                [
                    "Frame or output",
                    "Where",
                    "Rows",
                    "Column",
                    "Entities",
                    "Masked examples",
                    "Status",
                ],
                rows,
                empty="No personal data found.",
            )
        ],
    )


def _models(report: Report) -> Section:
    rows: list[list[Cell]] = []
    for m in report.models.items:
        revision = m.revision or "-"
        if m.pinned is not None:
            revision += " (pinned)" if m.pinned else " (not pinned)"
        how = {"call": "named in code", "written": "written by the notebook"}.get(m.kind, m.kind)
        how += f" via {m.api}" if m.api else ""
        source = m.source or "-"
        if m.revision or m.pinned is not None:
            source += f" @ {revision}"
        guard: Cell = verdict(m.action)
        if m.waivers:
            guard = Tag(f"{m.action or 'not loaded'}; {_join(m.waivers)}", "muted")
        rows.append(
            [
                m.what,
                f"{how} in {_join(m.where)}" if m.where else how,
                source,
                _hash(m.sha256),
                verdict(m.verdict)
                if not m.format
                else Tag(
                    f"{m.verdict or '-'} ({m.format})", _VERDICT_TONES.get(m.verdict or "", "muted")
                ),
                _join(m.globals[:8]) + (f" (+{len(m.globals) - 8})" if len(m.globals) > 8 else ""),
                guard,
                rule(_join(m.rules)) if m.rules else "-",
            ]
        )
    return Section(
        "models",
        "Models and pickles",
        report.models.checked,
        [
            Table(
                [
                    "Model or file",
                    "How and where",
                    "Source @ revision",
                    "sha256",
                    "Verdict (format)",
                    "Globals it imports",
                    "Guard",
                    "Rules",
                ],
                rows,
                empty="No model or pickle was loaded or downloaded, and none is named in the code.",
            )
        ],
    )


def _lineage(report: Report) -> Section:
    lin = report.lineage
    blocks: list[Block] = []
    if lin.available:
        svg, _ = render_svg(
            lin.nodes, lin.edges, title="Lineage of " + report.identity.notebook.name
        )
        blocks.append(
            Picture(
                svg,
                f"Lineage graph: {len(lin.nodes)} nodes, {len(lin.edges)} edges",
                "lineage",
            )
        )
        if lin.omitted:
            blocks.append(Para(f"Picture simplified: {lin.omitted}.", "warn"))
    blocks.append(Subheading("What each output was derived from"))
    blocks.append(
        Table(
            ["Output", "Kind", "Derived from", "Through"],
            [
                [d.output, d.kind, _join(d.derived_from, "nothing recorded"), _join(d.cells)]
                for d in lin.derivations
            ],
            empty="No file was written and no model loaded in the recorded run."
            if lin.available
            else "No run was observed, so no derivation is known.",
        )
    )
    return Section("lineage", "Lineage", lin.checked, blocks)


def _secrets(report: Report) -> Section:
    return Section(
        "secrets",
        "Secrets",
        report.secrets.checked,
        [
            Table(
                ["Severity", "Rule", "What", "Where", "Hash", "Status"],
                [
                    [
                        severity(s.severity),
                        rule(s.rule),
                        s.title,
                        s.where,
                        s.hash,
                        Tag("waived", "muted") if s.status == "waived" else Tag("open", "warn"),
                    ]
                    for s in report.secrets.items
                ],
                empty="No secret found.",
            )
        ],
    )


def _environment(report: Report) -> Section:
    env = report.environment
    direct = [p for p in env.packages if p.direct]
    indirect = [p for p in env.packages if not p.direct]
    blocks: list[Block] = [
        Facts(
            [
                ("Python", f"{env.python} {env.implementation}".strip()),
                ("Resolved in", env.source),
                (
                    "Packages",
                    f"{len(direct)} imported directly, {len(indirect)} needed by those",
                ),
                ("Imports without an installed distribution", _join(env.unresolved, "none")),
            ]
        ),
        Table(
            ["Package", "Version", "Licence", "Imported as", "Direct"],
            [
                [
                    p.name,
                    p.version or "-",
                    p.license or "unknown",
                    _join(p.imported_as),
                    _yes(p.direct),
                ]
                for p in env.packages
            ],
            empty="The notebook imports no third-party package.",
        ),
    ]
    if env.declared:
        blocks.append(Subheading("Installed by the notebook itself"))
        blocks.append(
            Table(["Requirement", "Where"], [[d.requirement, d.where] for d in env.declared])
        )
    blocks.append(
        Para(
            "Models and datasets are components of the CycloneDX ML-BOM attached to this report, "
            "with their hashes."
        )
    )
    return Section("environment", "Environment and bill of materials", env.checked, blocks)


def _policy(report: Report) -> Section:
    pol = report.policy
    blocks: list[Block] = [
        Para(
            f"Outcome: {pol.outcome.upper()} (the gate fails on {pol.fail_on} and above"
            + (
                "; a notebook nbsec could not read or check in full does not pass)."
                if pol.outcome == "incomplete"
                else ")."
            ),
            _gate_tone(pol.outcome),
        ),
        Table(
            ["Family", "Outcome", "Open", "Waived", "Worst open"],
            [
                [
                    f"{f.name} (NBS-{f.family})",
                    Tag(
                        f.outcome,
                        {"fail": "bad", "pass": "ok", "disabled": "muted"}.get(f.outcome, "warn"),
                    ),
                    str(f.active),
                    str(f.waived),
                    severity(f.worst) if f.worst else "-",
                ]
                for f in pol.families
            ],
        ),
        Subheading("Waivers"),
        Table(
            ["Covers", "Why", "Who", "Expires", "From", "Applied", "Matched"],
            [
                [
                    w.target,
                    w.reason,
                    w.by or "not recorded",
                    Tag(f"{w.expires} (EXPIRED)", "bad") if w.expired else (w.expires or "never"),
                    {"policy": "policy file", "session": "this session"}.get(w.origin, w.origin),
                    Tag("yes", "ok") if w.applied else Tag(f"no: {w.note or 'inactive'}", "muted"),
                    str(w.matched),
                ]
                for w in pol.waivers
            ],
            empty="No waivers in the policy file, the session or the notebook.",
        ),
        Subheading("Since the previous report"),
        Para(pol.diff_note[:1].upper() + pol.diff_note[1:] + "."),
    ]
    if pol.diff is not None:
        changes: list[list[Cell]] = []
        for label, tone, entries in (
            ("new", "bad", pol.diff.new),
            ("resolved", "ok", pol.diff.resolved),
        ):
            changes += [
                [Tag(label, tone), severity(d.severity), rule(d.rule), d.title, d.where]
                for d in entries
            ]
        blocks.append(
            Table(
                ["Change", "Severity", "Rule", "What", "Where"],
                changes,
                empty="No finding appeared or went away.",
            )
        )
    return Section("policy", "Policy evaluation", pol.checked, blocks)


def _reproducibility(report: Report) -> Section:
    rep = report.reproducibility
    return Section(
        "reproducibility",
        "Reproducibility",
        "; ".join(rep.checked),
        [
            Table(
                ["Issue", "Where", "Detail"],
                [[i.kind, i.where, i.detail] for i in rep.issues],
                empty="No reproducibility issue found.",
            )
        ],
    )


def _limitations(report: Report) -> Section:
    blocks: list[Block] = [
        Bullets(report.limitations)
        if report.limitations
        else Para("No limitation applies to this report.")
    ]
    return Section(
        "limitations", "Limitations", "what nbsec could not observe for this report", blocks
    )


def _findings(report: Report) -> Section:
    rows: list[list[Cell]] = []
    for f in report.findings:
        rows.append(
            [
                severity(str(f["severity"])),
                rule(str(f["rule"])),
                str(f["where"])
                if f["location"].get("path") in (None, report.identity.notebook.path)
                else f"{f['location'].get('path')}",
                str(f["message"]),
                str(f.get("evidence") or "-"),
                Tag("waived", "muted") if f["status"] == "waived" else Tag("open", "warn"),
            ]
        )
    return Section(
        "findings",
        "All findings",
        "every finding of this report, open ones first; evidence is masked or hashed",
        [
            Table(
                ["Severity", "Rule", "Where", "Message", "Evidence", "Status"],
                rows,
                empty="No findings.",
            )
        ],
    )


def _attachments(attachments: list[Attachment]) -> Section:
    return Section(
        "attachments",
        "Attachments",
        "the machine-readable files written beside this report, with their sha256",
        [
            Table(
                ["File", "What", "sha256", "Size"],
                [[a.name, a.description, a.sha256, _size(a.size)] for a in attachments],
                empty="No attachments were written.",
            )
        ],
    )
