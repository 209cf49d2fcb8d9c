"""Per-cell lineage: which cell read which file or URL, made which variables from what, and
loaded which model, with hashes, recorded at a fraction of a millisecond per cell.

The parts, each with one reason to change:

- :mod:`~nbsec.lineage.tracker` -- :class:`LineageTracker`, the engine driven by IPython's
  ``pre_run_cell`` / ``post_run_cell`` events; produces one :class:`CellRecord` per execution.
- :mod:`~nbsec.lineage.cell_names` -- names a cell loads, stores and mutates, from its AST.
- :mod:`~nbsec.lineage.namespace_diff` and :mod:`~nbsec.lineage.fingerprint` -- what changed in
  the user namespace (names and identities; cheap fingerprints for frames and arrays).
- :mod:`~nbsec.lineage.audit_hook` -- the one process-wide ``sys.addaudithook`` hook.
- :mod:`~nbsec.lineage.io_wrappers` -- thin wrappers where audit events are blind (parquet,
  polars, httpx, requests, huggingface_hub, torch), installed lazily on import.
- :mod:`~nbsec.lineage.hashing` -- streamed, cached, capped file hashing.
- :mod:`~nbsec.lineage.ledger` -- the hash-chained JSONL ledger and its verifier.
- :mod:`~nbsec.lineage.graph` -- the lineage graph and its JSON form; exports in
  :mod:`~nbsec.lineage.openlineage_export`, :mod:`~nbsec.lineage.prov_export`,
  :mod:`~nbsec.lineage.mermaid_export`.
- :mod:`~nbsec.lineage.batch` -- execute a notebook with nbclient and collect its lineage.

Nothing here imports IPython, pandas or numpy at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbsec.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from nbsec.lineage.graph import LineageGraph
    from nbsec.lineage.records import CellRecord
    from nbsec.lineage.tracker import LineageTracker

__all__ = ["CellRecord", "LineageGraph", "LineageTracker"]

_LAZY: dict[str, str | tuple[str, str]] = {
    "CellRecord": "nbsec.lineage.records",
    "LineageGraph": "nbsec.lineage.graph",
    "LineageTracker": "nbsec.lineage.tracker",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
