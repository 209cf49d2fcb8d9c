"""Identity and provenance: which notebook (path, sha256), which commit, kernel and Python, which
nbsec and policy, which ledger (intact? anchored?), and when and how the report was produced."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from collections.abc import Mapping
from pathlib import Path

from nbsec._version import __version__
from nbsec.report.evidence import Evidence, relative_uri
from nbsec.report.model import (
    GitInfo,
    Identity,
    KernelInfo,
    LedgerInfo,
    NotebookIdentity,
    PolicyInfo,
    Production,
)

_GIT_TIMEOUT = 5


def _git(directory: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(  # noqa: S603 - fixed git arguments, no shell
            ["git", "-C", str(directory), *args],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_info(path: Path | None) -> GitInfo | None:
    """The commit checked out where the notebook lives, whether the work tree has uncommitted
    changes to tracked files, and whether the notebook itself is tracked."""
    if path is None:
        return None
    directory = path.resolve().parent
    commit = _git(directory, "rev-parse", "HEAD")
    if not commit:
        return None
    status = _git(directory, "status", "--porcelain", "--untracked-files=no")
    branch = _git(directory, "rev-parse", "--abbrev-ref", "HEAD")
    tracked = _git(directory, "ls-files", "--error-unmatch", "--", path.name) is not None
    return GitInfo(
        commit=commit,
        dirty=bool(status),
        branch=branch if branch and branch != "HEAD" else None,
        tracked=tracked,
    )


def _file_sha256(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _kernel(evidence: Evidence) -> KernelInfo:
    meta = evidence.notebook.metadata
    spec = meta.get("kernelspec") if isinstance(meta.get("kernelspec"), Mapping) else {}
    info = meta.get("language_info") if isinstance(meta.get("language_info"), Mapping) else {}
    spec = spec if isinstance(spec, Mapping) else {}
    info = info if isinstance(info, Mapping) else {}
    python = info.get("version") if isinstance(info.get("version"), str) else None
    source = "notebook metadata"
    if evidence.session is not None:
        python = str(evidence.session.kernel.get("python") or python or "") or None
        source = "executing kernel" if evidence.mode == "executed" else "live kernel"
    return KernelInfo(
        name=str(spec.get("name")) if spec.get("name") else None,
        display_name=str(spec.get("display_name")) if spec.get("display_name") else None,
        language=str(info.get("name") or spec.get("language") or "") or None,
        python=python,
        source=source,
    )


def _ledger(evidence: Evidence) -> LedgerInfo:
    ledger = evidence.ledger
    session = evidence.session
    path = ledger.path
    if session is not None and session.ledger:
        path = Path(session.ledger)
    anchor = evidence.anchor
    if session is not None and session.ledger_head:
        anchor = session.ledger_head.removeprefix("sha256:")
    anchor_found = ledger.anchor_found
    if anchor_found is None and anchor and ledger.line_hashes:  # an older notebook's anchor
        anchor_found = anchor in ledger.line_hashes
    records = len(session.records) if session is not None else len(ledger.records)
    return LedgerInfo(
        path=relative_uri(str(path), evidence.base_dir) if path else None,
        records=records,
        session_id=(session.session_id if session is not None else None) or ledger.session_id,
        intact=ledger.intact,
        problem=ledger.problem,
        anchor=anchor,
        anchor_found=anchor_found,
    )


def identity(evidence: Evidence, *, at: dt.datetime) -> Identity:
    notebook = evidence.notebook
    code = list(notebook.code_cells())
    policy = evidence.policy
    return Identity(
        notebook=NotebookIdentity(
            path=evidence.display_path,
            name=Path(evidence.display_path).name,
            sha256=evidence.sha256,
            size=len(evidence.raw),
            cells=len(notebook.cells),
            code_cells=len(code),
            executed_cells=sum(1 for c in code if c.execution_count is not None),
            nbformat=f"{notebook.nbformat}.{notebook.nbformat_minor}",
            language=notebook.language,
        ),
        git=git_info(evidence.path),
        kernel=_kernel(evidence),
        policy=PolicyInfo(
            path=relative_uri(str(policy.source), evidence.base_dir) if policy.source else None,
            sha256=_file_sha256(policy.source),
            mode=policy.mode,
            fail_on=policy.fail_on.value,
        ),
        ledger=_ledger(evidence),
        produced=Production(
            at=at.isoformat(timespec="seconds"),
            mode=evidence.mode,
            via=evidence.via,
            nbsec_version=__version__,
        ),
    )
