"""Policy discovery, validation and the questions engines ask it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from nbsec.errors import PolicyError
from nbsec.findings import Finding, Location, Severity
from nbsec.policy import Policy, find_policy_file, load_policy, load_policy_file


@pytest.fixture(autouse=True)
def _no_env_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NBSEC_POLICY", raising=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_nothing_is_configured(tmp_path: Path) -> None:
    policy = load_policy(tmp_path)
    assert policy == Policy()
    assert policy.mode == "warn" and policy.fail_on is Severity.HIGH and policy.source is None


def test_nearest_pyproject_with_tool_nbsec_wins(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.nbsec]\nmode = "block"\n')
    write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "x"\n')  # no [tool.nbsec]
    nested = tmp_path / "sub" / "deeper"
    nested.mkdir(parents=True)
    policy = load_policy(nested)
    assert policy.mode == "block"
    assert policy.source == tmp_path / "pyproject.toml"


def test_nbsec_toml_beats_pyproject_in_the_same_directory(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.nbsec]\nmode = "block"\n')
    write(tmp_path / "nbsec.toml", 'fail_on = "medium"\n')
    policy = load_policy(tmp_path / "notebook.ipynb")
    assert policy.source == tmp_path / "nbsec.toml"
    assert policy.mode == "warn" and policy.fail_on is Severity.MEDIUM


def test_env_var_overrides_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "nbsec.toml", 'mode = "warn"\n')
    chosen = write(tmp_path / "elsewhere" / "strict.toml", '[tool.nbsec]\nmode = "block"\n')
    monkeypatch.setenv("NBSEC_POLICY", str(chosen))
    assert find_policy_file(tmp_path) == chosen
    assert load_policy(tmp_path).mode == "block"


def test_full_policy_parses(tmp_path: Path) -> None:
    file = write(
        tmp_path / "nbsec.toml",
        """
mode = "block"
fail_on = "critical"
trusted_sources = ["huggingface.co/my-org", "models.example.com"]
allow_paths = ["models/*.pt"]
allow_sha256 = ["%s"]
allow_globals = ["mypkg.model.Estimator"]
allow_profiles = ["sklearn"]
disable_rules = ["NBS-SRC", "NBS-LIN-001"]

[pii]
regions = ["US", "DE"]
sample = 5000
min_score = 0.6

[lineage]
hash_max_bytes = 1048576

[[waivers]]
rule = "NBS-PII-001"
path = "notebooks/synthetic_*.ipynb"
reason = "synthetic data"
expires = 2030-01-31
"""
        % ("ab" * 32),
    )
    policy = load_policy_file(file)
    assert policy.fail_on is Severity.CRITICAL
    assert policy.pii.regions == ("US", "DE") and policy.pii.sample == 5000
    assert policy.lineage.hash_max_bytes == 1048576
    assert policy.waivers[0].expires == dt.date(2030, 1, 31)
    assert not policy.rule_enabled("NBS-SRC-001")
    assert not policy.rule_enabled("NBS-LIN-001")
    assert policy.rule_enabled("NBS-PKL-001")
    assert policy.sha256_allowed("sha256:" + "AB" * 32)
    assert policy.to_dict()["mode"] == "block"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[tool.nbsec]\nmodee = "block"\n', r"\[tool.nbsec\].modee: unknown key"),
        ('[tool.nbsec]\nmode = "deny"\n', r"\[tool.nbsec\].mode: expected one of warn, block"),
        ('[tool.nbsec]\nfail_on = "urgent"\n', r"fail_on: unknown severity"),
        ('[tool.nbsec]\nallow_sha256 = ["abc"]\n', r"allow_sha256: invalid entry"),
        ('[tool.nbsec]\nallow_globals = ["os.system; rm"]\n', r"allow_globals: invalid entry"),
        ('[tool.nbsec]\nallow_profiles = ["everything"]\n', r"unknown profile"),
        ('[tool.nbsec]\ntrusted_sources = "hf.co"\n', r"trusted_sources: expected a list"),
        ("[tool.nbsec.pii]\nsample = 5\n", r"pii.sample: expected an integer"),
        ('[tool.nbsec.pii]\nregion = ["US"]\n', r"pii.region: unknown key"),
        ('[tool.nbsec]\ndisable_rules = ["PKL"]\n', r"disable_rules: invalid entry"),
        ('[[tool.nbsec.waivers]]\nrule = "NBS-PII-001"\n', r"waivers\[0\].reason"),
        ('[[tool.nbsec.waivers]]\nreason = "x"\n', r"must name a rule, a path, a fingerprint"),
        (
            '[[tool.nbsec.waivers]]\nrule = "NBS-PII-001"\nreason = "x"\nexpires = "soon"\n',
            r"waivers\[0\].expires",
        ),
        (
            '[[tool.nbsec.waivers]]\nsha256 = "%s"\nrule = "NBS-PKL"\nreason = "x"\n' % ("a" * 64),
            r"a file waiver \(sha256 or file\) names that file and nothing else",
        ),
        ('[[tool.nbsec.waivers]]\nsha256 = "abc"\nreason = "x"\n', r"waivers\[0\].sha256"),
        ('[[tool.nbsec.waivers]]\nframe = "df"\nreason = "x"\n', r"needs both frame and column"),
        ('[tool.nbsec]\nlocked = "yes"\n', r"locked: expected true or false"),
        ('[tool.nbsec.lineage]\nledger_key_env = "A B"\n', r"ledger_key_env: expected an env"),
        ("[tool.nbsec\n", r"not valid TOML"),
    ],
)
def test_bad_policy_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    file = write(tmp_path / "pyproject.toml", text)
    with pytest.raises(PolicyError, match=message) as info:
        load_policy_file(file)
    assert str(file) in str(info.value)
    assert "\n" not in str(info.value)


def test_policy_never_imports_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"[tool.nbsec]\nallow_globals = [\"__import__('os').system('touch {marker}')\"]\n"
    with pytest.raises(PolicyError):
        load_policy_file(write(tmp_path / "pyproject.toml", text))
    assert not marker.exists()


def finding(rule: str, path: str) -> Finding:
    return Finding.from_rule(rule, "m", Location(path=path, cell_index=0), key="k")


@pytest.mark.parametrize(
    ("waiver", "rule", "path", "applies"),
    [
        ({"rule": "NBS-PII-001"}, "NBS-PII-001", "a.ipynb", True),
        ({"rule": "NBS-PII"}, "NBS-PII-002", "a.ipynb", True),
        ({"rule": "NBS-PII-001"}, "NBS-PII-002", "a.ipynb", False),
        ({"path": "notebooks/*.ipynb"}, "NBS-SEC-001", "notebooks/x.ipynb", True),
        ({"path": "notebooks/*.ipynb"}, "NBS-SEC-001", "other/x.ipynb", False),
        ({"rule": "NBS-SEC-001", "expires": dt.date(2020, 1, 1)}, "NBS-SEC-001", "a.ipynb", False),
    ],
)
def test_waiver_matching(waiver: dict[str, object], rule: str, path: str, applies: bool) -> None:
    from nbsec.policy import Waiver

    policy = Policy(waivers=(Waiver(reason="r", **waiver),))  # type: ignore[arg-type]
    assert (policy.waiver_for(finding(rule, path)) is not None) is applies


def test_waiver_by_fingerprint() -> None:
    from nbsec.policy import Waiver

    f = finding("NBS-SEC-001", "a.ipynb")
    assert Policy(waivers=(Waiver(reason="r", fingerprint=f.fingerprint),)).waiver_for(f)
    other = finding("NBS-SEC-001", "b.ipynb")
    assert not Policy(waivers=(Waiver(reason="r", fingerprint=f.fingerprint),)).waiver_for(other)


@pytest.mark.parametrize(
    ("trusted", "source", "expected"),
    [
        (["huggingface.co/my-org"], "https://huggingface.co/my-org/bert/resolve/main/x", True),
        (["huggingface.co/my-org"], "my-org/bert", True),
        (["huggingface.co/my-org"], "my-org-evil/bert", False),
        (["huggingface.co/my-org"], "https://huggingface.co/other/bert", False),
        (["models.example.com"], "https://models.example.com/a/b.pt", True),
        (["models.example.com"], "https://models.example.com.evil.io/a.pt", False),
        (["models.example.com"], "http://user:pw@models.example.com:8080/a.pt", True),
        ([], "https://huggingface.co/my-org/bert", False),
    ],
)
def test_trusted_sources_match_whole_segments(
    trusted: list[str], source: str, expected: bool
) -> None:
    assert Policy(trusted_sources=tuple(trusted)).source_trusted(source) is expected


SHA_A, SHA_B = "a" * 64, "b" * 64


@pytest.mark.parametrize(
    ("waiver", "sha256", "path", "admitted"),
    [
        # a rule or family waiver never admits a file, whatever it is
        ({"rule": "NBS-PKL-001"}, SHA_A, "models/rf.pkl", False),
        ({"rule": "NBS-PKL"}, SHA_A, "models/rf.pkl", False),
        ({"fingerprint": "sha256:" + "c" * 64}, SHA_A, "models/rf.pkl", False),
        ({"frame": "df", "column": "email"}, SHA_A, "models/rf.pkl", False),
        # a file waiver admits that file and no other
        ({"sha256": SHA_A}, SHA_A, "models/rf.pkl", True),
        ({"sha256": SHA_A}, SHA_A, "elsewhere/renamed.pkl", True),
        ({"sha256": SHA_A}, SHA_B, "models/rf.pkl", False),
        ({"sha256": SHA_A}, None, "models/rf.pkl", False),
        ({"file": "models/*.pkl"}, SHA_B, "models/rf.pkl", True),
        ({"file": "models/*.pkl"}, SHA_B, "downloads/evil.pkl", False),
        ({"sha256": SHA_A, "expires": dt.date(2020, 1, 1)}, SHA_A, "models/rf.pkl", False),
    ],
)
def test_only_file_waivers_admit_files(
    waiver: dict[str, object], sha256: str | None, path: str, admitted: bool
) -> None:
    from nbsec.policy import Waiver

    policy = Policy(waivers=(Waiver(reason="r", **waiver),))  # type: ignore[arg-type]
    assert (policy.file_waiver(sha256, path) is not None) is admitted
    allowed = (sha256 is not None and policy.sha256_allowed(sha256)) or policy.path_allowed(path)
    assert allowed is admitted


def test_column_waiver_covers_that_column_only() -> None:
    from nbsec.policy import Subject, Waiver

    waiver = Waiver(reason="synthetic", frame="customers", column="email")
    f = finding("NBS-PII-001", "a.ipynb")
    assert waiver.matches(f, subject=Subject(frame="customers", column="email"))
    assert not waiver.matches(f, subject=Subject(frame="customers", column="iban"))
    assert not waiver.matches(f, subject=Subject(frame="orders", column="email"))
    assert not waiver.matches(f)  # a finding about nothing known is not covered


def test_file_waivers_and_lock_from_a_policy_file(tmp_path: Path) -> None:
    text = (
        '[tool.nbsec]\nmode = "block"\nlocked = true\n'
        f'[[tool.nbsec.waivers]]\nsha256 = "SHA256:{SHA_A.upper()}"\nreason = "our model"\n'
        '[[tool.nbsec.waivers]]\nframe = "df"\ncolumn = "email"\nreason = "synthetic"\n'
    )
    policy = load_policy_file(write(tmp_path / "pyproject.toml", text))
    assert (policy.mode, policy.locked) == ("block", True)
    assert policy.sha256_allowed(SHA_A) and not policy.sha256_allowed(SHA_B)
    assert [w.describe() for w in policy.waivers] == [
        f"loads of the one file with sha256 {SHA_A[:16]}... (no other file)",
        "personal-data findings on column 'email' of frame 'df'",
    ]
