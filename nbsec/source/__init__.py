"""Static analysis of notebooks: parsing, IPython magics, AST rules, secrets, PII in outputs.

Public API:

* :func:`scan_notebook` — every static check over one saved ``.ipynb``;
* :func:`check_cell_source` — the code and secret rules on one cell's source (the kernel extension
  calls it before every cell runs);
* :class:`NameScope` — name resolution state to carry across :func:`check_cell_source` calls;
* :func:`load_notebook` / :class:`Notebook` — the parsed notebook model.
"""

from __future__ import annotations

from nbsec.source.names import NameScope
from nbsec.source.notebook import Notebook, load_notebook, parse_notebook
from nbsec.source.scanner import check_cell_source, scan_notebook, scan_parsed

__all__ = [
    "NameScope",
    "Notebook",
    "check_cell_source",
    "load_notebook",
    "parse_notebook",
    "scan_notebook",
    "scan_parsed",
]
