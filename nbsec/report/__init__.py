"""The governance report: one builder, rendered to a notebook, an HTML page and JSON, with SARIF,
a CycloneDX ML-BOM and OpenLineage events beside it.

The parts, each with one reason to change:

- :mod:`~nbsec.report.generate` -- :func:`generate` (everything for one notebook), :func:`write`,
  :func:`build_report` (the public API's notebook);
- :mod:`~nbsec.report.evidence` -- what a report is built from (saved notebook, static findings,
  ``metadata.nbsec``, ledger, kernel session), gathered once;
- :mod:`~nbsec.report.live_session` -- the kernel session as plain data;
- :mod:`~nbsec.report.builder` -- the report model from the evidence, one module per section
  (:mod:`identity`, :mod:`inventory`, :mod:`personal_data`, :mod:`lineage_section`,
  :mod:`environment`, :mod:`policy_section`, :mod:`reproducibility`, :mod:`limitations`);
- :mod:`~nbsec.report.model` -- the report model (and its JSON, ``report.schema.json``);
- :mod:`~nbsec.report.document` -- the words, once, as sections of plain-text blocks;
  :mod:`render_notebook` and :mod:`render_html` draw them; :mod:`lineage_svg` and :mod:`charts`
  draw the pictures;
- :mod:`~nbsec.report.sarif`, :mod:`~nbsec.report.cyclonedx_bom` -- attachments;
- :mod:`~nbsec.report.exporters` -- ``jupyter nbconvert --to nbsec`` / ``--to nbsec_html``.

Nothing here is imported by ``import nbsec``; heavy parts load when a report is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbsec.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from nbsec.report.generate import ReportFiles, build_report, generate, write

__all__ = ["ReportFiles", "build_report", "generate", "write"]

_LAZY: dict[str, str | tuple[str, str]] = {
    "ReportFiles": "nbsec.report.generate",
    "build_report": "nbsec.report.generate",
    "generate": "nbsec.report.generate",
    "write": "nbsec.report.generate",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
