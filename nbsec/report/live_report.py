"""The report of a running kernel session, written beside its notebook: what ``%nbsec report``,
the panel's "Governance report" action and the server's report handler return.

The session comes in as a :class:`~nbsec.report.live_session.LiveSession` (plain data), so this
module knows nothing of the kernel extension. When the kernel does not know its notebook (a
console, a client that does not say), the report covers the session alone and says so.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nbsec.errors import UsageError
from nbsec.policy import Policy
from nbsec.report.live_session import LiveSession

SESSION_STEM = "kernel-session"
_EMPTY_NOTEBOOK = {
    "cells": [],
    "metadata": {"language_info": {"name": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


@dataclass
class WrittenReport:
    """Where a report went and what it says, for a person (displayed) and for code (fields)."""

    notebook: str
    folder: str
    report: str
    html: str | None
    outcome: str
    risk: str
    headline: str
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:
        lines = [
            f"nbsec report of {self.notebook}: {self.outcome.upper()}",
            f"  {self.headline}",
            f"  written to {self.folder}:",
        ]
        lines += [f"    {name}" for name in self.files]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        tone = {"fail": "#991b1b", "pass": "#166534"}.get(self.outcome, "#92400e")
        files = "".join(f"<li><code>{esc(name)}</code></li>" for name in self.files)
        return (
            "<div class='nbsec-report'>"
            f"<strong>nbsec report of {esc(self.notebook)}: "
            f"<span style='color:{tone}'>{esc(self.outcome.upper())}</span></strong>"
            f"<div>{esc(self.headline)}</div>"
            f"<div>written to <code>{esc(self.folder)}</code>:</div><ul>{files}</ul></div>"
        )


def _notebook_of(session: LiveSession, notebook: str | os.PathLike[str] | None) -> Path | None:
    candidate = notebook if notebook is not None else session.notebook
    if not candidate:
        return None
    path = Path(candidate)
    return path if path.is_file() else None


def report_session(
    session: LiveSession,
    *,
    policy: Policy,
    notebook: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    base: str | None = None,
    via: str = "magic",
    html_page: bool = True,
) -> WrittenReport:
    """Build the report of ``session`` and write it into ``out_dir`` (default: beside the
    notebook, else the working directory), its files named ``BASE.*`` (default
    ``NAME.nbsec.*``)."""
    from nbsec.report.generate import generate, write

    path = _notebook_of(session, notebook)
    if path is None:
        folder = Path(out_dir) if out_dir is not None else Path.cwd()
        files = generate(
            folder / f"{SESSION_STEM}.ipynb",
            session=session,
            policy=policy,
            via=via,
            html=html_page,
            out_dir=folder,
            raw=json.dumps(_EMPTY_NOTEBOOK).encode("utf-8"),
            base=base,
        )
        shown = "this kernel session (its notebook is not known)"
    else:
        folder = Path(out_dir) if out_dir is not None else path.parent
        files = generate(
            path,
            session=session,
            policy=policy,
            via=via,
            html=html_page,
            out_dir=folder,
            base=base,
        )
        shown = path.name
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: not a directory (give the folder to write the report in)")
    written = write(files, folder)
    names = [p.name for p in written]
    return WrittenReport(
        notebook=shown,
        folder=str(folder),
        report=files.notebook_name(),
        html=files.html_name() if files.html is not None else None,
        outcome=files.model.summary.outcome,
        risk=files.model.summary.risk,
        headline=files.model.summary.headline,
        files=names,
    )


def output_target(target: str | None, base: Path) -> tuple[Path | None, str | None]:
    """Where ``%nbsec report PATH`` writes: a folder (``reports/``), or a notebook file name
    (``governance.ipynb``: ``governance.ipynb``, ``governance.html``, ``governance.json``, ...
    in its folder). Relative paths are taken from ``base`` (the notebook's folder)."""
    if not target:
        return None, None
    path = Path(target).expanduser()
    path = path if path.is_absolute() else base / path
    if path.suffix == ".ipynb":
        if path.is_dir():
            raise UsageError(f"{target}: is a directory")
        return path.parent, path.name[: -len(".ipynb")]
    if path.exists() and not path.is_dir():
        raise UsageError(f"{target}: give a folder, or a name ending in .ipynb")
    return path, None
