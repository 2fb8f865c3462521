"""Serving the explorer: waitress (a pure-Python, multi-threaded WSGI server), in the
foreground for the command or in a background thread for the demo and the tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from waitress.server import create_server

from offchain.explorer.app import Sources, create_app

THREADS = 8  # pages, the status poll of each open tab, and static files


@dataclass
class RunningExplorer:
    server: Any
    thread: threading.Thread
    url: str

    def stop(self) -> None:
        self.server.close()
        self.thread.join(timeout=10)


def start_explorer(sources: Sources, host: str = "127.0.0.1", port: int = 0) -> RunningExplorer:
    """Serve the explorer from a daemon thread; port 0 picks a free one."""
    server = create_server(create_app(sources), host=host, port=port, threads=THREADS)
    thread = threading.Thread(target=server.run, name="explorer", daemon=True)
    thread.start()
    return RunningExplorer(server, thread, f"http://{host}:{server.effective_port}")
