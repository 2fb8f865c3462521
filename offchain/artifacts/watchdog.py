"""A download's watchdog: it closes the connection once the download falls behind its rate
floor, wherever http.client is waiting, and the urllib opener whose connections it watches
(redirects within http(s) only)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import urllib.request
from typing import Any
from urllib.parse import urlparse

from offchain.artifacts.errors import ArtifactRefusedError


class Watchdog:
    """Closes a download's connection once it falls behind the rate floor. Checks between reads
    alone miss a server that dribbles what http.client reads before returning anything: headers,
    chunk-size lines, trailers (one read1 may wait on them for ever)."""

    def __init__(self, url: str, grace_s: float, min_bytes_per_s: float) -> None:
        self.url, self.grace_s, self.min_bytes_per_s = url, grace_s, min_bytes_per_s
        self.started = time.monotonic()
        self.received = 0  # body bytes
        self.expired = False
        self.sock: socket.socket | None = None  # the latest connection's (a redirect opens another)
        self._done = threading.Event()

    def __enter__(self) -> Watchdog:
        threading.Thread(target=self._watch, name="fetch-watchdog", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()

    def _due(self) -> float:
        return self.started + max(self.grace_s, self.received / self.min_bytes_per_s)

    def _watch(self) -> None:
        while not self._done.wait(max(0.0, self._due() - time.monotonic()) + 0.05):
            if time.monotonic() >= self._due():
                self.expired = True
                self.close_if_expired()
                return

    def close_if_expired(self) -> None:
        if self.expired and self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked read: it sees the end

    def require_on_time(self) -> None:
        """Raise ArtifactRefusedError if the watchdog closed the connection, or if a server that
        accepted it is past due (a read timed out as the grace ended: refused, not unreachable)."""
        if self.expired or (self.sock is not None and time.monotonic() >= self._due()):
            elapsed = time.monotonic() - self.started
            raise ArtifactRefusedError(
                f"{self.url} sent {self.received} bytes in {elapsed:.0f} s: under {self.min_bytes_per_s:.0f} bytes/s"
            )

    def connection_class(self, http_class: Any) -> Any:
        """`http_class`, its sockets remembered for closing (urllib lets go of the connection's
        `sock` once the headers are in; the response reads on)."""
        watchdog = self

        class Watched(http_class):  # type: ignore[misc, valid-type]
            def connect(self) -> None:
                super().connect()
                watchdog.sock = self.sock
                watchdog.close_if_expired()  # it expired while connecting

        return Watched


class _Watched:
    """A urllib handler whose connections the watchdog can close."""

    watchdog: Watchdog

    def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> Any:
        return super().do_open(self.watchdog.connection_class(http_class), req, **kwargs)  # type: ignore[misc]


class _WatchedHTTP(_Watched, urllib.request.HTTPHandler):
    pass


class _WatchedHTTPS(_Watched, urllib.request.HTTPSHandler):
    pass


class _HTTPRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects within http(s) only: urllib would follow one to ftp:// (unwatched)."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if urlparse(newurl).scheme not in ("http", "https"):
            raise ArtifactRefusedError(f"{req.full_url}: a redirect to {newurl!r}, not http(s)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def watched_opener(watchdog: Watchdog) -> urllib.request.OpenerDirector:
    handlers = (_WatchedHTTP(), _WatchedHTTPS())
    for handler in handlers:
        handler.watchdog = watchdog
    return urllib.request.build_opener(*handlers, _HTTPRedirects())
