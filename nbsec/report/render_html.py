"""The report document as one self-contained HTML page (``templates/report.html.j2``).

Jinja2 (nbconvert's own template engine) with autoescaping on: every string is escaped. The only
markup inserted as is are the SVG pictures nbsec draws (their labels are escaped when drawn), and
they are checked to be SVG made here. No script, no external stylesheet, font or image: the page
reads the same offline and prints cleanly.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from nbsec._version import __version__
from nbsec.report.document import Document, Tag


class _NotOurSvg(ValueError):
    pass


def _svg(value: str) -> Any:
    from markupsafe import Markup

    text = str(value)
    if not text.startswith('<svg xmlns="http://www.w3.org/2000/svg"') or "<script" in text.lower():
        raise _NotOurSvg("only SVG drawn by nbsec is inserted into the page")
    return Markup(text)  # noqa: S704 - nbsec's own SVG, labels escaped when drawn


@cache
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("nbsec.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )
    env.filters["kind"] = lambda block: type(block).__name__
    env.filters["nbsec_svg"] = _svg
    env.tests["tag"] = lambda value: isinstance(value, Tag)
    return env


def render_html(document: Document) -> str:
    template = _environment().get_template("report.html.j2")
    return str(template.render(document=document, version=__version__))
