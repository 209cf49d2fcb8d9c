"""The CellRecord: what one cell execution read, made, changed and loaded.

A record holds names, paths, URLs, hashes, counts and type names only -- never a data value, a
cell's source text or an exception message (those can hold personal data or secrets). It is the
unit written to the ledger and the input of the lineage graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass
class Access:
    """One read or write of a file or URL. ``uri`` is an absolute path for files or a URL (with
    credentials removed and query values hashed); ``path`` is the local file that was hashed (the
    file itself, or the local copy of a download). ``changed``: the file was changed, replaced or
    removed by someone else after the cell and before nbsec could hash it, so what the cell read
    or wrote has no known hash (``sha256`` is ``None``)."""

    uri: str
    kind: str  # "file" | "url"
    via: str  # "open", "urllib", "socket", "pyarrow.parquet.read_table", ...
    sha256: str | None = None
    size: int | None = None
    partial: bool = False
    path: str | None = None
    changed: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"uri": self.uri, "sha256": self.sha256, "kind": self.kind}
        out["via"] = self.via
        if self.size is not None:
            out["size"] = self.size
        if self.partial:
            out["partial"] = True
        if self.changed:
            out["changed"] = True
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Access:
        return cls(
            uri=str(data["uri"]),
            kind=str(data.get("kind", "file")),
            via=str(data.get("via", "")),
            sha256=data.get("sha256"),
            size=data.get("size"),
            partial=bool(data.get("partial", False)),
            changed=bool(data.get("changed", False)),
        )


class VariableInfo(NamedTuple):
    """What is known about one variable a cell defined or changed: its type name and, for frames
    and arrays, a cheap fingerprint (shape, dtypes, a few sampled values' hash).

    Immutable, so the description of a plain value (its type name only, what most of a cell
    binding 10,000 names gets) is one shared object per type (:meth:`of_type`): 10,000 objects
    kept for the session would make the cyclic garbage collector walk the whole kernel a few
    cells later (35 ms, measured)."""

    type: str
    fingerprint: str | None = None
    shape: tuple[int, ...] | None = None
    columns: tuple[tuple[str, str], ...] | None = None  # (name, dtype) for frames, capped

    @staticmethod
    def of_type(type_name: str) -> VariableInfo:
        """The description of a value known by its type only (shared, see above)."""
        info = _TYPE_ONLY.get(type_name)
        if info is None:
            if len(_TYPE_ONLY) >= 4096:
                _TYPE_ONLY.clear()
            info = _TYPE_ONLY[type_name] = VariableInfo(type_name)
        return info

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.fingerprint is not None:
            out["fingerprint"] = self.fingerprint
        if self.shape is not None:
            out["shape"] = list(self.shape)
        if self.columns is not None:
            out["columns"] = [{"name": n, "type": t} for n, t in self.columns]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VariableInfo:
        shape = data.get("shape")
        columns = data.get("columns")
        return cls(
            type=str(data.get("type", "")),
            fingerprint=data.get("fingerprint"),
            shape=tuple(int(x) for x in shape) if shape is not None else None,
            columns=tuple((str(c["name"]), str(c["type"])) for c in columns)
            if columns is not None
            else None,
        )


_TYPE_ONLY: dict[str, VariableInfo] = {}


@dataclass
class CellRecord:
    """One execution of one cell.

    ``defines`` are names bound by the cell (new or rebound); ``rebound`` is the subset that
    existed before; ``mutated`` are names whose object was changed in place (same identity, new
    fingerprint or a store through a subscript / attribute); ``uses`` are names of earlier
    variables the cell read (including globals read by user functions it called)."""

    execution_count: int | None
    source_sha256: str
    cell_index: int | None = None
    cell_id: str | None = None
    session_id: str | None = None
    seq: int = 0
    started: str = ""
    duration_ms: float = 0.0
    defines: list[str] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)
    rebound: list[str] = field(default_factory=list)
    mutated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    variables: dict[str, VariableInfo] = field(default_factory=dict)
    reads: list[Access] = field(default_factory=list)
    writes: list[Access] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    unobserved: list[str] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # exception type name only, never its message
    magic_only: bool = False  # every line a line magic (%load_ext, %nbsec, %matplotlib, ...)

    @property
    def empty(self) -> bool:
        """Nothing read, written, loaded, made, changed, used or removed."""
        return not (
            self.reads or self.writes or self.models or self.defines or self.mutated
            or self.uses or self.deleted
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"magic_only": True} if self.magic_only else {}
        return extra | {
            "cell_index": self.cell_index,
            "cell_id": self.cell_id,
            "execution_count": self.execution_count,
            "source_sha256": self.source_sha256,
            "session_id": self.session_id,
            "seq": self.seq,
            "started": self.started,
            "duration_ms": round(self.duration_ms, 3),
            "defines": list(self.defines),
            "uses": list(self.uses),
            "rebound": list(self.rebound),
            "mutated": list(self.mutated),
            "deleted": list(self.deleted),
            "imports": list(self.imports),
            "variables": {k: v.to_dict() for k, v in self.variables.items()},
            "reads": [a.to_dict() for a in self.reads],
            "writes": [a.to_dict() for a in self.writes],
            "models": [dict(m) for m in self.models],
            "unobserved": list(self.unobserved),
            "findings": [dict(f) for f in self.findings],
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CellRecord:
        def names(key: str) -> list[str]:
            return [str(x) for x in data.get(key) or []]

        return cls(
            execution_count=data.get("execution_count"),
            source_sha256=str(data.get("source_sha256", "")),
            cell_index=data.get("cell_index"),
            cell_id=data.get("cell_id"),
            session_id=data.get("session_id"),
            seq=int(data.get("seq", 0)),
            started=str(data.get("started", "")),
            duration_ms=float(data.get("duration_ms", 0.0)),
            defines=names("defines"),
            uses=names("uses"),
            rebound=names("rebound"),
            mutated=names("mutated"),
            deleted=names("deleted"),
            imports=names("imports"),
            variables={
                str(k): VariableInfo.from_dict(v) for k, v in (data.get("variables") or {}).items()
            },
            reads=[Access.from_dict(a) for a in data.get("reads") or []],
            writes=[Access.from_dict(a) for a in data.get("writes") or []],
            models=[dict(m) for m in data.get("models") or []],
            unobserved=names("unobserved"),
            findings=[dict(f) for f in data.get("findings") or []],
            error=data.get("error"),
            magic_only=bool(data.get("magic_only", False)),
        )
