"""PII in DataFrames, output tables and text.

* :func:`scan_dataframe` - a pandas or polars frame -> :class:`FrameScan` (per column: entity
  types with score, prevalence and recognizer, masked examples);
* :func:`scan_table` - a table parsed back from a saved output (header -> cell strings);
* :func:`scan_text` - validated hits in stream / text outputs.

Nothing heavy is imported here: pandas, numpy, phonenumbers and presidio load on first use.
"""

from __future__ import annotations

from nbsec.pii.frame_scan import scan_dataframe, scan_table
from nbsec.pii.results import ColumnScan, EntityHit, FrameScan, TextHit
from nbsec.pii.text_scan import scan_text

__all__ = [
    "ColumnScan",
    "EntityHit",
    "FrameScan",
    "TextHit",
    "scan_dataframe",
    "scan_table",
    "scan_text",
]
