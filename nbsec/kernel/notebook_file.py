"""The notebook file a kernel runs for, when the client says (JupyterLab sets ``__session__``),
and what nbsec left in its ``metadata.nbsec`` last time it was saved."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MAX_NOTEBOOK_BYTES = 64 << 20


def notebook_path(user_ns: Mapping[str, Any]) -> Path | None:
    session = user_ns.get("__session__")
    if isinstance(session, str) and session.endswith(".ipynb"):
        path = Path(session)
        return path if path.is_absolute() else Path.cwd() / path.name
    return None


def saved_metadata(path: Path | None) -> dict[str, Any]:
    """``metadata.nbsec`` of the saved notebook (``{}`` when there is none or it is unreadable:
    nothing in it is trusted beyond its shape)."""
    if path is None:
        return {}
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    meta = data.get("metadata") if isinstance(data, dict) else None
    nbsec = meta.get("nbsec") if isinstance(meta, dict) else None
    return nbsec if isinstance(nbsec, dict) else {}
