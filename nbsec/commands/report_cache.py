"""The results cache of ``nbsec report``: a re-run rebuilds only the reports whose inputs changed.

A report is built from more than its notebook, so its cache entry (in the shared
:class:`~nbsec.commands.results_cache.ResultsCache`, command ``report``) is keyed by

* the notebook's content SHA-256 and path, nbsec's engine fingerprint (version and package files),
* the **policy that applies to that notebook** (``--policy`` or the one found from its folder):
  the SHA-256 of its file and of its effective settings,
* the report's options (output folder, ``--html``, ``--fail-on``, ``--previous``),
* the state the report records around the notebook: the git commit and branch of its
  repository, the ledgers in its ``.nbsec/ledger`` folder, the installed distributions (the
  environment section), each read once per folder or run (not git's uncommitted-changes flag:
  reports kept in git would change it on every run; a new commit rebuilds);

and a stored report is served only while the files it read or wrote are as they were (size,
modification time): the data and model files it names, its ledger and the report files
themselves (a deleted or edited report is built again). ``--execute`` runs are never cached (a
run's outcome depends on more than files). Only the one-line outcome is stored (gate, risk,
headline, paths); the report files stay where they were written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbsec.commands.results_cache import ResultsCache, policy_hash

if TYPE_CHECKING:
    from nbsec.commands.report import Done, Job
    from nbsec.report.generate import ReportFiles

Stamp = tuple[str, int, int]  # path, size, mtime_ns (-1, -1: missing)


def stamp(path: Path) -> Stamp:
    try:
        st = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path), st.st_size, st.st_mtime_ns)


def unchanged(stamps: Iterable[Stamp]) -> bool:
    """Every file is as it was when its stamp was taken."""
    return all(stamp(Path(path)) == (path, size, mtime) for path, size, mtime in stamps)


def dependencies(
    notebook: Path, files: ReportFiles, written: Iterable[Path], previous: str | None = None
) -> tuple[Stamp, ...]:
    """Stamps of what a built report read besides its notebook (ledger, data and model files it
    names, the previous report it compared with) and of the files it wrote."""
    base = notebook.resolve().parent
    model = files.model
    named: list[str] = [previous] if previous else []
    if model.identity.ledger.path:
        named.append(model.identity.ledger.path)
    named += [item.uri for item in model.data.items if item.kind == "file"]
    named += [item.what for item in model.models.items if item.kind in ("load", "written")]
    paths = {Path(p) if Path(p).is_absolute() else base / p for p in named if "://" not in p}
    paths.update(Path(p) for p in written)
    return tuple(sorted(stamp(p.resolve()) for p in paths))


@cache
def _environment() -> str:
    """The installed distributions and their versions (what the environment section reads)."""
    from importlib import metadata

    names = sorted(
        f"{dist.metadata['Name']}=={dist.version}"
        for dist in metadata.distributions()
        if dist.metadata["Name"]
    )
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


@cache
def _folder_state(directory: Path) -> str:
    """Git commit and branch of the folder's repository, and its ledgers."""
    from nbsec.lineage.ledger import LEDGER_DIR
    from nbsec.report.identity import _git

    head = _git(directory, "rev-parse", "--show-toplevel", "HEAD", "--abbrev-ref", "HEAD")
    ledgers = directory / LEDGER_DIR
    listing = sorted(stamp(p) for p in ledgers.glob("*.jsonl")) if ledgers.is_dir() else []
    return json.dumps([head, listing])


@cache
def _policy_key(policy_file: str | None, folder: Path) -> str | None:
    from nbsec.errors import NbsecError
    from nbsec.policy import find_policy_file, load_policy_file

    try:
        file = Path(policy_file) if policy_file else find_policy_file(folder)
        if file is None:
            from nbsec.policy import Policy

            return "defaults:" + policy_hash(Policy())
        policy = load_policy_file(file)
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        settings = policy.lineage
        key_file = getattr(settings, "ledger_key_file", None)
        key_stamp = stamp(file.parent / key_file) if key_file else None
    except (NbsecError, OSError):
        return None  # the report says what is wrong; such a notebook is not cached
    return json.dumps([str(file.resolve()), digest, policy_hash(policy), key_stamp])


def context(job: Job) -> str | None:
    """The key material of a report besides its notebook's content (``None``: not cached)."""
    if job.execute:
        return None
    notebook = Path(job.notebook).resolve()
    policy = _policy_key(job.policy_file, notebook.parent)
    if policy is None:
        return None
    env_policy = os.environ.get("NBSEC_POLICY", "")
    options = dataclasses.asdict(job)
    options.pop("notebook")
    return json.dumps([policy, env_policy, options, _folder_state(notebook.parent)])


def encode(done: Done) -> Any:
    return dataclasses.asdict(done)


def decode(data: Any, path: Path) -> Done:
    from nbsec.commands.report import Done

    return Done(
        notebook=str(data["notebook"]),
        report=str(data["report"]),
        html=None if data["html"] is None else str(data["html"]),
        failed=bool(data["failed"]),
        risk=str(data["risk"]),
        headline=str(data["headline"]),
        outcome=str(data["outcome"]),
        problems=tuple(str(p) for p in data["problems"]),
        depends=tuple((str(p), int(s), int(m)) for p, s, m in data["depends"]),
    )


def fresh(done: Done) -> bool:
    return bool(done.depends) and unchanged(done.depends)


def report_cache(args: Any) -> ResultsCache[Done] | None:
    """The cache ``nbsec report``'s arguments ask for (none with ``--no-cache`` or
    ``--execute``)."""
    if getattr(args, "no_cache", False) or getattr(args, "execute", False):
        return None
    for memo in (_environment, _folder_state, _policy_key):  # read once per run, not per process
        memo.cache_clear()
    directory = Path(args.cache_dir) if getattr(args, "cache_dir", None) else None
    return ResultsCache(
        "report",
        None,
        encode,
        decode,
        directory=directory,
        extra=_environment(),
        path_of=lambda job: Path(job.notebook),
        context=context,
        fresh=fresh,
    )
