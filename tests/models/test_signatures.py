"""OpenSSF model signatures: keys and certificate authorities made here, models signed with the
real ``model-signing`` package, checked by ``scan_model``, ``nbsec scan-model`` and the guard."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from model_signing import hashing, signing

from nbsec.cli import main
from nbsec.errors import BlockedLoad
from nbsec.findings import Severity
from nbsec.models import scan_model
from nbsec.models.signatures import find_signature
from nbsec.policy import Policy, SigningSettings, load_policy_file
from tests.fakehub.fixtures import guard_with_fixture  # noqa: F401

BENIGN = pickle.dumps({"weights": [0.5, 1.5], "epochs": 3}, protocol=4)
NOW = dt.datetime.now(dt.UTC)


@dataclass
class KeyPair:
    private: Path
    public: Path


@dataclass
class Authority:
    root: Path
    leaf: Path
    leaf_key: Path


def _write_key(directory: Path, name: str) -> tuple[KeyPair, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    private = directory / f"{name}.key"
    public = directory / f"{name}.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return KeyPair(private, public), key


def _usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not sign,
        crl_sign=not sign,
        encipher_only=False,
        decipher_only=False,
    )


def _authority(directory: Path, name: str, email: str) -> Authority:
    _, ca_key = _write_key(directory, f"{name}-ca")
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} CA")])
    valid = (NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=30))
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(sign=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pair, leaf_key = _write_key(directory, f"{name}-leaf")
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ml-release")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
        .add_extension(_usage(sign=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    root = directory / f"{name}-ca.pem"
    leaf_path = directory / f"{name}-leaf.pem"
    root.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    leaf_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    return Authority(root, leaf_path, pair.private)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("pki")
    team, _ = _write_key(directory, "team")
    other, _ = _write_key(directory, "other")
    return {
        "team": team,
        "other": other,
        "release": _authority(directory, "release", "release@example.com"),
        "rogue": _authority(directory, "rogue", "release@example.com"),
    }


def _sign_key(model: Path, signature: Path, pair: KeyPair, shards: bool = False) -> None:
    config = signing.Config().use_elliptic_key_signer(private_key=pair.private)
    if shards:
        config.set_hashing_config(hashing.Config().use_shard_serialization(shard_size=64))
    config.sign(model, signature)


def _sign_certificate(model: Path, signature: Path, authority: Authority) -> None:
    signing.Config().use_certificate_signer(
        private_key=authority.leaf_key,
        signing_certificate=authority.leaf,
        certificate_chain=[authority.root],
    ).sign(model, signature)


def _trusting(pair: KeyPair) -> Policy:
    return Policy(signing=SigningSettings(keys=(str(pair.public),)))


def _model(tmp_path: Path, name: str = "model.pkl", data: bytes = BENIGN) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _signature_findings(path: Path, policy: Policy) -> list[tuple[str, str, Severity]]:
    scan = scan_model(path, policy=policy)
    return [
        (f.rule, str(f.location.path), f.severity)
        for f in scan.findings
        if f.rule.startswith("NBS-MDL-")
    ]


def test_key_signature_verified_names_the_key(tmp_path: Path, pki: dict[str, Any]) -> None:
    model = _model(tmp_path)
    _sign_key(model, tmp_path / "model.pkl.sig", pki["team"])
    scan = scan_model(model, policy=_trusting(pki["team"]))
    assert scan.verdict == "safe"
    assert [(f.rule, f.location.path, f.severity) for f in scan.findings] == [
        ("NBS-MDL-007", str(model), Severity.INFO)
    ]
    assert "signed by key team.pub (sha256:" in scan.findings[0].message
    assert scan.signature is not None
    assert scan.signature["status"] == "verified" and scan.signature["method"] == "key"
    assert scan.to_dict()["signature"]["signature"] == str(tmp_path / "model.pkl.sig")


@pytest.mark.parametrize(
    ("case", "rule", "severity", "status", "verdict"),
    [
        ("tampered", "NBS-MDL-008", Severity.HIGH, "invalid", "suspicious"),
        ("other key", "NBS-MDL-009", Severity.MEDIUM, "untrusted", "suspicious"),
        ("no keys in policy", "NBS-MDL-009", Severity.INFO, "untrusted", "safe"),
        ("garbage signature", "NBS-MDL-008", Severity.HIGH, "invalid", "suspicious"),
        ("other key, required", "NBS-MDL-009", Severity.HIGH, "untrusted", "suspicious"),
    ],
)
def test_key_signature_failures(
    case: str,
    rule: str,
    severity: Severity,
    status: str,
    verdict: str,
    tmp_path: Path,
    pki: dict[str, Any],
) -> None:
    model = _model(tmp_path)
    signature = tmp_path / "model.pkl.sig"
    _sign_key(model, signature, pki["other" if "other key" in case else "team"])
    keys = () if case == "no keys in policy" else (str(pki["team"].public),)
    if case == "tampered":
        model.write_bytes(pickle.dumps({"weights": [9.5, 1.5], "epochs": 3}, protocol=4))
    if case == "garbage signature":
        signature.write_text("{not json")
    policy = Policy(signing=SigningSettings(keys=keys, require="required" in case))
    scan = scan_model(model, policy=policy)
    assert _signature_findings(model, policy) == [(rule, str(model), severity)]
    assert scan.verdict == verdict
    assert scan.signature is not None and scan.signature["status"] == status


def test_signed_directory_each_file_and_an_added_file(tmp_path: Path, pki: dict[str, Any]) -> None:
    root = tmp_path / "checkpoint"
    root.mkdir()
    first = _model(root, "shard-1.pkl")
    second = _model(root, "shard-2.pkl", pickle.dumps([1, 2, 3]))
    (root / "config.json").write_text('{"layers": 2}')
    _sign_key(root, root / "model.sig", pki["team"])
    policy = Policy(signing=SigningSettings(keys=(str(pki["team"].public),)))
    assert find_signature(first) == (root / "model.sig", root)
    for path in (first, second):
        assert _signature_findings(path, policy) == [("NBS-MDL-007", str(path), Severity.INFO)]
    # a file slipped into a signed directory: the directory no longer is what was signed
    added = _model(root, "extra.pkl")
    findings = _signature_findings(added, policy)
    assert findings == [("NBS-MDL-008", str(added), Severity.HIGH)]
    assert "extra.pkl" in scan_model(added, policy=policy).findings[0].message


def test_shard_signature_beside_the_directory(tmp_path: Path, pki: dict[str, Any]) -> None:
    root = tmp_path / "weights"
    root.mkdir()
    model = _model(root, "w.pkl", pickle.dumps(list(range(200))))
    _sign_key(root, tmp_path / "weights.sig", pki["team"], shards=True)
    policy = Policy(signing=SigningSettings(keys=(str(pki["team"].public),)))
    assert _signature_findings(model, policy) == [("NBS-MDL-007", str(model), Severity.INFO)]
    data = bytearray(model.read_bytes())
    data[-3] ^= 1  # one byte in the last shard
    model.write_bytes(bytes(data))
    assert _signature_findings(model, policy)[0][0] == "NBS-MDL-008"


@pytest.mark.parametrize(
    ("case", "rule", "status"),
    [
        ("trusted", "NBS-MDL-007", "verified"),
        ("identity accepted", "NBS-MDL-007", "verified"),
        ("identity not accepted", "NBS-MDL-009", "untrusted"),
        ("other authority", "NBS-MDL-009", "untrusted"),
        ("no authority configured", "NBS-MDL-009", "untrusted"),
        ("tampered", "NBS-MDL-008", "invalid"),
    ],
)
def test_certificate_signatures(
    case: str, rule: str, status: str, tmp_path: Path, pki: dict[str, Any]
) -> None:
    model = _model(tmp_path)
    signer = pki["rogue" if case == "other authority" else "release"]
    _sign_certificate(model, tmp_path / "model.pkl.sig", signer)
    if case == "tampered":
        model.write_bytes(BENIGN + b"\x00")
    identities = {
        "identity accepted": ("Release@Example.com",),
        "identity not accepted": ("ops@example.com",),
    }.get(case, ())
    roots = () if case == "no authority configured" else (str(pki["release"].root),)
    policy = Policy(signing=SigningSettings(certificates=roots, identities=identities))
    scan = scan_model(model, policy=policy)
    assert [(f.rule, f.location.path) for f in scan.findings] == [(rule, str(model))]
    assert scan.signature is not None and scan.signature["status"] == status
    assert scan.signature["signer"] == "release@example.com (issued by CN=" + (
        "rogue CA)" if case == "other authority" else "release CA)"
    )


@pytest.mark.parametrize(
    ("name", "data", "signed", "expected"),
    [
        ("model.pkl", BENIGN, False, [("NBS-MDL-010", Severity.HIGH)]),
        ("model.pkl", BENIGN, True, [("NBS-MDL-007", Severity.INFO)]),
        ("notes.txt", b"plain text, not a model\n", False, []),
    ],
)
def test_required_signature(
    name: str,
    data: bytes,
    signed: bool,
    expected: list[tuple[str, Severity]],
    tmp_path: Path,
    pki: dict[str, Any],
) -> None:
    model = _model(tmp_path, name, data)
    if signed:
        _sign_key(model, tmp_path / f"{name}.sig", pki["team"])
    policy = Policy(signing=SigningSettings(keys=(str(pki["team"].public),), require=True))
    assert _signature_findings(model, policy) == [(r, str(model), s) for r, s in expected]


def test_signature_does_not_make_a_payload_safe(tmp_path: Path, pki: dict[str, Any]) -> None:
    model = _model(tmp_path, data=b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00true\x85R.")
    _sign_key(model, tmp_path / "model.pkl.sig", pki["team"])
    scan = scan_model(model, policy=_trusting(pki["team"]))
    assert scan.verdict == "dangerous"
    assert "NBS-MDL-007" in [f.rule for f in scan.findings]


def test_policy_file_keys_are_relative_to_it(tmp_path: Path, pki: dict[str, Any]) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "team.pub").write_bytes(pki["team"].public.read_bytes())
    (tmp_path / "nbsec.toml").write_text(
        '[tool.nbsec.signing]\nkeys = ["keys/team.pub"]\nrequire = true\n'
    )
    policy = load_policy_file(tmp_path / "nbsec.toml")
    assert policy.signing == SigningSettings(keys=("keys/team.pub",), require=True)
    assert policy.to_dict()["signing"]["require"] is True
    model = _model(tmp_path / "keys", "m.pkl")  # any directory: the key path is the policy's
    _sign_key(model, model.with_name("m.pkl.sig"), pki["team"])
    assert _signature_findings(model, policy) == [("NBS-MDL-007", str(model), Severity.INFO)]


def test_scan_model_cli_json_and_exit_code(
    tmp_path: Path, pki: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    signed = _model(models, "signed.pkl")
    _sign_key(signed, models / "signed.pkl.sig", pki["team"])
    unsigned = _model(models, "unsigned.pkl")
    (tmp_path / "nbsec.toml").write_text(
        f'[tool.nbsec.signing]\nkeys = ["{pki["team"].public}"]\nrequire = true\n'
    )
    argv = ["scan-model", str(models), "--format", "json", "--policy", str(tmp_path / "nbsec.toml")]
    assert main(argv) == 1
    files = {Path(f["path"]).name: f for f in json.loads(capsys.readouterr().out)["files"]}
    assert files["signed.pkl"]["verdict"] == "safe"
    assert files["signed.pkl"]["signature"]["status"] == "verified"
    assert files["unsigned.pkl"]["verdict"] == "suspicious"
    assert files["unsigned.pkl"]["signature"]["status"] == "missing"
    assert [f["rule"] for f in files["unsigned.pkl"]["findings"]] == ["NBS-MDL-010"]
    assert "signature" not in files["signed.pkl.sig"]
    assert str(unsigned) == files["unsigned.pkl"]["path"]


@pytest.mark.parametrize("mode", ["warn", "block"])
def test_guard_blocks_unsigned_loads_when_required(
    mode: str, tmp_path: Path, pki: dict[str, Any], guard_with: Any
) -> None:
    unsigned = _model(tmp_path, "unsigned.pkl")
    signed = _model(tmp_path, "signed.pkl")
    _sign_key(signed, tmp_path / "signed.pkl.sig", pki["team"])
    run = guard_with(
        mode=mode, signing=SigningSettings(keys=(str(pki["team"].public),), require=True)
    )
    with open(signed, "rb") as fh:
        assert pickle.load(fh) == {"weights": [0.5, 1.5], "epochs": 3}
    with pytest.raises(BlockedLoad) as raised, open(unsigned, "rb") as fh:
        pickle.load(fh)
    assert "requires a model signature" in str(raised.value)
    assert [(e.path, e.action) for e in run.guard.events if e.action != "allowed"] == [
        (str(unsigned), "blocked")
    ]


def test_guard_admits_an_allowed_unsigned_file(
    tmp_path: Path, pki: dict[str, Any], guard_with: Any
) -> None:
    unsigned = _model(tmp_path, "unsigned.pkl")
    guard_with(
        mode="warn",
        signing=SigningSettings(keys=(str(pki["team"].public),), require=True),
        allow_paths=(str(unsigned),),
    )
    with open(unsigned, "rb") as fh:
        assert pickle.load(fh)["epochs"] == 3


def test_scan_model_cache_does_not_keep_a_stale_signature(
    tmp_path: Path, pki: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    model = _model(tmp_path, "m.pkl")
    policy = tmp_path / "nbsec.toml"
    policy.write_text(f'[tool.nbsec.signing]\nkeys = ["{pki["team"].public}"]\nrequire = true\n')
    argv = ["scan-model", str(model), "--format", "json", "--policy", str(policy)]
    argv += ["--cache-dir", str(tmp_path / "cache")]
    assert main(argv) == 1
    capsys.readouterr()
    _sign_key(model, tmp_path / "m.pkl.sig", pki["team"])  # the model's bytes do not change
    assert main(argv) == 0
    (scanned,) = json.loads(capsys.readouterr().out)["files"]
    assert (scanned["verdict"], scanned["signature"]["status"]) == ("safe", "verified")
