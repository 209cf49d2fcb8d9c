"""Outputs that show the value of a secret environment variable (NBS-SEC-007).

A kernel's environment holds credentials (``OPENAI_API_KEY``, ``DB_PASSWORD``, a token set by
``%env`` or ``os.environ[...] =``); ``print(os.environ)``, a config repr, a debug log or an error
message can put one into an output, and from there into the saved notebook. This engine indexes
the environment once — which variables hold secrets, by name (the tiers of the keyword rule:
``*PASSWORD*``, ``*_API_KEY``, ``*_SECRET*``, qualified ``*_TOKEN``), by value (a random-looking
value under a bare ``*TOKEN*`` name), or because the policy lists them
(``[tool.nbsec.secrets] env``) — and finds their values in any text, also percent-encoded or
base64-encoded. A hit names the variable and carries the value's hash only; the value stays in
memory and is never written.

The kernel extension feeds every output to :meth:`EnvSecretIndex.issues` as it is produced; the
index is rebuilt only when the environment changes (:meth:`EnvSecretIndex.current`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from nbsec.masking import secret_hash
from nbsec.source.issue import Issue, Span
from nbsec.source.marks import trie_pattern
from nbsec.source.secret_scan import is_placeholder, looks_random, name_tier, value_fits

# shorter values would match ordinary text (a password "1234" in a log of numbers)
MIN_VALUE = 6
_NOT_SECRET_ENV = frozenset(
    {"PATH", "HOME", "PWD", "OLDPWD", "SHELL", "TERM", "LANG", "USER", "HOSTNAME", "JPY_PARENT_PID"}
)


@dataclass(frozen=True)
class _Entry:
    name: str
    value: str


@dataclass
class EnvSecretIndex:
    """The secret values of one environment, ready to be searched for."""

    entries: tuple[_Entry, ...] = ()
    fingerprint: str = ""
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)
    _by_form: dict[str, _Entry] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, environ: Mapping[str, str], listed: Iterable[str] = ()) -> EnvSecretIndex:
        """Index the secret-bearing variables of ``environ`` (and those named in ``listed``)."""
        named = set(listed)
        entries: list[_Entry] = []
        for name, value in environ.items():
            if name in _NOT_SECRET_ENV or not isinstance(value, str):
                continue
            value = value.strip()
            if len(value) < MIN_VALUE or is_placeholder(value):
                continue
            if name in named or _holds_secret(name, value):
                entries.append(_Entry(name, value))
        index = cls(tuple(entries), _environ_fingerprint(environ, named))
        for entry in sorted(entries, key=lambda e: -len(e.value)):
            for form in _forms(entry.value):
                index._by_form.setdefault(form, entry)
        if index._by_form:
            index._pattern = re.compile(trie_pattern(index._by_form))
        return index

    def current(self, environ: Mapping[str, str], listed: Iterable[str] = ()) -> EnvSecretIndex:
        """This index if ``environ`` did not change since it was built, else a new one."""
        names = set(listed)
        if self.fingerprint == _environ_fingerprint(environ, names):
            return self
        return EnvSecretIndex.build(environ, names)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(e.name for e in self.entries))

    @property
    def longest(self) -> int:
        """The length of the longest form searched for (0 when there is none): a caller that
        searches a stream in pieces keeps this many characters less one from the last piece."""
        return max(map(len, self._by_form), default=0)

    def any_in(self, text: str) -> bool:
        """Does ``text`` show any of the values? (One search; :meth:`issues` says which.)"""
        return self._pattern is not None and self._pattern.search(text) is not None

    def issues(self, text: str) -> list[Issue]:
        """One NBS-SEC-007 issue per variable whose value ``text`` shows, with its spans."""
        if self._pattern is None or not text:
            return []
        found: dict[str, list[Span]] = {}
        entries: dict[str, _Entry] = {}
        for match in self._pattern.finditer(text):
            entry = self._by_form.get(match.group(0))
            if entry is None:
                continue
            entries[entry.name] = entry
            found.setdefault(entry.name, []).append(Span(match.start(), match.end(), "SECRET"))
        issues = []
        for name, spans in found.items():
            digest = secret_hash(entries[name].value)
            line = text.count("\n", 0, spans[0].start) + 1
            issues.append(
                Issue(
                    "NBS-SEC-007",
                    f"the value of the environment variable {name} is shown in this output",
                    line,
                    key=digest,
                    evidence=f"{name} ({digest})",
                    spans=tuple(spans),
                )
            )
        return issues


def _holds_secret(name: str, value: str) -> bool:
    tier = name_tier(name)
    if tier == "password":
        return True
    if tier in ("credential", "token"):
        return value_fits(tier, value) or looks_random(value)
    return False


def _forms(value: str) -> set[str]:
    """The value as written, percent-encoded, and base64-encoded (as in a Basic auth header)."""
    forms = {value, quote(value, safe="")}
    encoded = base64.b64encode(value.encode("utf-8")).decode("ascii").rstrip("=")
    if len(encoded) >= 8:
        forms.add(encoded)
    return forms


def _environ_fingerprint(environ: Mapping[str, str], listed: set[str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(environ):
        value = environ[name]
        digest.update(f"{name}\0{len(value)}\0{hash(value)}\0".encode("utf-8", "surrogatepass"))
    digest.update("\0".join(sorted(listed)).encode())
    return digest.hexdigest()
