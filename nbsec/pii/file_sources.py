"""Read tabular files for ``nbsec pii``: csv, tsv, parquet, jsonl (directories recurse).

A file that cannot be read raises :class:`~nbsec.errors.InputError` with one line naming it; the
command reports it and goes on with the other files. CSV and JSON lines are read with every column
as text (``dtype=str``), so leading zeros and long digit runs survive exactly as written; parquet
keeps its own types, which the column reader handles.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from nbsec.errors import InputError

SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
SUFFIXES.update({".jsonl": "jsonl", ".ndjson": "jsonl"})


def kind_of(path: Path) -> str | None:
    return SUFFIXES.get(path.suffix.lower())


def expand(paths: Iterable[str]) -> Iterator[tuple[Path, str | None]]:
    """Each file to scan with its kind; a directory yields its supported files, recursively.
    A named file of an unknown kind yields ``None`` as kind (the caller reports it)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                kind = kind_of(child)
                if kind and child.is_file() and not any(p.startswith(".") for p in child.parts):
                    yield child, kind
        else:
            yield path, kind_of(path)


def read_frame(path: Path, kind: str) -> Any:
    """The file as a pandas DataFrame."""
    import pandas as pd

    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        if kind == "csv":
            return pd.read_csv(path, dtype=str, keep_default_na=True, on_bad_lines="error")
        if kind == "tsv":
            return pd.read_csv(path, sep="\t", dtype=str, on_bad_lines="error")
        if kind == "parquet":
            return pd.read_parquet(path)
        if kind == "jsonl":
            return pd.read_json(path, lines=True, dtype=False)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read {kind}: {_one_line(exc)}") from None
    except Exception as exc:  # parser-specific errors (pyarrow, pandas.errors.*)
        raise InputError(f"{path}: cannot read {kind}: {_one_line(exc)}") from None
    raise InputError(f"{path}: unsupported file type")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first[:200]
