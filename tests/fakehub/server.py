"""A local HTTP server that speaks enough of the Hugging Face hub API for ``huggingface_hub``.

Point the client at it with ``HF_ENDPOINT=http://127.0.0.1:<port>`` (set before
``huggingface_hub`` is imported). It serves, for repositories built in memory from files the test
generated:

* ``GET /api/models/<org>/<name>[/revision/<rev>]`` - model info: ``id``, ``sha`` (the commit the
  revision resolves to) and ``siblings``;
* ``GET /api/models/<org>/<name>/tree/<rev>[/<path>]`` - the file list ``list_repo_tree`` reads;
* ``HEAD|GET /<org>/<name>/resolve/<rev>/<file>`` - the file, with the headers ``hf_hub_download``
  relies on: ``X-Repo-Commit`` (resolved commit), ``ETag`` (the file's sha256, as the hub does for
  LFS files) and ``Content-Length``;
* ``GET /files/<name>`` - plain files for URL downloads (``urllib``, ``requests``, ``httpx``).

Revisions are branch names, tag names or full commit ids; anything else is a 404 with the
``X-Error-Code: RevisionNotFound`` header the client maps to its error. Every request is logged in
``FakeHub.requests`` so a test can assert what the client asked for.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit


@dataclass
class FakeRepo:
    """One repository: ``refs`` maps branch/tag names to commit ids, ``commits`` maps commit ids
    to ``{path: bytes}``."""

    repo_id: str
    refs: dict[str, str] = field(default_factory=dict)
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)

    def add_commit(self, files: dict[str, bytes], *, ref: str = "main") -> str:
        material = json.dumps(
            {k: hashlib.sha256(v).hexdigest() for k, v in sorted(files.items())}
        ).encode()
        commit = hashlib.sha1(self.repo_id.encode() + material, usedforsecurity=False).hexdigest()
        self.commits[commit] = dict(files)
        self.refs[ref] = commit
        return commit

    def resolve(self, revision: str) -> str | None:
        revision = unquote(revision)
        if revision in self.commits:
            return revision
        return self.refs.get(revision)


class FakeHub:
    """The server and its repositories. Use as a context manager, or ``start()`` / ``stop()``."""

    def __init__(self) -> None:
        self.repos: dict[str, FakeRepo] = {}
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- content ----------------------------------------------------------------------------------
    def repo(self, repo_id: str) -> FakeRepo:
        return self.repos.setdefault(repo_id, FakeRepo(repo_id))

    def add_file(self, name: str, data: bytes) -> str:
        self.files[name] = data
        return f"{self.endpoint}/files/{name}"

    # -- lifecycle --------------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        assert self._server is not None, "FakeHub is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeHub:
        hub = self

        class Handler(_HubHandler):
            fake = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _HubHandler(BaseHTTPRequestHandler):
    fake: FakeHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return

    def do_HEAD(self) -> None:
        self._route(send_body=False)

    def do_GET(self) -> None:
        self._route(send_body=True)

    # -- routing ----------------------------------------------------------------------------------
    def _route(self, send_body: bool) -> None:
        path = urlsplit(self.path).path
        self.fake.requests.append((self.command, path))
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:1] == ["files"] and len(parts) == 2:
            data = self.fake.files.get(parts[1])
            if data is None:
                return self._error(404, "EntryNotFound", send_body)
            return self._send(200, data, "application/octet-stream", {}, send_body)
        if parts[:2] == ["api", "models"] and len(parts) >= 4:
            return self._api(parts[2:], send_body)
        if len(parts) >= 5 and parts[2] == "resolve":
            repo = self.fake.repos.get(f"{parts[0]}/{parts[1]}")
            if repo is None:
                return self._error(404, "RepoNotFound", send_body)
            return self._resolve(repo, parts[3], "/".join(parts[4:]), send_body)
        return self._error(404, "RepoNotFound", send_body)

    def _api(self, rest: list[str], send_body: bool) -> None:
        repo = self.fake.repos.get(f"{rest[0]}/{rest[1]}")
        if repo is None:
            return self._error(404, "RepoNotFound", send_body)
        action = rest[2] if len(rest) > 2 else "revision"
        revision = rest[3] if len(rest) > 3 else "main"
        commit = repo.resolve(revision)
        if commit is None:
            return self._error(404, "RevisionNotFound", send_body)
        files = repo.commits[commit]
        if action == "revision":
            body: Any = {
                "id": repo.repo_id,
                "modelId": repo.repo_id,
                "sha": commit,
                "private": False,
                "siblings": [{"rfilename": name} for name in sorted(files)],
            }
        elif action == "tree":
            prefix = "/".join(rest[4:])
            body = [
                {
                    "type": "file",
                    "oid": hashlib.sha1(data, usedforsecurity=False).hexdigest(),
                    "size": len(data),
                    "path": name,
                }
                for name, data in sorted(files.items())
                if not prefix or name.startswith(prefix.rstrip("/") + "/")
            ]
        else:
            return self._error(404, "EntryNotFound", send_body)
        encoded = json.dumps(body).encode()
        return self._send(200, encoded, "application/json", {}, send_body)

    def _resolve(self, repo: FakeRepo, revision: str, name: str, send_body: bool) -> None:
        commit = repo.resolve(revision)
        if commit is None:
            return self._error(404, "RevisionNotFound", send_body)
        data = repo.commits[commit].get(name)
        if data is None:
            return self._error(404, "EntryNotFound", send_body)
        headers = {
            "X-Repo-Commit": commit,
            "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
        }
        return self._send(200, data, "application/octet-stream", headers, send_body)

    # -- responses --------------------------------------------------------------------------------
    def _send(
        self,
        status: int,
        data: bytes,
        content_type: str,
        headers: dict[str, str],
        send_body: bool,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def _error(self, status: int, code: str, send_body: bool) -> None:
        body = json.dumps({"error": code}).encode()
        self._send(status, body, "application/json", {"X-Error-Code": code}, send_body)
