"""The hash-chained ledger: durable appends, tamper detection, ``nbsec ledger verify``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nbsec.cli import main
from nbsec.lineage.ledger import (
    GENESIS,
    Anchor,
    LedgerWriter,
    entry_mac,
    line_hash,
    read_entries,
    verify_against_anchor,
    verify_ledger,
)


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
    # the edited line itself (3), not the line after it
    ("edited_line", _edit_value, 3, "this line was changed after it was written"),
    ("deleted_line", lambda ls: ls[:2] + ls[3:], 3, "line(s) missing before this line"),
    ("swapped_lines", lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], 2, "sequence jumps to 2"),
    ("dropped_genesis", lambda ls: ls[1:], 1, "missing before this line"),
    ("repeated_line", lambda ls: [*ls[:3], ls[2], *ls[3:]], 4, "out of order or repeated"),
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
        ("tampered", 1, "BROKEN at line 3"),
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


def _rechain(lines: list[bytes], key: bytes | None = None) -> list[bytes]:
    """What an attacker without the key does after editing: recompute every later link."""
    out: list[bytes] = []
    prev = GENESIS
    for raw in lines:
        entry = json.loads(raw)
        entry["prev"] = prev
        entry.pop("mac", None)
        if key is not None:
            entry["mac"] = entry_mac(key, entry)
        line = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
        out.append(line + b"\n")
        prev = line_hash(line)
    return out


def _notebook_with_anchor(tmp_path: Path, ledger: Path, lines: int, keyed: bool = False) -> Path:
    raw = ledger.read_bytes().splitlines()
    head = line_hash(raw[lines - 1]).removeprefix("sha256:")
    session = json.loads(raw[0])["data"]["session_id"]
    anchor = {"path": f".nbsec/ledger/{ledger.name}", "session_id": session, "lines": lines,
              "head": head, "keyed": keyed}  # fmt: skip
    nb = {"cells": [], "metadata": {"nbsec": {"v": 2, "ledger": anchor}}, "nbformat": 4,
          "nbformat_minor": 5}  # fmt: skip
    path = tmp_path / "analysis.ipynb"
    path.write_text(json.dumps(nb))
    return path


def _session_ledger(tmp_path: Path, key: bytes | None = None, n: int = 6) -> Path:
    writer = LedgerWriter(tmp_path / ".nbsec" / "ledger" / "s1.jsonl", key=key)
    writer.append("session", {"session_id": "s1", "notebook": "analysis.ipynb"})
    for i in range(n - 1):
        writer.append("cell", {"execution_count": i + 1, "defines": [f"v{i}"]})
    writer.close()
    return writer.path


# (what the attacker does, exit code, what `nbsec ledger verify NB.ipynb` says)
ANCHORED: list[tuple[str, Callable[[list[bytes]], list[bytes]], int, str]] = [
    ("untouched", lambda ls: ls, 0, "OK, 6 lines"),
    ("grown_since_the_save", lambda ls: ls, 0, "matches the notebook's anchor (line 4)"),
    ("edited_and_rechained", lambda ls: _rechain(_edit_value(ls)), 1, "BROKEN at line 4"),
    ("last_records_dropped", lambda ls: ls[:3], 1, "BROKEN at line 4: records were removed"),
    ("edited_without_rechain", _edit_value, 1, "BROKEN at line 3: this line was changed"),
]


@pytest.mark.parametrize(
    ("tamper", "code", "says"), [pytest.param(t, c, s, id=n) for n, t, c, s in ANCHORED]
)
def test_verify_a_notebook_against_its_anchor(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tamper: Callable[[list[bytes]], list[bytes]],
    code: int,
    says: str,
) -> None:
    ledger = _session_ledger(tmp_path)
    notebook = _notebook_with_anchor(tmp_path, ledger, 4)  # saved after line 4; it grew since
    ledger.write_bytes(b"".join(tamper(_lines(ledger))))
    assert main(["ledger", "verify", str(notebook)]) == code
    out = capsys.readouterr().out
    assert says in out, out


def test_rewritten_ledger_is_caught_by_the_anchor_not_by_the_chain(tmp_path: Path) -> None:
    ledger = _session_ledger(tmp_path)
    anchor = Anchor.from_metadata(
        json.loads(_notebook_with_anchor(tmp_path, ledger, 6).read_text())["metadata"]["nbsec"][
            "ledger"
        ]
    )
    assert anchor is not None
    ledger.write_bytes(b"".join(_rechain(_edit_value(_lines(ledger)))))
    alone = verify_ledger(ledger)
    assert alone.ok  # a recomputed chain is consistent in itself ...
    checked = verify_against_anchor(alone, anchor)
    assert (checked.ok, checked.broken_line) == (False, 6)  # ... but not with the notebook


def test_a_keyed_ledger_names_the_changed_line_even_when_rechained(tmp_path: Path) -> None:
    key = b"correct horse battery staple"
    ledger = _session_ledger(tmp_path, key=key)
    assert verify_ledger(ledger, key).authenticated
    assert verify_ledger(ledger).keyed and not verify_ledger(ledger).authenticated
    forged = _rechain(_edit_value(_lines(ledger)), key=b"a guessed key")
    ledger.write_bytes(b"".join(forged))
    result = verify_ledger(ledger, key)
    assert (result.broken_line, result.reason) == (
        1,
        "this line was changed: its MAC does not match",
    )
    # without MACs at all (stripped), a keyed check fails on the first line
    ledger.write_bytes(b"".join(_rechain(_lines(ledger))))
    assert "no MAC" in verify_ledger(ledger, key).reason


def test_key_from_the_policy_when_verifying_a_notebook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "ledger.key"
    key_file.write_text("s3cret-key\n")
    (tmp_path / "nbsec.toml").write_text('[lineage]\nledger_key_file = "ledger.key"\n')
    monkeypatch.delenv("NBSEC_POLICY", raising=False)
    ledger = _session_ledger(tmp_path, key=b"s3cret-key")
    notebook = _notebook_with_anchor(tmp_path, ledger, 6, keyed=True)
    assert main(["ledger", "verify", str(notebook)]) == 0
    assert "MACs checked" in capsys.readouterr().out
    ledger.write_bytes(b"".join(_rechain(_lines(ledger))))  # MACs stripped, chain recomputed
    assert main(["ledger", "verify", str(notebook)]) == 1
    assert "BROKEN at line 1: no MAC" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("anchor", "message"),
    [
        (None, "no ledger anchor in metadata.nbsec"),
        ({"path": "../../etc/passwd", "lines": 1, "head": "0" * 64}, "is not under .nbsec"),
    ],
)
def test_a_notebook_without_a_usable_anchor_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], anchor: object, message: str
) -> None:
    nb = {"cells": [], "metadata": {"nbsec": {"ledger": anchor}}, "nbformat": 4,
          "nbformat_minor": 5}  # fmt: skip
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    assert main(["ledger", "verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_policy_key_makes_the_session_ledger_keyed(
    make_session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbsec.policy import LineageSettings, Policy

    monkeypatch.setenv("NBSEC_TEST_LEDGER_KEY", "k-123")
    policy = Policy(lineage=LineageSettings(ledger_key_env="NBSEC_TEST_LEDGER_KEY"))
    session = make_session(["x = 1", "y = x + 1"], policy=policy)
    session.run_all()
    summary = session.tracker.summary()
    assert summary["ledger_keyed"] is True
    ledger = tmp_path / summary["ledger"]
    assert verify_ledger(ledger, b"k-123").authenticated
    assert not verify_ledger(ledger, b"other").ok
    header = next(iter(read_entries(ledger)))["data"]
    assert set(header) == {"session_id", "notebook", "nbsec", "python", "keyed"}  # no host details
    assert header["notebook"] == "nb.ipynb"


def test_a_missing_key_leaves_the_ledger_unkeyed_and_says_so(
    make_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbsec.policy import LineageSettings, Policy

    monkeypatch.delenv("NBSEC_TEST_LEDGER_KEY", raising=False)
    policy = Policy(lineage=LineageSettings(ledger_key_env="NBSEC_TEST_LEDGER_KEY"))
    session = make_session(["x = 1"], policy=policy)
    assert session.tracker.key_problem == (
        "the ledger key variable NBSEC_TEST_LEDGER_KEY is not set; the session ledger is not keyed"
    )
    assert session.tracker.summary()["ledger_keyed"] is False
