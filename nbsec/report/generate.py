"""One builder for every way in: :func:`generate` makes the whole report of one notebook (model,
notebook, HTML, attachments); the CLI, the nbconvert exporters, ``%nbsec report`` and the server
handler all call it, and :func:`nbsec.build_report` returns its notebook.

Static (default): the saved notebook, its ``metadata.nbsec`` and the ledger named there. Executed
(``execute=True``): the notebook is run with nbclient in its own directory with nbsec loaded, each
cell sent with its id, and the kernel's session is captured before nbsec unloads. Live: the caller
passes the :class:`~nbsec.report.live_session.LiveSession` of a running kernel.

Files, for a notebook ``NAME.ipynb`` (all in one directory, each attachment's sha256 listed in the
report):

* ``NAME.nbsec.ipynb``  the governance notebook
* ``NAME.nbsec.html``   the same report as a page (with ``html=True``)
* ``NAME.nbsec.json``   the report JSON (``report.schema.json``)
* ``NAME.nbsec.sarif``  SARIF 2.1.0 of the findings (waived ones as suppressions)
* ``NAME.nbsec.cdx.json``  CycloneDX 1.6 ML-BOM (needs ``cyclonedx-python-lib``)
* ``NAME.nbsec.openlineage.json``  OpenLineage run events of the observed run
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import os
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nbsec.errors import InputError
from nbsec.findings import Finding, Severity
from nbsec.policy import Policy, load_policy, load_policy_file
from nbsec.report.builder import BuildOptions, build_model
from nbsec.report.evidence import display_path, gather, read_notebook_bytes
from nbsec.report.live_session import LiveSession
from nbsec.report.model import SCHEMA_ID, Attachment, Report

REPORT_SUFFIX = ".nbsec"
# suffixes after the report's base name (``NAME.nbsec`` by default)
KINDS = {
    "json": (".json", "application/json", "report JSON (report.schema.json)"),
    "sarif": (".sarif", "application/sarif+json", "findings as SARIF 2.1.0"),
    "mlbom": (".cdx.json", "application/vnd.cyclonedx+json", "CycloneDX 1.6 ML-BOM"),
    "openlineage": (
        ".openlineage.json",
        "application/json",
        "OpenLineage run events of the observed run",
    ),
}


def is_report_notebook(path: Path) -> bool:
    """A governance notebook nbsec wrote (never itself reported on when a folder is walked)."""
    return path.name.endswith(REPORT_SUFFIX + ".ipynb")


def output_stem(notebook: Path) -> str:
    name = notebook.name
    return name[: -len(".ipynb")] if name.endswith(".ipynb") else name


@dataclass
class ReportFiles:
    """A built report: the model, the governance notebook, the page and the attachments."""

    stem: str
    model: Report
    notebook: dict[str, Any]  # nbformat 4.5 JSON
    html: str | None
    attachments: dict[str, bytes] = field(default_factory=dict)
    base: str = ""  # file names are BASE.ipynb, BASE.html, BASE.json, ... (NAME.nbsec)
    problems: tuple[str, ...] = ()  # what is malformed in the notebook (the rest was reported)

    def __post_init__(self) -> None:
        self.base = self.base or self.stem + REPORT_SUFFIX

    @property
    def failed(self) -> bool:
        """The policy gate failed (an open finding at or above ``fail_on``)."""
        return self.model.summary.outcome == "fail"

    def notebook_name(self) -> str:
        return self.base + ".ipynb"

    def html_name(self) -> str:
        return self.base + ".html"

    def files(self) -> dict[str, bytes]:
        """Every file of the report by name, as it is written."""
        from nbsec.report.render_notebook import notebook_json

        out = {self.notebook_name(): notebook_json(self.notebook).encode("utf-8")}
        if self.html is not None:
            out[self.html_name()] = self.html.encode("utf-8")
        out.update(self.attachments)
        return out


def resolve_policy(
    notebook: Path | None, policy: Policy | None, policy_file: str | os.PathLike[str] | None
) -> Policy:
    if policy is not None:
        return policy
    if policy_file:
        return load_policy_file(policy_file)
    return load_policy(notebook)


def _capture_code(target: Path) -> str:
    return (
        "__import__('nbsec.report.live_session', fromlist=['capture_current'])"
        f".capture_current({str(target)!r})"
    )


def _execute(
    path: Path, policy: Policy, timeout: int, kernel_name: str | None
) -> tuple[LiveSession, list[str]]:
    """Run the notebook with nbsec loaded; the kernel's session and the cells that raised."""
    from nbsec.lineage.batch import execute_with_nbsec

    with tempfile.TemporaryDirectory(prefix="nbsec-report-") as tmp:
        target = Path(tmp) / "session.json"
        env = {"NBSEC_POLICY": str(policy.source)} if policy.source else {}
        run = execute_with_nbsec(
            path,
            timeout=timeout,
            kernel_name=kernel_name,
            allow_errors=True,
            before_unload=_capture_code(target),
            extra_env=env,
        )
        if not target.exists():
            raise InputError(f"{path}: the kernel did not report its nbsec session")
        session = LiveSession.read(target)
    errors = []
    for index, cell in enumerate(run.notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append(f"cell {index + 1} raised {output.get('ename') or 'an exception'}")
    return session, errors


def generate(
    notebook: str | os.PathLike[str],
    *,
    execute: bool = False,
    html: bool = True,
    policy: Policy | None = None,
    policy_file: str | os.PathLike[str] | None = None,
    previous: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    session: LiveSession | None = None,
    via: str = "api",
    timeout: int = 600,
    kernel_name: str | None = None,
    confine: str | os.PathLike[str] | None = None,
    now: dt.datetime | None = None,
    raw: bytes | None = None,
    fail_on: Severity | None = None,
    base: str | None = None,
) -> ReportFiles:
    """The report of one notebook (see the module docstring). ``previous`` is a previous report
    JSON to compare with; by default ``NAME.nbsec.json`` in ``out_dir`` (or beside the notebook)
    is used when it exists. ``raw`` gives the notebook's bytes when they are already read (the
    nbconvert exporter); the file at ``notebook`` is then only used for its location.
    ``fail_on`` overrides the policy's gate. ``base`` names the files (``BASE.ipynb``,
    ``BASE.html``, ``BASE.json``, ...; default ``NAME.nbsec``)."""
    started = time.perf_counter()
    path = Path(notebook)
    if raw is None:
        raw = read_notebook_bytes(path)
    pol = resolve_policy(path, policy, policy_file)
    if fail_on is not None:
        pol = replace(pol, fail_on=fail_on)
    mode = "live" if session is not None else "executed" if execute else "static"
    executed_errors: list[str] = []
    if execute and session is None:
        session, executed_errors = _execute(path.resolve(), pol, timeout, kernel_name)
    evidence = gather(
        path.resolve() if path.exists() else None,
        raw,
        pol,
        mode=mode,
        via=via,
        session=session,
        executed_errors=executed_errors,
        started=started,
        name=path.name,
    )
    stem = output_stem(path)
    base = base or stem + REPORT_SUFFIX
    folder = Path(out_dir) if out_dir is not None else path.resolve().parent
    candidate = Path(previous) if previous else folder / (base + KINDS["json"][0])
    missing = []
    if importlib.util.find_spec("cyclonedx") is None:
        missing.append(
            "The CycloneDX ML-BOM was not written: cyclonedx-python-lib is not installed "
            "(pip install 'nbsec[mlbom]')."
        )
    options = BuildOptions(
        previous=candidate if candidate.is_file() else None,
        previous_shown_as=_shown(candidate),
        confine=Path(confine) if confine else None,
        now=now,
        missing_attachments=tuple(missing),
    )
    model = build_model(evidence, options)
    files = render(model, stem, evidence.records, with_html=html, started=started, base=base)
    files.problems = evidence.notebook.problems
    return files


def _shown(path: Path) -> str:
    return display_path(path) if path.exists() else path.name


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def render(
    model: Report,
    stem: str,
    records: list[Any],
    *,
    with_html: bool,
    started: float | None = None,
    base: str | None = None,
) -> ReportFiles:
    """The notebook, HTML and attachments of a report model."""
    base = base or stem + REPORT_SUFFIX
    from nbsec.lineage.graph import LineageGraph
    from nbsec.report.document import build_document
    from nbsec.report.render_notebook import render_notebook
    from nbsec.report.sarif import to_sarif

    attachments: dict[str, bytes] = {}
    active, waived = [], []
    for row in model.findings:
        finding = Finding.from_dict({k: v for k, v in row.items() if k not in _EXTRA_KEYS})
        if row.get("status") == "waived":
            waived.append((finding, f"waived: {row.get('waiver') or ''}"))
        else:
            active.append(finding)
    sarif = to_sarif(active, suppressed=waived)
    attachments[base + KINDS["sarif"][0]] = _json_bytes(sarif)
    if importlib.util.find_spec("cyclonedx") is not None:
        from nbsec.report.cyclonedx_bom import build_mlbom

        attachments[base + KINDS["mlbom"][0]] = build_mlbom(model).encode("utf-8")
    events = LineageGraph.from_records(records).to_openlineage(job_name=stem)
    attachments[base + KINDS["openlineage"][0]] = _json_bytes(events)
    listed = [_attachment(name, data) for name, data in attachments.items()]
    if started is not None:
        model.identity.produced.seconds = round(time.perf_counter() - started, 3)
    model.attachments = listed
    report_json = _json_bytes(model.to_dict())
    json_name = base + KINDS["json"][0]
    shown = replace(model, attachments=[_attachment(json_name, report_json), *listed])
    document = build_document(shown)
    metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "nbsec_report": {
            "schema": SCHEMA_ID,
            "notebook": model.identity.notebook.path,
            "notebook_sha256": model.identity.notebook.sha256,
            "produced_at": model.identity.produced.at,
            "mode": model.identity.produced.mode,
            "outcome": model.summary.outcome,
            "attachments": [{"name": a.name, "sha256": a.sha256} for a in shown.attachments],
        },
    }
    notebook = render_notebook(document, metadata)
    page = None
    if with_html:
        from nbsec.report.render_html import render_html

        page = render_html(document)
    files = ReportFiles(stem=stem, model=model, notebook=notebook, html=page, base=base)
    files.attachments = {json_name: report_json, **attachments}
    return files


_EXTRA_KEYS = frozenset({"status", "waiver", "where"})


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _attachment(name: str, data: bytes) -> Attachment:
    # the longest suffix names the kind (``.cdx.json`` before ``.json``)
    for suffix, media_type, description in sorted(KINDS.values(), key=lambda k: -len(k[0])):
        if name.endswith(suffix):
            return Attachment(name, media_type, description, _digest(data), len(data))
    return Attachment(name, "application/octet-stream", name, _digest(data), len(data))


def write(files: ReportFiles, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write every file of ``files`` into ``out_dir`` (created if needed); their paths."""
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{folder}: cannot create the output directory ({exc.strerror})") from None
    written = []
    for name, data in files.files().items():
        target = folder / name
        try:
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        except OSError as exc:
            raise InputError(f"{target}: cannot write ({exc.strerror or exc})") from None
        written.append(target)
    return written


def build_report(path: str | os.PathLike[str], execute: bool = False, **options: Any) -> Any:
    """The governance notebook of ``path`` (an ``nbformat.NotebookNode``); nothing is written.
    Options are those of :func:`generate` (``policy``, ``policy_file``, ``previous``, ...)."""
    import nbformat

    from nbsec.report.render_notebook import notebook_json

    options.setdefault("html", False)
    text = notebook_json(generate(path, execute=execute, **options).notebook)
    return nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
