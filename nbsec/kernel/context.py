"""The narrow interfaces the parts of the kernel extension depend on.

``extension.py`` builds one :class:`KernelContext` per shell and hands it to every watcher; front
ends (magics, comm target, dashboard) get a :class:`FrontEndContext`, which adds the session
controls. Nothing outside ``extension.py`` knows the extension object itself: a watcher sees the
shell, the session state, the effective policy, a guarded call and the typed services other
watchers publish; no part reaches into another through a generic ``engine(name) -> Any``.

============================  ====================================================================
interface                     what it gives
============================  ====================================================================
:class:`PolicySource`         the effective policy (file + session mode, waivers), on/off
:class:`GuardedCall`          run nbsec code so that a failure is reported once, never raised
:class:`SessionState`         findings, frames, models, waivers, lineage summary (versioned)
:class:`Services`             typed slots a watcher fills for the others: ``lineage``,
                              ``frames``, ``guard``
:class:`SessionControl`       front ends only: change mode, on/off, waivers, reload the policy
============================  ====================================================================
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from nbsec.findings import Finding
    from nbsec.kernel.jobs import JobRunner
    from nbsec.kernel.session_state import SessionState
    from nbsec.kernel.waiver_book import WaiverRecord
    from nbsec.lineage.graph import LineageGraph
    from nbsec.lineage.records import CellRecord
    from nbsec.policy import Policy

T = TypeVar("T")


class PolicySource(Protocol):
    """The policy in force in this kernel right now."""

    @property
    def enabled(self) -> bool:
        """``False`` after ``%nbsec off``: watchers are not called."""
        ...

    def effective_policy(self) -> Policy:
        """The policy file's settings plus the session's mode and waivers (cached)."""
        ...


class GuardedCall(Protocol):
    """How nbsec code runs inside the user's kernel: an exception is reported once per
    (place, error) as ``nbsec: internal error in <where> ...`` and swallowed."""

    def __call__(self, where: str, fn: Callable[..., T], *args: Any) -> T | None: ...

    def report(self, where: str, exc: BaseException) -> None: ...


class LineageService(Protocol):
    """What the lineage watcher offers the other parts."""

    def settle(self) -> None:
        """Wait for file hashes still being computed in the background and bring the session
        state (summary, ledger head, compact records) up to date. Front ends call it before
        reading the session; :attr:`records` and :meth:`graph` do it themselves."""
        ...

    @property
    def records(self) -> Sequence[CellRecord]: ...

    @property
    def last_record(self) -> CellRecord | None:
        """The record of the cell that just ran (``None`` before the first)."""
        ...

    def graph(self) -> LineageGraph: ...

    def record_model(self, event: Mapping[str, Any]) -> None: ...

    def record_event(self, kind: str, data: Mapping[str, Any]) -> None:
        """Keep a session decision in the ledger (``waiver``, ``revoke``, ``mode``,
        ``enabled``, ``refused``, ``waiver_written``)."""
        ...

    def written_by(self, sha256: str) -> dict[str, Any] | None:
        """The cell of this session that wrote a file with this content (a model it trained
        and dumped), as ``{cell_id, cell_index, execution_count}``; ``None`` if none did."""
        ...

    def own_file(self, path: str) -> dict[str, Any] | None:
        """The cell of this session that wrote the file now at ``path``, if the file's SHA-256
        still equals what that cell wrote (same shape as :meth:`written_by`); else the last
        cell that wrote this very content at another path, with ``"copy": True`` (a copy of
        the session's own file); else ``None``."""
        ...


class ScanJob(Protocol):
    """A long piece of work run in bounded steps between the kernel's other messages."""

    def run(self, deadline: float | None = None) -> bool:
        """Work until done or ``deadline`` (``time.perf_counter()``); return whether done."""
        ...

    def cancel(self) -> None: ...

    @property
    def progress(self) -> float:
        """0..1."""
        ...


class FrameService(Protocol):
    """What the DataFrame watcher offers: scans of one frame, recorded in the session."""

    def scan(
        self, name: str, frame: Any, *, inline: bool, cell_id: str | None = None
    ) -> list[Finding]: ...

    def full_scan(self, name: str, frame: Any) -> ScanJob:
        """A complete pass over ``frame`` as a job; when it finishes, its findings and the
        frame's summary are in the session state."""
        ...

    def scanning(self) -> list[str]:
        """The frames whose pass goes on in the background (not in the session state yet, or
        only as a partial first pass)."""
        ...

    def complete(self, timeout: float) -> list[str]:
        """Finish the frames' pending passes within ``timeout`` seconds and record them (a
        report must not rest on a first pass the cell's budget cut short); the names of the
        frames still pending."""
        ...


class GuardService(Protocol):
    """What the load-guard watcher offers: run code with loads judged in block mode."""

    def block_mode(self) -> AbstractContextManager[Any]: ...


@dataclass
class Services:
    """Typed slots filled by the watchers that provide them (``None`` when not running)."""

    lineage: LineageService | None = None
    frames: FrameService | None = None
    guard: GuardService | None = None


@dataclass(frozen=True)
class KernelContext:
    """Everything a watcher may use."""

    shell: InteractiveShell
    state: SessionState
    policy: PolicySource
    guarded: GuardedCall
    services: Services
    notebook: Path | None  # the notebook file, when the client told the kernel
    # refresh live views and push what changed to panels now: after a change made outside a
    # cell (a background scan finishing between cells); cells and requests publish by themselves
    publish: Callable[[], None]


class LiveView(Protocol):
    """A view in the notebook that follows the session (``%nbsec dashboard``)."""

    def refresh(self) -> None: ...


class SessionControl(PolicySource, Protocol):
    """The changes front ends make to the session (``%nbsec mode``, the panel's switch, ...)."""

    @property
    def policy_error(self) -> str | None: ...

    @property
    def file_policy(self) -> Policy: ...

    def set_mode(self, mode: str) -> None: ...

    def set_enabled(self, enabled: bool) -> None: ...

    @property
    def locked(self) -> bool: ...

    def status(self) -> dict[str, Any]: ...

    def preview(
        self, scope: Mapping[str, Any], reason: str, expires: dt.date | None = None
    ) -> tuple[WaiverRecord, list[str]]: ...

    def allow(
        self, scope: Mapping[str, Any], reason: str, expires: dt.date | None = None
    ) -> tuple[WaiverRecord, list[str]]: ...

    def revoke(self, waiver_id: str) -> WaiverRecord: ...

    def write_waiver(self, waiver_id: str) -> tuple[WaiverRecord, Path]: ...

    def reload_policy(self) -> Policy: ...


@dataclass(frozen=True)
class FrontEndContext(KernelContext):
    """Everything a front end (magics, comm target, dashboard) may use."""

    session: SessionControl
    status: Callable[[], dict[str, Any]]  # what ``%nbsec status`` shows about the extension
    live_views: weakref.WeakSet[LiveView]  # refreshed after every cell and every change
    jobs: JobRunner  # long work started from a panel, run in steps between messages
