"""``nbsec pii PATH...``: personal data in tabular files (csv, tsv, parquet, jsonl).

Each file, or partitioned dataset directory, becomes one source in the JSON (``{"sources":
[{"path", "rows", "rows_scanned", "exhaustive", "columns": {...}}]}``) and one
``NBS-PII-001`` finding per column holding PII. ``--engine local`` (default) streams files in
chunks; ``--engine spark`` / ``dask`` read and scan them inside that engine (``--master``,
``--scheduler`` to use an existing cluster). See :mod:`nbsec.pii.file_scan`. A source that cannot
be read is an error line naming it (exit 2) while the other sources are still scanned.
"""

from __future__ import annotations

import argparse

NAME = "pii"
HELP = "scan tabular files (csv, tsv, parquet, jsonl; directories recurse) for personal data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from nbsec.commands.findings_output import add_output_arguments

    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="files, directories or partitioned datasets"
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=None,
        metavar="ROWS",
        help="rows sampled per source (default: the policy's pii.sample, 10000)",
    )
    parser.add_argument(
        "--exhaustive", action="store_true", help="check every value instead of a sample"
    )
    parser.add_argument(
        "--engine",
        choices=("local", "spark", "dask"),
        default="local",
        help="where the data is read and scanned: streamed in this process (default), "
        "in Spark, or on Dask workers",
    )
    parser.add_argument(
        "--master",
        default=None,
        metavar="URL",
        help="Spark master for --engine spark (default: local[*])",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler for --engine dask (default: a local cluster, one worker per CPU)",
    )
    add_output_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from nbsec.commands import policy_for
    from nbsec.commands.findings_output import RunResult, finish
    from nbsec.errors import InputError, UsageError
    from nbsec.findings import Location
    from nbsec.pii.file_scan import DaskEngine, SparkEngine, scan_local, sources

    if args.sample is not None and args.sample <= 0:
        raise UsageError("--sample must be a positive number of rows")
    if args.master and args.engine != "spark":
        raise UsageError("--master goes with --engine spark")
    if args.scheduler and args.engine != "dask":
        raise UsageError("--scheduler goes with --engine dask")
    policy = policy_for(args, args.paths[0])
    sample = args.sample or policy.pii.sample
    result = RunResult()
    found = []
    for source in sources(list(args.paths), result.errors):
        if source.kind is None:
            result.errors.append(f"{source.path}: not a csv, tsv, parquet or jsonl file")
            continue
        found.append(source)
    engine: SparkEngine | DaskEngine | None = None
    payload = []
    try:
        if found and args.engine == "spark":
            engine = SparkEngine(args.master)
        elif found and args.engine == "dask":
            engine = DaskEngine(args.scheduler)
        for source in found:
            try:
                if engine is None:
                    scan = scan_local(
                        source, sample=sample, exhaustive=args.exhaustive, policy=policy
                    )
                else:
                    scan = engine.scan(
                        source, sample=sample, exhaustive=args.exhaustive, policy=policy
                    )
            except InputError as exc:
                result.errors.append(str(exc))
                continue
            scan.path = str(source.path)
            result.scanned += 1
            payload.append(scan.to_dict())
            result.findings.extend(scan.findings(Location(path=str(source.path)), source.path.name))
            rows = f"{scan.rows_scanned} of {scan.rows} rows" if not scan.exhaustive else "all rows"
            hits = ", ".join(
                f"{name}: {'/'.join(col.entity_types)}" for name, col in scan.pii_columns.items()
            )
            result.text_preamble.append(
                f"{source.path}  ({rows})  {hits or 'no personal data found'}"
            )
    finally:
        if engine is not None:
            engine.close()
    result.json_payload = {"sources": payload}
    return finish(result, args, policy)
