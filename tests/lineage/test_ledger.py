"""The hash-chained ledger: durable appends, tamper detection, ``nbsec ledger verify``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nbsec.cli import main
from nbsec.lineage.ledger import GENESIS, LedgerWriter, line_hash, read_entries, verify_ledger


def _ledger(tmp_path: Path, n: int = 5) -> Path:
    writer = LedgerWriter(tmp_path / "s.jsonl")
    writer.append("session", {"session_id": "s"})
    for i in range(n - 2):
        writer.append("cell", {"execution_count": i + 1, "defines": [f"v{i}"]})
    writer.append("close", {"cells_recorded": n - 2})
    writer.close()
    return writer.path


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _edit_value(lines: list[bytes]) -> list[bytes]:
    entry = json.loads(lines[2])
    entry["data"]["defines"] = ["changed"]
    lines[2] = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    return lines


TAMPERING: list[tuple[str, Callable[[list[bytes]], list[bytes]], int, str]] = [
    ("edited_line", _edit_value, 4, "previous line's hash"),
    ("deleted_line", lambda ls: ls[:2] + ls[3:], 3, "previous line's hash"),
    ("swapped_lines", lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], 2, "previous line's hash"),
    ("dropped_genesis", lambda ls: ls[1:], 1, "genesis"),
    ("garbage_line", lambda ls: [*ls[:3], b"not json\n", *ls[3:]], 4, "not valid JSON"),
    ("torn_tail", lambda ls: [*ls[:-1], ls[-1][:20]], 5, "truncated"),
]


def test_intact_chain(tmp_path: Path) -> None:
    path = _ledger(tmp_path)
    result = verify_ledger(path)
    assert result.ok and result.lines == 5
    assert result.kinds == {"session": 1, "cell": 3, "close": 1}
    entries = list(read_entries(path))
    assert entries[0]["prev"] == GENESIS
    for before, after, raw in zip(entries, entries[1:], _lines(path), strict=False):
        assert after["prev"] == line_hash(raw)
        assert after["seq"] == before["seq"] + 1


@pytest.mark.parametrize(
    ("tamper", "broken_line", "reason"),
    [pytest.param(t, b, r, id=name) for name, t, b, r in TAMPERING],
)
def test_tampering_is_found_at_the_first_broken_line(
    tmp_path: Path, tamper: Callable[[list[bytes]], list[bytes]], broken_line: int, reason: str
) -> None:
    path = _ledger(tmp_path)
    path.write_bytes(b"".join(tamper(_lines(path))))
    result = verify_ledger(path)
    assert not result.ok
    assert result.broken_line == broken_line
    assert reason in result.reason


def test_writer_continues_an_existing_chain(tmp_path: Path) -> None:
    path = _ledger(tmp_path, 3)
    writer = LedgerWriter(path)
    assert writer.append("cell", {"execution_count": 9}) == 3
    writer.close()
    assert verify_ledger(path).ok


@pytest.mark.parametrize(
    ("setup", "code", "stdout_has"),
    [
        ("intact", 0, "OK, 5 lines"),
        ("tampered", 1, "BROKEN at line 4"),
        ("missing", 2, ""),
    ],
)
def test_cli_verify_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str, code: int, stdout_has: str
) -> None:
    path = _ledger(tmp_path)
    if setup == "tampered":
        path.write_bytes(b"".join(_edit_value(_lines(path))))
    if setup == "missing":
        path = tmp_path / "nope.jsonl"
    assert main(["ledger", "verify", str(path)]) == code
    out, err = capsys.readouterr()
    assert stdout_has in out
    if code == 2:
        assert err.count("\n") == 1 and "nope.jsonl" in err


def test_cli_verify_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _ledger(tmp_path)
    assert main(["ledger", "verify", "--format", "json", str(path)]) == 0
    payload: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert payload["ledgers"][0]["ok"] is True
    assert payload["ledgers"][0]["broken_line"] is None


def test_session_ledger_holds_no_data_values(make_session: Any, tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("email,ssn\njane.doe@example.com,078-05-1120\n")
    session = make_session(
        [
            "import pandas as pd\npeople = pd.read_csv('people.csv')",
            "import urllib.request\ntry:\n    urllib.request.urlopen("
            "'http://127.0.0.1:9/x?api_key=sk-live-123456', timeout=0.2)\nexcept OSError:\n"
            "    pass",
            "people['email'].str.upper()['missing-key-jane.doe@example.com']",
        ]
    )
    records = session.run_all()
    assert records[2].error == "KeyError"
    session.tracker.close()
    text = session.tracker.ledger_file.read_text()
    for secret in ("jane.doe@example.com", "078-05-1120", "sk-live-123456", "read_csv"):
        assert secret not in text
    assert "api_key=h-" in text
    assert verify_ledger(session.tracker.ledger_file).ok
