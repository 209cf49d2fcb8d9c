"""The notebook model: a saved ``.ipynb`` parsed once into cells, outputs and metadata.

The file is read as JSON and checked for the shape of nbformat 4 (the format every Jupyter since
2015 writes); nothing in it is imported, executed or rendered. Every check of the static scanner
works on this model, so each piece of text is decoded once and carries its location:

* :class:`Cell` — ``index`` (0-based), ``id``, ``cell_type`` (code, markdown, raw), ``source``,
  ``execution_count``, ``metadata``, ``attachments`` (names and MIME types only: the base64 payloads
  are images and are never searched) and ``outputs``;
* :class:`Output` — ``index`` within the cell, ``output_type`` and the texts it shows: stream text,
  ``text/plain`` / ``text/html`` / ``text/markdown`` / ``text/latex``, the decoded string values of
  ``application/json`` (so secrets escaped in the JSON file are seen as they are), and error
  tracebacks with ANSI colour codes stripped.

A file that is not a notebook raises :class:`~nbsec.errors.InputError` with one line naming the
file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbsec.errors import InputError
from nbsec.findings import cell_label

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
# MIME types whose payload is text worth searching; images and widgets' binary state are skipped
TEXT_MIME_TYPES = ("text/plain", "text/html", "text/markdown", "text/latex", "text/csv")
JSON_MIME_SUFFIX = "json"


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour / cursor escape sequences (IPython colours tracebacks)."""
    return _ANSI.sub("", text)


def _join(value: Any) -> str:
    """nbformat stores multi-line strings either as one string or as a list of lines."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    raise ValueError("expected a string or a list of strings")


def json_strings(value: Any, limit: int = 100_000) -> Iterator[str]:
    """Every string (keys included) inside a decoded JSON value, depth first, at most ``limit``."""
    stack = [value]
    seen = 0
    while stack and seen < limit:
        item = stack.pop()
        if isinstance(item, str):
            seen += 1
            yield item
        elif isinstance(item, Mapping):
            for key, sub in item.items():
                stack.append(sub)
                stack.append(str(key))
        elif isinstance(item, list):
            stack.extend(reversed(item))


@dataclass(frozen=True)
class OutputText:
    """One searchable text of an output: ``kind`` is a MIME type, ``stream``, ``json`` or
    ``traceback``. ``lines_are_real`` is False for texts built from decoded JSON strings, whose
    line numbers do not point into the saved file."""

    kind: str
    text: str
    lines_are_real: bool = True


@dataclass(frozen=True)
class Output:
    index: int
    output_type: str
    texts: tuple[OutputText, ...]
    mime_types: tuple[str, ...] = ()

    def text_of(self, kind: str) -> str | None:
        for t in self.texts:
            if t.kind == kind:
                return t.text
        return None


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


@dataclass(frozen=True)
class Notebook:
    path: str
    cells: tuple[Cell, ...]
    metadata: Mapping[str, Any]
    nbformat: int
    nbformat_minor: int

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


def _parse_output(index: int, raw: Any) -> Output:
    if not isinstance(raw, Mapping):
        raise ValueError(f"output {index} is not an object")
    kind = raw.get("output_type")
    texts: list[OutputText] = []
    mimes: list[str] = []
    if kind == "stream":
        texts.append(OutputText("stream", strip_ansi(_join(raw.get("text", "")))))
    elif kind in ("execute_result", "display_data", "update_display_data"):
        data = raw.get("data", {})
        if not isinstance(data, Mapping):
            raise ValueError(f"output {index} has a 'data' that is not an object")
        for mime, payload in data.items():
            mimes.append(str(mime))
            if mime in TEXT_MIME_TYPES:
                texts.append(OutputText(mime, strip_ansi(_join(payload))))
            elif str(mime).split("+")[-1].endswith(JSON_MIME_SUFFIX):
                # JSON bundles hold decoded values; search the strings inside them
                strings = "\n".join(s for s in json_strings(payload) if s.strip())
                if strings:
                    texts.append(OutputText(str(mime), strings, lines_are_real=False))
    elif kind == "error":
        traceback = raw.get("traceback", [])
        lines = [strip_ansi(str(t)) for t in traceback] if isinstance(traceback, list) else []
        # line n of the text is traceback entry n; the exception line comes last
        head = f"{raw.get('ename', '')}: {raw.get('evalue', '')}"
        texts.append(OutputText("traceback", "\n".join([*lines, head])))
    else:
        raise ValueError(f"output {index} has an unknown output_type {kind!r}")
    return Output(index=index, output_type=str(kind), texts=tuple(texts), mime_types=tuple(mimes))


def _parse_cell(index: int, raw: Any) -> Cell:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{cell_label(index)} is not an object")
    cell_type = raw.get("cell_type")
    if cell_type not in ("code", "markdown", "raw"):
        raise ValueError(f"{cell_label(index)} has an unknown cell_type {cell_type!r}")
    try:
        source = _join(raw.get("source", ""))
    except ValueError:
        raise ValueError(f"{cell_label(index)} has a malformed source") from None
    metadata = raw.get("metadata", {})
    if not isinstance(metadata, Mapping):
        raise ValueError(f"{cell_label(index)} has metadata that is not an object")
    outputs: list[Output] = []
    if cell_type == "code":
        raw_outputs = raw.get("outputs", [])
        if not isinstance(raw_outputs, list):
            raise ValueError(f"{cell_label(index)} has outputs that are not a list")
        for j, out in enumerate(raw_outputs):
            try:
                outputs.append(_parse_output(j, out))
            except ValueError as exc:
                raise ValueError(f"{cell_label(index)}: {exc}") from None
    attachments: list[tuple[str, str]] = []
    raw_att = raw.get("attachments", {})
    if isinstance(raw_att, Mapping):
        for name, bundle in raw_att.items():
            mime = next(iter(bundle), "") if isinstance(bundle, Mapping) else ""
            attachments.append((str(name), str(mime)))
    cell_id = raw.get("id")
    count = raw.get("execution_count")
    return Cell(
        index=index,
        cell_type=str(cell_type),
        source=source,
        id=cell_id if isinstance(cell_id, str) else None,
        execution_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        metadata=metadata,
        outputs=tuple(outputs),
        attachments=tuple(attachments),
    )


def parse_notebook(text: str | bytes, path: str = "<notebook>") -> Notebook:
    """Parse the JSON text of a notebook. Raises :class:`InputError` naming ``path``."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
        where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise InputError(f"{path}: not a notebook: invalid JSON: {reason}{where}") from None
    except RecursionError:
        raise InputError(f"{path}: not a notebook: JSON nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise InputError(f"{path}: not a notebook: no 'cells' list at the top level")
    major = data.get("nbformat")
    if not isinstance(major, int) or major < 4:
        raise InputError(f"{path}: unsupported notebook format {major!r} (nbsec reads nbformat 4)")
    minor = data.get("nbformat_minor", 0)
    metadata = data.get("metadata", {})
    if not isinstance(metadata, Mapping):
        raise InputError(f"{path}: not a notebook: metadata is not an object")
    cells: list[Cell] = []
    for i, raw in enumerate(data["cells"]):
        try:
            cells.append(_parse_cell(i, raw))
        except ValueError as exc:
            raise InputError(f"{path}: malformed notebook: {exc}") from None
    return Notebook(
        path=path,
        cells=tuple(cells),
        metadata=metadata,
        nbformat=major,
        nbformat_minor=minor if isinstance(minor, int) else 0,
    )


def load_notebook(path: str | os.PathLike[str]) -> Notebook:
    """Read and parse the notebook at ``path`` (never executed, never copied)."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{file}: is a directory, not a notebook") from None
    except OSError as exc:
        raise InputError(f"{file}: cannot read ({exc.strerror or exc})") from None
    return parse_notebook(raw, str(path))
