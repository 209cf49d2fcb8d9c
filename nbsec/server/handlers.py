"""nbsec's REST handlers under ``/nbsec/api/``, and the base class other areas build on.

:class:`NbsecAPIHandler` is a Jupyter ``APIHandler``: every request is authenticated (token or
cookie, as for Jupyter's own API; XSRF checks for unsafe methods), authorized against a Jupyter
resource, and answered in JSON; errors are tornado ``HTTPError``\\ s, written as
``{"message", "reason"}``. :meth:`NbsecAPIHandler.notebook_path` confines a path argument to the
server root: it must be relative, without ``..`` segments, not hidden (unless the server allows
hidden files), and is read through the server's own contents manager, so nbsec sees what Jupyter
would open and never a file outside the root.

Routes (relative to ``<base_url>nbsec/api/``):

* ``GET version`` → ``{"nbsec_version", "api_version", "features"}`` (features of every handler
  module: ``scan``, ``pre_save``, ``report``);
* ``GET scan?path=<notebook path>`` → the static scan of the saved notebook (what ``nbsec scan
  --format json`` reports for it): ``{"path", "findings", "waived", "errors", "summary",
  "pii_checked"}`` — for the panel when the kernel has no nbsec, or no kernel runs;
* ``POST report?path=<notebook path>`` → the governance report of the saved notebook, written
  beside it (``nbsec/server/report_handler.py``).
"""

from __future__ import annotations

import json
import os
from pathlib import PurePosixPath
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import ensure_async
from tornado import web

API_VERSION = 1
FEATURES = ("scan", "pre_save")


class NbsecAPIHandler(APIHandler):
    """Base of nbsec's handlers (see the module docstring)."""

    auth_resource = "contents"

    def write_json(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    def notebook_path(self, name: str = "path") -> str:
        """The ``path`` argument as an API path confined to the server root (400 otherwise)."""
        raw = self.get_argument(name, default="")
        if not raw:
            raise web.HTTPError(400, f"nbsec: the '{name}' argument is required")
        if "\x00" in raw or raw.startswith(("/", "\\")) or "\\" in raw:
            raise web.HTTPError(400, f"nbsec: {name!r} must be a path relative to the server root")
        parts = PurePosixPath(raw).parts
        if any(part in ("..", ".") for part in parts):
            raise web.HTTPError(400, f"nbsec: {name!r} must not contain '.' or '..' segments")
        cm = self.contents_manager
        if not getattr(cm, "allow_hidden", False) and any(p.startswith(".") for p in parts):
            raise web.HTTPError(404, "nbsec: no such notebook")
        return "/".join(parts)

    def os_path(self, api_path: str) -> str | None:
        """The file behind an API path when the contents manager keeps files under a root
        directory (``None`` otherwise), checked to stay inside that root after symlinks."""
        root = getattr(self.contents_manager, "root_dir", None)
        if not isinstance(root, str):
            return None
        real_root = os.path.realpath(root)
        candidate = os.path.realpath(os.path.join(real_root, *api_path.split("/")))
        if os.path.commonpath([real_root, candidate]) != real_root:
            raise web.HTTPError(404, "nbsec: no such notebook")
        return candidate

    async def read_notebook(self, api_path: str) -> dict[str, Any]:
        """The notebook document at ``api_path``, read through the contents manager."""
        self.os_path(api_path)  # refuses symlinks out of the root before anything is read
        cm: Any = self.contents_manager
        if not await ensure_async(cm.file_exists(api_path)):
            raise web.HTTPError(404, "nbsec: no such notebook")
        model = await ensure_async(cm.get(api_path, content=True, type="notebook"))
        content = model.get("content")
        if not isinstance(content, dict):
            raise web.HTTPError(400, "nbsec: not a notebook")
        return content


class VersionHandler(NbsecAPIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        from nbsec._version import __version__

        self.write_json(
            {"nbsec_version": __version__, "api_version": API_VERSION, "features": features()}
        )


def features() -> list[str]:
    """What this server's nbsec offers: this module's features and every handler module's."""
    import importlib

    from nbsec.server import HANDLER_MODULES

    found = list(FEATURES)
    for name in HANDLER_MODULES:
        for feature in getattr(importlib.import_module(name), "FEATURES", ()):
            if feature not in found:
                found.append(feature)
    return found


class ScanHandler(NbsecAPIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        api_path = self.notebook_path()
        if not api_path.endswith(".ipynb"):
            raise web.HTTPError(400, "nbsec: only notebooks (.ipynb) can be scanned")
        document = await self.read_notebook(api_path)
        os_path = self.os_path(api_path)
        payload = await self._scan(api_path, document, os_path)
        self.write_json(payload)

    async def _scan(
        self, api_path: str, document: dict[str, Any], os_path: str | None
    ) -> dict[str, Any]:
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(
            None, scan_payload, api_path, document, os_path
        )


def scan_payload(api_path: str, document: dict[str, Any], os_path: str | None) -> dict[str, Any]:
    """The scan endpoint's answer for one notebook document (runs off the event loop)."""
    from nbsec.errors import NbsecError
    from nbsec.findings import count_by_severity
    from nbsec.policy import Policy, load_policy
    from nbsec.source.notebook import parse_document
    from nbsec.source.output_pii import pii_engine
    from nbsec.source.scanner import analyse

    try:
        policy = load_policy(os_path) if os_path else Policy()
    except NbsecError as exc:
        raise web.HTTPError(400, f"nbsec: {exc}") from None
    notebook = parse_document(json.loads(json.dumps(document)), api_path)
    scan = analyse(notebook, policy)
    active = []
    waived = []
    for finding in scan.findings:
        if not policy.rule_enabled(finding.rule):
            continue
        waiver = policy.waiver_for(finding)
        if waiver is None:
            active.append(finding)
        else:
            waived.append({**finding.to_dict(), "waiver": f"waived: {waiver.reason}"})
    return {
        "path": api_path,
        "findings": [f.to_dict() for f in active],
        "waived": waived,
        "errors": [f"{api_path}: malformed notebook: {p}" for p in scan.problems],
        "summary": {
            "active": len(active),
            "waived": len(waived),
            "by_severity": count_by_severity(active),
            "fail_on": policy.fail_on.value,
        },
        "pii_checked": pii_engine() is not None,
        "policy_file": str(policy.source) if policy.source else None,
    }


HANDLERS: list[tuple[str, type[NbsecAPIHandler]]] = [
    ("version", VersionHandler),
    ("scan", ScanHandler),
]
