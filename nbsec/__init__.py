"""nbsec: security and governance for Jupyter.

``%load_ext nbsec`` watches a kernel; ``nbsec`` on the command line scans notebooks, model files
and tables; the functions below are the Python API. Everything heavy (presidio, pandas, the
notebook parser, the model scanner) is imported on first use, so ``import nbsec`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbsec._version import __version__
from nbsec.errors import BlockedLoad, InputError, NbsecError, PolicyError, UsageError
from nbsec.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = [
    "BlockedLoad",
    "InputError",
    "NbsecError",
    "PolicyError",
    "UsageError",
    "__version__",
    "build_report",
    "load_ipython_extension",
    "scan_dataframe",
    "scan_model",
    "scan_notebook",
    "unload_ipython_extension",
]

# public name -> (module, attribute), imported on first access
_LAZY: dict[str, str | tuple[str, str]] = {
    "build_report": ("nbsec.report.generate", "build_report"),
    "scan_dataframe": ("nbsec.pii", "scan_dataframe"),
    "scan_model": ("nbsec.models", "scan_model"),
    "scan_notebook": ("nbsec.source", "scan_notebook"),
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """``%load_ext nbsec``: start watching this kernel."""
    from nbsec.kernel.extension import load

    load(ipython)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """``%unload_ext nbsec``: remove every hook, magic, comm target and wrapper nbsec added."""
    from nbsec.kernel.extension import unload

    unload(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "nbsec"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The Jupyter server extension (``nbsec.server``): REST API and pre-save hook."""
    return [{"module": "nbsec.server"}]
