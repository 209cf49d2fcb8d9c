"""Fixtures of the static scanner tests and the ``--regen-golden`` option."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from nbsec.findings import Finding
from nbsec.policy import Policy
from nbsec.source import NameScope, check_cell_source


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*.expected.json from the current scanner (review the diff!)",
    )


@pytest.fixture
def check() -> Callable[..., list[Finding]]:
    """check(source, policy=None) -> findings of check_cell_source with a fresh scope."""

    def run(source: str, policy: Policy | None = None) -> list[Finding]:
        return check_cell_source(source, policy=policy or Policy(), scope=NameScope())

    return run


def hits(findings: list[Finding], family: str = "") -> list[tuple[str, int | None]]:
    """(rule, line) pairs, optionally only of one family (``"PKL"``)."""
    return [(f.rule, f.location.line) for f in findings if not family or f"-{family}-" in f.rule]
