"""Validation of every file a report writes, each against its own standard."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import nbformat

REPO = Path(__file__).resolve().parents[2]
REPORT_SCHEMA = REPO / "nbsec" / "report" / "report.schema.json"
SARIF_SCHEMA = REPO / "tests" / "schemas" / "sarif-2.1.0.json"


def validate_report_json(data: dict[str, Any]) -> None:
    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(data)


def validate_sarif(data: dict[str, Any]) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(data)


def validate_cyclonedx(text: str) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, str(error)


def validate_openlineage(events: list[dict[str, Any]]) -> None:
    from openlineage.client.serde import Serde

    from tests.lineage.test_exports import _normalise, _rebuild

    assert events and events[0]["eventType"] == "START" and events[-1]["eventType"] == "COMPLETE"
    for event in events:
        assert _normalise(Serde.to_dict(_rebuild(event))) == _normalise(event)


class Markup(HTMLParser):
    """The tags and the event-handler attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.urls.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def validate_html(text: str) -> _Page:
    """Self-contained: no script, no external stylesheet, image, font or link."""
    page = _Page()
    page.feed(text)
    assert "script" not in page.tags
    assert page.urls == [], page.urls
    assert not re.search(r"url\((?!#)|@import", text)  # only in-page references (SVG markers)
    # and should anything slip through, the page forbids scripts and every fetch
    assert "default-src 'none'" in text and "script-src" not in text
    return page


def validate_files(folder: Path, stem: str) -> dict[str, Any]:
    """Every file of the report ``stem`` in ``folder`` validated; the report JSON returned."""
    report = json.loads((folder / f"{stem}.nbsec.json").read_text(encoding="utf-8"))
    validate_report_json(report)
    nb = nbformat.read(str(folder / f"{stem}.nbsec.ipynb"), as_version=4)
    nbformat.validate(nb)
    validate_sarif(json.loads((folder / f"{stem}.nbsec.sarif").read_text(encoding="utf-8")))
    validate_cyclonedx((folder / f"{stem}.nbsec.cdx.json").read_text(encoding="utf-8"))
    validate_openlineage(
        json.loads((folder / f"{stem}.nbsec.openlineage.json").read_text(encoding="utf-8"))
    )
    html = folder / f"{stem}.nbsec.html"
    if html.exists():
        validate_html(html.read_text(encoding="utf-8"))
    listed = {a["name"]: a["sha256"] for a in nb.metadata["nbsec_report"]["attachments"]}
    import hashlib

    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert set(listed) == {f"{stem}.nbsec.json", *(a["name"] for a in report["attachments"])}
    media = {a["name"]: a["media_type"] for a in report["attachments"]}
    assert media == {
        f"{stem}.nbsec.sarif": "application/sarif+json",
        f"{stem}.nbsec.cdx.json": "application/vnd.cyclonedx+json",
        f"{stem}.nbsec.openlineage.json": "application/json",
    }
    return report
