"""The notebook model: a saved ``.ipynb`` parsed once into cells, outputs and every text it keeps.

The file is decoded as UTF-8 JSON (as Jupyter reads it) and checked for the shape of nbformat 4,
the format every Jupyter since 2015 writes (older formats are upgraded in memory, as Jupyter
upgrades them when it opens one); nothing in it is imported, executed or rendered.
Every place a notebook keeps text becomes a :class:`TextSite` with a stable address:

* cell sources (code, markdown, raw);
* outputs: stream text; each MIME type of ``execute_result`` / ``display_data`` whose payload is
  text (``text/*``, SVG, JavaScript, any custom MIME type holding text or base64 of text); the
  strings and keys inside JSON payloads (``application/json``, ``*+json``, widget views); the
  ``ename``, ``evalue`` and ``traceback`` of errors, with terminal colour codes removed;
* attachments: their names, and the decoded payload of textual attachments (``text/*``, JSON,
  SVG); images are never searched;
* cell metadata and notebook metadata, including saved widget state (``metadata.widgets``).

A site's text is made of :class:`Piece`\\ s, each the address (a path of keys and indexes from the
top of the notebook JSON, shown as a JSON pointer) of the string it came from, so a hit found at
offset ``i`` of a text can be traced back to one string in the file and masked there
(:mod:`nbsec.source.redaction`). Outputs that nbsec itself wrote (they carry
``application/vnd.nbsec.findings+json``) are marked as nbsec's, so the scanner reads them back as
findings instead of as data.

Reading is bounded: integers longer than :data:`MAX_INT_DIGITS` digits are kept as text (Python
refuses to convert them, and converting them is quadratic), nesting is walked without recursion,
and the file size is capped (:class:`NotebookLimits`). A file that is not a notebook raises
:class:`~nbsec.errors.InputError` with one line naming the file; a notebook that is a notebook but
has malformed parts is still read (every string in a malformed part is still searched) and the
first problem is kept in :attr:`Notebook.problems`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nbsec.errors import InputError

NotebookPath = tuple[str | int, ...]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
# MIME types whose payload is binary (base64): never searched, kept as they are by redaction
BINARY_MIME_PREFIXES = ("image/", "audio/", "video/", "font/")
TEXTUAL_IMAGE_TYPES = frozenset({"image/svg+xml"})
BINARY_MIME_TYPES = frozenset(
    {"application/pdf", "application/octet-stream", "application/zip", "application/gzip"}
)
NBSEC_MIME_TYPE = "application/vnd.nbsec.findings+json"
MAX_INT_DIGITS = 4000
_BASE64_TEXT = re.compile(r"^[A-Za-z0-9+/=\s]{8,}$")


@dataclass(frozen=True)
class NotebookLimits:
    """Bounds that keep the time and memory of one notebook's scan in check."""

    max_file_bytes: int = 256 * 1024 * 1024
    # code cells longer than this are checked as text only (secrets), never parsed into an AST
    max_code_chars: int = 200_000
    # strings taken from one JSON payload or metadata tree
    max_json_strings: int = 500_000


DEFAULT_LIMITS = NotebookLimits()


def limits_for(policy: Any) -> NotebookLimits:
    """The limits a policy's ``[tool.nbsec.scan]`` sets."""
    scan = getattr(policy, "scan", None)
    if scan is None:
        return DEFAULT_LIMITS
    return NotebookLimits(
        max_file_bytes=int(scan.max_file_mb) * 1024 * 1024,
        max_code_chars=int(scan.max_cell_chars),
    )


class _BigNumber(str):
    """An integer literal with more digits than :data:`MAX_INT_DIGITS`, kept as its digits."""


def _parse_int(digits: str) -> int | str:
    return int(digits) if len(digits) <= MAX_INT_DIGITS else _BigNumber(digits)


def is_big_number(value: object) -> bool:
    return isinstance(value, _BigNumber)


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour / cursor escape sequences (IPython colours tracebacks)."""
    return _ANSI.sub("", text) if "\x1b" in text else text


def strip_ansi_map(text: str) -> tuple[str, list[int]]:
    """``text`` without escape sequences, and for each kept character its index in ``text``."""
    kept: list[str] = []
    index: list[int] = []
    pos = 0
    for match in _ANSI.finditer(text):
        kept.append(text[pos : match.start()])
        index.extend(range(pos, match.start()))
        pos = match.end()
    kept.append(text[pos:])
    index.extend(range(pos, len(text)))
    return "".join(kept), index


def json_pointer(path: NotebookPath) -> str:
    """RFC 6901 pointer of ``path`` (``/cells/3/outputs/0/data/text~1html``)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def multiline(value: Any) -> str | None:
    """nbformat stores multi-line strings either as one string or as a list of lines."""
    if isinstance(value, str) and not is_big_number(value):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return None


@dataclass(frozen=True)
class Piece:
    """``text[start:end]`` of a :class:`TextSite` is the string stored at ``path`` (or, when
    ``is_key``, the name of the key at ``path``). ``ansi``: escape codes were removed from it."""

    start: int
    end: int
    path: NotebookPath
    is_key: bool = False
    ansi: bool = False


@dataclass(frozen=True)
class TextSite:
    """One searchable text of the notebook and where it is stored.

    ``kind``: ``source``, ``stream``, a MIME type, ``error``, ``attachment``, ``attachment-name``
    or ``metadata``. ``codec`` is ``"base64"`` when the stored string is this text base64-encoded.
    ``lines_are_real`` is False for texts joined from several strings, whose line numbers do not
    point into the saved file. ``nbsec`` marks the texts of an output nbsec wrote."""

    kind: str
    text: str
    pieces: tuple[Piece, ...]
    cell_index: int | None = None
    output_index: int | None = None
    cell_type: str | None = None
    lines_are_real: bool = True
    codec: str | None = None
    nbsec: bool = False
    # a text decoded from part of another text (a data: URI): its one piece is that part
    container: TextSite | None = None

    @property
    def path(self) -> NotebookPath:
        return self.pieces[0].path if self.pieces else ()

    @property
    def pointer(self) -> str:
        return json_pointer(self.path)

    @property
    def is_code(self) -> bool:
        return self.kind == "source" and self.cell_type == "code"

    def piece_at(self, offset: int) -> Piece | None:
        """The piece that holds ``text[offset]`` (``None`` for a separator or an empty site)."""
        lo, hi = 0, len(self.pieces) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            piece = self.pieces[mid]
            if offset < piece.start:
                hi = mid - 1
            elif offset >= piece.end:
                lo = mid + 1
            else:
                return piece
        return None

    def place(self, offset: int | None = None) -> str:
        """Where this text (or the string holding ``text[offset]``) is, for people:
        ``cell 4 output 2 (text/html)``, ``notebook metadata (widgets/.../value)``; cells and
        outputs are counted from 1."""
        if self.container is not None:
            return f"{self.container.place()}, data URI ({self.kind})"
        piece = self.piece_at(offset) if offset is not None else None
        path = piece.path if piece is not None else self.path
        if self.cell_index is None:
            inner = path[1:] if path[:1] == ("metadata",) else path
            return f"notebook metadata ({json_pointer(inner).lstrip('/') or '.'})"
        if self.kind in ("metadata", "output-metadata"):
            cut = path.index("metadata") + 1 if "metadata" in path else len(path)
            inner_path = json_pointer(path[cut:]).lstrip("/")
            owner = f"cell {self.cell_index + 1}"
            if self.output_index is not None:
                owner += f" output {self.output_index + 1}"
            return f"{owner} metadata ({inner_path or '.'})"
        where = f"cell {self.cell_index + 1}"
        if self.output_index is not None:
            return f"{where} output {self.output_index + 1} ({self.kind})"
        if self.kind == "source":
            return where
        return f"{where} {self.kind}"


@dataclass(frozen=True)
class Output:
    index: int
    output_type: str
    sites: tuple[TextSite, ...]
    mime_types: tuple[str, ...] = ()
    # the decoded application/vnd.nbsec.findings+json payload when nbsec wrote this output
    nbsec_payload: Any = None

    def text_of(self, kind: str) -> str | None:
        for site in self.sites:
            if site.kind == kind:
                return site.text
        return None

    @property
    def is_nbsec(self) -> bool:
        return self.nbsec_payload is not None


@dataclass(frozen=True)
class Cell:
    index: int
    cell_type: str
    source: str
    id: str | None = None
    execution_count: int | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    outputs: tuple[Output, ...] = ()
    attachments: tuple[tuple[str, str], ...] = ()  # (file name, MIME type)
    # sources, attachments and metadata (outputs keep their own sites)
    sites: tuple[TextSite, ...] = ()

    @property
    def source_site(self) -> TextSite | None:
        return next((s for s in self.sites if s.kind == "source"), None)


@dataclass(frozen=True)
class Notebook:
    path: str
    cells: tuple[Cell, ...]
    metadata: Mapping[str, Any]
    nbformat: int
    nbformat_minor: int
    # the decoded JSON document (redaction edits it); every site's pieces point into it
    document: dict[str, Any] = field(default_factory=dict, repr=False)
    sites: tuple[TextSite, ...] = ()  # notebook metadata
    problems: tuple[str, ...] = ()
    # places the scanner could not search in full (limits reached)
    skipped: tuple[str, ...] = ()

    @property
    def language(self) -> str:
        """The kernel language (``python`` unless the metadata says otherwise)."""
        info = self.metadata.get("language_info")
        if isinstance(info, Mapping) and isinstance(info.get("name"), str):
            return str(info["name"]).lower()
        spec = self.metadata.get("kernelspec")
        if isinstance(spec, Mapping) and isinstance(spec.get("language"), str):
            return str(spec["language"]).lower()
        return "python"

    def code_cells(self) -> Iterator[Cell]:
        return (c for c in self.cells if c.cell_type == "code")

    def all_sites(self) -> Iterator[TextSite]:
        """Every text of the notebook: metadata first, then each cell and its outputs in order."""
        yield from self.sites
        for cell in self.cells:
            yield from cell.sites
            for output in cell.outputs:
                yield from output.sites


# -- building sites ---------------------------------------------------------------------------


class _Builder:
    """Collects sites and problems while one notebook is read."""

    def __init__(self, limits: NotebookLimits) -> None:
        self.limits = limits
        self.problems: list[str] = []
        self.skipped: list[str] = []

    def problem(self, text: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(text)

    def text(
        self,
        kind: str,
        value: Any,
        path: NotebookPath,
        *,
        ansi: bool = False,
        codec: str | None = None,
        **where: Any,
    ) -> TextSite | None:
        text = multiline(value)
        if text is None:
            return None
        if codec == "base64":
            decoded = _decode_base64_text(text)
            if decoded is None:
                return None
            piece = Piece(0, len(decoded), path)
            return TextSite(kind, decoded, (piece,), codec=codec, lines_are_real=False, **where)
        stripped = strip_ansi(text) if ansi else text
        piece = Piece(0, len(stripped), path, ansi=ansi and stripped is not text)
        return TextSite(kind, stripped, (piece,), **where)

    def joined(
        self,
        kind: str,
        parts: list[tuple[str, NotebookPath, bool, bool]],
        **where: Any,
    ) -> TextSite | None:
        """One text from several strings (``(text, path, is_key, ansi)``), one per line."""
        chunks: list[str] = []
        pieces: list[Piece] = []
        pos = 0
        previous: tuple[str, NotebookPath, bool, bool] | None = None
        for text, path, is_key, ansi in parts:
            if pieces:
                # a key and its string value read as "key: value", so the keyword rules see
                # which name a value belongs to
                own_value = previous is not None and previous[2] and previous[1] == path
                sep = ": " if own_value and not is_key else "\n"
                chunks.append(sep)
                pos += len(sep)
            chunks.append(text)
            pieces.append(Piece(pos, pos + len(text), path, is_key=is_key, ansi=ansi))
            pos += len(text)
            previous = (text, path, is_key, ansi)
        if not pieces:
            return None
        return TextSite(kind, "".join(chunks), tuple(pieces), lines_are_real=False, **where)

    def json_strings(
        self, value: Any, path: NotebookPath, *, min_length: int = 1
    ) -> list[tuple[str, NotebookPath, bool, bool]]:
        """Every string and key inside a decoded JSON value, in document order, with its path."""
        out: list[tuple[str, NotebookPath, bool, bool]] = []
        stack: list[tuple[Any, NotebookPath]] = [(value, path)]
        limit = self.limits.max_json_strings
        while stack:
            item, where = stack.pop()
            if isinstance(item, str):
                if not is_big_number(item) and len(item) >= min_length:
                    out.append((item, where, False, False))
            elif isinstance(item, Mapping):
                children = list(item.items())
                for key, sub in reversed(children):
                    stack.append((sub, (*where, key)))
                    if isinstance(key, str) and len(key) >= min_length:
                        stack.append((_KeyMarker(key), (*where, key)))
            elif isinstance(item, _KeyMarker):
                out.append((item.name, where, True, False))
            elif isinstance(item, list):
                stack.extend((sub, (*where, i)) for i, sub in reversed(list(enumerate(item))))
            if len(out) >= limit:
                self.skipped.append(f"{json_pointer(path)}: more than {limit} strings")
                break
        return out


@dataclass(frozen=True)
class _KeyMarker:
    name: str


def _decode_base64_text(text: str) -> str | None:
    """The UTF-8 text a base64 string holds, or ``None`` if it holds something else."""
    compact = "".join(text.split())
    if not compact or not _BASE64_TEXT.match(compact[:64]):
        return None
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    if b"\x00" in raw[:4096]:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def is_binary_mime(mime: str) -> bool:
    lowered = mime.lower()
    if lowered in TEXTUAL_IMAGE_TYPES:
        return False
    return lowered.startswith(BINARY_MIME_PREFIXES) or lowered in BINARY_MIME_TYPES


def is_json_mime(mime: str) -> bool:
    return mime.lower().split(";")[0].split("+")[-1].endswith("json")


def is_text_mime(mime: str) -> bool:
    lowered = mime.lower()
    return (
        lowered.startswith("text/")
        or lowered in TEXTUAL_IMAGE_TYPES
        or lowered
        in ("application/javascript", "application/xml", "application/x-latex", "application/sql")
    )


def _mime_site(
    b: _Builder, mime: str, payload: Any, path: NotebookPath, **where: Any
) -> TextSite | None:
    """The site of one MIME bundle entry (``None`` for images and other binary data)."""
    if is_binary_mime(mime):
        return None
    if isinstance(payload, dict | list) and not (
        isinstance(payload, list) and all(isinstance(x, str) for x in payload)
    ):
        return b.joined(mime, b.json_strings(payload, path), **where)
    text = multiline(payload)
    if text is None:
        if payload is not None and not isinstance(payload, bool | int | float):
            b.problem(f"{json_pointer(path)} is not text")
            return b.joined(mime, b.json_strings(payload, path), **where)
        return None
    if is_json_mime(mime):
        # a JSON MIME type stored as a string (older writers): search the string as it is
        return b.text(mime, payload, path, **where)
    if not is_text_mime(mime):
        # custom MIME types: base64 of text is decoded; anything else is searched as text
        decoded = b.text(mime, payload, path, codec="base64", **where)
        if decoded is not None:
            return decoded
    return b.text(mime, payload, path, ansi=mime == "text/plain", **where)


_OUTPUT_TYPES = ("stream", "execute_result", "display_data", "update_display_data", "error")


def _parse_output(b: _Builder, cell: int, index: int, raw: Any, path: NotebookPath) -> Output:
    where: dict[str, Any] = {"cell_index": cell, "output_index": index, "cell_type": "code"}
    if not isinstance(raw, Mapping):
        b.problem(f"cell {cell + 1} output {index + 1} is not an object")
        site = b.joined("output", b.json_strings(raw, path), **where)
        return Output(index, "unknown", (site,) if site else ())
    kind = raw.get("output_type")
    sites: list[TextSite | None] = []
    mimes: list[str] = []
    nbsec_payload: Any = None
    known: set[str] = {"output_type", "metadata", "execution_count", "transient"}
    if kind == "stream":
        known |= {"name", "text"}
        text = raw.get("text", "")
        if multiline(text) is None:
            b.problem(f"cell {cell + 1} output {index + 1} has a stream text that is not text")
            sites.append(b.joined("stream", b.json_strings(text, (*path, "text")), **where))
        else:
            sites.append(b.text("stream", text, (*path, "text"), ansi=True, **where))
    elif kind in ("execute_result", "display_data", "update_display_data"):
        known.add("data")
        data = raw.get("data", {})
        if not isinstance(data, Mapping):
            b.problem(f"cell {cell + 1} output {index + 1} has a 'data' that is not an object")
            data = {}
        payload = data.get(NBSEC_MIME_TYPE)
        if isinstance(payload, Mapping):
            nbsec_payload = payload
        for mime, value in data.items():
            mimes.append(str(mime))
            site = _mime_site(b, str(mime), value, (*path, "data", mime), **where)
            if site is not None and nbsec_payload is not None:
                site = replace(site, nbsec=True)
            sites.append(site)
    elif kind == "error":
        known |= {"ename", "evalue", "traceback"}
        parts: list[tuple[str, NotebookPath, bool, bool]] = []
        traceback = raw.get("traceback", [])
        if isinstance(traceback, list):
            for k, entry in enumerate(traceback):
                if isinstance(entry, str):
                    clean = strip_ansi(entry)
                    parts.append((clean, (*path, "traceback", k), False, clean is not entry))
        for name in ("ename", "evalue"):
            value = raw.get(name)
            if isinstance(value, str) and not is_big_number(value):
                clean = strip_ansi(value)
                parts.append((clean, (*path, name), False, clean is not value))
        site = b.joined("error", parts, **where)
        # Jupyter shows the traceback entries joined by newlines: line n of this text is the
        # n-th line shown
        sites.append(replace(site, lines_are_real=True) if site else None)
    else:
        b.problem(f"cell {cell + 1} output {index + 1} has an unknown output_type {kind!r}")
        known = set()
    # anything else an output holds (unknown keys, output metadata) is searched as JSON
    extra = {k: v for k, v in raw.items() if k not in known or k == "metadata"}
    extra.pop("output_type", None)
    for key, value in extra.items():
        strings = b.json_strings(value, (*path, key), min_length=4)
        sites.append(
            b.joined("output-metadata" if key == "metadata" else "output", strings, **where)
        )
    return Output(
        index=index,
        output_type=str(kind),
        sites=tuple(s for s in sites if s is not None and s.text),
        mime_types=tuple(mimes),
        nbsec_payload=nbsec_payload,
    )


def _attachment_sites(
    b: _Builder, index: int, raw: Any, path: NotebookPath, cell_type: str
) -> tuple[list[TextSite], list[tuple[str, str]]]:
    where: dict[str, Any] = {"cell_index": index, "cell_type": cell_type}
    sites: list[TextSite] = []
    names: list[tuple[str, str]] = []
    if not isinstance(raw, Mapping):
        b.problem(f"cell {index + 1} has attachments that are not an object")
        return sites, names
    name_parts = [(str(n), (*path, str(n)), True, False) for n in raw]
    name_site = b.joined("attachment-name", name_parts, **where)
    if name_site is not None:
        sites.append(name_site)
    for name, bundle in raw.items():
        if not isinstance(bundle, Mapping):
            b.problem(f"cell {index + 1} attachment {name!r} is not a MIME bundle")
            continue
        names.append((str(name), str(next(iter(bundle), ""))))
        for mime, payload in bundle.items():
            mime = str(mime)
            if is_binary_mime(mime) or not isinstance(payload, str | list):
                continue
            site = b.text("attachment", payload, (*path, name, mime), codec="base64", **where)
            if site is None and is_text_mime(mime):
                site = b.text("attachment", payload, (*path, name, mime), **where)
            if site is not None:
                sites.append(site)
    return sites, names


_CELL_TYPES = ("code", "markdown", "raw")


def _parse_cell(b: _Builder, index: int, raw: Any) -> Cell:
    path: NotebookPath = ("cells", index)
    if not isinstance(raw, Mapping):
        b.problem(f"cell {index + 1} is not an object")
        site = b.joined("cell", b.json_strings(raw, path), cell_index=index)
        return Cell(index=index, cell_type="unknown", source="", sites=(site,) if site else ())
    cell_type = raw.get("cell_type")
    if cell_type not in _CELL_TYPES:
        b.problem(f"cell {index + 1} has an unknown cell_type {str(cell_type)[:40]!r}")
        cell_type = "unknown"
    source = multiline(raw.get("source", ""))
    sites: list[TextSite] = []
    if source is None:
        b.problem(f"cell {index + 1} has a malformed source")
        source = ""
        strings = b.json_strings(raw.get("source"), (*path, "source"))
        site = b.joined("source", strings, cell_index=index, cell_type=str(cell_type))
    else:
        site = b.text("source", source, (*path, "source"), cell_index=index, cell_type=cell_type)
    if site is not None:
        sites.append(site)
    metadata = raw.get("metadata", {})
    if not isinstance(metadata, Mapping):
        b.problem(f"cell {index + 1} has metadata that is not an object")
        metadata = {}
    meta_strings = b.json_strings(_without_own_record(metadata), (*path, "metadata"), min_length=4)
    meta_site = b.joined("metadata", meta_strings, cell_index=index, cell_type=str(cell_type))
    if meta_site is not None:
        sites.append(meta_site)
    outputs: list[Output] = []
    raw_outputs = raw.get("outputs", [])
    if not isinstance(raw_outputs, list):
        b.problem(f"cell {index + 1} has outputs that are not a list")
        raw_outputs = []
    elif raw_outputs and cell_type != "code":
        b.problem(f"cell {index + 1} is a {cell_type} cell with outputs")
    for j, out in enumerate(raw_outputs):
        outputs.append(_parse_output(b, index, j, out, (*path, "outputs", j)))
    attachment_sites, attachments = _attachment_sites(
        b, index, raw.get("attachments", {}), (*path, "attachments"), str(cell_type)
    )
    sites.extend(attachment_sites)
    # keys a cell should not have are searched too
    for key, value in raw.items():
        if key not in _CELL_KEYS:
            strings = b.json_strings(value, (*path, key), min_length=4)
            extra = b.joined("cell", strings, cell_index=index, cell_type=str(cell_type))
            if extra is not None:
                sites.append(extra)
    cell_id = raw.get("id")
    count = raw.get("execution_count")
    return Cell(
        index=index,
        cell_type=str(cell_type),
        source=source,
        id=cell_id if isinstance(cell_id, str) and not is_big_number(cell_id) else None,
        execution_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        metadata=metadata,
        outputs=tuple(outputs),
        attachments=tuple(attachments),
        sites=tuple(s for s in sites if s.text),
    )


# what nbsec itself writes into ``metadata.nbsec``: masked evidence, fingerprints, hashes, cell ids,
# redaction records, counts, the ledger anchor, and the governance statements made with
# ``%nbsec meta`` on purpose; other keys there (model and data-source lists, waiver reasons, keys
# nbsec does not write) are searched like any metadata
_OWN_RECORD_KEYS = frozenset(
    {"v", "counts", "findings", "rules", "frames_with_pii", "ledger", "redactions", "governance"}
)


def _without_own_record(metadata: Mapping[str, Any]) -> Mapping[str, Any]:
    """Metadata without nbsec's own record, which is never read back as the notebook's data (an
    eight-digit cell id copied into a redaction record is no phone number)."""
    own = metadata.get("nbsec")
    if not isinstance(own, Mapping):
        return metadata
    kept = {key: value for key, value in own.items() if key not in _OWN_RECORD_KEYS}
    return {**metadata, "nbsec": kept}


_CELL_KEYS = frozenset(
    {"cell_type", "id", "metadata", "source", "outputs", "execution_count", "attachments"}
)


def decode_document(text: str | bytes, path: str = "<notebook>") -> dict[str, Any]:
    """The JSON object of a notebook file, decoded as Jupyter decodes it (UTF-8, then JSON),
    with over-long integers kept as text. Raises :class:`InputError` naming ``path``."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{path}: not a notebook: not UTF-8") from None
    try:
        data = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: not a notebook: invalid JSON: {exc.msg} (line {exc.lineno})"
        ) from None
    except (RecursionError, MemoryError):
        raise InputError(f"{path}: not a notebook: JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a notebook: no 'cells' list at the top level")
    document: dict[str, Any] = data
    major = document.get("nbformat")
    if major in _OLD_MAJORS and not isinstance(major, bool) and "cells" not in document:
        document = _upgrade(document, path)
        major = document["nbformat"]
    version_4 = isinstance(major, int) and not isinstance(major, bool) and major == 4
    # an nbformat-4 document whose cells are missing or not a list is still read (Jupyter reads
    # it too, validation aside): the problem is reported and everything else is scanned
    if not isinstance(document.get("cells"), list) and not version_4:
        raise InputError(f"{path}: not a notebook: no 'cells' list at the top level")
    if not version_4:
        shown = f"{str(major)[:20]}..." if is_big_number(major) else repr(major)
        raise InputError(f"{path}: unsupported notebook format {shown} (nbsec reads nbformat 4)")
    return document


# the formats before 4 that Jupyter still opens by upgrading them in memory
_OLD_MAJORS = (1, 2, 3)


def _upgrade(data: dict[str, Any], path: str) -> dict[str, Any]:
    """An nbformat 1-3 document upgraded to nbformat 4.4 as Jupyter upgrades it when it opens
    one, so a scan reads what a reader of the file sees (and a redacted copy is saved as
    Jupyter would save it). The cell ids the upgrade invents are dropped: they would change
    from run to run."""
    from nbformat import converter, from_dict

    try:
        upgraded = converter.convert(from_dict(data), 4)  # type: ignore[no-untyped-call]
        document = json.loads(json.dumps(upgraded), parse_int=_parse_int)
    except (RecursionError, MemoryError):
        raise InputError(f"{path}: not a notebook: JSON nested too deeply") from None
    except Exception as exc:  # any failure of the upgrade is a malformed input
        # the exception's type only: its text may quote the file
        raise InputError(
            f"{path}: not a notebook: nbformat {data['nbformat']} document that cannot be "
            f"upgraded ({type(exc).__name__})"
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise InputError(f"{path}: not a notebook: nbformat {data['nbformat']} without cells")
    document["nbformat"], document["nbformat_minor"] = 4, 4
    for cell in document["cells"]:
        if isinstance(cell, dict):
            cell.pop("id", None)
    return document


def parse_document(
    data: dict[str, Any], path: str = "<notebook>", limits: NotebookLimits = DEFAULT_LIMITS
) -> Notebook:
    """The notebook model of an already decoded document (see :func:`decode_document`)."""
    b = _Builder(limits)
    metadata = data.get("metadata", {})
    if not isinstance(metadata, Mapping):
        b.problem("the notebook metadata is not an object")
        metadata = {}
    meta_site = b.joined(
        "metadata", b.json_strings(_without_own_record(metadata), ("metadata",), min_length=4)
    )
    raw_cells = data.get("cells")
    if not isinstance(raw_cells, list):
        b.problem("the notebook has no 'cells' list")
        raw_cells = []
    cells = tuple(_parse_cell(b, i, raw) for i, raw in enumerate(raw_cells))
    known = (
        "metadata",
        "nbformat",
        "nbformat_minor",
        *(("cells",) if raw_cells is data.get("cells") else ()),
    )
    top_extra = [
        b.joined("notebook", b.json_strings(value, (key,), min_length=4))
        for key, value in data.items()
        if key not in known
    ]
    minor = data.get("nbformat_minor", 0)
    return Notebook(
        path=path,
        cells=cells,
        metadata=metadata,
        nbformat=4,
        nbformat_minor=minor if isinstance(minor, int) and not isinstance(minor, bool) else 0,
        document=data,
        sites=tuple(s for s in (meta_site, *top_extra) if s is not None and s.text),
        problems=tuple(b.problems),
        skipped=tuple(b.skipped),
    )


def parse_notebook(
    text: str | bytes, path: str = "<notebook>", limits: NotebookLimits = DEFAULT_LIMITS
) -> Notebook:
    """Parse the JSON text of a notebook. Raises :class:`InputError` naming ``path``."""
    return parse_document(decode_document(text, path), path, limits)


def read_notebook_bytes(
    path: str | os.PathLike[str], limits: NotebookLimits = DEFAULT_LIMITS
) -> bytes:
    """The bytes of a notebook file, refusing files above ``limits.max_file_bytes``."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > limits.max_file_bytes:
            raise InputError(
                f"{file}: too large to scan ({size // (1024 * 1024)} MiB; "
                f"the limit is {limits.max_file_bytes // (1024 * 1024)} MiB)"
            )
        return file.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{file}: is a directory, not a notebook") from None
    except OSError as exc:
        raise InputError(f"{file}: cannot read ({exc.strerror or exc})") from None


def load_notebook(
    path: str | os.PathLike[str], limits: NotebookLimits = DEFAULT_LIMITS
) -> Notebook:
    """Read and parse the notebook at ``path`` (never executed, never copied)."""
    return parse_notebook(read_notebook_bytes(path, limits), str(path), limits)
