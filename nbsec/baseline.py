"""Baselines: findings a team has already seen, reported as known instead of failing CI.

A baseline file is JSON::

    {"nbsec_baseline": 1, "findings": [{"fingerprint": "sha256:...", "rule": "NBS-SEC-001",
      "path": "nb.ipynb"}]}

Only fingerprints decide a match; rule and path are there for people reading the file. It holds no
evidence, so committing it leaks nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from nbsec.errors import InputError
from nbsec.findings import Finding, sort_findings

FORMAT_VERSION = 1


def load_baseline(path: str | os.PathLike[str]) -> frozenset[str]:
    """The fingerprints in a baseline file."""
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{file}: baseline file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{file}: not a readable baseline ({exc})") from None
    if not isinstance(data, dict) or data.get("nbsec_baseline") != FORMAT_VERSION:
        raise InputError(f"{file}: not an nbsec baseline (expected nbsec_baseline: 1)")
    entries = data.get("findings")
    if not isinstance(entries, list):
        raise InputError(f"{file}: baseline 'findings' must be a list")
    out = set()
    for i, entry in enumerate(entries):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fp, str) or not fp.startswith("sha256:"):
            raise InputError(f"{file}: baseline entry {i} has no valid fingerprint")
        out.add(fp)
    return frozenset(out)


def write_baseline(path: str | os.PathLike[str], findings: Iterable[Finding]) -> int:
    """Write every finding's fingerprint to ``path``; returns how many were written."""
    seen: dict[str, dict[str, str | None]] = {}
    for f in sort_findings(findings):
        seen.setdefault(
            f.fingerprint, {"fingerprint": f.fingerprint, "rule": f.rule, "path": f.location.path}
        )
    doc = {"nbsec_baseline": FORMAT_VERSION, "findings": list(seen.values())}
    Path(path).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return len(seen)
