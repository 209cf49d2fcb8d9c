"""Findings shown in a cell's output, in a real kernel: readable on every JupyterLab theme (no
hard-coded text colour: the theme's variables, each with a fallback)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.kernel.harness import Kernel

pytestmark = pytest.mark.kernel

STYLE = re.compile(r"style='([^']*)'")


def declarations(html: str) -> list[tuple[str, str]]:
    out = []
    for style in STYLE.findall(html):
        for item in style.split(";"):
            if ":" in item:
                name, value = item.split(":", 1)
                out.append((name.strip(), value.strip()))
    return out


def test_inline_findings_take_their_colours_from_the_theme(kernel: Kernel, tmp_path: Path) -> None:
    (tmp_path / "m.pkl").write_bytes(b"\x80\x04K\x01.")
    assert kernel.execute("%load_ext nbsec").status == "ok"
    # a call-site finding (critical) and a remediation line, shown before the cell runs
    out = kernel.execute('import pickle\nraw = b"\\x80\\x04K\\x01."\nvalue = pickle.loads(raw)')
    assert out.status == "ok", out.error
    html = out.html()
    assert "nbsec-findings" in html and "CRITICAL" in html
    found = declarations(html)
    colours = [(n, v) for n, v in found if n in ("color", "background", "border-left")]
    assert {n for n, _ in colours} == {"color", "background", "border-left"}
    # every text colour is a theme variable (the remediation's, formerly #333, included)
    text = [v for n, v in colours if n == "color"]
    assert text and all(v.startswith("var(--jp-") for v in text), text
    assert "var(--jp-content-font-color2, inherit)" in text
    assert not re.search(r"(?<![-\w])color:\s*#", html)
    # backgrounds and borders: theme variables, or the faint tint that suits both themes
    for name, value in colours:
        if name != "color":
            assert "var(--jp-" in value or value == "rgba(211, 47, 47, 0.05)", (name, value)
