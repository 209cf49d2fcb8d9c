"""State shared by the format handlers while one file is scanned.

A :class:`ScanContext` collects findings and globals for one top-level file, knows the limits
that keep a hostile file from exhausting memory or time (:class:`ScanLimits`), and lets a
container handler hand a member back to the format dispatcher (:meth:`ScanContext.scan_member`)
without the handlers importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nbsec.findings import Finding, Location, Severity
from nbsec.models.globals_judge import GlobalsJudge

if TYPE_CHECKING:
    from nbsec.models.pickle_walker import Buffer
    from nbsec.policy import Policy


@dataclass(frozen=True)
class ScanLimits:
    """Bounds on work per top-level file. Exceeding one is a finding (NBS-PKL-018), not a crash."""

    max_depth: int = 6  # containers and pickles nested in each other
    max_member_bytes: int = 1 << 30  # decompressed size of one member or stream
    max_total_bytes: int = 4 << 30  # decompressed bytes in all of one file
    max_members: int = 100_000  # entries in one archive
    max_header_bytes: int = 100 << 20  # safetensors / npy / config headers
    max_ratio: int = 200  # compression ratio above which a large member is a bomb
    ratio_floor: int = 64 << 20  # ... when it also decompresses to more than this


# (buffer, start, end, member description, depth) -> detected format
MemberScanner = Callable[["ScanContext", "Buffer", int, int, str, int], str]


@dataclass
class ScanContext:
    path: str
    policy: Policy | None
    judge: GlobalsJudge
    scan_member_fn: MemberScanner
    limits: ScanLimits = field(default_factory=ScanLimits)
    findings: list[Finding] = field(default_factory=list)
    globals: list[str] = field(default_factory=list)
    # globals admitted by how the stream uses them (``pickle_uses``), not by name
    checked: list[str] = field(default_factory=list)
    decompressed: int = 0
    base_dir: str | None = None
    _side_files: set[str] = field(default_factory=set)
    _seen_globals: set[str] = field(default_factory=set)
    _seen_keys: set[tuple[str, str]] = field(default_factory=set)

    def report(
        self,
        rule: str,
        message: str,
        *,
        key: str,
        evidence: str | None = None,
        severity: Severity | None = None,
    ) -> None:
        """Add a finding once per (rule, key). ``message`` names the member and byte offset."""
        if self.policy is not None and not self.policy.rule_enabled(rule):
            return
        if (rule, key) in self._seen_keys:
            return
        self._seen_keys.add((rule, key))
        self.findings.append(
            Finding.from_rule(
                rule,
                message,
                Location(path=self.path),
                evidence=evidence,
                key=key,
                severity=severity,
            )
        )

    def add_global(self, name: str) -> None:
        if name not in self._seen_globals:
            self._seen_globals.add(name)
            self.globals.append(name)

    def add_checked(self, name: str) -> None:
        if name not in self.checked:
            self.checked.append(name)

    def scan_member(self, data: Buffer, start: int, end: int, where: str, depth: int) -> str:
        """Scan ``data[start:end]`` (a member, a nested pickle, a decompressed stream) by content;
        returns the detected format. Past ``max_depth`` it is reported and skipped."""
        if depth > self.limits.max_depth:
            self.report(
                "NBS-PKL-018",
                f"{where}: containers nested more than {self.limits.max_depth} deep; not scanned",
                key=f"depth:{where}",
            )
            return "unknown"
        try:
            return self.scan_member_fn(self, data, start, end, where, depth)
        except (MemoryError, RecursionError) as exc:
            reason = type(exc).__name__
        except Exception as exc:  # a corrupt member (LZMAError, overflowing sizes...) is a
            reason = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:160]}"
        # finding, and the rest of the file is still scanned
        self.report(
            "NBS-PKL-021",
            f"{where}: could not be read ({reason}); not scanned",
            key=f"{where}:unreadable",
        )
        return "unknown"

    def side_file(self, name: str, where: str, depth: int) -> None:
        """A file another file's loader would open by name (a joblib side file): scan it when
        it exists next to the scanned file."""
        import os

        if not self.base_dir or not name or depth >= self.limits.max_depth:
            return
        path = os.path.join(self.base_dir, name)
        if path in self._side_files or not os.path.isfile(path):
            return
        self._side_files.add(path)
        try:
            with open(path, "rb") as fh:
                body = fh.read(self.limits.max_member_bytes)
        except OSError:
            return
        self.scan_member(body, 0, len(body), f"{where} > side file {name}", depth + 1)

    def charge(self, nbytes: int, where: str) -> bool:
        """Account decompressed bytes; False (and a finding) once the per-file budget is spent."""
        self.decompressed += nbytes
        if self.decompressed > self.limits.max_total_bytes:
            self.report(
                "NBS-PKL-018",
                f"{where}: more than {self.limits.max_total_bytes >> 20} MiB decompressed in one "
                "file; the rest is not scanned",
                key="total-budget",
            )
            return False
        return True
