"""The report as people see it, in Debian's Chromium: the HTML page offline (no request leaves the
file, prints without the navigation) and the governance notebook in a real JupyterLab, pictures
rendered in an untrusted notebook. Screenshots land in ``reports/screenshots/``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from nbsec.report.generate import generate, write
from tests.browser.jupyterlab import (
    SCREENSHOTS,
    LabServer,
    open_lab,
    open_notebook,
    start_lab_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.kernel, pytest.mark.slow]


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The executed report of the churn example (the richest one: frames, lineage, data)."""
    from tests.report.conftest import EXAMPLES

    work = tmp_path_factory.mktemp("churn")
    shutil.copy(EXAMPLES / "customer_churn.ipynb", work / "customer_churn.ipynb")
    shutil.copytree(EXAMPLES / "data", work / "data")
    out = work / "out"
    write(generate(work / "customer_churn.ipynb", execute=True, html=True), out)
    return out


def test_html_page_is_offline_readable_and_printable(report_dir: Path, chromium: Any) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto((report_dir / "customer_churn.nbsec.html").as_uri())
        assert page.title() == "Governance report: customer_churn.ipynb"
        assert [u for u in requests if not u.startswith("file://")] == []
        assert errors == []
        for section in ("summary", "data", "personal-data", "lineage", "policy", "limitations"):
            assert page.locator(f"section#{section} h2").is_visible()
        lineage = page.locator("section#lineage svg")
        assert lineage.count() == 1 and lineage.bounding_box()["width"] > 400
        assert page.locator("section#lineage svg text", has_text="customers.csv").count() == 1
        assert page.locator("section#summary .tag.high").first.is_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "report-html.png"))
        page.locator("section#lineage").screenshot(path=str(SCREENSHOTS / "report-lineage.png"))
        page.emulate_media(media="print")
        assert not page.locator("nav.toc").is_visible()
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 3
    finally:
        context.close()


def test_report_notebook_renders_in_jupyterlab(
    report_dir: Path, chromium: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with start_lab_server(tmp_path_factory.mktemp("lab")) as server:
        _check_notebook_in_lab(server, report_dir, chromium)


def _read_through(page: Any, notebook: Any) -> tuple[str, int]:
    """The text of every cell and the number of distinct pictures, each seen loaded, scrolled
    through from the top (JupyterLab renders only the cells near the viewport of a long
    notebook)."""
    scroller = notebook.locator(".jp-WindowedPanel-outer").first
    scroller.evaluate("e => { e.scrollTop = 0; }")
    seen: dict[str, None] = {}
    pictures: set[str] = set()
    for _ in range(200):
        for text in notebook.locator(".jp-Cell .jp-RenderedMarkdown").all_inner_texts():
            seen.setdefault(text)
        for img in notebook.locator("img[src^='data:image/svg+xml']").all():
            src = img.get_attribute("src") or ""
            if src not in pictures:
                page.wait_for_function(
                    "img => img.complete && img.naturalWidth > 0", arg=img.element_handle()
                )
                pictures.add(src)
        at_end = scroller.evaluate(
            "e => { const end = e.scrollTop + e.clientHeight >= e.scrollHeight - 2;"
            " e.scrollTop += e.clientHeight * 0.8; return end; }"
        )
        if at_end:
            break
        page.wait_for_timeout(50)
    return "\n".join(seen), len(pictures)


def _check_notebook_in_lab(server: LabServer, report_dir: Path, chromium: Any) -> None:
    shutil.copy(report_dir / "customer_churn.nbsec.ipynb", server.root_dir / "report.ipynb")
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        open_lab(page, server)
        notebook = open_notebook(page, "report.ipynb")
        title = notebook.locator(
            ".jp-RenderedMarkdown h1", has_text="Governance report: customer_churn.ipynb"
        )
        title.wait_for(state="visible")
        text, pictures = _read_through(page, notebook)
        assert pictures == 2  # the severity chart and the lineage graph
        for heading in ("Data inventory", "Personal data", "Lineage", "Limitations"):
            assert heading in text, heading
        assert "Masked examples" in text
        assert notebook.locator("script").count() == 0
        title.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "report-notebook.png"))
    finally:
        context.close()
