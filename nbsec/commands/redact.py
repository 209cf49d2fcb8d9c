"""``nbsec redact NB.ipynb...``: mask the personal data and secrets found in outputs, markdown,
attachments and metadata, in place (or into ``-o DIR``), keeping every output's shape.

* ``--check``: write nothing; exit 1 when something would be masked (for CI and pre-commit);
* ``--dry-run``: write nothing; show, per place, each line before (values masked as evidence)
  and after (values replaced by their labels), like a diff;
* ``--only PII|SEC``: mask one family only (repeatable); default: both (the policy's
  ``[tool.nbsec.redact] only`` when set);
* policy waivers and ``--baseline FILE`` are respected: a waived or known finding is not masked.

Secrets in code cells are never rewritten (the notebook's code is its author's to change); they
are listed on stderr so that they are not forgotten. What was masked is recorded in
``metadata.nbsec.redactions`` (rule, cell, output, address, fingerprint, label: never a value).
Running it again changes nothing. Directories recurse; one unreadable notebook is reported and
the others are redacted (exit 2).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from nbsec.source.marks import Mark
    from nbsec.source.redaction import RedactOutcome

NAME = "redact"
HELP = "mask personal data and secrets in outputs, markdown and metadata, keeping their shape"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="NB", help="notebooks or directories")
    parser.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        default=None,
        help="write redacted copies into DIR instead of changing the notebooks",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if something would be masked",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="change nothing; show what would be masked, place by place",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=("PII", "SEC"),
        default=None,
        help="mask only this family (repeatable; default: PII and SEC)",
    )
    parser.add_argument(
        "--baseline",
        default=None,
        metavar="FILE",
        help="findings whose fingerprint is in FILE are known and not masked",
    )


def render_block(findings: tuple[Any, ...]) -> dict[str, Any]:
    """An nbsec findings block, rendered as the kernel extension renders it."""
    from nbsec.kernel.display import findings_bundle, heading_for

    return findings_bundle(list(findings), heading_for(list(findings), "code"))


def _targets(paths: list[str], errors: list[str]) -> list[tuple[Path, Path]]:
    """``(notebook, path relative to where it was named)`` for every notebook to redact."""
    from nbsec.commands.scan import iter_notebooks

    out: list[tuple[Path, Path]] = []
    for arg in paths:
        root = Path(arg)
        if not root.exists():
            errors.append(f"{arg}: no such file or directory")
            continue
        for notebook in iter_notebooks(root):
            relative = notebook.relative_to(root) if root.is_dir() else Path(notebook.name)
            out.append((notebook, relative))
    return out


def _write(path: Path, text: str, like: Path | None) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file beside it, then a rename),
    keeping the permissions of ``like``."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        if like is not None and like.exists():
            os.chmod(tmp, like.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> int:
    from nbsec.baseline import load_baseline
    from nbsec.commands import one_line_error, policy_for
    from nbsec.commands.light_imports import without_unused_frameworks
    from nbsec.errors import InputError
    from nbsec.source.notebook import limits_for, parse_notebook, read_notebook_bytes
    from nbsec.source.redaction import has_big_numbers, redact_notebook, serialize

    policy = policy_for(args, args.paths[0])
    baseline = load_baseline(args.baseline) if args.baseline else frozenset()
    only = tuple(args.only or policy.redact.only)
    writing = not (args.check or args.dry_run)
    errors: list[str] = []
    changed = 0
    out = sys.stdout
    limits = limits_for(policy)
    for notebook_path, relative in _targets(args.paths, errors):
        try:
            raw = read_notebook_bytes(notebook_path, limits)
            notebook = parse_notebook(raw, str(notebook_path), limits)
            if notebook.problems:
                raise InputError(
                    f"{notebook_path}: malformed notebook: {notebook.problems[0]}; "
                    "not redacted (fix it, or open and save it in Jupyter, first)"
                )
            with without_unused_frameworks(policy):
                outcome = redact_notebook(
                    notebook, policy, only=only, baseline=baseline, render_block=render_block
                )
            if outcome.document is not None and has_big_numbers(outcome.document):
                raise InputError(
                    f"{notebook_path}: holds an integer too long to write back unchanged; "
                    "not redacted"
                )
        except InputError as exc:
            errors.append(str(exc))
            continue
        except Exception as exc:  # one notebook never stops the others
            errors.append(f"{notebook_path}: {one_line_error(exc)}")
            continue
        for finding in outcome.code_secrets:
            where = f"cell {(finding.location.cell_index or 0) + 1} line {finding.location.line}"
            print(
                f"nbsec: note: {notebook_path}: {where}: a secret in code is not masked "
                f"({finding.rule}); remove it from the cell and rotate it",
                file=sys.stderr,
            )
        if args.dry_run:
            _show_diff(outcome, notebook_path, out)
        _summary(outcome, notebook_path, writing, out)
        if outcome.document is None:
            if writing and args.output:
                _write(Path(args.output) / relative, raw.decode("utf-8"), notebook_path)
            continue
        changed += 1
        if writing:
            target = Path(args.output) / relative if args.output else notebook_path
            _write(target, serialize(outcome.document, raw), notebook_path)
        if outcome.left:
            print(
                f"nbsec: warning: {notebook_path}: {outcome.left} value(s) are still found after "
                "redaction; run `nbsec scan` on it and report the case",
                file=sys.stderr,
            )
    for error in errors:
        print(f"nbsec: error: {error}", file=sys.stderr)
    if errors:
        return 2
    return 1 if args.check and changed else 0


def _summary(outcome: RedactOutcome, path: Path, writing: bool, out: TextIO) -> None:
    from nbsec.source.redaction import family

    if outcome.document is None:
        out.write(f"{path}: nothing to mask\n")
        return
    marks = [m for p in outcome.plans for m in p.marks]
    families: dict[str, int] = {}
    for mark in marks:
        families[family(mark.rule)] = families.get(family(mark.rule), 0) + 1
    places = {m.site.place(m.start) for m in marks}
    verb = "masked" if writing else "would mask"
    parts = ", ".join(f"{n} {f}" for f, n in sorted(families.items()))
    line = f"{path}: {verb} {len(marks)} value(s) in {len(places)} place(s)"
    line += f" ({parts})" if parts else ""
    blocks = sum(len(p.blocks) for p in outcome.plans)
    if blocks:
        line += (
            f"; {'rewrote' if writing else 'would rewrite'} {blocks} stale nbsec findings block(s)"
        )
    out.write(line + "\n")


def _shown_value(mark: Mark) -> str:
    """A found value as evidence: masked personal data, or a secret's hash."""
    from nbsec.masking import mask, secret_hash

    value = mark.site.text[mark.start : mark.end]
    if mark.label == "SECRET":
        return f"[{secret_hash(value)}]"
    return mask(value, mark.label)


def _show_diff(outcome: RedactOutcome, path: Path, out: TextIO) -> None:
    """Each masked line before (values as evidence) and after (values as labels)."""
    if outcome.document is None:
        return
    out.write(f"--- {path}\n+++ {path} (redacted)\n")
    first = outcome.plans[0]
    # values found in any pass are shown masked wherever they appear in a context line
    known = {
        m.site.text[m.start : m.end]: _shown_value(m)
        for p in outcome.plans
        for m in p.marks
        if m.end - m.start >= 2
    }

    def masked(context: str) -> str:
        for value in sorted(known, key=len, reverse=True):
            if value in context:
                context = context.replace(value, known[value])
        return context

    by_line: dict[tuple[int, int], list[Mark]] = {}
    order: list[tuple[int, int]] = []
    sites: dict[int, Any] = {}
    for mark in first.marks:
        text = mark.site.text
        start = text.rfind("\n", 0, mark.start) + 1
        key = (id(mark.site), start)
        sites[id(mark.site)] = mark.site
        if key not in by_line:
            by_line[key] = []
            order.append(key)
        by_line[key].append(mark)
    current_place = None
    for key in order:
        marks = sorted(by_line[key], key=lambda m: m.start)
        site = sites[key[0]]
        place = site.place(marks[0].start)
        if place != current_place:
            out.write(f"@@ {place} @@\n")
            current_place = place
        text = site.text
        line_start = key[1]
        line_end = text.find("\n", marks[-1].end)
        line_end = len(text) if line_end == -1 else line_end
        lo = max(line_start, marks[0].start - 40)
        hi = min(line_end, marks[-1].end + 40)
        before, after = [], []
        pos = lo
        for mark in marks:
            if mark.start < pos:
                continue
            context = masked(text[pos : mark.start])
            before.append(context + _shown_value(mark))
            after.append(context + ("[REDACTED]" if mark.label == "SECRET" else f"[{mark.label}]"))
            pos = mark.end
        tail = masked(text[pos:hi])
        lead = "…" if lo > line_start else ""
        trail = "…" if hi < line_end else ""
        rules = ", ".join(sorted({m.rule for m in marks}))
        out.write(f"-{lead}{''.join(before)}{tail}{trail}\n")
        out.write(f"+{lead}{''.join(after)}{tail}{trail}    ({rules})\n")
    for saved, bundle in first.blocks:
        where = f"cell {int(saved.path[1]) + 1} output {int(saved.path[3]) + 1}"
        action = "rewritten without" if bundle is not None else "removed with"
        out.write(f"@@ {where} (nbsec findings) @@\n")
        out.write(f"~ block {action} its {len(saved.stale)} stale finding(s)    (NBS-SRC-007)\n")
