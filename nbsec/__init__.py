"""nbsec: security and governance for Jupyter.

``%load_ext nbsec`` watches a kernel; ``nbsec`` on the command line scans notebooks, model files
and tables; the functions below are the Python API. Everything heavy (presidio, pandas, the
notebook parser, the model scanner) is imported on first use, so ``import nbsec`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbsec._version import __version__
from nbsec.errors import BlockedLoad, InputError, NbsecError, PolicyError, UsageError

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = [
    "BlockedLoad",
    "InputError",
    "NbsecError",
    "PolicyError",
    "UsageError",
    "__version__",
    "load_ipython_extension",
    "scan_dataframe",
    "scan_model",
    "scan_notebook",
    "unload_ipython_extension",
]

# public name -> (module, attribute), imported on first access
_LAZY = {
    "scan_dataframe": ("nbsec.pii", "scan_dataframe"),
    "scan_model": ("nbsec.models", "scan_model"),
    "scan_notebook": ("nbsec.source", "scan_notebook"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module_name, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module_name), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nbsec' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
