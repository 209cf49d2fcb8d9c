"""scan_text: validated hits with exact positions; decoys in logs and tracebacks stay clean."""

from __future__ import annotations

import itertools

import pytest

from nbsec.pii import scan_text
from nbsec.policy import Policy
from tests.pii.conftest import policy_with

HITS = [
    ("mail jane.doe@example.com now", "EMAIL_ADDRESS", "jane.doe@example.com"),
    ("card: 4539 1488 0343 6467.", "CREDIT_CARD", "4539 1488 0343 6467"),
    ("mc 2223-0031-2200-3222 ok", "CREDIT_CARD", "2223-0031-2200-3222"),
    ("card number 4539148803436467", "CREDIT_CARD", "4539148803436467"),  # bare + context
    ("iban DE89 3704 0044 0532 0130 00 for rent", "IBAN_CODE", "DE89 3704 0044 0532 0130 00"),
    ("SSN 536-22-8726 on file", "US_SSN", "536-22-8726"),
    ("ssn: 536228726", "US_SSN", "536228726"),  # bare + context
    ("ring (212) 555-0143 today", "PHONE_NUMBER", "(212) 555-0143"),
    ("london +44 20 7946 0958", "PHONE_NUMBER", "+44 20 7946 0958"),
    ("call 2015-550-123 ext", "PHONE_NUMBER", "2015-550-123"),  # 4-digit start, not a date
    ("client 203.0.113.77 connected", "IP_ADDRESS", "203.0.113.77"),
    ("from 2001:db8::8a2e:370:7334 ok", "IP_ADDRESS", "2001:db8::8a2e:370:7334"),
]


@pytest.mark.parametrize(("text", "entity", "value"), HITS, ids=[h[1] + "-" + h[2] for h in HITS])
def test_hits_and_positions(text: str, entity: str, value: str, policy: Policy) -> None:
    hits = scan_text(text, policy=policy)
    assert [(h.type, text[h.start : h.end]) for h in hits] == [(entity, value)]
    assert 0.5 <= hits[0].score <= 1.0


DECOYS = [
    "run 550e8400-e29b-41d4-a716-446655440000 finished",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "git commit 4f2a9c1 on main",
    "2024-01-05 12:30:45,123 INFO epoch 3 loss=0.4312 lr=1e-4",
    "2024-01-05T12:30:45.123456+00:00 request took 1530 ms",
    "pandas 2.2.3, numpy 1.26.4, torch 2.3.1+cu121",
    "version 1.2.3.4 released",
    "order 4539148803436468 shipped",  # fails Luhn
    "order 4539148803436467 shipped",  # passes Luhn, but bare digits and no context
    "id 536228726 processed",  # SSN-valid digits without context
    "timestamp 1717171717 seconds",
    "image@2x.png and icon@3x.svg",
    'Traceback (most recent call last):\n  File "/usr/lib/python3.11/x.py", line 1203',
    "shape (1000000, 12) dtype float64 memory 96.0+ MB",
    "ISBN 978-3-16-148410-0",
    "matrix [[0.123 0.456 0.789]]",
    # a time series as pandas prints it: dated rows, not phone numbers
    "2020-01-01    1.2\n2020-01-02    1.5\nFreq: D, Name: value, dtype: float64",
    "2019/12/31    1048\n2020/01/01     977",
    "31.12.2019  1048.5\n01.01.2020   977.0",
]


@pytest.mark.parametrize("text", DECOYS)
def test_decoys(text: str, policy: Policy) -> None:
    assert scan_text(text, policy=policy) == []


def test_entities_filter_and_many_lines() -> None:
    lines = [f"{i:05d} user{i}@example.com (212) 555-{i % 10000:04d}" for i in range(3000)]
    text = "\n".join(lines)
    hits = scan_text(text, policy=policy_with(entities=("EMAIL_ADDRESS",)))
    assert len(hits) == 3000
    assert {h.type for h in hits} == {"EMAIL_ADDRESS"}
    assert text[hits[10].start : hits[10].end] == "user10@example.com"


def test_many_hits_each_found_once(policy: Policy) -> None:
    """Thousands of values in one output (a printed table of e-mails): every one is a hit with
    its own span, and overlapping claims still go to one entity."""
    rows = [f"row {i} user{i}@example.com" for i in range(3000)]
    text = "\n".join(rows)
    hits = scan_text(text, policy=policy)
    assert [text[h.start : h.end] for h in hits] == [f"user{i}@example.com" for i in range(3000)]
    assert all(a.end <= b.start for a, b in itertools.pairwise(hits))
