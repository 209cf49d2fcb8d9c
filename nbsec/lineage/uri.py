"""URLs and paths as lineage identifiers, without the secrets they may carry.

User info (``user:password@``) is removed and every query value is replaced by a short hash
(``?token=h-1a2b3c4d5e6f``): two different queries stay two different datasets, but a token or an
e-mail address in a query string never reaches a record, a ledger or an export.
"""

from __future__ import annotations

import hashlib
import urllib.parse


def clean_url(url: str) -> str:
    try:
        parts = urllib.parse.urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "invalid-url:" + hashlib.sha256(url.encode("utf-8", "replace")).hexdigest()[:16]
    netloc = host + (f":{port}" if port else "")
    query = ""
    if parts.query:
        pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        query = "&".join(f"{urllib.parse.quote(k, safe='')}={_hashed(v)}" for k, v in pairs)
    return urllib.parse.urlunsplit((parts.scheme.lower(), netloc, parts.path, query, ""))


def _hashed(value: str) -> str:
    if not value:
        return ""
    return "h-" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:12]
