"""nbsec's Jupyter server extension: nbsec's REST API under ``/nbsec/api/`` and the opt-in
pre-save hook that redacts, or refuses, a notebook holding personal data or secrets.

Enabled by the ``jupyter_server_config.d/nbsec.json`` file the package installs (or
``jupyter server extension enable nbsec``). Configuration is :class:`NbsecServer` (traitlets)::

    c.NbsecServer.pre_save = "redact"        # off (default) | redact | refuse | policy

Handlers come from the modules listed in :data:`HANDLER_MODULES`; each exposes ``HANDLERS``, a
list of ``(route, handler class)`` with routes relative to ``/nbsec/api/``. A new area adds its
module there (see ``nbsec/server/handlers.py`` for the base class: authentication,
authorization, paths confined to the server root, JSON errors).
"""

from __future__ import annotations

import importlib
from typing import Any

from nbsec.server.config import NbsecServer

__all__ = ["HANDLER_MODULES", "NbsecServer", "api_routes", "load_jupyter_server_extension"]

# modules that contribute handlers; each has HANDLERS = [(route, handler class), ...]
HANDLER_MODULES = ("nbsec.server.handlers", "nbsec.server.report_handler")
API_PREFIX = "nbsec/api"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "nbsec.server"}]


def api_routes(base_url: str) -> list[tuple[str, Any, dict[str, Any]]]:
    """Every nbsec route under ``base_url``, for ``web_app.add_handlers``."""
    from jupyter_server.utils import url_path_join

    routes: list[tuple[str, Any, dict[str, Any]]] = []
    for name in HANDLER_MODULES:
        module = importlib.import_module(name)
        for route, handler in module.HANDLERS:
            routes.append((url_path_join(base_url, API_PREFIX, route), handler, {}))
    return routes


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Register nbsec's handlers and, when configured, the pre-save hook."""
    from nbsec.server.save_hook import install_pre_save_hook

    config = NbsecServer(parent=serverapp)
    web_app = serverapp.web_app
    web_app.settings["nbsec_server"] = config
    web_app.add_handlers(".*$", api_routes(web_app.settings["base_url"]))
    if config.pre_save != "off":
        install_pre_save_hook(serverapp.contents_manager, config)
        _warm_up(serverapp.log)
    serverapp.log.info(
        "nbsec server extension loaded (API under %snbsec/api/, pre-save hook: %s)",
        web_app.settings["base_url"],
        config.pre_save,
    )


def _warm_up(log: Any) -> None:
    """Load the personal-data engine in a background thread when the pre-save hook is on, so
    the user's first save does not wait for it (it takes seconds to import)."""
    import threading

    def load() -> None:
        from nbsec.source.output_pii import pii_engine

        try:
            engine = pii_engine()
            if engine is not None:
                engine.scan_text("reach the warm-up desk at warm.up@example.com")
        except Exception as exc:  # the hook reports its own failure at save time
            log.warning("nbsec: personal-data engine not loaded ahead of saves (%s)", exc)

    threading.Thread(target=load, name="nbsec-warm-up", daemon=True).start()


# the name jupyter_server looked for before 2.0
load_jupyter_server_extension = _load_jupyter_server_extension
