"""The data and model inventories: every file and URL read or written, every model or pickle
loaded or downloaded, with hashes, and what their files look like now.

Sources, best first: the kernel session (executed or live), the ledger an earlier session left,
``metadata.nbsec`` saved by the panel, and the notebook's code itself (files and models it names,
marked "named in code": not observed). A file named or recorded that exists now is hashed again,
so a dataset or model swapped since the run shows as ``changed``; a model file the notebook names
is scanned statically (never loaded) when it is there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbsec.findings import Finding
from nbsec.lineage.uri import clean_url
from nbsec.report.cell_labels import CellIndex, cell_label, labels_for
from nbsec.report.code_references import Reference, looks_like_model_file
from nbsec.report.evidence import Evidence, hash_file, is_within, relative_uri, resolve_in
from nbsec.report.model import DataItem, DataSection, ModelItem, ModelsSection

# a hub repo id: "org/name", or a bare legacy name ("gpt2", "bert-base-uncased", "imdb")
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")
_HUB_APIS = ("from_pretrained", "hf_hub_download", "snapshot_download", "load_dataset")


# rules about installing software (not models): reported with the environment
PACKAGE_RULES = frozenset({"NBS-MDL-005"})


def hub_source(ref: Reference, base: Path) -> str | None:
    """``huggingface.co/<id>`` (``/datasets/<id>`` for datasets) when a hub API names a repo id
    rather than a local directory."""
    if not ref.api.endswith(_HUB_APIS) or ref.is_url or not _HUB_ID.fullmatch(ref.target):
        return None
    if looks_like_model_file(ref.target):  # a file name: a local file, not a repo
        return None
    if resolve_in(base, ref.target).exists():
        return None
    prefix = "datasets/" if ref.api.endswith("load_dataset") else ""
    return f"huggingface.co/{prefix}{ref.target}"


@dataclass
class _DataEntry:
    uri: str
    kind: str
    sha256: str | None = None
    partial: bool = False
    size: int | None = None
    rows: int | None = None
    columns: list[dict[str, str]] = field(default_factory=list)
    readers: list[tuple[int | None, str | None]] = field(default_factory=list)
    writers: list[tuple[int | None, str | None]] = field(default_factory=list)
    observed: bool = True


def _may_read(evidence: Evidence, path: Path, confine: Path | None) -> bool:
    return confine is None or is_within(path, confine)


def data_section(
    evidence: Evidence, references: list[Reference], confine: Path | None
) -> DataSection:
    entries: dict[str, _DataEntry] = {}
    base = evidence.base_dir
    for record in evidence.records:
        place = (record.cell_index, record.cell_id)
        frames = [
            info
            for name, info in record.variables.items()
            if name in record.defines and info.columns is not None
        ]
        for access in record.reads:
            entry = entries.setdefault(access.uri, _DataEntry(access.uri, access.kind))
            _absorb(entry, access)
            entry.readers.append(place)
            if len(record.reads) == 1 and frames:
                # the frame read from it: the widest one the reading cell made
                info = max(frames, key=lambda f: len(f.columns or ()))
                entry.rows = info.shape[0] if info.shape else entry.rows
                entry.columns = [{"name": n, "type": t} for n, t in info.columns or ()]
        for access in record.writes:
            entry = entries.setdefault(access.uri, _DataEntry(access.uri, access.kind))
            _absorb(entry, access)
            entry.writers.append(place)
    if not entries:
        for source in evidence.meta.get("data_sources") or []:
            if isinstance(source, Mapping) and isinstance(source.get("uri"), str):
                uri = str(source["uri"])
                entry = entries.setdefault(uri, _DataEntry(uri, str(source.get("kind") or "file")))
                entry.sha256 = entry.sha256 or source.get("sha256")
                entry.partial = bool(source.get("partial"))
    observed = set(entries)
    for ref in references:
        if ref.looks_like_model and ref.kind != "write":
            continue  # in the model inventory
        hub = hub_source(ref, base)
        if hub is not None:
            uri, kind = "https://" + hub, "url"
        elif ref.is_url:
            uri, kind = clean_url(ref.target), "url"
        else:
            uri, kind = str(resolve_in(base, ref.target).resolve()), "file"
        if uri in observed:
            continue
        entry = entries.setdefault(uri, _DataEntry(uri, kind))
        entry.observed = False
        place = (ref.cell_index, ref.cell_id)
        (entry.writers if ref.kind == "write" else entry.readers).append(place)
    items = [_item(entry, evidence, confine) for entry in entries.values()]
    items.sort(key=lambda i: (i.role != "input", i.role, i.uri))
    if evidence.records:
        checked = (
            f"every file and URL the {_run_name(evidence)} read or wrote "
            f"({len(evidence.records)} cell executions), and files named in the code"
        )
    else:
        checked = (
            "files and URLs named in the notebook's code (no run was observed: no ledger and no "
            "kernel session)"
        )
    return DataSection(checked=checked, items=items)


def _run_name(evidence: Evidence) -> str:
    return {"executed": "executed run", "live": "kernel session"}.get(evidence.mode, "recorded run")


def _absorb(entry: _DataEntry, access: Any) -> None:
    if access.sha256:
        entry.sha256 = access.sha256
        entry.partial = bool(access.partial)
    if access.size is not None:
        entry.size = access.size


def _item(entry: _DataEntry, evidence: Evidence, confine: Path | None) -> DataItem:
    role = (
        "input and output"
        if entry.readers and entry.writers
        else "output"
        if entry.writers
        else "input"
    )
    current: str | None = None
    if entry.kind == "file":
        path = Path(entry.uri)
        if _may_read(evidence, path, confine):
            if not path.exists():
                current = "missing"
            elif entry.sha256 and not entry.partial:
                now = hash_file(path, evidence.policy.lineage.hash_max_bytes)
                current = None if now is None else "unchanged" if now == entry.sha256 else "changed"
            elif not entry.observed:
                entry.sha256 = hash_file(path, evidence.policy.lineage.hash_max_bytes)
                current = "present" if entry.sha256 else None
                try:
                    entry.size = path.stat().st_size
                except OSError:
                    entry.size = None
    return DataItem(
        uri=relative_uri(entry.uri, evidence.base_dir),
        kind=entry.kind,
        role=role,
        seen="run" if entry.observed else "code",
        sha256=entry.sha256,
        partial=entry.partial,
        size=entry.size,
        rows=entry.rows,
        columns=entry.columns,
        read_by=labels_for(entry.readers),
        written_by=labels_for(entry.writers),
        current=current,
    )


# -- models ------------------------------------------------------------------------------------


@dataclass
class _ModelEntry:
    kind: str
    api: str | None
    what: str
    source: str | None = None
    revision: str | None = None
    pinned: bool | None = None
    sha256: str | None = None
    format: str | None = None
    verdict: str | None = None
    globals: list[str] = field(default_factory=list)
    action: str | None = None
    places: list[tuple[int | None, str | None]] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    current: str | None = None
    path: str | None = None


def _event_entries(evidence: Evidence, cells: CellIndex) -> list[_ModelEntry]:
    """Loads and downloads a kernel saw: the session's events, else the ledger's, else the
    summary the panel saved in ``metadata.nbsec``."""
    events: list[tuple[Mapping[str, Any], tuple[int | None, str | None]]] = []
    event: Mapping[str, Any]
    if evidence.session is not None and evidence.session.models:
        for event in evidence.session.models:
            cell = event.get("cell")
            cell_id = cell.get("cell_id") if isinstance(cell, Mapping) else None
            events.append((event, (cells.lookup(cell_id), cell_id)))
    elif evidence.records:
        for record in evidence.records:
            for event in record.models:
                events.append((event, (record.cell_index, record.cell_id)))
    else:
        for event in evidence.meta.get("models") or []:
            if isinstance(event, Mapping):
                events.append((event, (None, None)))
    grouped: dict[tuple[str, str], _ModelEntry] = {}
    for event, place in events:
        kind = str(event.get("kind") or ("download" if event.get("revision") else "load"))
        path = event.get("path") if isinstance(event.get("path"), str) else None
        if path:  # relative to the kernel's working directory, the notebook's
            path = str(resolve_in(evidence.base_dir, path).resolve())
        source = event.get("source") if isinstance(event.get("source"), str) else None
        identity = str(event.get("sha256") or path or source or "?")
        entry = grouped.get((kind, identity))
        if entry is None:
            what = source if kind == "download" and source else path or source or "in-memory data"
            entry = grouped[(kind, identity)] = _ModelEntry(
                kind=kind,
                api=_text(event.get("api")),
                what=what,
                source=source,
                revision=_text(event.get("resolved_revision")) or _text(event.get("revision")),
                pinned=event.get("pinned") if isinstance(event.get("pinned"), bool) else None,
                sha256=_text(event.get("sha256")),
                format=_text(event.get("format")),
                verdict=_text(event.get("verdict")),
                globals=[str(g) for g in event.get("globals") or [] if isinstance(g, str)],
                action=_text(event.get("action")),
                path=path,
            )
        elif _rank(_text(event.get("action"))) > _rank(entry.action):
            entry.action = _text(event.get("action"))
        entry.places.append(place)
        for finding in event.get("findings") or []:
            if isinstance(finding, Mapping) and isinstance(finding.get("rule"), str):
                entry.rules.append(str(finding["rule"]))
    return list(grouped.values())


def _written_models(evidence: Evidence) -> list[_ModelEntry]:
    """Model files the run itself wrote (``joblib.dump``, ``torch.save``): the session's own
    artefacts, listed with their hash and never judged as downloads."""
    written: dict[str, _ModelEntry] = {}
    for record in evidence.records:
        for access in record.writes:
            if access.kind != "file" or not looks_like_model_file(access.uri):
                continue
            entry = written.setdefault(
                access.uri, _ModelEntry(kind="written", api=None, what=access.uri, path=access.uri)
            )
            entry.sha256 = access.sha256 or entry.sha256
            entry.places.append((record.cell_index, record.cell_id))
    return list(written.values())


def _rank(action: str | None) -> int:
    return {"blocked": 3, "warned": 2, "allowed": 1}.get(action or "", 0)


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and str(value) else None


def models_section(
    evidence: Evidence,
    references: list[Reference],
    confine: Path | None,
    extra_findings: list[Finding],
) -> ModelsSection:
    """The model inventory. Files the code names and that exist are scanned statically; their
    findings are appended to ``extra_findings`` (located at the model file)."""
    from nbsec.models import scan_model

    cells = CellIndex(evidence.notebook.cells)
    entries = _event_entries(evidence, cells) + _written_models(evidence)
    known_paths = {str(Path(e.path).resolve()) for e in entries if e.path}
    base = evidence.base_dir
    # a load names its file better than the open() that fed it
    for ref in sorted(references, key=lambda r: r.kind not in ("load", "download")):
        if not ref.looks_like_model or ref.kind == "write":
            continue
        if ref.is_url:
            target = clean_url(ref.target)
            entry = next((e for e in entries if e.what == target), None)
            if entry is None:
                entry = _ModelEntry(kind="download", api=ref.api, what=target, source=target)
                entries.append(entry)
            entry.places.append((ref.cell_index, ref.cell_id))
            continue
        hub = hub_source(ref, base)
        if hub is not None:
            entry = next((e for e in entries if e.source == hub), None)
            if entry is None:
                entry = _ModelEntry(kind="download", api=ref.api, what=ref.target, source=hub)
                entries.append(entry)
            entry.places.append((ref.cell_index, ref.cell_id))
            continue
        path = resolve_in(base, ref.target)
        resolved = str(path.resolve())
        if resolved in known_paths:
            continue
        known_paths.add(resolved)
        entry = _ModelEntry(kind="call", api=ref.api, what=relative_uri(resolved, base))
        entry.path = resolved
        entry.places.append((ref.cell_index, ref.cell_id))
        if _may_read(evidence, path, confine) and path.is_file():
            scan = scan_model(path, policy=evidence.policy)
            entry.sha256, entry.format, entry.verdict = scan.sha256, scan.format, scan.verdict
            entry.globals = list(scan.globals)
            entry.current = "present"
            shown = relative_uri(resolved, base)
            for finding in scan.findings:
                extra_findings.append(finding.with_location(path=shown))
            entry.rules = sorted({f.rule for f in scan.findings})
        elif _may_read(evidence, path, confine):
            entry.current = "missing"
        entries.append(entry)
    for entry in entries:
        if (
            entry.path
            and entry.sha256
            and entry.current is None
            and entry.kind in ("load", "written")
        ):
            path = Path(entry.path)
            if _may_read(evidence, path, confine):
                now = (
                    hash_file(path, evidence.policy.lineage.hash_max_bytes)
                    if path.exists()
                    else None
                )
                entry.current = (
                    "missing" if not path.exists() else None if now is None
                    else "unchanged" if now == entry.sha256.removeprefix("sha256:") else "changed"
                )  # fmt: skip
    items = [
        ModelItem(
            kind=e.kind,
            api=e.api,
            what=relative_uri(e.what, base) if e.kind != "download" else e.what,
            source=e.source,
            revision=e.revision,
            pinned=e.pinned,
            sha256=e.sha256,
            format=e.format,
            verdict=e.verdict,
            globals=e.globals,
            action=e.action,
            waivers=_waivers_for(e, evidence),
            where=labels_for(e.places),
            rules=sorted(set(e.rules)),
            current=e.current,
        )
        for e in entries
    ]
    dataset_cells = {
        (r.cell_index, r.cell_id) for r in references if r.api.endswith("load_dataset")
    }
    for finding in evidence.findings:
        family = finding.rule.split("-")[1]
        if family not in ("PKL", "MDL") or finding.location.cell_index is None:
            continue
        place = (finding.location.cell_index, finding.location.cell_id)
        if family == "MDL" and place in dataset_cells:
            continue  # a dataset download: in the data inventory
        if finding.rule in PACKAGE_RULES:
            continue  # software, not a model: in the environment section
        label = cell_label(*place)
        if any(label in item.where and finding.rule in item.rules for item in items):
            continue
        for item in items:
            if label in item.where and (item.kind == "download") == (family == "MDL"):
                item.rules = sorted({*item.rules, finding.rule})
                break
        else:
            # a load or download the code makes that names no file or hub repo nbsec can follow
            # (bytes, a stream, a computed path, a shell command): one row per finding's call
            items.append(
                ModelItem(
                    kind="download" if family == "MDL" else "call",
                    api=None,
                    what=finding.message
                    if len(finding.message) <= 120
                    else finding.message[:119] + "…",
                    source=None,
                    revision=None,
                    pinned=False if "pin" in finding.title.lower() else None,
                    sha256=None,
                    format=None,
                    verdict=None,
                    globals=[],
                    action=None,
                    waivers=[],
                    where=[label],
                    rules=[finding.rule],
                    current=None,
                )
            )
    if evidence.session is not None or evidence.records:
        checked = (
            f"every model or pickle load and model download the {_run_name(evidence)} made "
            "(scanned before loading by the guard), and model files named in the code"
        )
    else:
        checked = (
            "model and pickle loads and downloads named in the notebook's code; files that exist "
            "were scanned statically, never loaded"
        )
    return ModelsSection(checked=checked, items=items)


def _waivers_for(entry: _ModelEntry, evidence: Evidence) -> list[str]:
    out: list[str] = []
    policy = evidence.policy
    if entry.sha256 and policy.sha256_allowed(entry.sha256):
        out.append("allowed by sha256 in the policy")
    if entry.path and policy.path_allowed(entry.path):
        out.append("allowed by path in the policy")
    if entry.source and policy.source_trusted(entry.source):
        out.append("trusted source in the policy")
    waivers: Iterable[Mapping[str, Any]] = (
        evidence.session.waivers if evidence.session is not None else evidence.ledger.waivers
    )
    for waiver in waivers:
        target = str(waiver.get("target") or "")
        if (waiver.get("kind") == "sha256" and entry.sha256 and target == entry.sha256) or (
            waiver.get("kind") == "path" and entry.path and Path(entry.path).match(target)
        ):
            out.append(f"session waiver: {waiver.get('reason')}")
    return out
