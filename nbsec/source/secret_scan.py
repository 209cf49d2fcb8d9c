"""Secret detection (NBS-SEC) in any text of a notebook: sources, markdown, outputs, metadata.

The detectors are data (``secrets.toml``): provider-specific token formats, private key blocks and
connection strings, plus two keyword rules — a string literal assigned to a name that says
"password / token / api key" (NBS-SEC-005) and a high-entropy string on a line that mentions a key
or token (NBS-SEC-006). This module compiles them once and applies them.

False positives are cut before anything is reported: base64 ``data:`` URIs (inline images) are
blanked out; placeholder values (``YOUR_API_KEY``, ``<token>``, ``xxxx``, ``changeme`` ...) and
low-variety strings are dropped; names that hold hashes or ids (``sha256``, ``revision``,
``cell_id``) and UUIDs are not secrets; environment look-ups are code, not literals, so they never
match. A :class:`SecretHit` carries the secret only in memory, for hashing: evidence is always
:func:`nbsec.masking.secret_evidence`.
"""

from __future__ import annotations

import bisect
import math
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources

from nbsec.masking import secret_evidence, secret_hash
from nbsec.source.issue import Issue

_DATA_URI = re.compile(r"data:[\w/+.\-]+;base64,[A-Za-z0-9+/=\s\\n]{16,}")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_ASSIGNMENT = re.compile(
    r"""(?P<name>[A-Za-z_][\w\-.]{0,60})['"]?\s*(?::=|=|:)\s*[rbuRBU]{0,2}"""
    r"""(?P<q>['"])(?P<value>[^'"\n]{4,256})(?P=q)"""
)
_OPTION = re.compile(r"""--(?P<name>[\w\-]{2,40})[= ](?P<value>[^\s'"]{6,256})""")
_ENV_LINE = re.compile(r"""\b(?P<name>[A-Z][A-Z0-9_]{2,60})=(?P<value>[^\s'"]{6,256})""")
_QUOTED = re.compile(r"""(['"])(?P<value>[A-Za-z0-9+/=_\-.~]{20,512})\1""")


@dataclass(frozen=True)
class _Detector:
    kind: str
    rule: str
    pattern: re.Pattern[str]
    min_entropy: float | None
    hints: tuple[str, ...] = ()


@dataclass(frozen=True)
class _SecretData:
    detectors: tuple[_Detector, ...]
    assignment_keywords: tuple[str, ...]
    entropy_keywords: tuple[str, ...]
    not_secret_names: tuple[str, ...]
    placeholder_substrings: tuple[str, ...]
    placeholder_exact: frozenset[str]
    min_length: int
    base64_threshold: float
    hex_threshold: float


@cache
def _data() -> _SecretData:
    text = resources.files("nbsec.source").joinpath("secrets.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    detectors = tuple(
        _Detector(
            kind=d["kind"],
            rule=d["rule"],
            pattern=re.compile(d["pattern"]),
            min_entropy=d.get("min_entropy"),
            hints=tuple(d.get("hints", ())),
        )
        for d in data["detector"]
    )
    return _SecretData(
        detectors=detectors,
        assignment_keywords=tuple(data["keywords"]["assignment"]),
        entropy_keywords=tuple(data["keywords"]["entropy"]),
        not_secret_names=tuple(data["keywords"]["not_secret_names"]),
        placeholder_substrings=tuple(data["placeholders"]["substrings"]),
        placeholder_exact=frozenset(data["placeholders"]["exact"]),
        min_length=int(data["entropy"]["min_length"]),
        base64_threshold=float(data["entropy"]["base64_threshold"]),
        hex_threshold=float(data["entropy"]["hex_threshold"]),
    )


@dataclass(frozen=True)
class SecretHit:
    """A secret found in a text. ``secret`` stays in memory: report :attr:`evidence` only."""

    rule: str
    kind: str
    secret: str
    line: int
    column: int
    start: int
    end: int

    @property
    def evidence(self) -> str:
        return secret_evidence(self.secret, self.kind)

    def to_issue(self) -> Issue:
        return Issue(
            self.rule,
            f"{self.kind} stored in the notebook",
            self.line,
            key=secret_hash(self.secret),
            evidence=self.evidence,
            column=self.column,
        )


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text``."""
    if not text:
        return 0.0
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def is_placeholder(value: str, strict: bool = True) -> bool:
    """A value that stands for a secret rather than being one (``YOUR_API_KEY``, ``<token>``,
    ``xxxx``, ``changeme``). ``strict=False`` (for provider formats) only applies the
    unambiguous markers, not common words like ``example``."""
    data = _data()
    lowered = value.lower().strip()
    if lowered in data.placeholder_exact:
        return True
    if len(set(lowered)) < 6:
        return True
    markers = data.placeholder_substrings if strict else ("xxxx", "****", "<", "your_", "${")
    return any(marker in lowered for marker in markers)


def _blank_data_uris(text: str) -> str:
    if "base64," not in text:
        return text
    return _DATA_URI.sub(lambda m: " " * len(m.group(0)), text)


class _LineIndex:
    def __init__(self, text: str) -> None:
        self.starts = [0]
        self.starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def _name_holds_secret(name: str) -> bool:
    data = _data()
    lowered = name.lower()
    if not any(k in lowered for k in data.assignment_keywords):
        return False
    return not any(n in lowered for n in data.not_secret_names)


def _looks_like_code_or_text(value: str) -> bool:
    """Values that are clearly not secrets: sentences, calls, paths, URLs, format strings."""
    if value.count(" ") >= 2 or value.startswith(("http://", "https://", "/", "./", "os.")):
        return True
    return "(" in value and ")" in value


def find_secrets(text: str) -> list[SecretHit]:
    """Every secret in ``text``, most specific detector first, never two on one span."""
    if not text:
        return []
    data = _data()
    text = _blank_data_uris(text)
    index: _LineIndex | None = None
    hits: list[SecretHit] = []
    taken: list[tuple[int, int]] = []

    def overlaps(start: int, end: int) -> bool:
        return any(start < e and s < end for s, e in taken)

    def add(rule: str, kind: str, secret: str, start: int, end: int) -> None:
        nonlocal index
        if overlaps(start, end):
            return
        if index is None:
            index = _LineIndex(text)
        line, column = index.position(start)
        taken.append((start, end))
        hits.append(SecretHit(rule, kind, secret, line, column, start, end))

    for det in data.detectors:
        if det.hints and not any(hint in text for hint in det.hints):
            continue
        for match in det.pattern.finditer(text):
            group = "secret" if "secret" in det.pattern.groupindex else 0
            secret = match.group(group)
            start, end = match.span(group)
            if is_placeholder(secret, strict=det.rule == "NBS-SEC-004"):
                continue
            if det.min_entropy is not None and shannon_entropy(secret) < det.min_entropy:
                continue
            add(det.rule, det.kind, secret, start, end)

    lowered = text.lower()
    if any(k in lowered for k in data.assignment_keywords):
        for pattern in (_ASSIGNMENT, _OPTION, _ENV_LINE):
            for match in pattern.finditer(text):
                value = match.group("value").strip()
                if not _name_holds_secret(match.group("name")):
                    continue
                if is_placeholder(value) or _looks_like_code_or_text(value) or _UUID.match(value):
                    continue
                start, end = match.span("value")
                add("NBS-SEC-005", "hard-coded secret", value, start, end)

    if any(k in lowered for k in data.entropy_keywords):
        for match in _QUOTED.finditer(text):
            value = match.group("value")
            start, end = match.span("value")
            if overlaps(start, end) or not _high_entropy(value, data):
                continue
            line_start = text.rfind("\n", 0, start) + 1
            line_end = text.find("\n", end)
            line_text = text[line_start : line_end if line_end != -1 else len(text)].lower()
            if not any(k in line_text for k in data.entropy_keywords):
                continue
            if any(
                n in line_text
                for n in (
                    "sha",
                    "md5",
                    "hash",
                    "checksum",
                    "digest",
                    "revision",
                    "commit",
                    "uuid",
                    "etag",
                    "integrity",
                )
            ):
                continue
            add("NBS-SEC-006", "high-entropy string", value, start, end)
    hits.sort(key=lambda h: h.start)
    return hits


def _high_entropy(value: str, data: _SecretData) -> bool:
    if len(value) < data.min_length or _UUID.match(value) or is_placeholder(value):
        return False
    if _HEX.match(value):
        return shannon_entropy(value) >= data.hex_threshold and len(value) not in (32, 40, 64)
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
        )
    )
    return classes >= 3 and shannon_entropy(value) >= data.base64_threshold


def secret_issues(text: str) -> list[Issue]:
    """:func:`find_secrets` as issues (line relative to ``text``)."""
    return [hit.to_issue() for hit in find_secrets(text)]
