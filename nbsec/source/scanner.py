"""The static notebook scanner: every check of :mod:`nbsec.source` over one parsed notebook.

* :func:`check_cell_source` — the code rules (NBS-PKL / NBS-MDL / NBS-SRC) and secrets (NBS-SEC) on
  one cell's raw IPython source. The kernel extension calls it before each cell runs, so it does no
  I/O and uses no PII engine; rule data and IPython's transformer are loaded once per process and
  transformed sources are cached.
* :func:`scan_notebook` — the notebook read once (:mod:`nbsec.source.notebook`), code cells checked
  in order with one :class:`~nbsec.source.names.NameScope` (an import in cell 0 applies in cell 5),
  secrets in markdown, raw cells, outputs and metadata, and personal data in outputs.

Nothing scanned is imported, executed or written anywhere.
"""

from __future__ import annotations

import ast
import contextlib
import os
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache

from nbsec.findings import Finding, Location, sort_findings
from nbsec.policy import Policy, load_policy
from nbsec.source.code_checks import check_python
from nbsec.source.html_tables import parse_tables
from nbsec.source.issue import Issue
from nbsec.source.magics import TransformedCell, transform_cell
from nbsec.source.names import NameScope
from nbsec.source.notebook import Cell, Notebook, Output, json_strings, load_notebook
from nbsec.source.output_pii import pii_engine, table_issues, text_issues
from nbsec.source.secret_scan import secret_issues
from nbsec.source.shell_checks import check_shell_command

_PII_TEXT_KINDS = ("stream", "text/plain", "traceback", "application/json")


@lru_cache(maxsize=512)
def _transformed(source: str) -> tuple[TransformedCell, ast.Module | None]:
    cell = transform_cell(source)
    tree: ast.Module | None = None
    if cell.python:
        try:
            tree = ast.parse(cell.python)
        except (SyntaxError, ValueError, RecursionError):
            tree = None
    return cell, tree


def source_issues(source: str, scope: NameScope, policy: Policy) -> list[Issue]:
    """Issues in one code cell's source; ``scope`` is updated with its imports and constants."""
    cell, tree = _transformed(source)
    issues: list[Issue] = []
    if tree is not None:
        # pathologically nested code: keep the text checks, skip the AST rules
        with contextlib.suppress(RecursionError):
            issues.extend(check_python(tree, scope, policy, cell.original_line))
    for shell in cell.shell_lines:
        issues.extend(check_shell_command(shell.command, shell.line, policy))
    issues.extend(secret_issues(source))
    return issues


def _findings(issues: Iterable[Issue], base: Location, policy: Policy) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple[str, str, int | None]] = set()
    for issue in issues:
        if not policy.rule_enabled(issue.rule):
            continue
        location = replace(base, line=issue.line, column=issue.column)
        finding = Finding.from_rule(
            issue.rule,
            issue.message,
            location,
            evidence=issue.evidence,
            key=issue.key,
            severity=issue.severity,
            confidence=issue.confidence,
        )
        marker = (finding.rule, finding.fingerprint, issue.line)
        if marker not in seen:
            seen.add(marker)
            out.append(finding)
    return out


def check_cell_source(
    source: str,
    *,
    policy: Policy | None = None,
    location: Location | None = None,
    scope: NameScope | None = None,
) -> list[Finding]:
    """The static rules on one cell's raw source (IPython magics included).

    ``location`` fills path / cell fields of the findings (``line`` is set per finding).
    ``scope`` carries imports and constants across calls; without it, each call starts fresh.
    """
    policy = policy or Policy()
    issues = source_issues(source, scope if scope is not None else NameScope(), policy)
    return _findings(issues, location or Location(), policy)


def _output_issues(output: Output, policy: Policy) -> list[Issue]:
    issues: list[Issue] = []
    seen_keys: set[tuple[str, str]] = set()
    for text in output.texts:
        for issue in secret_issues(text.text):
            if (issue.rule, issue.key) in seen_keys:
                continue  # same secret in text/plain and text/html of one output
            seen_keys.add((issue.rule, issue.key))
            issues.append(issue if text.lines_are_real else replace(issue, line=None, column=None))
    engine = pii_engine()
    if engine is None:
        return issues
    html = output.text_of("text/html")
    tables = parse_tables(html) if html else []
    for table in tables:
        issues.extend(table_issues(table, policy, engine))
    for text in output.texts:
        if text.kind not in _PII_TEXT_KINDS or (tables and text.kind == "text/plain"):
            continue
        for issue in text_issues(text.text, policy, engine):
            issues.append(issue if text.lines_are_real else replace(issue, line=None))
    return issues


def _cell_location(path: str, cell: Cell) -> Location:
    return Location(
        path=path,
        cell_id=cell.id,
        cell_index=cell.index,
        execution_count=cell.execution_count,
    )


def _metadata_issues(metadata: object) -> list[Issue]:
    text = "\n".join(s for s in json_strings(metadata) if len(s) >= 8)
    return [replace(i, line=None, column=None) for i in secret_issues(text)]


def scan_parsed(notebook: Notebook, policy: Policy) -> list[Finding]:
    """Every check over an already parsed notebook."""
    findings: list[Finding] = []
    scope = NameScope()
    python = notebook.language in ("python", "python3", "ipython")
    path = notebook.path
    findings.extend(_findings(_metadata_issues(notebook.metadata), Location(path=path), policy))
    for cell in notebook.cells:
        base = _cell_location(path, cell)
        if cell.cell_type == "code" and python:
            issues = source_issues(cell.source, scope, policy)
        else:
            issues = secret_issues(cell.source)
        issues.extend(_metadata_issues(cell.metadata))
        findings.extend(_findings(issues, base, policy))
        for output in cell.outputs:
            located = replace(base, output_index=output.index)
            findings.extend(_findings(_output_issues(output, policy), located, policy))
    return sort_findings(findings)


def scan_notebook(path: str | os.PathLike[str], *, policy: Policy | None = None) -> list[Finding]:
    """Static scan of one saved notebook. Raises :class:`~nbsec.errors.InputError` (one line
    naming the file) when it is not a readable nbformat-4 notebook. Without ``policy`` the policy
    that applies to the notebook's directory is loaded."""
    notebook = load_notebook(path)
    return scan_parsed(notebook, policy if policy is not None else load_policy(path))
