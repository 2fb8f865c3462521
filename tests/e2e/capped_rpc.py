"""A JSON-RPC proxy that caps `eth_getLogs` the way public providers do, for tests.

Everything is forwarded to the upstream node unchanged, except a log query whose block
range exceeds `max_range` (refused with the message of the issue's provider, code -32005)
or whose answer holds more than `max_results` logs (refused with Infura's message).
`queries` counts the log queries forwarded, so a test can see how the reads were split, and
`block_refusals` the refusals of a single block's logs (a reader then asks per event).
"""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class CappedRpc:
    def __init__(self, upstream: str, max_range: int = 1_000, max_results: int = 10_000) -> None:
        self.upstream = upstream
        self.max_range = max_range
        self.max_results = max_results
        self.queries = 0
        self.refusals = 0
        self.block_refusals = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = json.loads(body)
                answers = [proxy.answer(r) for r in request] if isinstance(request, list) else proxy.answer(request)
                data = json.dumps(answers).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def forward(self, request: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(request).encode()
        upstream = urllib.request.Request(self.upstream, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(upstream, timeout=60) as response:  # noqa: S310 - a loopback test node
            return dict(json.loads(response.read()))

    def _block(self, tag: Any) -> int:
        if tag in (None, "latest", "pending", "safe", "finalized"):
            return int(self.forward({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber"})["result"], 16)
        return 0 if tag == "earliest" else int(tag, 16)

    def _refuse(self, request: dict[str, Any], message: str) -> dict[str, Any]:
        self.refusals += 1
        return {"jsonrpc": "2.0", "id": request.get("id"), "error": {"code": -32005, "message": message}}

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("method") != "eth_getLogs":
            return self.forward(request)
        query = request["params"][0]
        if "blockHash" not in query:
            low, high = self._block(query.get("fromBlock")), self._block(query.get("toBlock"))
            if high - low + 1 > self.max_range:
                return self._refuse(request, f"query exceeds max block range {self.max_range}")
        self.queries += 1
        answer = self.forward(request)
        if len(answer.get("result") or []) > self.max_results:
            self.block_refusals += query.get("fromBlock") == query.get("toBlock") and "blockHash" not in query
            return self._refuse(request, f"query returned more than {self.max_results} results")
        return answer
