"""Which cell of a saved notebook an execution came from.

Frontends like JupyterLab send a cell id with each execution; nbclient and most batch runners
send none. The tracker then matches the SHA-256 of the source the kernel received against the
saved notebook's cells, preferring the next matching cell after the previous one (batch runs go
top to bottom; identical cells are told apart by position). The notebook is read as plain JSON,
re-read only when its ``mtime`` changes.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


def source_sha256(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


class NotebookCells:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime: int | None = None
        self._by_id: dict[str, int] = {}
        self._by_hash: dict[str, list[int]] = {}

    def _refresh(self) -> None:
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except OSError:
            return
        if mtime == self._mtime:
            return
        self._mtime = mtime
        self._by_id, self._by_hash = {}, {}
        try:
            with open(self.path, encoding="utf-8") as fh:
                cells = json.load(fh).get("cells", [])
        except (OSError, ValueError, AttributeError):
            return
        for index, cell in enumerate(cells if isinstance(cells, list) else []):
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            text = "".join(source) if isinstance(source, list) else str(source)
            if isinstance(cell.get("id"), str):
                self._by_id[cell["id"]] = index
            self._by_hash.setdefault(source_sha256(text), []).append(index)

    def index_for(self, cell_id: str | None, sha256: str, after: int | None) -> int | None:
        self._refresh()  # one stat; the file is re-read only when it was saved since
        if cell_id and cell_id in self._by_id:
            return self._by_id[cell_id]
        candidates = self._by_hash.get(sha256, [])
        if not candidates:
            return None
        if after is not None:
            for index in candidates:
                if index > after:
                    return index
        return candidates[0]

    def id_for(self, index: int) -> str | None:
        for cell_id, i in self._by_id.items():
            if i == index:
                return cell_id
        return None
