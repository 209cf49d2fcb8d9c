"""The governance report of a saved notebook, written by the server: ``POST report?path=<path>``.

The panel's "Governance report" action uses it when no kernel with nbsec is running for the
notebook (no kernel, a kernel without nbsec, or a kernel that has not answered): the report is
built from the notebook as saved — its static findings, its ``metadata.nbsec`` and the ledger it
names — by the report builder every other way in uses (:func:`nbsec.report.generate.generate`),
and written beside the notebook: ``NAME.nbsec.ipynb``, ``NAME.nbsec.html`` and the attachments.

The path is confined to the server root as for every nbsec handler, the builder reads no file
outside it, and the report is written only where the contents manager keeps files on disk. The
answer names the written files by their API paths (relative to the server root)::

    {"path": "work/NAME.nbsec.ipynb", "html_path": "work/NAME.nbsec.html",
     "files": [...], "outcome": "pass" | "fail" | "incomplete", "risk": "...", "headline": "..."}
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path, PurePosixPath
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import ensure_async
from tornado import web

from nbsec.server.handlers import NbsecAPIHandler

FEATURES = ("report",)


class ReportHandler(NbsecAPIHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        from nbsec.report.generate import is_report_notebook

        api_path = self.notebook_path()
        if not api_path.endswith(".ipynb"):
            raise web.HTTPError(400, "nbsec: only notebooks (.ipynb) have a governance report")
        if is_report_notebook(Path(api_path)):
            raise web.HTTPError(400, "nbsec: this is a governance report; open its notebook")
        os_path = self.os_path(api_path)
        root = getattr(self.contents_manager, "root_dir", None)
        if os_path is None or not isinstance(root, str):
            raise web.HTTPError(
                501, "nbsec: this server does not keep notebooks on disk; use `nbsec report`"
            )
        contents: Any = self.contents_manager
        if not await ensure_async(contents.file_exists(api_path)):
            raise web.HTTPError(404, "nbsec: no such notebook")
        loop = asyncio.get_running_loop()
        written = await loop.run_in_executor(None, write_report, api_path, os_path, root)
        self.write_json(written)


def write_report(api_path: str, os_path: str, root: str) -> dict[str, Any]:
    """Build and write the report of the notebook at ``os_path`` (runs off the event loop)."""
    from nbsec.errors import NbsecError
    from nbsec.report.generate import generate, write

    folder = os.path.dirname(os_path)
    try:
        files = generate(os_path, via="server", html=True, confine=os.path.realpath(root))
        paths = write(files, folder)
    except NbsecError as exc:
        raise web.HTTPError(400, f"nbsec: {exc}") from None
    parent = PurePosixPath(api_path).parent

    def api(name: str | None) -> str | None:
        return None if name is None else (parent / name).as_posix()

    summary = files.model.summary
    return {
        "path": api(files.notebook_name()),
        "html_path": api(files.html_name() if files.html is not None else None),
        "files": [api(p.name) for p in paths],
        "outcome": summary.outcome,
        "risk": summary.risk,
        "headline": summary.headline,
    }


HANDLERS: list[tuple[str, type[NbsecAPIHandler]]] = [("report", ReportHandler)]
