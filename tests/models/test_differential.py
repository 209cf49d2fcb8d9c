"""nbsec's verdicts against CPython's real loaders (benchmarks/fuzz_pickle_scanner.py).

Every global a real loader (``pickle.loads``, ``pickle.load`` on ``BytesIO`` and on a file, the
pure-Python unpickler) resolves must be in the scan's globals, unless the scan already called the
input dangerous. The real loaders run in a throwaway worker with harmless canary globals.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.fuzz_pickle_scanner import Oracle, Stats, check, fuzz, program, seeds

CASES = json.loads((Path(__file__).parents[1] / "data" / "fuzz_cases.json").read_text())["cases"]


@pytest.fixture(name="oracle", scope="module")
def oracle_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oracle]:
    oracle = Oracle(tmp_path_factory.mktemp("oracle"))
    yield oracle
    oracle.close()


@pytest.mark.parametrize("case", CASES, ids=[c["why"][:40] for c in CASES])
def test_found_divergences_stay_fixed(case: dict[str, str], oracle: Oracle) -> None:
    stats = Stats()
    assert check(bytes.fromhex(case["hex"]), oracle, stats) is None
    assert stats.oracle_failures == 0


def test_pickles_of_real_objects_agree(oracle: Oracle) -> None:
    stats = Stats()
    found = [check(data, oracle, stats) for data in seeds()]
    assert [f for f in found if f] == []


def test_generated_programs_agree(oracle: Oracle) -> None:
    import random

    rng = random.Random(7)
    stats = Stats()
    found = [check(program(rng), oracle, stats) for _ in range(300)]
    assert [f for f in found if f] == []
    assert stats.inputs == 300


def test_bounded_fuzz_run() -> None:
    stats = fuzz(15, seed=20260101, out=None, quiet=True)
    assert stats.inputs > 100
    assert stats.divergences == []


@pytest.mark.long
@pytest.mark.timeout(900)  # a 600-second run, beyond the suite's 300-second default
def test_long_fuzz_run() -> None:
    stats = fuzz(600, seed=314159, out=None, quiet=True)
    assert stats.divergences == [], stats.divergences[:3]
