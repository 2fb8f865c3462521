"""Serve an ArtifactStore over HTTP.

    GET  /sha256/<hex>          the artifact's bytes (404 if absent)
    HEAD /sha256/<hex>          whether it is there
    PUT  /sha256/<hex>          store the body; 400 unless it hashes to <hex>
    POST /sha256/               store the body; answers {"sha256": "<hex>"}

Binds to loopback by default: it is meant for a worker's results and a requester's data
sets on one machine or behind a proxy the user configures.
"""

from __future__ import annotations

import json
import shutil
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from offchain.artifacts.errors import ArtifactError, HashMismatchError
from offchain.artifacts.store import MAX_ARTIFACT_BYTES, ArtifactStore, normalize_sha256

PREFIX = "/sha256/"


class ArtifactServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, store: ArtifactStore, host: str = "127.0.0.1", port: int = 0) -> None:
        self.store = store
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def uri_for(self, digest: str) -> str:
        return f"{self.url}{PREFIX}{digest}"

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="artifact-server", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: ArtifactServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        pass  # quiet: the roles log what matters

    def _digest(self) -> str | None:
        if not self.path.startswith(PREFIX):
            return None
        try:
            return normalize_sha256(self.path[len(PREFIX) :])
        except ArtifactError:
            return None

    def _reply(self, status: HTTPStatus, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        digest = self._digest()
        present = digest is not None and self.server.store.has(digest)
        self.send_response(HTTPStatus.OK if present else HTTPStatus.NOT_FOUND)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        digest = self._digest()
        if digest is None or not self.server.store.has(digest):
            self._reply(HTTPStatus.NOT_FOUND, {"error": "no such artifact"})
            return
        path: Path = self.server.store.get(digest)
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(path.stat().st_size))
        self.end_headers()
        with open(path, "rb") as handle:
            shutil.copyfileobj(handle, self.wfile)

    def do_PUT(self) -> None:  # noqa: N802
        digest = self._digest()
        if digest is None:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "PUT needs /sha256/<64 hex digits>"})
            return
        self._store_body(digest)

    def do_POST(self) -> None:  # noqa: N802
        if self.path.rstrip("/") + "/" != PREFIX:
            self._reply(HTTPStatus.NOT_FOUND, {"error": "POST to /sha256/"})
            return
        self._store_body(None)

    def _store_body(self, expected: str | None) -> None:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._reply(HTTPStatus.LENGTH_REQUIRED, {"error": "Content-Length required"})
            return
        if not 0 <= length <= MAX_ARTIFACT_BYTES:
            self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"at most {MAX_ARTIFACT_BYTES} bytes"})
            return
        try:
            digest = self.server.store.put_reader(self.rfile, expected, limit=length)
        except HashMismatchError as exc:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        self._reply(HTTPStatus.CREATED, {"sha256": digest})
