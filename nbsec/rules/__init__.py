"""The rule registry: rule metadata as data.

Each family of rules lives in its own TOML file beside this module (``pii.toml``, ``sec.toml``,
``pkl.toml``, ``mdl.toml``, ``src.toml``, ``lin.toml``). A rule is a table keyed by its id::

    [NBS-PKL-001]
    title = "Pickle load of untrusted data"
    severity = "critical"
    confidence = "high"
    tags = ["CWE-502", "OWASP-ML06"]
    remediation = "Load weights with safetensors or torch.load(..., weights_only=True)."
    description = '''
    Why this is a risk, what triggers the rule, what does not, and how to fix it.
    '''

The engines only name rule ids; titles, severities, tags and remediation come from here, so
changing how a rule reads never touches engine code. Ids are stable: users filter and waive by them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from nbsec.findings import Confidence, Severity

FAMILIES: dict[str, str] = {
    "PII": "Personal data",
    "SEC": "Secrets and credentials",
    "PKL": "Pickle and other unsafe deserialization",
    "MDL": "Model sources and downloads",
    "SRC": "Other risky code",
    "LIN": "Lineage and reproducibility",
}

RULE_ID = re.compile(r"^NBS-(PII|SEC|PKL|MDL|SRC|LIN)-\d{3}$")
_KEYS = {"title", "severity", "confidence", "tags", "remediation", "description", "help_uri"}
_REQUIRED = {"title", "severity", "remediation", "description"}


@dataclass(frozen=True)
class Rule:
    """Metadata of one rule. ``description`` is its documentation page (plain text/markdown)."""

    id: str
    title: str
    severity: Severity
    confidence: Confidence
    tags: tuple[str, ...]
    remediation: str
    description: str
    help_uri: str | None = None

    @property
    def family(self) -> str:
        return self.id.split("-")[1]


class RuleRegistryError(ValueError):
    """A rule file in the package is malformed (a bug in nbsec, caught by the tests)."""


def _parse_family(name: str, text: str) -> dict[str, Rule]:
    data = tomllib.loads(text)
    rules: dict[str, Rule] = {}
    family = name.removesuffix(".toml").upper()
    for rule_id, body in data.items():
        where = f"rules/{name} [{rule_id}]"
        if not RULE_ID.match(rule_id) or rule_id.split("-")[1] != family:
            raise RuleRegistryError(f"{where}: id must look like NBS-{family}-001")
        if not isinstance(body, dict):
            raise RuleRegistryError(f"{where}: must be a table")
        unknown = set(body) - _KEYS
        missing = _REQUIRED - set(body)
        if unknown or missing:
            raise RuleRegistryError(
                f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}"
            )
        try:
            rules[rule_id] = Rule(
                id=rule_id,
                title=str(body["title"]),
                severity=Severity.parse(str(body["severity"])),
                confidence=Confidence.parse(str(body.get("confidence", "medium"))),
                tags=tuple(str(t) for t in body.get("tags", ())),
                remediation=str(body["remediation"]).strip(),
                description=str(body["description"]).strip(),
                help_uri=body.get("help_uri"),
            )
        except ValueError as exc:
            raise RuleRegistryError(f"{where}: {exc}") from None
    return rules


@cache
def all_rules() -> dict[str, Rule]:
    """Every rule shipped with nbsec, by id, in id order."""
    rules: dict[str, Rule] = {}
    package = resources.files(__name__)
    for entry in sorted(package.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            rules.update(_parse_family(entry.name, entry.read_text(encoding="utf-8")))
    return dict(sorted(rules.items()))


def get_rule(rule_id: str) -> Rule:
    try:
        return all_rules()[rule_id]
    except KeyError:
        raise KeyError(f"unknown nbsec rule {rule_id!r}") from None


def iter_family(family: str) -> Iterator[Rule]:
    prefix = f"NBS-{family.upper()}-"
    return (r for r in all_rules().values() if r.id.startswith(prefix))
