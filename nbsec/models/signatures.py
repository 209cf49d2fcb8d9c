"""OpenSSF model-signing signatures: is this model file what a signer the policy trusts signed?

A model signed with the ``model-signing`` package (``model_signing sign key|certificate ...``)
carries a Sigstore bundle: a DSSE envelope over an in-toto statement that lists the hash of every
file of the model (a single file, or every file of a model directory), signed by an elliptic-curve
key or by a certificate's key. nbsec looks for that bundle where the signing tool's users keep it
(:func:`find_signature`: ``<file>.sig`` beside the file; ``model.sig`` inside, or ``<dir>.sig``
beside, the file's directory) and verifies it with ``model-signing`` itself against the keys and
certificate authorities of the policy (``[tool.nbsec.signing]``): the signature's cryptography,
the signer's trust, and the hash of every signed file, as ``model_signing verify`` would.

A signature says who vouches for a file, not that it is safe to unpickle: the scan's verdict is
unchanged by a good signature. What the check adds is a finding:

* ``verified`` (NBS-MDL-007, info): names the signer (the trusted key, or the certificate's
  identity and issuer);
* ``invalid`` (NBS-MDL-008, high): a trusted signer's signature that fails, a model that differs
  from what was signed (changed, added or removed files), or a signature nbsec cannot read;
* ``untrusted`` (NBS-MDL-009; high under ``require``, medium when the policy names whom it
  trusts, info when it names nobody): a key, authority or identity the policy does not list,
  or a Sigstore keyless signature (its trust root is online, so it is named and not verified
  here), or ``model-signing`` not installed;
* ``missing`` (NBS-MDL-010, high): ``require = true`` and the file has no signature.

The load guard blocks the last three in every mode when the policy requires signatures (unless
the file is allowed, comes from a trusted source or was written by the session). Verification
results are cached per process by the signature's and the signed files' size and mtime, so a
directory of shards signed by one ``model.sig`` is hashed once, not once per shard.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import io
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbsec.findings import Finding, Location, Severity
from nbsec.policy import Policy, SigningSettings

SIGNATURE_NAME = "model.sig"
SIGNATURE_SUFFIX = ".sig"
MAX_SIGNATURE_BYTES = 4 << 20
# what ``require`` enforces at load time (NBS-MDL-007 is the verified case)
REQUIRED_RULES = frozenset({"NBS-MDL-008", "NBS-MDL-009", "NBS-MDL-010"})
SIGNATURE_RULES = REQUIRED_RULES | {"NBS-MDL-007"}
_RULE_OF = {
    "verified": "NBS-MDL-007",
    "invalid": "NBS-MDL-008",
    "untrusted": "NBS-MDL-009",
    "missing": "NBS-MDL-010",
}
_INSTALL_HINT = "install nbsec[signing] (the model-signing package) to verify it"


@dataclass(frozen=True)
class SignatureCheck:
    """What the signature check found for one model file."""

    status: str  # verified | invalid | untrusted | missing
    signature: str | None = None  # the bundle's path
    signed: str | None = None  # the file or directory the bundle signs
    method: str | None = None  # key | certificate | sigstore
    signer: str | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "signature": self.signature,
            "signed": self.signed,
            "method": self.method,
            "signer": self.signer,
            "reason": self.reason,
        }

    def finding(self, display: str, settings: SigningSettings) -> Finding:
        """The finding for this check. An untrusted signer is high when the policy requires
        signatures, medium when it names whom it trusts, and only told (info) when it names
        nobody: a signature nobody vouched for is no worse than none."""
        rule = _RULE_OF[self.status]
        name = Path(display).name or display
        if self.status == "verified":
            message = f"{name}: signed by {self.signer} ({self.method} signature {self._sig})"
        elif self.status == "missing":
            message = (
                f"{name}: the policy requires a model signature and none was found "
                f"(looked for {name}{SIGNATURE_SUFFIX} and {SIGNATURE_NAME})"
            )
        else:
            who = f" by {self.signer}" if self.signer else ""
            message = f"{name}: signature {self._sig}{who}: {self.reason}"
        severity = None
        if rule == "NBS-MDL-009":
            if settings.require:
                severity = Severity.HIGH
            elif not (settings.keys or settings.certificates or settings.identities):
                severity = Severity.INFO
        return Finding.from_rule(
            rule,
            message,
            Location(path=display),
            key=f"{name}:{rule}",
            severity=severity,
        )

    @property
    def _sig(self) -> str:
        return Path(self.signature).name if self.signature else "-"


def find_signature(path: str | os.PathLike[str]) -> tuple[Path, Path] | None:
    """The signature that covers ``path`` and the file or directory it signs, nearest first:
    ``<file>.sig``, then ``model.sig`` in the file's directory, then ``<dir>.sig`` beside it
    (for a directory: ``<dir>/model.sig``, ``<dir>.sig``). A signature file itself has none."""
    target = Path(os.path.abspath(path))
    if target.name == SIGNATURE_NAME or target.suffix == SIGNATURE_SUFFIX:
        return None
    root = target if target.is_dir() else target.parent
    candidates: list[tuple[Path, Path]] = []
    if not target.is_dir():
        candidates.append((target.with_name(target.name + SIGNATURE_SUFFIX), target))
    candidates.append((root / SIGNATURE_NAME, root))
    if root.name:
        candidates.append((root.with_name(root.name + SIGNATURE_SUFFIX), root))
    for signature, signed in candidates:
        if signature.is_file():
            return signature, signed
    return None


def check_signature(
    path: str | os.PathLike[str], policy: Policy | None = None
) -> SignatureCheck | None:
    """The signature check of one model file; ``None`` when it has no signature and the policy
    does not require one. Never raises: a failure to verify is ``invalid`` or ``untrusted``."""
    settings = policy.signing if policy is not None else SigningSettings()
    found = find_signature(path)
    if found is None:
        return SignatureCheck("missing") if settings.require else None
    signature, signed = found
    try:
        key = _cache_key(signature, signed, settings, policy)
    except OSError as exc:
        return _check(signature, signed, "invalid", reason=f"cannot read: {exc.strerror}")
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    result = _verify(signature, signed, settings, _base_dir(policy))
    with _cache_lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = result
    return result


def _check(signature: Path, signed: Path, status: str, **fields: Any) -> SignatureCheck:
    return SignatureCheck(status, signature=str(signature), signed=str(signed), **fields)


def _base_dir(policy: Policy | None) -> Path:
    if policy is not None and policy.source is not None:
        return policy.source.parent
    return Path.cwd()


_cache: dict[tuple[Any, ...], SignatureCheck] = {}
_cache_lock = threading.Lock()


def _cache_key(
    signature: Path, signed: Path, settings: SigningSettings, policy: Policy | None
) -> tuple[Any, ...]:
    def stamp(p: Path) -> tuple[str, int, int]:
        st = p.stat()
        return (str(p), st.st_size, st.st_mtime_ns)

    files = [signed] if signed.is_file() else sorted(p for p in signed.rglob("*") if p.is_file())
    return (
        stamp(signature),
        tuple(stamp(p) for p in files[:100_000]),
        settings,
        str(_base_dir(policy)),
    )


# -- reading the bundle (before anything is verified: only to know how to verify it) ----------
def _read_bundle(signature: Path) -> dict[str, Any]:
    with open(signature, "rb") as fh:
        raw = fh.read(MAX_SIGNATURE_BYTES + 1)
    if len(raw) > MAX_SIGNATURE_BYTES:
        raise ValueError("signature file is larger than any model-signing bundle")
    bundle = json.loads(raw)
    if not isinstance(bundle, dict) or not isinstance(bundle.get("verificationMaterial"), dict):
        raise ValueError("not a Sigstore bundle")
    return bundle


def _method(material: dict[str, Any]) -> str:
    if "publicKey" in material:
        return "key"
    if "x509CertificateChain" in material:
        return "certificate"
    if "certificate" in material:
        return "sigstore"
    raise ValueError("the bundle names no key or certificate")


def _leaf_certificate(material: dict[str, Any]) -> Any:
    from cryptography import x509

    if "x509CertificateChain" in material:
        raw = material["x509CertificateChain"]["certificates"][0]["rawBytes"]
    else:
        raw = material["certificate"]["rawBytes"]
    return x509.load_der_x509_certificate(base64.b64decode(raw))


def _identities(cert: Any) -> list[str]:
    """The names a certificate vouches for: its SAN emails, URIs and DNS names, else its CN."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    names: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        for kind in (x509.RFC822Name, x509.UniformResourceIdentifier, x509.DNSName):
            names.extend(str(v) for v in san.get_values_for_type(kind))
    except x509.ExtensionNotFound:
        pass
    if not names:
        names = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return names


def _describe_certificate(cert: Any) -> str:
    who = ", ".join(_identities(cert)) or cert.subject.rfc4514_string() or "an unnamed subject"
    return f"{who} (issued by {cert.issuer.rfc4514_string()})"


# -- verification -------------------------------------------------------------------------------
def _verify(signature: Path, signed: Path, settings: SigningSettings, base: Path) -> SignatureCheck:
    try:
        bundle = _read_bundle(signature)
        material = bundle["verificationMaterial"]
        method = _method(material)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return _check(signature, signed, "invalid", reason=f"cannot be read: {_line(exc)}")
    try:
        if method == "key":
            return _verify_key(signature, signed, material, settings, base)
        return _verify_certificate(signature, signed, material, method, settings, base)
    except ImportError:
        return _check(signature, signed, "untrusted", method=method, reason=_INSTALL_HINT)
    except (ValueError, KeyError, TypeError, IndexError, binascii.Error) as exc:
        return _check(signature, signed, "invalid", method=method, reason=_line(exc))


def _key_hint(path: Path) -> str:
    """model-signing's key identifier: the sha256 of the public key's PEM (SubjectPublicKeyInfo)."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(path.read_bytes())
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(pem).hexdigest()


def _verify_key(
    signature: Path,
    signed: Path,
    material: dict[str, Any],
    settings: SigningSettings,
    base: Path,
) -> SignatureCheck:
    import model_signing  # noqa: F401  (an ImportError here says what to install)

    hint = str((material.get("publicKey") or {}).get("hint") or "").lower()
    unknown = f"an unknown key sha256:{hint[:16]}" if hint else "an unnamed key"
    trusted: list[tuple[Path, str]] = []
    for entry in settings.keys:
        key_path = _resolve(entry, base)
        try:
            trusted.append((key_path, _key_hint(key_path)))
        except (OSError, ValueError, TypeError):
            continue  # an unreadable key trusts nobody (the policy check names it)
    # with a hint, only the key it names is tried: a failure there is a broken signature; without
    # one (older bundles), every trusted key is tried
    candidates = [t for t in trusted if t[1] == hint] if hint else trusted
    if not candidates:
        return _check(
            signature,
            signed,
            "untrusted",
            method="key",
            signer=unknown,
            reason="signed with a key the policy does not list in [tool.nbsec.signing] keys",
        )
    failure = ""
    for key_path, key_hint in candidates:
        signer = f"key {key_path.name} (sha256:{key_hint[:16]})"
        error = _run_verify(signature, signed, key=key_path)
        if error is None:
            return _check(signature, signed, "verified", method="key", signer=signer)
        if hint:
            return _check(signature, signed, "invalid", method="key", signer=signer, reason=error)
        failure = error
    return _check(
        signature,
        signed,
        "untrusted",
        method="key",
        signer=unknown,
        reason=f"no trusted key verifies it ({failure})",
    )


def _verify_certificate(
    signature: Path,
    signed: Path,
    material: dict[str, Any],
    method: str,
    settings: SigningSettings,
    base: Path,
) -> SignatureCheck:
    cert = _leaf_certificate(material)
    signer = _describe_certificate(cert)
    if method == "sigstore":
        return _check(
            signature,
            signed,
            "untrusted",
            method=method,
            signer=signer,
            reason="a Sigstore keyless signature: its trust root is online, so nbsec names the "
            "claimed signer and does not verify it; verify with `model_signing verify sigstore`",
        )
    import model_signing  # noqa: F401

    roots = [_resolve(entry, base) for entry in settings.certificates]
    if not roots:
        return _check(
            signature,
            signed,
            "untrusted",
            method=method,
            signer=signer,
            reason="the policy lists no certificate authorities in [tool.nbsec.signing]",
        )
    error = _run_verify(signature, signed, certificates=roots)
    if error is not None:
        status = "untrusted" if _chain_error(error) else "invalid"
        return _check(signature, signed, status, method=method, signer=signer, reason=error)
    accepted = {i.lower() for i in settings.identities}
    if accepted and not {i.lower() for i in _identities(cert)} & accepted:
        return _check(
            signature,
            signed,
            "untrusted",
            method=method,
            signer=signer,
            reason="the certificate names none of the identities [tool.nbsec.signing] accepts",
        )
    return _check(signature, signed, "verified", method=method, signer=signer)


def _chain_error(message: str) -> bool:
    """Did the certificate fail to chain to a trusted authority (rather than the signature or
    the model failing)?"""
    text = message.lower()
    return (
        any(
            marker in text
            for marker in ("certificate", "issuer", "self-signed", "self signed", "chain")
        )
        and "mismatch" not in text
    )


def _run_verify(
    signature: Path,
    signed: Path,
    *,
    key: Path | None = None,
    certificates: list[Path] | None = None,
) -> str | None:
    """``model_signing verify`` of ``signed`` against ``signature``; the one-line failure, or
    ``None`` when it verifies. The hashing settings come from the signed statement (as the
    library guesses them) plus the signature file itself when it lies inside the signed
    directory, as the ``model_signing`` command line ignores it."""
    from model_signing import hashing, verifying

    config = verifying.Config()  # type: ignore[no-untyped-call]
    if key is not None:
        config.use_elliptic_key_verifier(public_key=key)
    else:
        config.use_certificate_verifier(certificate_chain=certificates or [])
    hashing_config = _hashing_config(hashing, signature, signed)
    if hashing_config is not None:
        config.set_hashing_config(hashing_config)
    try:
        # older bundles make the library print a warning on stdout: keep it out of the output
        with contextlib.redirect_stdout(io.StringIO()):
            config.verify(signed, signature)
    except Exception as exc:  # every failure is a failed verification, reported in one line
        return _line(exc)
    return None


def _hashing_config(hashing: Any, signature: Path, signed: Path) -> Any:
    """The hashing configuration the signer used, read from the statement (authenticated by
    the verification that uses it: a changed statement fails the signature check)."""
    try:
        bundle = _read_bundle(signature)
        payload = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
        settings = payload["predicate"]["serialization"]
        method = settings["method"]
        ignore = [Path(p) for p in settings.get("ignore_paths", ())]
        allow_symlinks = bool(settings.get("allow_symlinks", False))
        algorithm = settings["hash_type"]
    except (OSError, ValueError, KeyError, TypeError, binascii.Error):
        return None  # the library's own guess then fails with its own message
    if signed.is_dir():
        with contextlib.suppress(ValueError):  # a signature outside the directory
            ignore.append(signature.resolve().relative_to(signed.resolve()))
    if method == "files":
        config = hashing.Config().use_file_serialization(
            hashing_algorithm=algorithm, allow_symlinks=allow_symlinks, ignore_paths=ignore
        )
    elif method == "shards":
        config = hashing.Config().use_shard_serialization(
            hashing_algorithm=algorithm,
            shard_size=int(settings["shard_size"]),
            allow_symlinks=allow_symlinks,
            ignore_paths=ignore,
        )
    else:
        return None
    return config.set_ignored_paths(paths=ignore, ignore_git_paths=False)


def _resolve(entry: str, base: Path) -> Path:
    path = Path(os.path.expanduser(entry))
    return path if path.is_absolute() else base / path


def _line(exc: BaseException) -> str:
    text = (str(exc).splitlines() or [""])[0].strip()[:300]
    return text or type(exc).__name__
