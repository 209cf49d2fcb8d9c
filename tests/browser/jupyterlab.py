"""A throw-away JupyterLab for the browser tests, and the notebooks it serves.

The server runs from this virtualenv in an isolated Jupyter environment (its own config, data,
runtime, settings and workspace directories), so nothing on the machine leaks in and nothing is
left behind. The labextension under test is the checkout's build, ``nbsec/labextension`` (what
``uv pip install -e .`` builds); it is linked into the isolated data directory, which JupyterLab
searches before the virtualenv's ``share/jupyter/labextensions``, so a stale copy installed
earlier cannot shadow it. When the checkout has no build, the installed copy is used. Kernels
import ``nbsec`` from the checkout.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILT_LABEXTENSION = REPO / "nbsec" / "labextension"
SCREENSHOTS = REPO / "reports" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_TIMEOUT_S = 60.0


def missing(reason: str) -> NoReturn:
    """Skip on a developer machine; fail in CI, where the browser test must really run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser test may not be skipped)", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab: where it listens, its token and the notebooks directory it serves."""

    base_url: str
    token: str
    root_dir: Path
    log_path: Path

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def put_settings(self, plugin_id: str, settings: dict[str, object]) -> None:
        """Save a plugin's user settings through the server's settings API."""
        body = json.dumps({"raw": json.dumps(settings)}).encode("utf-8")
        request = urllib.request.Request(
            self.url(f"lab/api/settings/{plugin_id}"),
            data=body,
            method="PUT",
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            if response.status not in (200, 204):
                raise RuntimeError(f"saving settings of {plugin_id}: HTTP {response.status}")

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _jupyter_env(home: Path) -> dict[str, str]:
    """The environment of the server and its kernels: isolated Jupyter dirs, the checkout first."""
    env = dict(os.environ)
    for variable, name in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"),
        ("IPYTHONDIR", "ipython"),
    ]:
        path = home / name
        path.mkdir(parents=True, exist_ok=True)
        env[variable] = str(path)
    env.pop("JUPYTER_PATH", None)
    # In a virtualenv jupyter_core searches the environment's share/jupyter before the user's
    # data dir; turn that off so the linked checkout build wins over an installed copy.
    env["JUPYTER_PREFER_ENV_PATH"] = "0"
    env.pop("NBSEC_POLICY", None)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return env


def _link_built_extension(data_dir: Path) -> None:
    """Put the checkout's built labextension first on JupyterLab's search path."""
    if not (BUILT_LABEXTENSION / "package.json").is_file():
        return  # use an installed copy; _assert_extension_served checks there is one
    target = data_dir / "labextensions" / "nbsec"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(BUILT_LABEXTENSION, target_is_directory=True)


def _silence_news(settings_dir: Path) -> None:
    """No "get notified about Jupyter news?" toast over the screenshots, no fetch from the web."""
    path = settings_dir / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")


def _assert_extension_served(server: LabServer) -> None:
    """The page JupyterLab serves must load nbsec, and the checkout's build of it when there is one.

    The page's config lists the prebuilt (federated) extensions the browser will load, the same
    list ``jupyter labextension list`` reports, read in one request instead of another process.
    """
    with urllib.request.urlopen(server.url(f"lab?token={server.token}"), timeout=30) as response:
        html = response.read().decode("utf-8")
    match = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S
    )
    config = json.loads(match.group(1)) if match else {}
    served = {ext.get("name"): ext for ext in config.get("federated_extensions", [])}
    if "nbsec" not in served:
        pytest.fail(
            "JupyterLab does not serve the nbsec labextension; build it with `uv pip install "
            f"-e .` (or `jlpm build:prod` in labextension/). Served: {sorted(map(str, served))}",
            pytrace=False,
        )
    built = BUILT_LABEXTENSION / "package.json"
    if built.is_file():
        expected = json.loads(built.read_text(encoding="utf-8"))["jupyterlab"]["_build"]["load"]
        if served["nbsec"].get("load") != expected:
            pytest.fail(
                f"JupyterLab serves another build of nbsec ({served['nbsec'].get('load')}) "
                f"than the checkout's ({expected})",
                pytrace=False,
            )


def _wait_until_up(process: subprocess.Popen[bytes], server: LabServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    status_url = server.url(f"api/status?token={server.token}")
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"jupyter lab exited with {process.returncode}:\n{server.log_tail()}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(status_url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    pytest.fail(
        f"jupyter lab did not answer within {SERVER_START_TIMEOUT_S:.0f} s:\n{server.log_tail()}",
        pytrace=False,
    )


@contextmanager
def start_lab_server(home: Path) -> Iterator[LabServer]:
    """Run ``jupyter lab`` in an isolated environment under ``home`` until the block ends."""
    root_dir = home / "notebooks"
    root_dir.mkdir()
    env = _jupyter_env(home)
    _link_built_extension(Path(env["JUPYTER_DATA_DIR"]))
    _silence_news(Path(env["JUPYTERLAB_SETTINGS_DIR"]))

    port = _free_port()
    token = secrets.token_hex(16)
    server = LabServer(
        base_url=f"http://127.0.0.1:{port}",
        token=token,
        root_dir=root_dir,
        log_path=home / "jupyter-lab.log",
    )
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        # window.jupyterapp lets a test open a notebook in the running page (like Galata does)
        "--LabApp.expose_app_in_browser=True",
    ]
    with server.log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_up(process, server)
        _assert_extension_served(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def open_lab(page: Any, server: LabServer) -> None:
    """Load JupyterLab (with a reset workspace) and wait until its app object is ready."""
    page.goto(server.url(f"lab?reset&token={server.token}"))
    page.wait_for_function("() => window.jupyterapp !== undefined")
    page.evaluate("() => window.jupyterapp.restored.then(() => true)")


def open_notebook(page: Any, path: str) -> Any:
    """Open a notebook in the running JupyterLab; returns the locator of its panel."""
    widget_id = page.evaluate(
        """async path => {
            const widget = await window.jupyterapp.commands.execute('docmanager:open', {path});
            await widget.context.ready;
            return widget.id;
        }""",
        path,
    )
    notebook = page.locator(f"[id='{widget_id}']")
    notebook.locator(".jp-Cell").first.wait_for(state="visible")
    return notebook


def write_notebook(root_dir: Path, name: str, sources: list[str]) -> Path:
    """A small nbformat-4 notebook with a Python 3 kernelspec, so JupyterLab starts its kernel."""
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"cell-{index}",
            "metadata": {},
            "outputs": [],
            "source": source,
        }
        for index, source in enumerate(sources)
    ]
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = root_dir / name
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path
