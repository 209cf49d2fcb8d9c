"""Every malicious family and every benign file of the generated corpus, judged by nbsec.

The table is ``tests/data/make_pickles.py``'s manifest: one row per file with the verdict nbsec
must give and the rule ids it must report (advisory ids in the manifest say where each family
comes from). Findings must point at the scanned file.
"""

from __future__ import annotations

import pytest

from nbsec.models import scan_model
from nbsec.policy import Policy
from tests.models.model_corpus import canary_path, corpus


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sample" in metafunc.fixturenames:
        _, samples = corpus()
        metafunc.parametrize("sample", samples, ids=[s.name for s in samples])


def test_corpus_verdict(sample) -> None:
    directory, _ = corpus()
    path = directory / sample.name
    scan = scan_model(path, policy=Policy(allow_profiles=sample.profiles))
    rules = {f.rule for f in scan.findings}
    assert scan.verdict == sample.expect, [f.message for f in scan.findings]
    assert set(sample.rules) <= rules
    assert all(f.location.path == str(path) for f in scan.findings)
    assert len(scan.sha256) == 64
    if sample.malicious:
        assert scan.flagged
    else:
        assert not scan.flagged


@pytest.mark.parametrize(
    "name", ["ok_sklearn_pipeline.pkl", "ok_sklearn_forest.joblib", "ok_pandas_frame.pkl"]
)
def test_ecosystem_objects_are_safe_by_default(name: str) -> None:
    directory, samples = corpus()
    if name not in {s.name for s in samples}:
        pytest.skip("scikit-learn not installed")
    scan = scan_model(directory / name)
    assert (scan.verdict, scan.findings) == ("safe", [])


def test_scanning_never_runs_a_payload() -> None:
    """The canary: every payload in the corpus would create this file if it ran."""
    directory, samples = corpus()
    for sample in samples:
        scan_model(directory / sample.name)
    assert samples
    assert not canary_path().exists()


def test_corpus_is_wide() -> None:
    _, samples = corpus()
    malicious = [s for s in samples if s.malicious]
    assert len(malicious) >= 60
    assert len([s for s in samples if not s.malicious]) >= 30
