"""Fixtures for the real-browser tests: a JupyterLab server and Debian's headless Chromium.

The server runs from this virtualenv in a throw-away Jupyter environment (its own config, data,
runtime, settings and workspace directories), so nothing on the machine leaks in and nothing
is left behind. The labextension under test is the checkout's build, ``nbsec/labextension``
(what ``uv pip install -e .`` builds); it is linked into the throw-away data directory, which
JupyterLab searches before the virtualenv's ``share/jupyter/labextensions``, so a stale copy
installed earlier cannot shadow it. Kernels import ``nbsec`` from the checkout.

Chromium comes from Debian (``apt-get install chromium``); Playwright never downloads a browser
here. A missing Chromium skips the tests, except under ``CI=true`` where it fails them.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def _missing(reason: str) -> None:
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
    env.pop("NBSEC_POLICY", None)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return env


def _link_built_extension(data_dir: Path) -> None:
    """Put the checkout's built labextension first on JupyterLab's search path."""
    if not (BUILT_LABEXTENSION / "package.json").is_file():
        return  # fall back to an installed copy; _assert_extension_enabled checks there is one
    target = data_dir / "labextensions" / "nbsec"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(BUILT_LABEXTENSION, target_is_directory=True)


def _silence_news(settings_dir: Path) -> None:
    """No "get notified about Jupyter news?" toast over the screenshots, no fetch from the web."""
    path = settings_dir / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")


def _assert_extension_enabled(env: dict[str, str]) -> None:
    """``jupyter labextension list`` must show nbsec enabled and OK in this environment."""
    listing = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = (listing.stdout + listing.stderr).splitlines()
    found = [line for line in lines if line.strip().startswith("nbsec ")]
    if not found or "enabled" not in found[0] or "OK" not in found[0]:
        pytest.fail(
            "the nbsec labextension is not built or not enabled; build it with "
            "`uv pip install -e .` (or `jlpm build:prod` in labextension/).\n" + "\n".join(lines),
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


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """``jupyter lab`` on a free port with a known token, stopped at the end of the session."""
    home = tmp_path_factory.mktemp("jupyter-home")
    root_dir = tmp_path_factory.mktemp("notebooks")
    env = _jupyter_env(home)
    _link_built_extension(Path(env["JUPYTER_DATA_DIR"]))
    _silence_news(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
    _assert_extension_enabled(env)

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
    ]
    with server.log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_up(process, server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, headless."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright (Python) is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any, lab_server: LabServer) -> Iterator[Any]:
    """A fresh browser context and page."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


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
