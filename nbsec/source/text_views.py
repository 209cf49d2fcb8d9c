"""Decoded views of a stored text, with every offset traceable back to the stored characters.

A value can hide in a notebook behind an encoding the detectors would not see through: HTML
entities (``jane&#64;corp.com``), markup between the characters, attribute values
(``href="mailto:..."``), percent-encoding in links (``jane.doe%40corp.com``), or base64 in a
``data:`` URI (a "download CSV" link holds a whole table). This module builds, for one text:

* the text itself, with binary ``data:`` URIs blanked out (same length, so offsets hold);
* an HTML view (:func:`html_view`): element text and attribute values with entities decoded,
  tags turned into line breaks, ``<style>`` and ``style=`` left out;
* a percent-decoded view (:func:`percent_view`) when the text holds ``%XX`` sequences;
* the decoded texts of ``data:`` URIs whose MIME type is textual (:func:`data_uris`), which the
  scanner treats as texts of their own, re-encoded on redaction.

A :class:`View` maps a span of its text back to a span of the stored text
(:meth:`View.to_source`), so a hit in any view is masked in place in the file.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import html
import re
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

# a data: URI with a base64 payload; group "mime" and the payload span
_DATA_URI = re.compile(
    r"data:(?P<mime>[\w.+\-]+/[\w.+\-]+)?(?:;[\w.+\-]+=[\w.+\-]+)*;base64,"
    r"(?P<payload>[A-Za-z0-9+/=\s\\]{16,})"
)
_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
# attribute text stops at "<" and quoted values are bounded, so a text full of unclosed tags is
# still read in linear time
_TAG = re.compile(
    r"<!--.*?(?:-->|$)|<(?P<close>/?)(?P<name>[A-Za-z][\w:\-]{0,64})"
    r"(?P<attrs>(?:[^<>\"']|\"[^\"]{0,8192}\"|'[^']{0,8192}')*)>",
    re.S,
)
_ATTR = re.compile(
    r"""(?P<name>[^\s=/>"']+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>"']+))"""
)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_INLINE_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "code",
        "em",
        "font",
        "i",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "u",
        "var",
        "wbr",
        "tt",
    }
)
_SKIPPED_ATTRS = frozenset(
    {
        "style",
        "class",
        "id",
        "width",
        "height",
        "border",
        "colspan",
        "rowspan",
        "align",
        "valign",
        "cellpadding",
        "cellspacing",
        "type",
    }
)
_TEXTUAL_DATA = re.compile(r"^(?:text/|application/(?:json|xml|javascript|csv)|image/svg\+xml)")


@dataclass
class View:
    """A decoded view of a text. ``runs`` hold ``(view_start, source_start, view_len,
    source_len)``; in a run where both lengths are equal characters map one to one, otherwise
    any character of the run stands for the whole source run. No runs: the identity."""

    text: str
    name: str = "text"
    runs: list[tuple[int, int, int, int]] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._starts = [r[0] for r in self.runs]

    def _run(self, offset: int) -> tuple[int, int, int, int]:
        i = bisect.bisect_right(self._starts, offset) - 1
        return self.runs[max(i, 0)]

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """The span of the stored text that ``text[start:end]`` was decoded from."""
        if not self.runs:
            return start, end
        v0, s0, vlen, slen = self._run(start)
        src_start = s0 + (start - v0) if vlen == slen else s0
        last = max(end - 1, start)
        v1, s1, vlen1, slen1 = self._run(last)
        src_end = s1 + (last - v1) + 1 if vlen1 == slen1 else s1 + slen1
        return src_start, max(src_end, src_start)

    @property
    def is_identity(self) -> bool:
        return not self.runs


class _ViewBuilder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.runs: list[tuple[int, int, int, int]] = []
        self.pos = 0

    def copy(self, text: str, source_start: int) -> None:
        if text:
            self.runs.append((self.pos, source_start, len(text), len(text)))
            self.parts.append(text)
            self.pos += len(text)

    def opaque(self, text: str, source_start: int, source_len: int) -> None:
        if text:
            self.runs.append((self.pos, source_start, len(text), source_len))
            self.parts.append(text)
            self.pos += len(text)

    def decoded(self, raw: str, source_start: int) -> None:
        """``raw`` with HTML entities decoded (each entity one opaque run)."""
        pos = 0
        for match in _ENTITY.finditer(raw):
            self.copy(raw[pos : match.start()], source_start + pos)
            value = html.unescape(match.group(0))
            if value == match.group(0):
                self.copy(value, source_start + match.start())
            else:
                self.opaque(value, source_start + match.start(), len(match.group(0)))
            pos = match.end()
        self.copy(raw[pos:], source_start + pos)

    def view(self, name: str) -> View:
        return View("".join(self.parts), name, self.runs)


def blank_data_uris(text: str) -> str:
    """``text`` with the payload of every base64 ``data:`` URI replaced by spaces (the decoded
    payloads of textual ones are searched on their own: :func:`data_uris`)."""
    if "base64," not in text:
        return text
    return _DATA_URI.sub(
        lambda m: m.group(0)[: m.start("payload") - m.start()] + " " * len(m.group("payload")), text
    )


@dataclass(frozen=True)
class DataUri:
    """A textual ``data:`` URI: ``text`` is its decoded payload, stored base64-encoded at
    ``start:end`` of the containing text."""

    mime: str
    start: int
    end: int
    text: str


def data_uris(text: str) -> list[DataUri]:
    """Every base64 ``data:`` URI in ``text`` whose MIME type is textual, decoded."""
    if "base64," not in text:
        return []
    out: list[DataUri] = []
    for match in _DATA_URI.finditer(text):
        mime = (match.group("mime") or "text/plain").lower()
        if not _TEXTUAL_DATA.match(mime):
            continue
        payload = match.group("payload")
        compact = re.sub(r"[\s\\]|\\n", "", payload)
        try:
            decoded = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
            value = decoded.decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            continue
        out.append(DataUri(mime, match.start("payload"), match.end("payload"), value))
    return out


def html_view(text: str) -> View | None:
    """Element text and attribute values of an HTML fragment, entities decoded (``None`` when
    ``text`` has no markup)."""
    if "<" not in text and "&" not in text:
        return None
    source = blank_data_uris(text)
    b = _ViewBuilder()
    pos = 0
    skip_until: str | None = None
    for match in _TAG.finditer(source):
        name = (match.group("name") or "").lower()
        if skip_until is None:
            b.decoded(source[pos : match.start()], pos)
        if skip_until is not None:
            if match.group("close") and name == skip_until:
                skip_until = None
            pos = match.end()
            continue
        if name == "style" and not match.group("close"):
            skip_until = "style"
        if name not in _INLINE_TAGS:
            b.opaque("\n", match.start(), match.end() - match.start())
        attrs = match.group("attrs") or ""
        base = match.start("attrs") if match.group("attrs") is not None else match.end()
        for attr in _ATTR.finditer(attrs):
            if attr.group("name").lower() in _SKIPPED_ATTRS:
                continue
            group = next(g for g in ("dq", "sq", "bare") if attr.group(g) is not None)
            value = attr.group(group)
            if value.strip():
                b.opaque("\n", base + attr.start(), 0)
                b.decoded(value, base + attr.start(group))
                b.opaque("\n", base + attr.end(group), 0)
        pos = match.end()
    if skip_until is None:
        b.decoded(source[pos:], pos)
    return b.view("html")


def percent_view(text: str) -> View | None:
    """``text`` with ``%XX`` sequences decoded (``None`` when there are none)."""
    if "%" not in text or not _PERCENT.search(text):
        return None
    b = _ViewBuilder()
    pos = 0
    for match in _PERCENT.finditer(text):
        b.copy(text[pos : match.start()], pos)
        raw = match.group(0)
        value = unquote_to_bytes(raw).decode("utf-8", "replace")
        b.opaque(value, match.start(), len(raw))
        pos = match.end()
    b.copy(text[pos:], pos)
    return b.view("percent")
