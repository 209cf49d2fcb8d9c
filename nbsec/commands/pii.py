"""``nbsec pii PATH...``: personal data in tabular files (csv, tsv, parquet, jsonl).

Each file becomes one source in the JSON (``{"sources": [{"path", "rows", "rows_scanned",
"exhaustive", "columns": {...}}]}``) and one ``NBS-PII-001`` finding per column holding PII. A file
that cannot be read is an error line naming it (exit 2) while the other files are still scanned.
"""

from __future__ import annotations

import argparse

NAME = "pii"
HELP = "scan tabular files (csv, tsv, parquet, jsonl; directories recurse) for personal data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from nbsec.commands.findings_output import add_output_arguments

    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    parser.add_argument(
        "--sample",
        type=int,
        default=None,
        metavar="ROWS",
        help="rows sampled per file (default: the policy's pii.sample, 10000)",
    )
    parser.add_argument(
        "--exhaustive", action="store_true", help="check every value instead of a sample"
    )
    add_output_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from nbsec.commands import policy_for
    from nbsec.commands.findings_output import RunResult, finish
    from nbsec.errors import InputError, UsageError
    from nbsec.findings import Location
    from nbsec.pii import scan_dataframe
    from nbsec.pii.file_sources import expand, read_frame

    if args.sample is not None and args.sample <= 0:
        raise UsageError("--sample must be a positive number of rows")
    policy = policy_for(args, args.paths[0])
    result = RunResult()
    sources = []
    for path, kind in expand(args.paths):
        if kind is None:
            result.errors.append(f"{path}: not a csv, tsv, parquet or jsonl file")
            continue
        try:
            frame = read_frame(path, kind)
            scan = scan_dataframe(
                frame, sample=args.sample, exhaustive=args.exhaustive, policy=policy
            )
        except InputError as exc:
            result.errors.append(str(exc))
            continue
        del frame
        scan.path = str(path)
        result.scanned += 1
        sources.append(scan.to_dict())
        result.findings.extend(scan.findings(Location(path=str(path)), path.name))
        rows = f"{scan.rows_scanned} of {scan.rows} rows" if not scan.exhaustive else "all rows"
        hits = ", ".join(
            f"{name}: {'/'.join(col.entity_types)}" for name, col in scan.pii_columns.items()
        )
        result.text_preamble.append(f"{path}  ({rows})  {hits or 'no personal data found'}")
    result.json_payload = {"sources": sources}
    return finish(result, args, policy)
