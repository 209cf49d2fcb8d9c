"""The result of scanning one model or pickle file: :class:`ModelScan`.

Its JSON form (:meth:`ModelScan.to_dict`) is the entry of ``nbsec scan-model --format json``'s
``files`` list. The verdict follows from the findings' severities, so changing how bad a rule is
stays a data change in ``nbsec/rules/pkl.toml``:

* ``dangerous``  a critical finding (a denied global, a dynamic import, a Keras Lambda layer, code
  run before a stream breaks, ...);
* ``suspicious`` a high or medium finding (a global not on the allowlist, a malformed stream, an
  archive bomb, ...);
* ``unsupported`` a part of the file could not be looked into (for example ``.h5`` without h5py);
* ``safe``       nothing of the above;
* ``error``      the file could not be read at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from nbsec.findings import Finding, Severity

Verdict = Literal["dangerous", "suspicious", "safe", "unsupported", "error"]
VERDICTS: tuple[Verdict, ...] = ("dangerous", "suspicious", "safe", "unsupported", "error")

# The rule that marks part of a file as not looked into.
UNSUPPORTED_RULE = "NBS-PKL-020"


@dataclass
class ModelScan:
    """One scanned file (or byte string). ``globals`` lists every ``module.name`` the pickles in
    it import, in order of first appearance, allowed ones included."""

    path: str
    format: str
    sha256: str
    verdict: Verdict
    globals: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    size: int = 0
    error: str | None = None
    # the model-signing check (``SignatureCheck.to_dict()``), when the file has a signature or
    # the policy requires one
    signature: dict[str, Any] | None = None
    # globals not on the allowlist that the scan admitted after checking every use the stream
    # makes of them (``getattr(ZoneInfo, "_unpickle")``); the load guard accepts exactly these
    # when the unpickler resolves them
    checked_globals: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return self.verdict in ("dangerous", "suspicious")

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "sha256": self.sha256,
            "verdict": self.verdict,
            "globals": list(self.globals),
            "findings": [f.to_dict() for f in self.findings],
            **({"signature": dict(self.signature)} if self.signature is not None else {}),
        }


def verdict_for(findings: list[Finding]) -> Verdict:
    """The verdict implied by a file's findings (see the module docstring)."""
    if any(f.severity is Severity.CRITICAL for f in findings):
        return "dangerous"
    if any(f.severity in (Severity.HIGH, Severity.MEDIUM) for f in findings):
        return "suspicious"
    if any(f.rule == UNSUPPORTED_RULE for f in findings):
        return "unsupported"
    return "safe"
