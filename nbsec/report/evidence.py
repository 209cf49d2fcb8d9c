"""Everything the report is built from, gathered once: the saved notebook, its static findings,
``metadata.nbsec``, the ledger named there, and (executed or live) the kernel session.

:func:`gather` reads; the section builders only look at the :class:`Evidence` it returns. Static
mode needs no kernel: the notebook file, its metadata and a ledger left by an earlier session are
all it reads. Nothing read here is executed, imported or unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbsec.errors import InputError
from nbsec.findings import Finding
from nbsec.lineage.records import CellRecord
from nbsec.policy import Policy, Subject
from nbsec.report.cell_labels import CellIndex
from nbsec.report.live_session import LiveSession
from nbsec.source.notebook import Notebook, parse_notebook

FINDINGS_MIME = "application/vnd.nbsec.findings+json"


@dataclass
class LedgerEvidence:
    path: Path | None = None
    records: list[Any] = field(default_factory=list)  # CellRecord
    waivers: list[dict[str, Any]] = field(default_factory=list)
    governance: dict[str, str] = field(default_factory=dict)
    session_id: str | None = None
    intact: bool | None = None
    problem: str | None = None
    line_hashes: set[str] = field(default_factory=set)  # hex sha256 of every line
    anchor_found: bool | None = None  # the anchor saved in metadata.nbsec matches the ledger
    keyed: bool = False
    authenticated: bool = False


@dataclass
class Evidence:
    path: Path | None
    display_path: str
    raw: bytes
    notebook: Notebook
    policy: Policy
    policy_error: str | None
    mode: str  # static | executed | live
    via: str
    findings: list[Finding]  # static + runtime, placed in this notebook, de-duplicated
    runtime_sources: list[str]  # where runtime findings came from, for the report's text
    meta: dict[str, Any]
    ledger: LedgerEvidence
    session: LiveSession | None
    started: float
    executed_errors: list[str] = field(default_factory=list)
    # what nbsec could not read or check in the notebook, one line each: the parts of the file
    # that are malformed, then the checks that could not finish (no report with these passes)
    unchecked: list[str] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()

    @property
    def records(self) -> list[Any]:
        """Lineage records: the session's when there is one, else the ledger's."""
        if self.session is not None and self.session.records:
            from nbsec.lineage.records import CellRecord

            return [CellRecord.from_dict(r) for r in self.session.records]
        return list(self.ledger.records)

    @property
    def subjects(self) -> dict[str, Subject]:
        """What the session's findings are about (a frame column, a file), by fingerprint."""
        out: dict[str, Subject] = {}
        for item in self.session.findings if self.session is not None else []:
            subject = item.get("subject") if isinstance(item, Mapping) else None
            if isinstance(subject, Mapping) and isinstance(item.get("fingerprint"), str):
                out[str(item["fingerprint"])] = Subject(
                    frame=subject.get("frame"),
                    column=subject.get("column"),
                    sha256=subject.get("sha256"),
                    path=subject.get("path"),
                )
        return out

    @property
    def anchor(self) -> str | None:
        """The ledger head saved in ``metadata.nbsec`` (``ledger.head``; older: ``ledger_head``)."""
        ledger = self.meta.get("ledger")
        head = ledger.get("head") if isinstance(ledger, Mapping) else self.meta.get("ledger_head")
        return head.removeprefix("sha256:") if isinstance(head, str) and head else None

    @property
    def governance(self) -> dict[str, str]:
        out: dict[str, str] = {}
        saved = self.meta.get("governance")
        if isinstance(saved, Mapping):
            out.update({str(k): str(v) for k, v in saved.items() if isinstance(v, str | int)})
        out.update(self.ledger.governance)
        if self.session is not None:
            out.update(self.session.governance)
        return out


def display_path(path: Path) -> str:
    """The notebook's path as a reviewer should see it: relative to the working directory when
    inside it (no home directories in shared reports), else absolute."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def read_notebook_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such notebook") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a notebook") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None


def gather(
    path: Path | None,
    raw: bytes,
    policy: Policy,
    *,
    mode: str,
    via: str,
    session: LiveSession | None = None,
    policy_error: str | None = None,
    executed_errors: list[str] | None = None,
    started: float | None = None,
    name: str = "notebook.ipynb",
) -> Evidence:
    """``name`` is how a notebook that is not a file (``path`` is None) is shown."""
    from nbsec.source.scanner import analyse

    shown = display_path(path) if path is not None else name
    notebook = parse_notebook(raw, shown)
    meta = notebook.metadata.get("nbsec")
    meta = dict(meta) if isinstance(meta, Mapping) else {}
    scan = analyse(notebook, policy)
    ledger = _ledger_evidence(path, meta, policy) if path is not None else LedgerEvidence()
    cells = CellIndex(notebook.cells)
    document = json.loads(raw)
    raw_cells = document.get("cells", []) if isinstance(document, dict) else []
    runtime, sources = _runtime_findings(notebook, raw_cells, ledger, session, cells, shown)
    return Evidence(
        path=path,
        display_path=shown,
        raw=raw,
        notebook=notebook,
        policy=policy,
        policy_error=policy_error,
        mode=mode,
        via=via,
        findings=_merge(scan.findings, runtime),
        runtime_sources=sources,
        meta=meta,
        ledger=ledger,
        session=session,
        started=started if started is not None else time.perf_counter(),
        executed_errors=list(executed_errors or []),
        unchecked=[_problem_line(p) for p in scan.problems],
    )


def _problem_line(problem: str) -> str:
    """A problem as the report may keep it: a check that failed is named with its exception's
    type, never its message (which may quote the notebook's content)."""
    head, marker, rest = problem.partition(": internal error (")
    if not marker:
        return problem
    return f"{head}: internal error ({rest.split(':', 1)[0].rstrip(')')})"


def _ledger_evidence(path: Path, meta: Mapping[str, Any], policy: Policy) -> LedgerEvidence:
    from nbsec.lineage.batch import recorded_ledger
    from nbsec.lineage.ledger import Anchor, read_entries, verify_against_anchor, verify_ledger

    try:
        found = recorded_ledger(path.resolve(), meta)
    except OSError:
        found = None
    if found is None:
        return LedgerEvidence()
    evidence = LedgerEvidence(path=found)
    try:
        check = verify_ledger(found, _ledger_key(policy))
        evidence.keyed, evidence.authenticated = check.keyed, check.authenticated
        evidence.line_hashes = {h.removeprefix("sha256:") for h in check.hashes}
        anchor = Anchor.from_metadata(meta.get("ledger"))
        if anchor is not None and check.ok:
            check = verify_against_anchor(check, anchor)
            evidence.anchor_found = check.ok
        evidence.intact = check.ok
        if not check.ok:
            evidence.problem = f"line {check.broken_line}: {check.reason}"
        for entry in read_entries(found):
            kind, data = entry.get("kind"), entry.get("data")
            if not isinstance(data, Mapping):
                continue
            if kind == "session":
                evidence.session_id = str(data.get("session_id") or "") or None
            elif kind == "cell":
                evidence.records.append(CellRecord.from_dict(data))
            elif kind == "waiver":
                evidence.waivers.append(dict(data))
            elif kind == "governance":
                evidence.governance.update({str(k): str(v) for k, v in data.items()})
    except InputError as exc:
        evidence.intact = False
        evidence.problem = str(exc)
    return evidence


def _ledger_key(policy: Policy) -> bytes | None:
    """The ledger key the policy names (an HMAC key from an environment variable or a file):
    with it, every line's MAC is checked; without it, only the chain."""
    from nbsec.lineage.ledger import read_key

    settings = policy.lineage
    if not (settings.ledger_key_env or settings.ledger_key_file):
        return None
    base = policy.source.parent if policy.source else None
    return read_key(settings.ledger_key_env, settings.ledger_key_file, base)


def _runtime_findings(
    notebook: Notebook,
    raw_cells: list[Any],
    ledger: LedgerEvidence,
    session: LiveSession | None,
    cells: CellIndex,
    shown: str,
) -> tuple[list[Finding], list[str]]:
    """Findings a kernel saw: the live or executed session's, else those an earlier session left
    in the notebook's outputs and ledger."""
    found: list[Finding] = []
    sources: list[str] = []
    if session is not None:
        found += _parse_all(session.findings)
        sources.append("the kernel session")
    else:
        found += _saved_findings(raw_cells, notebook)
        if found:
            sources.append("findings a kernel session displayed in the saved outputs")
    for record in ledger.records if session is None else []:
        found += _parse_all(record.findings)
    if session is None and ledger.records:
        sources.append("the ledger")
    return [cells.place(f, shown) for f in found], sources


def _saved_findings(raw_cells: list[Any], notebook: Notebook) -> list[Finding]:
    """Findings of ``application/vnd.nbsec.findings+json`` outputs (what a kernel session with
    nbsec displayed), read from the raw notebook JSON."""
    out: list[Finding] = []
    for cell in notebook.cells:
        if not any(FINDINGS_MIME in o.mime_types for o in cell.outputs):
            continue
        outputs = raw_cells[cell.index].get("outputs") if cell.index < len(raw_cells) else None
        for raw in outputs if isinstance(outputs, list) else []:
            data = raw.get("data") if isinstance(raw, Mapping) else None
            bundle = data.get(FINDINGS_MIME) if isinstance(data, Mapping) else None
            if isinstance(bundle, str):
                try:
                    bundle = json.loads(bundle)
                except ValueError:
                    continue
            items = bundle.get("findings") if isinstance(bundle, Mapping) else None
            for finding in _parse_all(items if isinstance(items, list) else []):
                loc = finding.location
                if loc.cell_index is None and not (loc.cell_id or "").startswith("frame:"):
                    finding = finding.with_location(cell_index=cell.index, cell_id=cell.id)
                out.append(finding)
    return out


def _parse_all(items: list[Any]) -> list[Finding]:
    out = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        try:
            out.append(Finding.from_dict(item))
        except InputError:
            continue
    return out


def _merge(static: list[Finding], runtime: list[Finding]) -> list[Finding]:
    """Static findings plus the runtime ones they do not already cover (the kernel runs the same
    source rules before each cell); one finding per fingerprint. One load is one finding: the
    kernel's finding of a guarded load (a pickle or model rule, at the call's cell and line)
    stands for the static finding of the same rule on that call, as it does in the kernel."""
    seen = {(f.rule, f.location.cell_index, f.location.line, f.evidence) for f in static}
    by_fingerprint: dict[str, Finding] = {f.fingerprint: f for f in static}
    sites: dict[tuple[str, int | None, int], list[str]] = {}
    for f in static:
        if f.location.line is not None and f.location.output_index is None:
            site = (f.rule, f.location.cell_index, f.location.line)
            sites.setdefault(site, []).append(f.fingerprint)
    for finding in runtime:
        loc = finding.location
        said = (finding.rule, loc.cell_index, loc.line, finding.evidence)
        if said in seen or finding.fingerprint in by_fingerprint:
            continue
        seen.add(said)
        if finding.rule.startswith(_LOAD_RULES) and loc.line is not None:
            for fingerprint in sites.pop((finding.rule, loc.cell_index, loc.line), []):
                by_fingerprint.pop(fingerprint, None)
        by_fingerprint[finding.fingerprint] = finding
    return list(by_fingerprint.values())


# the families of the guard's load findings (``NBS-PKL-001`` for ``pickle.load``, ...)
_LOAD_RULES = ("NBS-PKL-", "NBS-MDL-")


def hash_file(path: Path, limit: int = 256 * 1024 * 1024) -> str | None:
    """SHA-256 of a file as it is now (``None`` if it cannot be read or is larger than
    ``limit``)."""
    try:
        if path.stat().st_size > limit:
            return None
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None


def resolve_in(base: Path, uri: str) -> Path:
    path = Path(uri)
    return path if path.is_absolute() else base / path


def relative_uri(uri: str, base: Path) -> str:
    """A file URI shown relative to the notebook's directory when inside it."""
    if "://" in uri:
        return uri
    try:
        return Path(uri).resolve().relative_to(base.resolve()).as_posix()
    except (ValueError, OSError):
        return uri


def is_within(path: Path, base: Path) -> bool:
    try:
        path.resolve().relative_to(base.resolve())
    except (ValueError, OSError):
        return False
    return True


def environ_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")
