"""Fixtures shared by the guard, provenance and download tests (import them into a test module).

Import ``guard_with_fixture`` / ``fake_hub_fixture``; tests ask for ``guard_with`` / ``fake_hub``.

``guard_with`` installs the real runtime guard with a policy the test can change, collects every
reported event, and on teardown uninstalls it and checks the process is clean again: no wrapper
left on any watched module, no finder on ``sys.meta_path``, the audit hook back to a no-op.
``fake_hub`` runs :class:`~tests.fakehub.server.FakeHub` on a free local port.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from nbsec.models import guard as model_guard
from nbsec.models import guard_audit
from nbsec.models.guard_entrypoints import entry_table
from nbsec.models.guard_event import LoadEvent
from nbsec.models.guard_patches import is_wrapper
from nbsec.policy import Policy
from tests.fakehub.server import FakeHub


@dataclass
class GuardRun:
    guard: model_guard.Guard
    policy: Policy
    reported: list[LoadEvent] = field(default_factory=list)


def assert_process_clean() -> None:
    """No nbsec wrapper on any watched attribute, no nbsec finder, a silent audit hook."""
    assert model_guard.active_guard() is None
    assert guard_audit._listener is None
    assert not any(type(f).__name__ == "PostImportFinder" for f in sys.meta_path)
    for entry in entry_table().entries:
        owner: object = sys.modules.get(entry.module)
        if owner is None:
            continue
        for part in entry.owner_path[:-1]:
            owner = getattr(owner, part, None)
        if owner is not None:
            raw = vars(owner).get(entry.owner_path[-1])
            assert not is_wrapper(raw), f"{entry.module}.{entry.attribute} still wrapped"


@pytest.fixture(name="guard_with")
def guard_with_fixture() -> Iterator[Callable[..., GuardRun]]:
    runs: list[GuardRun] = []

    def start(**policy_fields: object) -> GuardRun:
        policy = Policy(**policy_fields)  # type: ignore[arg-type]
        holder: list[GuardRun] = []
        guard = model_guard.install(
            lambda: holder[0].policy, lambda e: holder[0].reported.append(e)
        )
        run = GuardRun(guard, policy)
        holder.append(run)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.guard.uninstall()
    assert_process_clean()


@pytest.fixture(name="fake_hub")
def fake_hub_fixture() -> Iterator[FakeHub]:
    with FakeHub() as hub:
        yield hub
