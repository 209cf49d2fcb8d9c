"""The session state as the panel sees it: versioned deltas, bounded updates, waivers with exact
scopes, and what a notebook may bring back (in process: no kernel needed)."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from nbsec.findings import Finding, Location
from nbsec.kernel import protocol
from nbsec.kernel.session_state import SessionState
from nbsec.kernel.waiver_book import NOT_CONFIRMED, WaiverRecord, waiver_of
from nbsec.policy import PolicyError, Subject, Waiver, append_waiver, load_policy_file

STATUS = {"mode": "warn", "enabled": True, "locked": False, "policy_file": None,
          "policy_error": None}  # fmt: skip


def pii(frame: str, column: str) -> Finding:
    return Finding.from_rule(
        "NBS-PII-001",
        f"frame {frame!r} column {column!r} holds EMAIL_ADDRESS",
        Location(cell_id=f"frame:{frame}"),
        evidence="j***@e***.com",
        key=f"{frame}|{column}|EMAIL_ADDRESS",
    )


def frame(rows: int) -> dict[str, object]:
    return {"rows": rows, "rows_scanned": rows, "exhaustive": True, "columns": 1,
            "pii_columns": {}, "cell": None}  # fmt: skip


def check_update(update: dict[str, object]) -> None:
    protocol.check_outgoing(protocol.event("update", update))


def test_delta_lists_what_changed_since_the_panel_version(tmp_path: Path) -> None:
    state = SessionState(tmp_path)
    state.set_status(STATUS)
    state.set_frame("a", frame(1))
    base = state.version
    email = pii("b", "email")
    state.set_frame("b", frame(2))
    state.add_findings([email], {email.fingerprint: Subject(frame="b", column="email")})
    state.drop_frame("a")
    update = state.delta(base, max_items=400)
    check_update(update)
    assert (update["base"], update["version"]) == (base, state.version)
    assert list(update["frames"]["upsert"]) == ["b"]  # type: ignore[index]
    assert update["frames"]["remove"] == ["a"]  # type: ignore[index]
    assert [f["fingerprint"] for f in update["findings"]["upsert"]] == [email.fingerprint]  # type: ignore[index]
    assert update["counts"]["medium"] == 1  # type: ignore[index]
    # nothing changed since the newest version: an empty delta
    empty = state.delta(state.version, max_items=400)
    assert set(empty) == {"base", "version", "status", "counts"}


def test_a_big_change_asks_for_a_resync(tmp_path: Path) -> None:
    state = SessionState(tmp_path)
    state.set_status(STATUS)
    base = state.version
    for i in range(50):
        state.set_frame(f"f{i}", frame(i))
    small = state.delta(base, max_items=100)
    assert len(small["frames"]["upsert"]) == 50 and "resync" not in small  # type: ignore[index]
    big = state.delta(base, max_items=20)
    check_update(big)
    assert big["resync"] is True and "frames" not in big
    # a base newer than the state (a panel from before a kernel restart) also resyncs
    assert state.delta(state.version + 5, max_items=100)["resync"] is True


def test_a_removal_older_than_what_is_kept_asks_for_a_resync(tmp_path: Path) -> None:
    from nbsec.kernel import session_state

    state = SessionState(tmp_path)
    base = state.version
    for i in range(session_state.MAX_TOMBSTONES + 5):
        state.set_frame(f"f{i}", frame(1))
        state.drop_frame(f"f{i}")
    assert state.delta(base, max_items=10**6)["resync"] is True
    recent = state.version - 1
    assert "resync" not in state.delta(recent, max_items=10**6)


def test_waivers_cover_exactly_their_scope(tmp_path: Path) -> None:
    state = SessionState(tmp_path)
    state.set_status(STATUS)
    email, other = pii("customers", "email"), pii("customers", "iban")
    state.add_findings(
        [email, other],
        {
            email.fingerprint: Subject(frame="customers", column="email"),
            other.fingerprint: Subject(frame="customers", column="iban"),
        },
    )
    before = state.version
    record = state.waivers.add(
        WaiverRecord(
            waiver_of({"kind": "column", "frame": "customers", "column": "email"}, "synthetic"),
            "session",
        )
    )
    state.waivers_changed()
    active = {f.fingerprint for f in state.active_findings()}
    assert active == {other.fingerprint}
    update = state.delta(before, max_items=400)
    check_update(update)
    waived = {f["fingerprint"]: f["waiver"] for f in update["findings"]["upsert"]}  # type: ignore[index]
    assert waived == {email.fingerprint: record.id}
    assert [w["id"] for w in update["waivers"]["upsert"]] == [record.id]  # type: ignore[index]
    # a later frame with the same column name elsewhere is not covered
    elsewhere = pii("orders", "email")
    news = state.add_findings([elsewhere], {elsewhere.fingerprint: Subject("orders", "email")})
    assert news == [elsewhere]


@pytest.mark.parametrize(
    ("scope", "problem"),
    [
        ({"kind": "rule", "rule": "NBS-PKL-001"}, None),
        ({"kind": "rule", "rule": "PKL"}, "not a rule id or family"),
        ({"kind": "file", "sha256": "abc"}, "needs the file's sha256"),
        ({"kind": "column", "frame": "df"}, "needs a frame name and a column name"),
        ({"kind": "finding", "fingerprint": "abc"}, "needs the finding's fingerprint"),
        ({"kind": "everything"}, "unknown waiver scope"),
    ],
)
def test_waiver_scopes_are_checked(scope: dict[str, str], problem: str | None) -> None:
    if problem is None:
        assert waiver_of(scope, "reviewed").rule == "NBS-PKL-001"
        return
    with pytest.raises(ValueError, match=problem):
        waiver_of(scope, "reviewed")


def test_a_reason_is_required() -> None:
    with pytest.raises(ValueError, match="a waiver needs a reason"):
        waiver_of({"kind": "rule", "rule": "NBS-PII"}, "  ")


def test_a_file_waiver_read_from_a_notebook_is_not_trusted() -> None:
    saved = {"scope": {"kind": "file", "sha256": "a" * 64}, "reason": "trust me", "at": "x"}
    record = WaiverRecord.from_saved(saved)
    assert (record.origin, record.active, record.note) == ("notebook", False, NOT_CONFIRMED)
    assert record.to_dict()["active"] is False
    # reporting-only scopes come back active; so do protocol-1 entries
    column = WaiverRecord.from_saved(
        {"scope": {"kind": "column", "frame": "df", "column": "email"}, "reason": "synthetic"}
    )
    assert column.active
    old = WaiverRecord.from_saved({"kind": "rule", "target": "NBS-PII-001", "reason": "r"})
    assert (old.waiver.rule, old.active) == ("NBS-PII-001", True)
    with pytest.raises(ValueError):
        WaiverRecord.from_saved({"scope": {"kind": "rule", "rule": "NBS-PII"}, "reason": ""})


@pytest.mark.parametrize(
    "reason",
    [
        'quote " and backslash \\ and tab\t',
        "unicode: café \u2013 数据 🙂",
        "new\nline",
        "''' \"\"\"",
    ],
)
def test_waivers_written_to_a_policy_file_read_back_the_same(tmp_path: Path, reason: str) -> None:
    file = tmp_path / "pyproject.toml"
    file.write_text('[project]\nname = "x"\n\n[tool.nbsec]\nmode = "warn"\n')
    waiver = Waiver(reason=reason, sha256="b" * 64, expires=dt.date(2031, 1, 1))
    append_waiver(file, waiver)
    append_waiver(file, Waiver(reason="synthetic", frame="df", column="e-mail"))
    policy = load_policy_file(file)
    assert policy.waivers[0].sha256 == "b" * 64
    assert policy.waivers[0].reason == "".join(c for c in reason if c >= " ").strip()
    assert policy.waivers[0].expires == dt.date(2031, 1, 1)
    assert (policy.waivers[1].frame, policy.waivers[1].column) == ("df", "e-mail")
    assert tomllib.loads(file.read_text())["project"]["name"] == "x"  # the rest is untouched


def test_a_policy_file_that_would_break_is_left_as_it_was(tmp_path: Path) -> None:
    file = tmp_path / "nbsec.toml"
    original = 'mode = "warn"\nwaivers = []\n'  # an inline array: [[waivers]] cannot follow
    file.write_text(original)
    with pytest.raises(PolicyError):
        append_waiver(file, Waiver(reason="r", rule="NBS-PII"))
    assert file.read_text() == original
    fresh = tmp_path / "sub" / "nbsec.toml"
    fresh.parent.mkdir()
    append_waiver(fresh, Waiver(reason="r", rule="NBS-PII"))
    assert load_policy_file(fresh).waivers[0].rule == "NBS-PII"


def test_summary_has_relative_paths_and_no_host_details(tmp_path: Path) -> None:
    state = SessionState(tmp_path / "project")
    state.add_load(
        {"kind": "load", "api": "pickle.load", "path": str(tmp_path / "project" / "m" / "rf.pkl"),
         "sha256": "c" * 64, "verdict": "safe", "action": "allowed"}
    )  # fmt: skip
    state.add_load(
        {"kind": "load", "api": "pickle.load", "path": "m/rf.pkl", "sha256": "c" * 64,
         "verdict": "safe", "action": "allowed"}
    )  # fmt: skip
    state.set_lineage(
        {"sources": [{"uri": str(tmp_path / "data.csv"), "kind": "file", "sha256": None}]}, None
    )
    summary = state.summary()
    assert summary["models"] == [
        {"api": "pickle.load", "path": "m/rf.pkl", "source": None, "sha256": "c" * 64,
         "verdict": "safe", "action": "allowed", "loads": 2, "own": False, "pinned": None}
    ]  # fmt: skip
    assert summary["data_sources"][0]["uri"] == "../data.csv"
    assert str(tmp_path) not in repr(summary)
    assert protocol.is_valid(protocol.schema()["definitions"]["summary"], summary)


def call_site(cell: str, line: int, rule: str = "NBS-PKL-001", arg: str = "f") -> Finding:
    return Finding.from_rule(
        rule, "pickle.load() called", Location(cell_id=cell, line=line), key=f"pickle.load:{arg}"
    )


def load(cell: str, line: int, sha256: str) -> Finding:  # sha256: one hex digit, repeated
    return Finding.from_rule(
        "NBS-PKL-001",
        "pickle.load of m.pkl: suspicious (imports a.A, a.B)",
        Location(path=None),
        evidence="a.A, a.B",
        key=f"pickle.load:{sha256 * 64}",
    ).with_location(path="m.pkl", cell_id=cell, line=line)


def test_a_load_finding_stands_for_the_call_site_finding_of_its_line(tmp_path: Path) -> None:
    state = SessionState(tmp_path)
    state.set_status(STATUS)
    site, other_line, other_rule = (
        call_site("c1", 2),
        call_site("c1", 3, arg="g"),
        call_site("c1", 2, "NBS-PKL-002"),
    )
    other_cell = call_site("c2", 2)
    state.add_findings([site, other_line, other_rule, other_cell])
    base = state.version
    first, second = load("c1", 2, "a"), load("c1", 2, "b")
    for digest, finding in (("a", first), ("b", second)):  # a loop: two files at one line
        state.add_load({"kind": "load", "api": "pickle.load", "sha256": digest * 64}, [finding])
        state.add_findings([finding])
    replaced = state.supersede_call_sites([first])
    assert replaced == {site.fingerprint: first}
    assert state.supersede_call_sites([second]) == {}  # a load never stands for another load
    kept = {f.fingerprint for f in state.active_findings()}
    assert kept == {other_line.fingerprint, other_rule.fingerprint, other_cell.fingerprint,
                    first.fingerprint, second.fingerprint}  # fmt: skip
    assert state.to_state()["counts"]["critical"] == 4
    update = state.delta(base, max_items=400)
    check_update(update)
    assert update["findings"]["remove"] == [site.fingerprint]  # type: ignore[index]
    # a re-run of the cell finds the call site again: it stays replaced, and is not news
    assert state.add_findings([site]) == []
    assert site.fingerprint not in {f.fingerprint for f in state.active_findings()}
