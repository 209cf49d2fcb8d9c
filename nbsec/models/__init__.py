"""Static scanning of model and pickle files; nothing scanned is ever imported or unpickled.

Public API (imported lazily, so ``import nbsec.models`` stays cheap):

* :func:`scan_model` (path) -> :class:`ModelScan`
* :func:`scan_bytes` (bytes, name=...) -> :class:`ModelScan`
* :func:`scan_stream` (open binary file) -> :class:`ModelScan`, the stream position restored
* :class:`ModelScan` with ``.path .format .sha256 .verdict .globals .findings .to_dict()``
* :class:`ScanLimits` bounds on depth, decompressed bytes and archive members
* :class:`GlobalsJudge` the allowlist / deny-list judgement of ``module.name`` globals

The runtime guards and download provenance (``guard*``, ``provenance*``, ``downloads*``) live in
this package too and call these functions before anything is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbsec.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from nbsec.models.globals_judge import GlobalsJudge, Judgement
    from nbsec.models.model_scan import VERDICTS, ModelScan, Verdict
    from nbsec.models.scan_context import ScanLimits
    from nbsec.models.scanner import scan_bytes, scan_model, scan_stream

__all__ = [
    "VERDICTS",
    "GlobalsJudge",
    "Judgement",
    "ModelScan",
    "ScanLimits",
    "Verdict",
    "scan_bytes",
    "scan_model",
    "scan_stream",
]

_LAZY: dict[str, str | tuple[str, str]] = {
    "scan_model": "nbsec.models.scanner",
    "scan_bytes": "nbsec.models.scanner",
    "scan_stream": "nbsec.models.scanner",
    "ModelScan": "nbsec.models.model_scan",
    "Verdict": "nbsec.models.model_scan",
    "VERDICTS": "nbsec.models.model_scan",
    "ScanLimits": "nbsec.models.scan_context",
    "GlobalsJudge": "nbsec.models.globals_judge",
    "Judgement": "nbsec.models.globals_judge",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
