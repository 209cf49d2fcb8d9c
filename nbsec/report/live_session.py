"""What a kernel session hands the report builder: plain data, no live objects.

``%nbsec report`` captures the running session; ``nbsec report --execute`` runs the notebook in a
kernel with nbsec loaded and captures that session before the kernel stops. Either way the builder
receives a :class:`LiveSession` (it never reaches into the kernel extension), so the report of a
live session and of an executed notebook are built by the same code, and a session can be saved
as JSON and reported later.

Everything in it is what the session state, the ledger and the panel already hold: findings with
masked evidence, frame summaries (column names, entity types, masked examples), model loads
(paths, hashes, verdicts, global names), lineage records (names, paths, hashes), waivers and the
governance fields set with ``%nbsec meta``. Never a data value.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import types
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nbsec.errors import InputError

FORMAT = "nbsec-live-session/1"


@dataclass
class LiveSession:
    notebook: str | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    frames: dict[str, dict[str, Any]] = field(default_factory=dict)
    models: list[dict[str, Any]] = field(default_factory=list)
    waivers: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    governance: dict[str, str] = field(default_factory=dict)
    ledger: str | None = None
    ledger_head: str | None = None
    session_id: str | None = None
    mode: str = "warn"
    enabled: bool = True
    policy_file: str | None = None
    policy_error: str | None = None
    kernel: dict[str, Any] = field(default_factory=dict)
    modules: list[str] = field(default_factory=list)
    packages: list[dict[str, Any]] | None = None
    unresolved_modules: list[str] = field(default_factory=list)
    internal_errors: int = 0
    captured_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LiveSession:
        if data.get("format") != FORMAT:
            raise InputError(f"not an nbsec live-session capture (format {data.get('format')!r})")
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def write(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), default=str), encoding="utf-8")

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> LiveSession:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: cannot read the session capture ({exc})") from None
        if not isinstance(data, dict):
            raise InputError(f"{path}: not an nbsec live-session capture")
        return cls.from_dict(data)


def _user_modules(namespace: dict[str, Any], hidden: Any) -> list[str]:
    """Top-level packages the user's namespace refers to: imported modules, and the modules of
    imported functions and classes (``from sklearn.linear_model import LogisticRegression``)."""
    found: set[str] = set()
    for name, value in list(namespace.items()):
        if name.startswith("_") or (hidden is not None and name in hidden):
            continue
        if isinstance(value, types.ModuleType):
            found.add(value.__name__.split(".")[0])
        elif isinstance(value, type | types.FunctionType | types.BuiltinFunctionType):
            module = getattr(value, "__module__", None)
            if isinstance(module, str) and module and module != "__main__":
                found.add(module.split(".")[0])
    return sorted(found)


def capture(context: Any, *, packages: bool = True, settle: float = 60.0) -> LiveSession:
    """The session of a loaded nbsec, as plain data.

    ``context`` is the kernel extension's front-end context
    (:class:`~nbsec.kernel.context.FrontEndContext`): its session state, effective policy,
    lineage service, status and shell namespace are read, nothing else. Frame scans still
    pending (a first pass cut short by a cell's budget) are finished first, for at most
    ``settle`` seconds; a frame still pending then is reported as partial."""
    from nbsec.report.environment import python_description, resolve_packages

    frames = getattr(context.services, "frames", None)
    if frames is not None and settle > 0:
        frames.complete(settle)
    state = context.state
    policy = context.policy.effective_policy()
    lineage = context.services.lineage
    if lineage is not None:
        lineage.settle()  # file hashes still pending, the ledger head with them
    full = state.to_state()
    summary = state.lineage
    notebook = context.notebook
    base = notebook.parent if notebook is not None else Path(state.base_dir)
    ledger = summary.get("ledger")
    status = context.session.status() if hasattr(context.session, "status") else {}
    modules = _user_modules(context.shell.user_ns, getattr(context.shell, "user_ns_hidden", None))
    python, implementation = python_description()
    session = LiveSession(
        notebook=str(notebook) if notebook else None,
        findings=list(full["findings"]),
        frames=dict(full["frames"]),
        models=[_model_event(row) for row in full["models"]],
        waivers=list(full["waivers"]),
        records=[r.to_dict() for r in lineage.records] if lineage is not None else [],
        governance=dict(state.governance),
        ledger=str(base / ledger) if isinstance(ledger, str) and ledger else None,
        ledger_head=summary.get("ledger_head"),
        session_id=summary.get("session_id"),
        mode=policy.mode,
        enabled=bool(context.policy.enabled),
        policy_file=str(policy.source) if policy.source else None,
        policy_error=getattr(context.session, "policy_error", None),
        kernel={
            "python": python,
            "implementation": implementation,
            "name": os.environ.get("JPY_KERNEL_NAME") or None,
        },
        modules=modules,
        internal_errors=int(status.get("internal_errors") or 0),
        captured_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    if packages:
        resolved, unresolved = resolve_packages(modules)
        session.packages = [p.to_dict() for p in resolved]
        session.unresolved_modules = unresolved
    return session


def _model_event(row: dict[str, Any]) -> dict[str, Any]:
    """A models-inventory row of the session as the load event the report reads."""
    event = dict(row)
    cell = row.get("last_cell")
    event["cell"] = cell if isinstance(cell, dict) else None
    return event


def capture_current(path: str | os.PathLike[str]) -> None:
    """Write the session of the extension loaded in this kernel to ``path`` (run by
    ``nbsec report --execute`` inside the kernel it started, just before it unloads nbsec)."""
    from nbsec.kernel.extension import current

    extension = current()
    if extension is None:
        raise RuntimeError("nbsec is not loaded in this kernel")
    capture(extension.front_end).write(path)
