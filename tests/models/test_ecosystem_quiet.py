"""No false alarms on real objects of the installed libraries (a lean slice of the benchmark's
ecosystem corpus: every object made and pickled by its own library)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.ecosystem_objects import build
from nbsec.findings import Severity
from nbsec.models import scan_model


@pytest.mark.slow
@pytest.mark.parametrize("family", ["stdlib", "numpy", "pandas", "scipy", "torch"])
def test_ecosystem_objects_are_safe(family: str, tmp_path: Path) -> None:
    if family == "torch":
        pytest.importorskip("torch")
    manifest = build(tmp_path, (family,))
    assert manifest
    flagged = {}
    for entry in manifest:
        scan = scan_model(tmp_path / entry["file"])
        noted = [f.message for f in scan.findings if f.severity is not Severity.INFO]
        if scan.verdict != "safe" or noted:
            flagged[entry["file"]] = noted[:2]
    assert flagged == {}
