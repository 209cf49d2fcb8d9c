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
from nbsec.source.issue import Issue, Span

_DATA_URI = re.compile(r"data:[\w/+.\-]+;base64,[A-Za-z0-9+/=\s\\n]{16,}")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_ASSIGNMENT = re.compile(
    r"""(?P<name>[A-Za-z_][\w\-.]{0,60})['"]?\]?\s*(?::=|=|:)\s*[rbuRBU]{0,2}"""
    r"""(?P<q>['"])(?P<value>[^'"\n]{4,256})(?P=q)"""
)
# os.putenv("NAME", "value"), os.environ.setdefault("NAME", "value")
_ENV_CALL = re.compile(
    r"""(?:putenv|setdefault|setenv)\(\s*['"](?P<name>[\w.\-]{1,60})['"]\s*,\s*[rbuRBU]{0,2}"""
    r"""(?P<q>['"])(?P<value>[^'"\n]{4,256})(?P=q)"""
)
# %env NAME=value, %env NAME value, %set_env NAME value
_ENV_MAGIC = re.compile(
    r"""%(?:set_)?env\s+(?P<name>[A-Za-z_]\w{0,60})(?:\s*=\s*|\s+)(?P<value>[^\s'"]{4,256})"""
)
_OPTION = re.compile(r"""--(?P<name>[\w\-]{2,40})[= ](?P<value>[^\s'"]{4,256})""")
_ENV_LINE = re.compile(r"""\b(?P<name>[A-Z][A-Z0-9_]{2,60})=(?P<value>[^\s'"]{4,256})""")
# a line that is only "Name: value" (a printed config, a log line)
_LABEL_LINE = re.compile(
    r"""(?m)^[ \t>#*\-]*(?P<name>[A-Za-z][\w \-]{0,40}?)[ \t]*[:=][ \t]*"""
    r"""(?P<value>[^\s'"]{4,128})[ \t]*$"""
)
_KEYWORD_PATTERNS = (
    (_ASSIGNMENT, "hard-coded {tier}"),
    (_ENV_CALL, "{tier} set in the environment"),
    (_ENV_MAGIC, "{tier} set in the environment"),
    (_OPTION, "{tier} on a command line"),
    (_ENV_LINE, "hard-coded {tier}"),
    (_LABEL_LINE, "{tier} shown in the notebook"),
)
# a name or literal closed by brackets (`False)))`, `x])`), or a line ending like code
_CODE_TAIL = re.compile(r"^[\w.]+[)\]]+[,;]?$|[;,{(]$")
_TIER_NAMES = {"password": "password", "credential": "secret", "token": "token"}
_RUN_TOGETHER_PASSWORD_WORDS = ("password", "passwd", "passphrase", "passwort")
_PLACEHOLDER_CHARS = frozenset("x*.•-_#? ")
_KEY_BODY = re.compile(r"[A-Za-z0-9+/=]{16,}")
_ESCAPED_BREAK = re.compile(r"\\[rn]")
_QUOTED = re.compile(r"""(['"])(?P<value>[A-Za-z0-9+/=_\-.~]{20,512})\1""")


@dataclass(frozen=True)
class _Detector:
    kind: str
    rule: str
    pattern: re.Pattern[str]
    min_entropy: float | None
    hints: tuple[str, ...] = ()
    # a provider's own format (placeholders are only the unambiguous markers), as opposed to a
    # generic shape (a credential in a URL or header) that needs the strict placeholder test
    provider: bool = True


@dataclass(frozen=True)
class _SecretData:
    detectors: tuple[_Detector, ...]
    password_words: frozenset[str]
    credential_keywords: tuple[str, ...]
    token_qualifiers: frozenset[str]
    name_hints: tuple[str, ...]
    entropy_keywords: tuple[str, ...]
    entropy_not_near: tuple[str, ...]
    not_secret_names: tuple[str, ...]
    placeholder_substrings: tuple[str, ...]
    placeholder_exact: frozenset[str]
    placeholder_shapes: tuple[re.Pattern[str], ...]
    real_passwords: frozenset[str]
    documentation_values: frozenset[str]
    documentation_words: tuple[str, ...]
    test_words: frozenset[str]
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
            provider=bool(d.get("provider", True)),
        )
        for d in data["detector"]
    )
    words = data["names"]
    return _SecretData(
        detectors=detectors,
        password_words=frozenset(words["password_words"]),
        credential_keywords=tuple(words["credential_keywords"]),
        token_qualifiers=frozenset(words["token_qualifiers"]),
        name_hints=tuple(words["hints"]),
        entropy_keywords=tuple(data["entropy"]["keywords"]),
        entropy_not_near=tuple(data["entropy"]["not_near"]),
        not_secret_names=tuple(words["not_secret_names"]),
        placeholder_substrings=tuple(data["placeholders"]["substrings"]),
        placeholder_exact=frozenset(data["placeholders"]["exact"]),
        placeholder_shapes=tuple(re.compile(p) for p in data["placeholders"]["shapes"]),
        real_passwords=frozenset(data["placeholders"]["real_passwords"]),
        documentation_values=frozenset(
            v.lower() for v in data["documentation"]["published_values"]
        ),
        documentation_words=tuple(data["documentation"]["words"]),
        test_words=frozenset(data["documentation"]["test_words"]),
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
    def identity(self) -> str:
        """What identifies the secret: the value, or for a key block its base64 body alone, so
        one key printed with ``\\n``, ``\\r\\n`` or as a list of lines is one key."""
        if self.kind == "private key":
            body = _KEY_BODY.findall(_ESCAPED_BREAK.sub(" ", self.secret))
            return "".join(body) or self.secret
        return self.secret

    @property
    def evidence(self) -> str:
        return secret_evidence(self.identity, self.kind)

    def to_issue(self) -> Issue:
        placed = any(w in self.kind for w in ("notebook", "environment", "command line"))
        return Issue(
            self.rule,
            self.kind if placed else f"{self.kind} stored in the notebook",
            self.line,
            key=secret_hash(self.identity),
            evidence=self.evidence,
            column=self.column,
            spans=(Span(self.start, self.end, "SECRET"),),
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
    ``xxxx``, ``changeme``, ``[REDACTED]``). ``strict=False`` (for provider formats) only applies
    the unambiguous markers, not common words like ``example``. Weak real passwords
    (``hunter2``, ``qwerty``, ``123456``) are not placeholders."""
    data = _data()
    lowered = value.lower().strip()
    if lowered in data.placeholder_exact:
        return True
    if len(set(lowered)) < 3:
        return True
    if any(shape.match(value.strip()) for shape in data.placeholder_shapes):
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


_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def name_tier(name: str) -> str | None:
    """What a name says it holds: ``"password"`` (any real value counts, weak ones too),
    ``"credential"`` (a key, secret or auth token), ``"token"`` (a bare ``token``: a word in NLP
    code as often as a credential), or ``None``."""
    data = _data()
    lowered = name.lower()
    if any(n in lowered for n in data.not_secret_names):
        return None
    words = [w.lower() for w in _WORD.findall(name)]
    if words and words[0] in ("var", "let", "const", "self", "this"):
        words = words[1:]
    # "pass" and "pw" name a password only as the last word (db_pass, dbPass, db_pw), not
    # pass_mouse_events
    if any(
        w in data.password_words and (w not in ("pass", "pw") or i == len(words) - 1)
        for i, w in enumerate(words)
    ):
        return "password"
    # a name run together: PGPASSWORD, MYSQL_ROOTPASSWD, dbpassword
    if any(w in lowered for w in _RUN_TOGETHER_PASSWORD_WORDS):
        return "password"
    joined = "_".join(words)
    if any(k in joined or k in lowered for k in data.credential_keywords):
        return "credential"
    if "token" in words or lowered.endswith("token"):
        qualified = any(q in words for q in data.token_qualifiers)
        return "credential" if qualified else "token"
    return None


def _sequential_share(value: str) -> float:
    """The share of ``value`` made of runs of four or more consecutive characters (``1234``,
    ``abcd``, ``9876``), read every character and every second one (``a1b2c3d4``)."""
    if len(value) < 8:
        return 0.0
    best = 0.0
    for stride in (1, 2):
        covered = 0
        for offset in range(stride):
            part = value[offset::stride].lower()
            run = 1
            for i in range(1, len(part) + 1):
                step = ord(part[i]) - ord(part[i - 1]) if i < len(part) else 0
                # 9 -> a continues a hexadecimal run (1234567890abcdef)
                if i < len(part) and (abs(step) == 1 or part[i - 1 : i + 1] in ("90", "9a", "0a")):
                    run += 1
                    continue
                if run >= 4:
                    covered += run
                run = 1
        best = max(best, covered / len(value))
    return best


def is_documentation_value(value: str, *, password: bool = False) -> bool:
    """A value that documentation, tutorials and tests use in place of a real credential: one
    published as an example (AWS's ``AKIAIOSFODNN7EXAMPLE``), one spelling ``EXAMPLE``,
    ``sample``, ``dummy`` or ``placeholder``, one whose words include ``test``, ``fake`` or
    ``mock`` (``sk_test_...``, ``fake-token-1``), or one made of sequences (``1234567890abcdef``).

    ``password``: a value in a password field, where ``test123`` and ``12345678`` are weak real
    passwords, not examples: only published values and the long marker words count there."""
    data = _data()
    lowered = value.lower()
    if lowered in data.documentation_values:
        return True
    if any(word in lowered for word in data.documentation_words):
        return True
    if password:
        return False
    words = [w.lower() for w in _WORD.findall(value)]
    if any(w in data.test_words for w in words):
        return True
    if words and any(words[0].startswith(w) for w in data.test_words):
        return True
    core = value.split("_")[-1] if value.count("_") <= 2 else value
    return _sequential_share(core) >= 0.7


def is_template(value: str) -> bool:
    """A value that can only be a placeholder: a template marker (``<password>``, ``${VAR}``,
    ``YOUR_KEY``, ``changeme``, ``xxxx``, ``example``), a word naming the field (``password``,
    ``secret``, ``none``), or placeholder characters alone (``***``, ``...``)."""
    data = _data()
    lowered = value.lower().strip()
    if not lowered or set(lowered) <= _PLACEHOLDER_CHARS:
        return True
    if lowered in data.placeholder_exact and lowered not in data.real_passwords:
        return True
    if any(shape.match(value.strip()) for shape in data.placeholder_shapes):
        return True
    return any(marker in lowered for marker in data.placeholder_substrings)


def is_weak_password(value: str) -> bool:
    """A real password from the lists attackers try first (``iloveyou``, ``P@ssw0rd``,
    ``1qaz2wsx``, ``111111``), not a template (``changeme``, ``<password>``, ``xxx``)."""
    if len(value) < 4 or is_template(value):
        return False
    from nbsec.source.weak_passwords import is_common_password

    return is_common_password(value)


def value_fits(tier: str, value: str) -> bool:
    """Is ``value`` what a name of ``tier`` holding a real secret would hold?"""
    if _looks_like_code_or_text(value) or _UUID.match(value):
        return False
    if is_placeholder(value):
        # a low-variety or docs-like value that is still a password people use (111111,
        # s3cr3t, pass123) is one in a password- or secret-named field
        return tier != "token" and is_weak_password(value)
    if tier == "password":
        return len(value) >= 4
    if tier == "credential":
        plain_word = value.isalpha() and (value.islower() or value.isupper()) and len(value) < 16
        if len(value) >= 8 and not plain_word:
            return True
        # a plain word or a short value is a secret when it is a common password (a keyboard
        # walk, iloveyou, a l33t word)
        return len(value) >= 6 and is_weak_password(value)
    has_letters = any(c.isalpha() for c in value)
    has_digits = any(c.isdigit() for c in value)
    return len(value) >= 16 and has_letters and has_digits and shannon_entropy(value) >= 3.0


_CALL = re.compile(r"^[A-Za-z_][\w.]*\(.*\)(?:\.\w+|\[[^\]]*\])*$")
# an unquoted snake_case name that itself says secret is a variable: `hf_token = hf_token_write`
_SECRET_VARIABLE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
_FILE_NAME = re.compile(
    r"^[\w.\-/\\~]+\.(?:json|pem|key|p12|pfx|crt|cer|txt|ya?ml|ini|cfg|conf|env|csv|toml|"
    r"pub|jks|keystore|gpg|asc)$",
    re.IGNORECASE,
)


def _looks_like_code_or_text(value: str) -> bool:
    """Values that are clearly not secrets: sentences, calls, paths and file names (a
    credentials *file*), URLs, format strings, code."""
    if value.count(" ") >= 2 or value.startswith(("http://", "https://", "/", "./", "os.")):
        return True
    if _FILE_NAME.match(value):
        return True
    if value.startswith(("{", "$", "%")) and value.endswith(("}", ")", "%", "s")):
        return True
    return bool(_CALL.match(value))


class _Taken:
    """Non-overlapping spans already reported, kept sorted (overlap test in log time)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.starts, end)
        return i > 0 and self.ends[i - 1] > start

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


def find_secrets(text: str, *, providers_only: bool = False) -> list[SecretHit]:
    """Every secret in ``text``, most specific detector first, never two on one span.
    ``providers_only``: only the formats of ``secrets.toml`` (no keyword rules)."""
    if not text:
        return []
    data = _data()
    text = _blank_data_uris(text)
    index: _LineIndex | None = None
    hits: list[SecretHit] = []
    taken = _Taken()

    def add(rule: str, kind: str, secret: str, start: int, end: int) -> None:
        nonlocal index
        if taken.overlaps(start, end):
            return
        if index is None:
            index = _LineIndex(text)
        line, column = index.position(start)
        taken.add(start, end)
        hits.append(SecretHit(rule, kind, secret, line, column, start, end))

    for det in data.detectors:
        if providers_only and not det.provider:
            continue
        if det.hints and not any(hint in text for hint in det.hints):
            continue
        for match in det.pattern.finditer(text):
            group = "secret" if "secret" in det.pattern.groupindex else 0
            secret = match.group(group)
            start, end = match.span(group)
            if is_placeholder(secret, strict=not det.provider):
                continue
            if det.min_entropy is not None and shannon_entropy(secret) < det.min_entropy:
                continue
            password = det.kind == "connection string password"
            if is_documentation_value(secret, password=password):
                continue
            add(det.rule, det.kind, secret, start, end)

    if providers_only:
        hits.sort(key=lambda h: h.start)
        return hits
    lowered = text.lower()
    if any(k in lowered for k in data.name_hints):
        for pattern, kind in _KEYWORD_PATTERNS:
            for match in pattern.finditer(text):
                value = match.group("value").strip()
                if "q" not in pattern.groupindex and (
                    _CODE_TAIL.search(value)
                    or _CALL.match(value)
                    or (_SECRET_VARIABLE.match(value) and name_tier(value) is not None)
                ):
                    # an unquoted value that is code: `single_pass=False)))`, `list(d)[0]`,
                    # `hf_token = hf_token_write`
                    continue
                tier = name_tier(match.group("name"))
                if tier is None or not value_fits(tier, value):
                    continue
                if is_documentation_value(value, password=tier == "password"):
                    continue
                raw = match.group("value")
                start = match.start("value") + len(raw) - len(raw.lstrip())
                label = kind
                if "environ" in text[max(0, match.start() - 12) : match.start()]:
                    label = "{tier} set in the environment"
                label = label.format(tier=_TIER_NAMES[tier])
                add("NBS-SEC-005", label, value, start, start + len(value))

    if any(k in lowered for k in data.entropy_keywords):
        for match in _QUOTED.finditer(text):
            value = match.group("value")
            start, end = match.span("value")
            if taken.overlaps(start, end) or not _high_entropy(value, data):
                continue
            if is_documentation_value(value):
                continue
            line_start = text.rfind("\n", 0, start) + 1
            line_end = text.find("\n", end)
            line_text = text[line_start : line_end if line_end != -1 else len(text)].lower()
            if not any(k in line_text for k in data.entropy_keywords):
                continue
            if any(n in line_text for n in data.entropy_not_near):
                continue
            add("NBS-SEC-006", "high-entropy string", value, start, end)
    hits.sort(key=lambda h: h.start)
    return hits


def looks_random(value: str) -> bool:
    """A string of 20+ characters mixing upper case, lower case and digits with high entropy
    and few separators: a key or token rather than a word, a version or a model name."""
    if len(value) < 20:
        return False
    if not (
        sum(c.isdigit() for c in value) >= 2
        and any(c.isupper() for c in value)
        and any(c.islower() for c in value)
    ):
        return False
    if sum(value.count(sep) for sep in "-_.") > 2:
        return False
    return shannon_entropy(value) >= 4.0


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
