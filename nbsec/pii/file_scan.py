"""``nbsec pii`` over files and partitioned datasets, through a local, Spark or Dask engine.

**Sources.** A named file is one source. A directory is one source when it is a *dataset*: it
holds hive-style ``key=value`` subdirectories, a writer's marker (``_SUCCESS``, ``_metadata``,
``_common_metadata``) or data files named ``part-*`` / ``part.*`` (what Spark, Dask and pyarrow
write), and all its data files are of one kind. Any other directory is searched recursively and
each file (or dataset below it) is a source of its own. Hidden files and directories are skipped.

**Engines.**

* ``local`` (default): files are streamed in chunks (pyarrow batches for parquet, pandas chunks
  for csv/tsv/jsonl), so a file larger than memory is fine. A sampled scan keeps a seeded uniform
  sample of ``sample`` rows over the whole source (:class:`~nbsec.pii.row_sample.BottomK`) and
  classifies it like a pandas frame; a full pass collects per-column evidence chunk by chunk
  (:mod:`nbsec.pii.column_evidence`) and judges it at the end.
* ``spark``: the source is read by Spark (``--master``, default ``local[*]``) and scanned inside
  Spark (:mod:`nbsec.pii.spark_frames`); csv as text with a header, jsonl with Spark's JSON reader.
* ``dask``: read by Dask and scanned on its workers (:mod:`nbsec.pii.dask_frames`), on the cluster
  at ``--scheduler ADDRESS`` or on a local cluster of one worker process per CPU.

CSV and JSON lines keep every value as written (text), so leading zeros and long digit runs
survive; parquet keeps its own types.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbsec.errors import InputError
from nbsec.pii.file_sources import kind_of
from nbsec.pii.results import FrameScan
from nbsec.policy import Policy

ENGINES = ("local", "spark", "dask")
CHUNK_ROWS = 100_000
_MARKERS = frozenset({"_SUCCESS", "_metadata", "_common_metadata"})
_HIVE_DIR = re.compile(r"^[^=/]+=[^/]*$")
_PART_FILE = re.compile(r"^part[-.]")


@dataclass
class Source:
    """One thing to scan: a file, or a dataset directory with its data files."""

    path: Path
    kind: str | None  # csv, tsv, parquet, jsonl; None: not a tabular file
    files: list[Path] = field(default_factory=list)

    @property
    def is_dataset(self) -> bool:
        return self.path.is_dir()


def _hidden(path: Path) -> bool:
    return path.name.startswith((".", "_")) and path.name not in _MARKERS


def _data_files(directory: Path) -> list[Path]:
    out = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in sorted(files):
            if not name.startswith((".", "_")) and kind_of(Path(name)):
                out.append(Path(root) / name)
    return out


def _looks_like_dataset(directory: Path) -> bool:
    try:
        entries = list(directory.iterdir())
    except OSError:
        return False
    if any(e.name in _MARKERS for e in entries):
        return True
    if any(e.is_dir() and _HIVE_DIR.match(e.name) for e in entries):
        return True
    return any(e.is_file() and _PART_FILE.match(e.name) and kind_of(e) for e in entries)


def sources(paths: list[str], errors: list[str]) -> Iterator[Source]:
    """The sources named by ``paths``; a path that does not exist goes to ``errors``."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from _walk(path, errors)
        elif path.is_file():
            yield Source(path, kind_of(path), [path])
        else:
            errors.append(f"{raw}: no such file or directory")


def _walk(directory: Path, errors: list[str]) -> Iterator[Source]:
    if _looks_like_dataset(directory):
        files = _data_files(directory)
        kinds = {kind_of(f) for f in files}
        if len(kinds) == 1:
            yield Source(directory, kinds.pop(), files)
            return
        if not files:
            errors.append(f"{directory}: dataset directory without csv, parquet or jsonl files")
            return
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith(".") or _hidden(entry):
            continue
        if entry.is_dir():
            yield from _walk(entry, errors)
        elif entry.is_file() and kind_of(entry):
            yield Source(entry, kind_of(entry), [entry])


# -- local engine --------------------------------------------------------------------------------


def _chunks(source: Source) -> Iterator[Any]:
    """The source's rows as pandas chunks of about ``CHUNK_ROWS`` rows (columns by name)."""
    import pandas as pd

    if source.kind == "parquet":
        import pyarrow.dataset as ds

        dataset = ds.dataset(
            [str(f) for f in source.files] if not source.is_dataset else str(source.path),
            format="parquet",
            partitioning="hive" if source.is_dataset else None,
            exclude_invalid_files=False,
        )
        for batch in dataset.to_batches(batch_size=CHUNK_ROWS):
            yield batch.to_pandas()
        return
    for path in source.files:
        reader: Any
        if source.kind in ("csv", "tsv"):
            reader = pd.read_csv(
                path,
                sep="," if source.kind == "csv" else "\t",
                dtype=str,
                keep_default_na=True,
                on_bad_lines="error",
                chunksize=CHUNK_ROWS,
            )
        else:
            reader = pd.read_json(path, lines=True, dtype=False, chunksize=CHUNK_ROWS)
        with reader as chunks:
            yield from chunks


def scan_local(source: Source, *, sample: int, exhaustive: bool, policy: Policy) -> FrameScan:
    """Stream the source in chunks: a uniform sample, or evidence from every row."""
    from nbsec.pii.column_evidence import (
        collect_frame,
        empty_evidence,
        engine_settings,
        judge_columns,
        unique_names,
    )
    from nbsec.pii.frame_scan import scan_dataframe
    from nbsec.pii.row_sample import BottomK

    rows = 0
    names: list[str] = []
    picker = BottomK(sample)
    settings = engine_settings(policy, True) if exhaustive else None
    evidence: dict[str, Any] = {}
    try:
        for chunk in _chunks(source):
            chunk.columns = unique_names(chunk.columns)
            names += [c for c in chunk.columns if c not in names]
            rows += len(chunk)
            if settings is None:
                picker.add(chunk)
                continue
            columns = list(chunk.columns)
            for name, ev in zip(columns, collect_frame(chunk, columns, settings), strict=True):
                evidence[name] = evidence[name].merge(ev) if name in evidence else ev
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{source.path}: cannot read {source.kind}: {_one_line(exc)}") from None
    if settings is not None:
        ordered = [evidence.get(n) or empty_evidence([n])[0] for n in names]
        result = FrameScan(
            rows=rows, rows_scanned=rows, exhaustive=all(e.complete for e in ordered)
        )
        result.columns = judge_columns(ordered, settings)
        return result
    frame = picker.frame()
    if frame is None:
        import pandas as pd

        frame = pd.DataFrame({n: [] for n in names}, dtype=object)
    scan = scan_dataframe(frame.reindex(columns=names), sample=max(1, len(frame)), policy=policy)
    scan.rows = rows
    scan.rows_scanned = len(frame)
    scan.exhaustive = rows == len(frame)
    return scan


# -- Spark and Dask engines ----------------------------------------------------------------------


class _Engine:
    """What the Spark and Dask engines share: read a source into a frame of the engine, then
    scan it there (:func:`nbsec.pii.scan_dataframe` hands it to the engine's frame kind)."""

    name = ""

    def read(self, source: Source) -> Any:
        raise NotImplementedError

    def scan(self, source: Source, *, sample: int, exhaustive: bool, policy: Policy) -> FrameScan:
        from nbsec.pii.frame_scan import scan_dataframe

        try:
            frame = self.read(source)
        except Exception as exc:
            raise InputError(
                f"{source.path}: {self.name} cannot read it: {_one_line(exc)}"
            ) from None
        try:
            return scan_dataframe(frame, sample=sample, exhaustive=exhaustive, policy=policy)
        except InputError as exc:
            raise InputError(f"{source.path}: {exc}") from None

    def close(self) -> None:
        raise NotImplementedError


class SparkEngine(_Engine):
    """A SparkSession for the run (``master``: ``local[*]`` unless given), stopped at the end;
    without ``master``, a session already running in this process is used and left running."""

    name = "Spark"

    def __init__(self, master: str | None) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise InputError("--engine spark needs pyspark (pip install 'nbsec[spark]')") from None
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        active = SparkSession.getActiveSession()
        self.owned = active is None or master is not None
        self.session: Any = active
        if not self.owned:
            return  # a session this process already runs: used, left running
        builder = (
            SparkSession.builder.appName("nbsec pii")
            .master(master or "local[*]")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
        )
        try:
            self.session = builder.getOrCreate()
        except Exception as exc:
            where = master or "local[*]"
            raise InputError(f"cannot start Spark ({where}): {_one_line(exc)}") from None
        self.session.sparkContext.setLogLevel("ERROR")

    def read(self, source: Source) -> Any:
        reader = self.session.read
        where = str(source.path)
        if source.kind == "parquet":
            return reader.parquet(where)
        if source.kind in ("csv", "tsv"):
            sep = "," if source.kind == "csv" else "\t"
            return reader.option("header", True).option("sep", sep).csv(where)
        return reader.json(where)

    def close(self) -> None:
        if self.owned:
            self.session.stop()


class DaskEngine(_Engine):
    """A Dask client for the run: the scheduler at ``address``, else a local cluster."""

    name = "Dask"

    def __init__(self, address: str | None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError(
                "--engine dask needs dask and distributed (pip install 'nbsec[dask]')"
            ) from None
        self.cluster = None
        try:
            if address:
                self.client = Client(address, timeout="20s")  # type: ignore[no-untyped-call]
            else:
                self.cluster = LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    scheduler_port=0,
                )
                self.client = Client(self.cluster)  # type: ignore[no-untyped-call]
        except Exception as exc:
            where = address or "a local cluster"
            raise InputError(f"cannot connect to Dask ({where}): {_one_line(exc)}") from None

    def read(self, source: Source) -> Any:
        import dask.dataframe as dd

        where = str(source.path)
        if source.kind == "parquet":
            return dd.read_parquet(where)
        files = [str(f) for f in source.files]
        if source.kind in ("csv", "tsv"):
            sep = "," if source.kind == "csv" else "\t"
            return dd.read_csv(files, sep=sep, dtype=str, blocksize="64MB", keep_default_na=True)
        return dd.read_json(files, lines=True, dtype=False, blocksize=64 * 2**20)

    def close(self) -> None:
        self.client.close()  # type: ignore[no-untyped-call]
        if self.cluster is not None:
            self.cluster.close()


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
