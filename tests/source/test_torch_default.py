"""``torch.load`` follows the installed torch: since 2.6 it loads weights only unless told
otherwise, so a call that does not say is reported as info there (and the explicit unsafe forms
stay high)."""

from __future__ import annotations

import pytest

from nbsec.findings import Location
from nbsec.policy import Policy
from nbsec.source import NameScope, check_cell_source
from nbsec.source.call_rules import installed_version

TORCH = installed_version("torch")
DEFAULT_SAFE = TORCH is not None and tuple(int(p) for p in TORCH.split(".")[:2]) >= (2, 6)


def torch_findings(source: str) -> list[tuple[str, str, int | None, str]]:
    found = check_cell_source(source, policy=Policy(), location=Location(), scope=NameScope())
    return [
        (f.rule, f.severity.value, f.location.line, f.message)
        for f in found
        if f.rule == "NBS-PKL-005"
    ]


@pytest.mark.skipif(not DEFAULT_SAFE, reason="needs torch 2.6 or later installed")
@pytest.mark.parametrize(
    ("source", "severity"),
    [
        ("import torch\nm = torch.load('m.pt')", "info"),
        ("import torch\nm = torch.load('m.pt', map_location='cpu')", "info"),
        ("import torch\nm = torch.load('m.pt', weights_only=False)", "high"),
        ("import torch\nopts = {}\nm = torch.load('m.pt', **opts)", "high"),
        ("import torch\nm = torch.load('m.pt', weights_only=True)", None),
    ],
)
def test_severity_follows_the_installed_default(source: str, severity: str | None) -> None:
    found = torch_findings(source)
    if severity is None:
        assert found == []
        return
    [(rule, got, line, message)] = found
    assert (rule, got, line) == ("NBS-PKL-005", severity, source.count("\n") + 1)
    if severity == "info":
        assert f"(torch {TORCH} defaults to weights_only=True)" in message


@pytest.mark.skipif(not DEFAULT_SAFE, reason="needs torch 2.6 or later installed")
def test_the_old_default_restored_by_the_environment_is_high(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    [(_, severity, _, _)] = torch_findings("import torch\nm = torch.load('m.pt')")
    assert severity == "high"


def test_without_torch_installed_the_call_stays_high(monkeypatch: pytest.MonkeyPatch) -> None:
    from nbsec.source import call_rules

    monkeypatch.setattr(call_rules, "installed_version", lambda package: None)
    [(_, severity, _, _)] = torch_findings("import torch\nm = torch.load('m.pt')")
    assert severity == "high"
