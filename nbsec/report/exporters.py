"""``jupyter nbconvert --to nbsec`` / ``--to nbsec_html``: the governance report through nbconvert.

Registered as ``nbconvert.exporters`` entry points. Configured with traitlets like any exporter::

    jupyter nbconvert --to nbsec --NbsecExporter.execute=True \\
        --NbsecExporter.policy=nbsec.toml analysis.ipynb

``--to nbsec`` writes ``NAME.nbsec.ipynb``; ``--to nbsec_html`` writes ``NAME.nbsec.html``; both put
the attachments (report JSON, SARIF, CycloneDX ML-BOM, OpenLineage) beside it through nbconvert's
``resources["outputs"]``. The exporters only render: findings never fail a conversion (the CI gate
is ``nbsec report``'s exit code). Constructing an exporter imports nothing heavy; the report
builder is imported when a notebook is converted.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nbconvert.exporters import Exporter
from traitlets import Bool, Int, Unicode, default


class NbsecExporter(Exporter):
    """The nbsec governance report of a notebook, as a notebook."""

    export_from_notebook = "nbsec governance report (notebook)"
    output_mimetype = "application/x-ipynb+json"

    execute = Bool(
        False,
        help="Run the notebook with nbsec loaded (nbclient, its own directory) and report what "
        "happened at run time, instead of reading the saved notebook and its ledger.",
    ).tag(config=True)
    policy = Unicode(
        "",
        help="Policy file (nbsec.toml, or a pyproject.toml with [tool.nbsec]); default: "
        "NBSEC_POLICY, else the nearest one above the notebook.",
    ).tag(config=True)
    fail_on = Unicode(
        "",
        help="Severity the report's policy gate fails on (critical|high|medium|low|info); "
        "default: the policy's fail_on.",
    ).tag(config=True)
    previous = Unicode(
        "",
        help="A previous report JSON to compare with; default: NAME.nbsec.json beside the "
        "notebook, when there is one.",
    ).tag(config=True)
    timeout = Int(600, help="Seconds per cell with execute=True.").tag(config=True)
    kernel_name = Unicode(
        "", help="Kernel to run with execute=True (default: the notebook's)."
    ).tag(config=True)
    attachments = Bool(
        True,
        help="Write the report JSON, SARIF, CycloneDX ML-BOM and OpenLineage events beside the "
        "output.",
    ).tag(config=True)

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".nbsec.ipynb"

    def _build(self, nb: Any, resources: dict[str, Any], *, html: bool) -> Any:
        import nbformat

        from nbsec.findings import Severity
        from nbsec.report.generate import generate

        meta = resources.get("metadata") or {}
        folder = Path(str(meta.get("path") or "."))
        name = str(meta.get("name") or "notebook")
        source = folder / f"{name}.ipynb"
        raw = source.read_bytes() if source.is_file() else None
        if raw is None:
            raw = nbformat.writes(nb).encode("utf-8")  # type: ignore[no-untyped-call]
        return generate(
            source,
            execute=bool(self.execute),
            html=html,
            policy_file=self.policy or None,
            previous=self.previous or None,
            via="nbconvert",
            timeout=int(self.timeout),
            kernel_name=self.kernel_name or None,
            raw=raw,
            fail_on=Severity.parse(self.fail_on) if self.fail_on else None,
        )

    def _with_attachments(self, files: Any, resources: dict[str, Any]) -> dict[str, Any]:
        if self.attachments:
            outputs = dict(resources.get("outputs") or {})
            # "./NAME": nbconvert's writer makes the parent directory of each output, and ""
            # (the output directory being the current one) cannot be made
            outputs.update({os.path.join(os.curdir, n): d for n, d in files.attachments.items()})
            resources["outputs"] = outputs
            resources["output_files_dir"] = os.curdir
        return resources

    def from_notebook_node(  # type: ignore[override]
        self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        from nbsec.report.render_notebook import notebook_json

        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        files = self._build(nb_copy, resources, html=False)
        resources = self._with_attachments(files, resources)
        return notebook_json(files.notebook), resources


class NbsecHtmlExporter(NbsecExporter):
    """The nbsec governance report of a notebook, as one self-contained HTML page."""

    export_from_notebook = "nbsec governance report (HTML)"
    output_mimetype = "text/html"

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".nbsec.html"

    def from_notebook_node(  # type: ignore[override]
        self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        nb_copy, resources = Exporter.from_notebook_node(self, nb, resources, **kw)
        files = self._build(nb_copy, resources, html=True)
        resources = self._with_attachments(files, resources)
        return str(files.html), resources
