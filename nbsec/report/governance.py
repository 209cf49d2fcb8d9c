"""Purpose, intended use, owner and legal basis: the governance fields a notebook carries in
``metadata.nbsec.governance`` (set with ``%nbsec meta key=value``) and the report shows.

The fields are data; the report lists a required field that is not stated as a gap.
"""

from __future__ import annotations

from collections.abc import Mapping

from nbsec.report.model import Governance, GovernanceField

# key, label, required
FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("purpose", "Purpose", True),
    ("intended_use", "Intended use", True),
    ("owner", "Owner", True),
    ("legal_basis", "Legal basis for personal data", True),
    ("data_retention", "Data retention", False),
    ("risk_class", "Risk class (e.g. EU AI Act)", False),
    ("contact", "Contact", False),
)
KEYS = tuple(key for key, _, _ in FIELDS)
MAX_VALUE = 256  # one line; the comm protocol's short text


def validate(key: str, value: str) -> tuple[str, str]:
    """A field as ``%nbsec meta`` accepts it: a known key and a one-line value."""
    normalised = key.strip().lower().replace("-", "_")
    if normalised not in KEYS:
        raise ValueError(f"unknown governance field {key!r} (known: {', '.join(KEYS)})")
    text = " ".join(value.split())
    if len(text) > MAX_VALUE:
        raise ValueError(f"{normalised}: at most {MAX_VALUE} characters")
    return normalised, text


def governance_section(values: Mapping[str, str]) -> Governance:
    fields = [
        GovernanceField(
            key=key,
            label=label,
            value=(values.get(key) or "").strip() or None,
            required=required,
        )
        for key, label, required in FIELDS
    ]
    gaps = [
        f"{f.label.split(' (')[0].lower()} not stated" for f in fields if f.required and not f.value
    ]
    return Governance(
        checked="metadata.nbsec.governance of the notebook (set with %nbsec meta key=value), "
        "and fields recorded in the kernel session",
        fields=fields,
        gaps=gaps,
    )
