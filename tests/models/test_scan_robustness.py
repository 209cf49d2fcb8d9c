"""Hostile bytes never crash a scan: mutated corpus files always come back with a verdict."""

from __future__ import annotations

import random

import pytest

from nbsec.models import VERDICTS, ScanLimits, scan_bytes
from tests.models.model_corpus import corpus

LIMITS = ScanLimits(max_member_bytes=8 << 20, max_total_bytes=32 << 20)


def _mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        pos = rng.randrange(len(buf)) if buf else 0
        roll = rng.random()
        if roll < 0.5 and buf:
            buf[pos] = rng.randrange(256)
        elif roll < 0.7:
            del buf[pos : pos + rng.randint(1, 64)]
        elif roll < 0.9:
            buf[pos:pos] = rng.randbytes(rng.randint(1, 16))
        else:
            del buf[pos:]
    return bytes(buf)


@pytest.mark.parametrize("seed", range(4))
def test_mutated_files_always_get_a_verdict(seed: int) -> None:
    directory, samples = corpus()
    rng = random.Random(seed)
    small = [s for s in samples if (directory / s.name).stat().st_size < 1_000_000]
    for sample in rng.sample(small, 40):
        mutated = _mutate((directory / sample.name).read_bytes(), rng)
        scan = scan_bytes(mutated, name=sample.name, limits=LIMITS)
        assert scan.verdict in VERDICTS
        assert all(f.location.path == sample.name for f in scan.findings)
