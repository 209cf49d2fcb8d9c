"""Evidence that shows what kind of value was found, never the value.

Every finding, report, SARIF file, log line, ledger record and panel message goes through these
functions. Personal data keeps its *shape* (separators, which characters were digits or letters,
the top-level domain of an e-mail) with the characters themselves replaced; long runs are capped
so the length of a value is not given away either. Secrets are never shown at all: a short,
truncated SHA-256 lets a reviewer tell two findings of the same secret apart and match a baseline.
"""

from __future__ import annotations

import hashlib
import re

_MAX_RUN = 6
_MAX_LEN = 48
_EMAIL = re.compile(r"^([^@\s]+)@([^@\s]+)$")


def _mask_run(run: str, keep_first: bool) -> str:
    n = min(len(run), _MAX_RUN)
    if keep_first and run[0].isalpha():
        return run[0] + "*" * max(n - 1, 2)
    return "*" * max(n, 1)


def mask(value: object, entity: str | None = None) -> str:
    """Mask one value found to hold ``entity`` (a presidio entity name, or ``None``).

    >>> mask("john.doe@example.com", "EMAIL_ADDRESS")
    'j***@e***.com'
    >>> mask("123-45-6789", "US_SSN")
    '***-**-****'
    >>> mask("Jane Smith", "PERSON")
    'J*** S****'
    """
    text = str(value).strip()
    if not text:
        return ""
    if entity == "EMAIL_ADDRESS" or (entity is None and _EMAIL.match(text)):
        match = _EMAIL.match(text)
        if match:
            local, domain = match.groups()
            tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
            tld = tld if tld.isalpha() and len(tld) <= 6 else "***"
            return f"{local[0]}***@{domain[0]}***.{tld}"
    keep_first = entity in {"PERSON", "LOCATION", "NRP", "ADDRESS", "ORGANIZATION"}
    out: list[str] = []
    for run in re.findall(r"[A-Za-z\u00C0-\uFFFF]+|\d+|[^A-Za-z\d\u00C0-\uFFFF]+", text):
        if run[0].isalnum():
            out.append(_mask_run(run, keep_first))
        else:
            out.append(run[:3])
        if sum(len(part) for part in out) >= _MAX_LEN:
            out.append("…")
            break
    return "".join(out)


def secret_hash(secret: str) -> str:
    """A stable, truncated hash that identifies a secret without revealing it."""
    digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest[:16]}"


def secret_evidence(secret: str, kind: str) -> str:
    """Evidence for a secret finding: its kind, length bucket and hash, never characters."""
    return f"{kind} ({secret_hash(secret)})"
