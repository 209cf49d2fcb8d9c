"""Can this notebook be run again with the same result? The checks, each from what is there:

* cells run out of order (saved execution counts; the ledger's order of execution);
* code cells never run (no execution count), and cells that raised;
* cells edited after they ran (source hash now vs the ledger's record of the cell's last run);
* executions not in the saved notebook (gaps in the execution counts; ledger records of code no
  longer in the notebook) and names used before any cell defines them: hidden state;
* model downloads not pinned to a commit;
* randomness without a seed (calls that draw random numbers or split data, no seed set earlier in
  the notebook and no ``random_state``/``seed`` argument).
"""

from __future__ import annotations

import ast
import builtins
import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from nbsec.report.cell_labels import cell_label
from nbsec.report.code_references import dotted_name
from nbsec.report.evidence import Evidence
from nbsec.report.model import ModelItem, ReproducibilitySection, ReproIssue

if TYPE_CHECKING:
    from nbsec.source.notebook import Output

# calls that set a seed for the rest of the notebook
SEED_CALLS = frozenset(
    {
        "random.seed",
        "numpy.random.seed",
        "np.random.seed",
        "torch.manual_seed",
        "torch.cuda.manual_seed_all",
        "tf.random.set_seed",
        "tensorflow.random.set_seed",
        "set_seed",
        "seed_everything",
        "pl.seed_everything",
        "keras.utils.set_random_seed",
        "numpy.random.default_rng",
        "np.random.default_rng",
    }
)
# calls whose result depends on a random draw unless seeded (last dotted part, or full prefix)
RANDOM_CALLS = frozenset(
    {
        "train_test_split",
        "shuffle",
        "sample",
        "permutation",
        "randn",
        "rand",
        "randint",
        "choice",
        "KFold",
        "StratifiedKFold",
        "RandomForestClassifier",
        "RandomForestRegressor",
        "GradientBoostingClassifier",
        "KMeans",
        "MLPClassifier",
        "SGDClassifier",
        "randperm",
        "random_split",
    }
)
SEED_KEYWORDS = frozenset({"random_state", "seed", "generator", "rng"})
_IPYTHON_NAMES = frozenset(
    {"get_ipython", "display", "In", "Out", "exit", "quit", "__session__", "__file__", "_", "__"}
)


def _python_cells(evidence: Evidence) -> list[tuple[int, str | None, ast.Module]]:
    from nbsec.source.magics import transform_cell

    out = []
    for cell in evidence.notebook.code_cells():
        python = transform_cell(cell.source).python
        if not python:
            continue
        try:
            out.append((cell.index, cell.id, ast.parse(python)))
        except (SyntaxError, ValueError, RecursionError):
            continue
    return out


def _seed_issues(cells: list[tuple[int, str | None, ast.Module]]) -> list[ReproIssue]:
    seeded = False
    issues: list[ReproIssue] = []
    for index, cell_id, tree in cells:
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        calls.sort(key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
        for call in calls:
            name = dotted_name(call.func)
            last = name.rsplit(".", 1)[-1]
            if name in SEED_CALLS or last in ("manual_seed", "set_seed", "seed_everything"):
                seeded = True
                continue
            if seeded or last not in RANDOM_CALLS:
                continue
            if name.startswith(("np.random.", "numpy.random.", "random.", "torch.")) or last in (
                "train_test_split", "KFold", "StratifiedKFold", "RandomForestClassifier",
                "RandomForestRegressor", "GradientBoostingClassifier", "KMeans", "MLPClassifier",
                "SGDClassifier", "random_split", "sample", "shuffle",
            ):  # fmt: skip
                if any(k.arg in SEED_KEYWORDS for k in call.keywords):
                    continue
                issues.append(
                    ReproIssue(
                        kind="no seed",
                        where=f"{cell_label(index, cell_id)}, line {call.lineno}",
                        detail=f"{name or last}() draws random numbers with no seed set earlier "
                        "and no random_state/seed argument",
                    )
                )
    return issues


def _names_before_definition(cells: list[tuple[int, str | None, ast.Module]]) -> list[ReproIssue]:
    """Names a cell reads that no earlier cell (or the cell itself) binds: they come from state
    the saved notebook does not show, or depend on running cells out of order."""
    known = set(dir(builtins)) | _IPYTHON_NAMES
    defined: set[str] = set()
    issues: list[ReproIssue] = []
    for index, cell_id, tree in cells:
        bound: set[str] = set()
        loaded: dict[str, int] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Store | ast.Del):
                    bound.add(node.id)
                elif node.id not in loaded:
                    loaded[node.id] = node.lineno
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                bound.add(node.name)
                for arg in ast.walk(node.args) if hasattr(node, "args") else ():
                    if isinstance(arg, ast.arg):
                        bound.add(arg.arg)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    bound.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
            elif isinstance(node, ast.Global | ast.Nonlocal):
                bound.update(node.names)
            elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
                bound.add(node.name)
        star = any(
            isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names)
            for n in ast.walk(tree)
        )
        if star:
            known |= {"*"}
        missing = [
            (name, line)
            for name, line in loaded.items()
            if name not in defined and name not in bound and name not in known
        ]
        if missing and "*" not in known:
            names = ", ".join(sorted(n for n, _ in missing)[:8])
            issues.append(
                ReproIssue(
                    kind="hidden state",
                    where=cell_label(index, cell_id),
                    detail=f"uses {names} before any cell above defines "
                    f"{'it' if len(missing) == 1 else 'them'}",
                )
            )
        defined |= bound
    return issues


def _source_sha(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


def reproducibility_section(
    evidence: Evidence, models: Iterable[ModelItem]
) -> ReproducibilitySection:
    checked = [
        "execution order of the saved cells",
        "code cells never run, and cells that raised",
        "hidden state: executions missing from the saved notebook, names used before definition",
        "model downloads pinned to a commit",
        "randomness without a seed",
    ]
    issues: list[ReproIssue] = []
    code = [c for c in evidence.notebook.code_cells() if c.source.strip()]
    ran = [c for c in code if c.execution_count is not None]
    if evidence.mode == "static":
        highest = 0
        previous = None
        for cell in ran:
            count = cell.execution_count or 0
            if previous is not None and count < highest:
                issues.append(
                    ReproIssue(
                        kind="out of order",
                        where=cell_label(cell.index, cell.id),
                        detail=f"ran as execution {count}, before "
                        f"{cell_label(previous.index, previous.id)} (execution {highest}) above it",
                    )
                )
            if count >= highest:
                highest, previous = count, cell
        # a notebook saved with no execution count at all was cleared, not left half run
        for cell in code if ran else []:
            if cell.execution_count is None:
                issues.append(
                    ReproIssue("never run", cell_label(cell.index, cell.id), "no execution count")
                )
        counts = sorted(c.execution_count or 0 for c in ran)
        if counts and counts[-1] > len(counts):
            missing = counts[-1] - len(counts)
            issues.append(
                ReproIssue(
                    kind="hidden state",
                    where="notebook",
                    detail=f"{missing} execution(s) up to number {counts[-1]} are not in the saved "
                    "notebook (cells deleted, re-run or run in another order since)",
                )
            )
        for cell in code:
            for output in cell.outputs:
                if output.output_type == "error":
                    ename = _error_name(output)
                    issues.append(
                        ReproIssue("error", cell_label(cell.index, cell.id), f"raised {ename}")
                    )
    records = evidence.records
    if records:
        checked.append("the recorded run: order of execution, sources edited after they ran")
        issues += _record_issues(evidence, records)
    for item in models:
        if item.kind == "download" and item.pinned is False:
            issues.append(
                ReproIssue(
                    kind="unpinned download",
                    where=", ".join(item.where) or "-",
                    detail=f"{item.what} at revision {item.revision or 'default (main)'}, not a "
                    "commit hash",
                )
            )
    pinned_findings = [f for f in evidence.findings if f.rule.startswith("NBS-MDL") and "pin" in (
        f.title.lower() + f.message.lower())]  # fmt: skip
    for finding in pinned_findings:
        where = cell_label(finding.location.cell_index, finding.location.cell_id)
        if not any(i.kind == "unpinned download" and where in i.where for i in issues):
            issues.append(ReproIssue("unpinned download", where, finding.message))
    cells = _python_cells(evidence)
    issues += _names_before_definition(cells)
    issues += _seed_issues(cells)
    unique: dict[tuple[str, str], ReproIssue] = {}
    for issue in issues:
        unique.setdefault((issue.kind, issue.where), issue)
    return ReproducibilitySection(checked=checked, issues=list(unique.values()))


def _record_issues(evidence: Evidence, records: list[object]) -> list[ReproIssue]:
    issues: list[ReproIssue] = []
    cells = {c.index: c for c in evidence.notebook.cells}
    last_source: dict[int, str] = {}
    previous_index: int | None = None
    stray = 0
    for record in records:
        index = getattr(record, "cell_index", None)
        error = getattr(record, "error", None)
        cell_id = getattr(record, "cell_id", None)
        if index is None or index not in cells:
            stray += 1
            continue
        if previous_index is not None and index < previous_index and evidence.mode != "executed":
            issues.append(
                ReproIssue(
                    kind="out of order",
                    where=cell_label(index, cell_id),
                    detail=f"ran after {cell_label(previous_index, None)}, which is below it",
                )
            )
        previous_index = index
        last_source[index] = str(getattr(record, "source_sha256", ""))
        if error:
            issues.append(ReproIssue("error", cell_label(index, cell_id), f"raised {error}"))
    if evidence.mode != "executed":
        for index, digest in sorted(last_source.items()):
            cell = cells[index]
            if digest and _source_sha(cell.source) != digest:
                issues.append(
                    ReproIssue(
                        kind="edited after run",
                        where=cell_label(index, cell.id),
                        detail="its source changed after its last recorded run: its outputs "
                        "and what the ledger says it did may not match the code",
                    )
                )
        ran = set(last_source)
        for cell in evidence.notebook.code_cells():
            if cell.source.strip() and cell.index not in ran:
                issues.append(
                    ReproIssue(
                        "never run",
                        cell_label(cell.index, cell.id),
                        "not run in the recorded session",
                    )
                )
    if stray:
        issues.append(
            ReproIssue(
                kind="hidden state",
                where="session",
                detail=f"{stray} recorded execution(s) of code that is no longer in the notebook",
            )
        )
    return issues


def _error_name(output: Output) -> str:
    """The exception class an error output names (its ``ename``), or "an exception"."""
    for site in output.sites:
        if site.kind != "error":
            continue
        for piece in site.pieces:
            if piece.path[-1:] == ("ename",):
                return str(site.text[piece.start : piece.end]) or "an exception"
    return "an exception"
