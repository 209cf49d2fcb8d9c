"""Every section of the report is there even when it has nothing to say (what was checked, and
that nothing was found: never a blank), and every string that came from a notebook, its data
or its metadata is text in the HTML page and in the report notebook, never markup."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path

import nbformat

from nbsec.report.document import Bullets, Facts, Para, Picture, Table, build_document
from nbsec.report.generate import generate, write
from nbsec.report.model import Report
from tests.report.attachments import Markup, validate_files

SECTIONS = {
    "summary": "Executive summary",
    "identity": "Identity and provenance",
    "governance": "Purpose, use, owner and legal basis",
    "data": "Data inventory",
    "personal-data": "Personal data",
    "models": "Models and pickles",
    "lineage": "Lineage",
    "secrets": "Secrets",
    "environment": "Environment and bill of materials",
    "policy": "Policy evaluation",
    "reproducibility": "Reproducibility",
    "limitations": "Limitations",
}


def _sections_said(report: Report) -> dict[str, list[str]]:
    """Per section: its 'checked' line and the visible text of each block."""
    said: dict[str, list[str]] = {}
    for section in build_document(report).sections:
        texts = [section.checked]
        for block in section.blocks:
            if isinstance(block, Table):
                texts.append(block.empty if not block.rows else f"{len(block.rows)} rows")
            elif isinstance(block, (Para, Picture)):
                texts.append(getattr(block, "text", "") or getattr(block, "alt", ""))
            elif isinstance(block, Bullets):
                texts.append("; ".join(block.items))
            elif isinstance(block, Facts):
                texts.append(f"{len(block.rows)} facts")
        said[section.id] = texts
    return said


def test_an_empty_notebook_has_every_section_saying_what_was_checked(
    make_notebook: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_notebook([])
    files = generate(path, html=True, out_dir=tmp_path / "out")
    write(files, tmp_path / "out")
    validate_files(tmp_path / "out", "analysis")
    said = _sections_said(files.model)
    assert set(SECTIONS) <= set(said), set(SECTIONS) - set(said)
    for section_id, texts in said.items():
        assert texts[0].strip(), f"{section_id}: no 'checked' line"
        assert len(texts) > 1 and all(t.strip() for t in texts), (section_id, texts)
    # the notebook and the page carry every title, in the order
    nb = nbformat.read(str(tmp_path / "out" / "analysis.nbsec.ipynb"), as_version=4)
    headings = [c.source.splitlines()[0] for c in nb.cells[1:]]
    titles = [h.removeprefix("## ").replace("\\", "") for h in headings]
    assert [t for t in titles if t in SECTIONS.values()] == list(SECTIONS.values())
    page = (tmp_path / "out" / "analysis.nbsec.html").read_text(encoding="utf-8")
    for section_id in SECTIONS:
        assert f'<section id="{section_id}">' in page
    # the empty-state sentences a reviewer reads
    report = json.loads((tmp_path / "out" / "analysis.nbsec.json").read_text(encoding="utf-8"))
    assert report["summary"]["outcome"] == "pass" and report["summary"]["risk"] == "none"


EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _hostile_notebook(make_notebook: Callable[..., Path], folder: Path) -> Path:
    table = (
        "<table><thead><tr><th>" + EVIL + "</th><th>email</th></tr></thead><tbody>"
        + "".join(
            f"<tr><td>{i}</td><td>person{i}.name@example.org</td></tr>" for i in range(6)
        )
        + "</tbody></table>"
    )  # fmt: skip
    outputs = [
        nbformat.v4.new_output(
            "execute_result", data={"text/html": table, "text/plain": "df"}, execution_count=2
        )
    ]
    (folder / "a.csv").write_text("x\n1\n")
    return make_notebook(
        [
            ("md", "# " + EVIL),
            f"import pandas as pd\ndf = pd.read_csv('a.csv')  # {EVIL}",
            ("df", outputs),
            f"import pickle\nm = pickle.load(open({EVIL + '.pkl'!r}, 'rb'))",
            f"open({EVIL!r}, 'w').write('x')",
            "import requests\nrequests.get('https://example.org/" + EVIL + "?token=abc')",
        ],
        nbsec={"governance": {"purpose": EVIL, "owner": "</td></tr></table>" + EVIL}},
    )


def test_notebook_text_is_never_markup_in_the_page_or_the_notebook(
    make_notebook: Callable[..., Path], tmp_path: Path
) -> None:
    path = _hostile_notebook(make_notebook, tmp_path)
    files = generate(path, html=True, out_dir=tmp_path / "out")
    write(files, tmp_path / "out")
    validate_files(tmp_path / "out", "analysis")
    page = (tmp_path / "out" / "analysis.nbsec.html").read_text(encoding="utf-8")
    markup = Markup()
    markup.feed(page)
    assert "script" not in markup.tags and "img" not in markup.tags
    assert markup.handlers == []
    # it is there, as text: the reviewer sees what the notebook said
    assert "&lt;script&gt;" in page
    report = json.loads((tmp_path / "out" / "analysis.nbsec.json").read_text(encoding="utf-8"))
    assert any(f["value"] and "<script>" in f["value"] for f in report["governance"]["fields"])
    # in the report notebook, markdown cells keep it inert: no raw tag, no markdown link/image
    nb = nbformat.read(str(tmp_path / "out" / "analysis.nbsec.ipynb"), as_version=4)
    for cell in nb.cells:
        text = cell.source
        assert "<script" not in text and "<img" not in text and "</td>" not in text
        stripped = _without_pictures(text)
        assert "](" not in stripped and "![" not in stripped
    # the SVG pictures inside the notebook are nbsec's own: escaped labels, no script
    for cell in nb.cells:
        for svg in _pictures(cell.source):
            inner = Markup()
            inner.feed(svg)
            assert "script" not in inner.tags and inner.handlers == [], svg[:200]


def _without_pictures(text: str) -> str:
    return re.sub(r"!\[[^\]]*\]\(data:image/svg\+xml;base64,[A-Za-z0-9+/=]+\)", "", text)


def _pictures(text: str) -> list[str]:
    return [
        base64.b64decode(m).decode("utf-8")
        for m in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", text)
    ]
