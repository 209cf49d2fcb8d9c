"""The rule registry: every shipped rule is complete and well-formed."""

from __future__ import annotations

import re

import pytest

from nbsec.rules import FAMILIES, RuleRegistryError, _parse_family, all_rules, get_rule

RULES = list(all_rules().values())


def test_every_family_has_rules() -> None:
    families = {r.family for r in RULES}
    assert families == set(FAMILIES)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_is_documented(rule) -> None:  # type: ignore[no-untyped-def]
    assert re.match(r"^NBS-[A-Z]{3}-\d{3}$", rule.id)
    assert rule.title and not rule.title.endswith(".")
    assert len(rule.description) > 60, "the description is the rule's documentation page"
    assert rule.remediation
    assert all(re.match(r"^(CWE-\d+|OWASP-ML\d\d)$", t) for t in rule.tags), rule.tags


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[NBS-PKL-001]\ntitle="t"\nseverity="high"\nremediation="r"\n', "missing keys"),
        ('[NBS-SEC-001]\ntitle="t"\nseverity="high"\nremediation="r"\ndescription="d"\n', "id"),
        (
            '[NBS-PKL-002]\ntitle="t"\nseverity="dire"\nremediation="r"\ndescription="d"\n',
            "unknown severity",
        ),
        (
            '[NBS-PKL-003]\ntitle="t"\nseverity="low"\nremediation="r"\ndescription="d"\nx=1\n',
            "unknown keys",
        ),
    ],
)
def test_malformed_rule_files_are_rejected(text: str, problem: str) -> None:
    with pytest.raises(RuleRegistryError, match=problem):
        _parse_family("pkl.toml", text)


def test_unknown_rule_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="NBS-PKL-999"):
        get_rule("NBS-PKL-999")
