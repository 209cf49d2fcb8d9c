"""The static notebook scanner: every check of :mod:`nbsec.source` over one saved notebook.

* :func:`check_cell_source` — the code rules (NBS-PKL / NBS-MDL / NBS-SRC) and secrets (NBS-SEC) on
  one cell's raw IPython source. The kernel extension calls it before each cell runs, so it does no
  I/O and uses no PII engine; rule data is loaded once per process and transformed sources are
  cached.
* :func:`scan_notebook` — the notebook read once (:mod:`nbsec.source.notebook`), code cells checked
  in order with one :class:`~nbsec.source.names.NameScope` (an import in cell 0 applies in cell 5),
  secrets and personal data in every other text it keeps (:mod:`nbsec.source.site_scan`), values
  found followed to every other place that shows them (:mod:`nbsec.source.marks`), and nbsec's own
  outputs read back as findings (:mod:`nbsec.source.own_outputs`).
* :func:`analyse` — the same, keeping what redaction needs: the :class:`~nbsec.source.marks.Mark`
  of every value found and the findings blocks nbsec saved.

Bounded: a code cell longer than ``max_code_chars`` is searched as text and never parsed; code too
deeply nested for the AST walk is checked call by call without the walk's recursion; a failure
inside one check is kept as a problem of that notebook and the scan goes on. Both cases are
reported (NBS-SRC-008), so what nbsec could not read is never taken for safe.

Nothing scanned is imported, executed or written anywhere.
"""

from __future__ import annotations

import ast
import html
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from nbsec.errors import InputError
from nbsec.findings import Finding, Location, Severity, sort_findings
from nbsec.policy import Policy, load_policy
from nbsec.source.code_checks import CodeChecker, check_python
from nbsec.source.issue import Issue, Span
from nbsec.source.magics import TransformedCell, transform_cell
from nbsec.source.marks import FoundValue, Mark, find_occurrences, merge_marks, worth_following
from nbsec.source.names import NameScope
from nbsec.source.notebook import (
    DEFAULT_LIMITS,
    Cell,
    Notebook,
    NotebookLimits,
    Output,
    TextSite,
    limits_for,
    load_notebook,
)
from nbsec.source.own_outputs import (
    SavedFindings,
    blank_own_text,
    saved_findings,
    stale_key,
    stale_message,
)
from nbsec.source.secret_scan import find_secrets
from nbsec.source.shell_checks import check_shell_command
from nbsec.source.site_scan import CHUNK, SiteScan, child_sites, scan_site

_CACHED_SOURCE_CHARS = 20_000
# sites whose messages name where in the cell the text was (sources and outputs need no more)
_PLAIN_KINDS = frozenset({"source"})


# -- code -------------------------------------------------------------------------------------


def _transform(source: str) -> tuple[TransformedCell, ast.Module | None]:
    cell = transform_cell(source)
    tree: ast.Module | None = None
    if cell.python:
        try:
            tree = ast.parse(cell.python)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            # CPython cannot compile it either: the cell cannot run as it is
            tree = None
    return cell, tree


_transform_cached = lru_cache(maxsize=512)(_transform)


def _flat_walk(
    tree: ast.Module, scope: NameScope, policy: Policy, line_of: Callable[[int], int]
) -> list[Issue]:
    """The call checks on every call of a tree too deep for the recursive walk (no scope
    tracking beyond imports; ``ast.walk`` itself does not recurse)."""
    checker = CodeChecker(scope, policy, line_of)
    for node in ast.walk(tree):
        try:
            if isinstance(node, ast.Import | ast.ImportFrom):
                scope.bind_import(node)
            elif isinstance(node, ast.Call):
                checker._check_call(node)
        except RecursionError:
            continue
    return checker.issues


def _incomplete(reason: str) -> Issue:
    return Issue("NBS-SRC-008", reason, 1, key=f"incomplete:{reason.split(' (')[0]}")


def code_issues(
    source: str, scope: NameScope, policy: Policy, limits: NotebookLimits = DEFAULT_LIMITS
) -> list[Issue]:
    """Issues in one code cell's source; ``scope`` is updated with its imports and constants."""
    if len(source) > limits.max_code_chars:
        reason = (
            f"cell too large to analyse as code ({len(source):,} characters, the limit is "
            f"{limits.max_code_chars:,}); only secrets were searched"
        )
        return [_incomplete(reason), *_chunked_secret_issues(source)]
    transform = _transform_cached if len(source) <= _CACHED_SOURCE_CHARS else _transform
    cell, tree = transform(source)
    issues: list[Issue] = []
    if tree is not None:
        try:
            issues.extend(check_python(tree, scope, policy, cell.original_line))
        except RecursionError:
            issues.append(
                _incomplete("code nested too deeply to analyse in full; calls checked one by one")
            )
            issues.extend(_flat_walk(tree, scope, policy, cell.original_line))
    for shell in cell.shell_lines:
        issues.extend(check_shell_command(shell.command, shell.line, policy))
    issues.extend(hit.to_issue() for hit in find_secrets(source))
    return issues


def _chunked_secret_issues(source: str) -> list[Issue]:
    from nbsec.source.site_scan import secret_issues_in
    from nbsec.source.text_views import View

    return secret_issues_in(View(source), CHUNK)


def _finding(issue: Issue, at: Location, policy: Policy) -> Finding | None:
    """The finding of an issue at a location (``None`` when its rule is disabled)."""
    if not policy.rule_enabled(issue.rule):
        return None
    return Finding.from_rule(
        issue.rule,
        issue.message,
        at,
        evidence=issue.evidence,
        key=issue.key,
        severity=issue.severity,
        confidence=issue.confidence,
    )


def _findings(issues: Iterable[Issue], base: Location, policy: Policy) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple[str, int | None]] = set()
    for issue in issues:
        finding = _finding(issue, replace(base, line=issue.line, column=issue.column), policy)
        if finding is not None and (finding.fingerprint, issue.line) not in seen:
            seen.add((finding.fingerprint, issue.line))
            out.append(finding)
    return out


def check_cell_source(
    source: str,
    *,
    policy: Policy | None = None,
    location: Location | None = None,
    scope: NameScope | None = None,
    own_file: Callable[[str], str | None] | None = None,
) -> list[Finding]:
    """The static rules on one cell's raw source (IPython magics included).

    ``location`` fills path / cell fields of the findings (``line`` is set per finding).
    ``scope`` carries imports and constants across calls; without it, each call starts fresh.
    ``own_file`` (a live kernel's knowledge): given the file a load call names, a note saying
    why it is the session's own work (``None`` if it is not); such a load is reported as info
    with that note, since the file's bytes are still judged when it is loaded.
    """
    policy = policy or Policy()
    scope = scope if scope is not None else NameScope()
    issues = code_issues(source, scope, policy, limits_for(policy))
    if own_file is not None:
        issues = [_own_load(issue, own_file) for issue in issues]
    return _findings(issues, location or Location(), policy)


def _own_load(issue: Issue, own_file: Callable[[str], str | None]) -> Issue:
    if issue.target is None:
        return issue
    note = own_file(issue.target)
    if note is None:
        return issue
    return replace(issue, severity=Severity.INFO, message=f"{issue.message}: {note}")


# -- the notebook -----------------------------------------------------------------------------


@dataclass
class NotebookScan:
    """Everything one scan of a notebook found: findings (as ``nbsec scan`` reports them), the
    marks redaction masks, nbsec's own findings blocks, and problems with the file."""

    notebook: Notebook
    findings: list[Finding] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    saved: list[SavedFindings] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _cell_location(path: str, cell: Cell) -> Location:
    return Location(
        path=path,
        cell_id=cell.id,
        cell_index=cell.index,
        execution_count=cell.execution_count,
    )


def _normal(value: str) -> str:
    return " ".join(html.unescape(value).split())


def _without_table_repeats(scans: list[SiteScan]) -> list[SiteScan]:
    """A value of a table column already reported (NBS-PII-002) is not reported again per line
    of the table's HTML, of its ``text/plain`` twin or of a CSV link; it is still masked."""
    in_tables = {
        _normal(value)
        for scan in scans
        for issue in scan.issues
        if issue.rule == "NBS-PII-002"
        for value, _ in issue.values
    }
    if not in_tables:
        return scans
    for scan in scans:
        scan.issues = [
            issue
            for issue in scan.issues
            if not (
                issue.rule == "NBS-PII-003"
                and all(_normal(scan.site.text[s.start : s.end]) in in_tables for s in issue.spans)
            )
        ]
    return scans


def _line_of(site: TextSite, offset: int) -> tuple[int, int] | None:
    if not site.lines_are_real or site.container is not None:
        return None
    line = site.text.count("\n", 0, offset) + 1
    column = offset - (site.text.rfind("\n", 0, offset) + 1) + 1
    return line, column


class _Analysis:
    """One pass over a notebook (see :func:`analyse`)."""

    def __init__(self, notebook: Notebook, policy: Policy, limits: NotebookLimits) -> None:
        self.nb = notebook
        self.policy = policy
        self.limits = limits
        self.result = NotebookScan(notebook, problems=list(notebook.problems))
        self.values: list[FoundValue] = []
        self.seen: set[tuple[str, int | None, int | None]] = set()
        # findings already reported per (cell, output, key), to place followed secrets once
        self.keys_at: set[tuple[int | None, int | None, str]] = set()
        # every text searched (children included), in order: where found values are followed
        self.searched: list[TextSite] = []

    # -- placing issues ----------------------------------------------------------------------
    def add(self, issue: Issue, base: Location) -> Finding | None:
        """One finding for ``issue`` at ``base`` (``None`` if its rule is disabled); the same
        finding seen twice in one output, or twice on one line of code, is reported once."""
        finding = _finding(issue, base, self.policy)
        if finding is None:
            return None
        marker = (finding.fingerprint, base.output_index, base.line)
        if marker not in self.seen:
            self.seen.add(marker)
            self.result.findings.append(finding)
            self.keys_at.add((base.cell_index, base.output_index, issue.key))
        return finding

    def place(
        self,
        site: TextSite,
        issues: Iterable[Issue],
        base: Location,
        *,
        within: tuple[TextSite, ...] | None = None,
    ) -> None:
        """Findings for the issues of one text, its marks, and the values to follow."""
        for issue in issues:
            line, column = issue.line, issue.column
            if not site.is_code:
                where = _line_of(site, issue.spans[0].start) if issue.spans else None
                line, column = where if where else (None, None)
            if site.kind not in _PLAIN_KINDS and (
                site.output_index is None
                or site.container is not None
                or site.kind == "output-metadata"
            ):
                offset = issue.spans[0].start if issue.spans else None
                issue = replace(issue, message=f"{issue.message} (in {site.place(offset)})")
            if issue.rule == "NBS-PII-003" and site.output_index is None:
                # personal data in markdown, raw cells, attachments and metadata
                message = issue.message.replace(" in this output line", "")
                issue = replace(issue, rule="NBS-PII-004", message=message)
            at = replace(base, line=line, column=column if site.is_code else None)
            finding = self.add(replace(issue, line=line), at)
            if finding is None:
                continue
            for span in issue.spans:
                value = site.text[span.start : span.end]
                if not site.is_code:
                    self.result.marks.append(
                        Mark(
                            site, span.start, span.end, issue.rule, finding.fingerprint, span.label
                        )
                    )
                if worth_following(value, local=False):
                    self.values.append(
                        FoundValue(
                            value,
                            issue.rule,
                            finding.fingerprint,
                            span.label,
                            issue.key,
                            issue.evidence,
                        )
                    )
            for value, label in issue.values:
                if worth_following(value, local=True):
                    self.values.append(
                        FoundValue(
                            value, issue.rule, finding.fingerprint, label, issue.key, None, within
                        )
                    )

    def guarded(self, what: str, action: Callable[..., None], *args: object) -> None:
        """Run one check; a failure is a problem of this notebook, never the end of the scan."""
        try:
            action(*args)
        except (RecursionError, MemoryError) as exc:
            self.result.problems.append(f"{what}: too complex to analyse ({type(exc).__name__})")
        except Exception as exc:
            self.result.problems.append(f"{what}: internal error ({type(exc).__name__}: {exc})")

    def text(
        self, site: TextSite, base: Location, within: tuple[TextSite, ...] | None = None
    ) -> None:
        scan: SiteScan = scan_site(site, self.policy)
        self.searched.append(site)
        self.place(site, scan.issues, base, within=within)
        for child in scan.children:
            self.text(child, base, within)

    def code(self, site: TextSite, base: Location, scope: NameScope, python: bool) -> None:
        if python:
            issues = code_issues(site.text, scope, self.policy, self.limits)
        else:
            issues = _chunked_secret_issues(site.text)
        self.place(site, issues, base)

    # -- the walk ----------------------------------------------------------------------------
    def run(self) -> NotebookScan:
        nb = self.nb
        path = nb.path
        python = nb.language in ("python", "python3", "ipython")
        top = Location(path=path)
        for site in nb.sites:
            self.guarded(site.place(), self.text, site, top)
        for reason in nb.skipped:
            self.add(_incomplete(f"not searched in full: {reason}"), top)
        scope = NameScope()
        for cell in nb.cells:
            base = _cell_location(path, cell)
            before = scope.copy()
            for site in cell.sites:
                if site.is_code:
                    self.guarded(site.place(), self.code, site, base, scope, python)
                else:
                    self.guarded(site.place(), self.text, site, base)
            for output in cell.outputs:
                located = replace(base, output_index=output.index)
                what = f"cell {cell.index + 1} output {output.index + 1}"
                self.guarded(what, self.output, cell, output, located, before)
        self.guarded("values found elsewhere", self.follow)
        self.result.findings = sort_findings(self.result.findings)
        self.result.marks = merge_marks(self.result.marks)
        return self.result

    def output(self, cell: Cell, output: Output, base: Location, scope: NameScope) -> None:
        within = output.sites
        if output.is_nbsec:
            saved = saved_findings(
                output, cell, self.nb.path, self.policy, self._reproducer(cell, scope)
            )
            if saved is not None:
                self.own_output(saved, base)
                return
        scans: list[SiteScan] = []
        pending = list(output.sites)
        while pending:
            scan = scan_site(pending.pop(0), self.policy)
            scans.append(scan)
            pending.extend(scan.children)
        within = tuple(scan.site for scan in scans)
        self.searched.extend(within)
        for scan in _without_table_repeats(scans):
            self.place(scan.site, scan.issues, base, within=within)

    def own_output(self, saved: SavedFindings, base: Location) -> None:
        self.result.saved.append(saved)
        for site in saved.output.sites:
            if site.kind == "application/vnd.nbsec.findings+json":
                issues = [h.to_issue() for h in find_secrets(site.text, providers_only=True)]
                self.place(site, issues, base)
                continue
            blanked = blank_own_text(site, saved.findings)
            scan = scan_site(blanked, self.policy)
            self.place(blanked, scan.issues, base, within=saved.output.sites)
            for child in child_sites(site):
                self.text(child, base)
        if saved.stale:
            self.add(Issue("NBS-SRC-007", stale_message(saved), None, key=stale_key(saved)), base)

    def _reproducer(self, cell: Cell, scope: NameScope) -> Callable[[Location], set[str]]:
        cache: dict[Location, set[str]] = {}

        def reproduce(anchor: Location) -> set[str]:
            if anchor not in cache:
                found: set[str] = set()
                for start in (scope.copy(), NameScope()):
                    found.update(
                        f.fingerprint
                        for f in check_cell_source(
                            cell.source, policy=Policy(), location=anchor, scope=start
                        )
                    )
                cache[anchor] = found
            return cache[anchor]

        return reproduce

    def follow(self) -> None:
        """Every other place that shows a value already found is masked too; a secret shown
        where no detector saw it (``print(password)``) is reported there."""
        if not self.values:
            return
        texts = [
            (site, site.text)
            for site in self.searched
            if not site.is_code and not site.nbsec and site.text
        ]
        already = {(id(m.site), m.start, m.end) for m in self.result.marks}
        by_value: dict[str, FoundValue] = {}
        for found in self.values:
            known = by_value.get(found.value)
            if known is None or (known.within is not None and found.within is None):
                by_value[found.value] = found
            elif known.within is not None and found.within is not None:
                # the same value in two tables: followed inside both
                by_value[found.value] = replace(known, within=known.within + found.within)
        for mark in find_occurrences(texts, list(by_value.values())):
            if (id(mark.site), mark.start, mark.end) in already:
                continue
            value = by_value.get(mark.site.text[mark.start : mark.end])
            site = mark.site
            at = (site.cell_index, site.output_index, value.key if value else "")
            if value is None or not mark.rule.startswith("NBS-SEC-") or at in self.keys_at:
                self.result.marks.append(mark)
                continue
            base = Location(path=self.nb.path)
            if site.cell_index is not None:
                cell = self.nb.cells[site.cell_index]
                base = replace(_cell_location(self.nb.path, cell), output_index=site.output_index)
            issue = Issue(
                mark.rule,
                "a secret found elsewhere in this notebook is shown here",
                None,
                key=value.key,
                evidence=value.evidence,
                spans=(Span(mark.start, mark.end, mark.label),),
            )
            self.place(site, [issue], base)


def analyse(
    notebook: Notebook, policy: Policy, limits: NotebookLimits | None = None
) -> NotebookScan:
    """Every check over a parsed notebook, with what redaction needs (marks, saved blocks)."""
    return _Analysis(notebook, policy, limits or limits_for(policy)).run()


def scan_parsed(notebook: Notebook, policy: Policy) -> list[Finding]:
    """Every check over an already parsed notebook."""
    return analyse(notebook, policy).findings


def scan_notebook_file(
    path: str | os.PathLike[str], *, policy: Policy | None = None
) -> NotebookScan:
    """Read and analyse one notebook. Raises :class:`~nbsec.errors.InputError` only when the
    file is not a readable nbformat-4 notebook; malformed parts are in ``problems``."""
    policy = policy if policy is not None else load_policy(path)
    limits = limits_for(policy)
    return analyse(load_notebook(path, limits), policy, limits)


def scan_notebook(path: str | os.PathLike[str], *, policy: Policy | None = None) -> list[Finding]:
    """Static scan of one saved notebook. Raises :class:`~nbsec.errors.InputError` (one line
    naming the file) when it is not a readable, well-formed nbformat-4 notebook. Without
    ``policy`` the policy that applies to the notebook's directory is loaded."""
    scan = scan_notebook_file(path, policy=policy)
    if scan.problems:
        raise InputError(f"{path}: malformed notebook: {scan.problems[0]}")
    return scan.findings
