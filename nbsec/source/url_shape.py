"""Small, pure questions about URLs, repository ids and file names used by the model-source rules.

Nothing here touches the network; a URL is only taken apart as text. :func:`safe_url` is what the
rules print: user info and query strings (which may carry tokens) are removed.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]{0,95}(/[\w.\-]{1,96})?$")
_URL = re.compile(r"^(?:https?|ftp|s3|gs|hf)://", re.IGNORECASE)


def is_url(text: str) -> bool:
    return bool(_URL.match(text.strip()))


def is_commit(revision: object) -> bool:
    """A full 40-hex commit sha (branches, tags and short shas can move or collide)."""
    return isinstance(revision, str) and bool(_COMMIT.match(revision.strip()))


def safe_url(url: str) -> str:
    """``https://user:token@host/path?sig=...`` -> ``https://host/path`` (for messages)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "<url>"
    host = parts.hostname or ""
    port = f":{parts.port}" if _has_port(parts.netloc) else ""
    return f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else parts.path


def shown(text: str, limit: int = 120) -> str:
    """A source (URL, repo id, path) as nbsec may print it: URL credentials, query strings and
    anything that looks like a secret are removed, so a token pasted into a repo id or a path
    never reaches a message."""
    from nbsec.source.secret_scan import find_secrets, looks_random

    text = text.strip()
    if is_url(text):
        text = safe_url(text)
    elif "@" in text and "://" in text:
        text = re.sub(r"://[^/@\s]*@", "://", text)
    pieces: list[str] = []
    pos = 0
    for hit in find_secrets(text):
        pieces.append(text[pos : hit.start] + "***")
        pos = hit.end
    pieces.append(text[pos:])
    text = "".join(pieces)
    # a ref or path segment that looks like a credential
    text = re.sub(
        r"[^/:@?&=#\s'\"]{20,}",
        lambda m: "***" if looks_random(m.group(0)) else m.group(0),
        text,
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _has_port(netloc: str) -> bool:
    return bool(re.search(r":\d+$", netloc.rsplit("@", 1)[-1]))


def url_path(url: str) -> str:
    try:
        return urlsplit(url.strip()).path
    except ValueError:
        return url


def has_model_extension(name: str, extensions: tuple[str, ...]) -> bool:
    """Does a file name or URL path end with a model / pickle suffix?"""
    lowered = name.lower().rstrip("/")
    return any(lowered.endswith(ext) for ext in extensions)


def looks_local(path: str) -> bool:
    """A local file system path rather than a hub repository id."""
    text = path.strip()
    if not text:
        return True
    if text.startswith(("/", "./", "../", "~", "\\", ".")) or re.match(r"^[A-Za-z]:[\\/]", text):
        return True
    if "\\" in text or text.count("/") > 1:
        return True
    return not _HUB_ID.match(text)


def hub_owner(repo_id: str) -> str | None:
    return repo_id.split("/", 1)[0] if "/" in repo_id else None
