"""An HTTP JSON node on loopback, and headers-first sync with peers.

Endpoints (all JSON; hashes in display order)::

    GET  /tip                       {"hash", "height", "work", "bits"}
    GET  /headers?locator=H1,H2,..  {"headers": [hex, ...]} after the first locator hash we share
    GET  /block/<hash>              {"hex"}
    GET  /proof/<txid>              the inclusion proof (as `offchain ledger prove`)
    POST /tx     {"hex"}            {"txid"}  (validated, then pending)
    POST /block  {"hex"}            {"result": "connected" | "side" | "orphan" | "duplicate"}

Sync (`Node.sync_once`): ask each peer for its tip; if it claims more work, send a block
locator (our tip, then exponentially sparser ancestors, then genesis, as Bitcoin's
`GetLocator`), receive the headers after our last shared block, check that they link and
that each meets its own proof of work *before* downloading any body, then fetch the bodies
in order and hand them to the chain, which validates fully and reorganises if they win.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from offchain.ledger.block import Block, BlockHeader
from offchain.ledger.chain import Chain
from offchain.ledger.errors import LedgerError, NotFound, PeerError
from offchain.ledger.hashing import hash_to_hex, hex_to_hash
from offchain.ledger.tx import transaction_from_bytes
from offchain.ledger.validation import validate_header

LOOPBACK = "127.0.0.1"
MAX_HEADERS = 2000  # per /headers answer, as Bitcoin's `headers` message
PEER_TIMEOUT_S = 10.0
MAX_BODY = 8 * 1024 * 1024


class Node:
    """Serves one chain over HTTP and syncs it from peers (URLs like http://127.0.0.1:PORT)."""

    def __init__(
        self, chain: Chain, port: int = 0, peers: Sequence[str] = (), host: str = LOOPBACK
    ) -> None:
        self.chain = chain
        self.peers = list(peers)
        self.server = ThreadingHTTPServer((host, port), _handler_for(self))
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Node:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join()

    # -- answers ----------------------------------------------------------------------------
    def tip_json(self) -> dict[str, Any]:
        with self.chain.lock:
            tip = self.chain.tip()
        return {
            "hash": hash_to_hex(tip.hash), "height": tip.height,
            "work": f"{tip.chain_work:x}", "bits": f"{tip.header.bits:08x}",
        }

    def headers_after(self, locator: Sequence[bytes], limit: int = MAX_HEADERS) -> list[str]:
        with self.chain.lock:
            start = 0
            for block_hash in locator:
                entry = self.chain.get(block_hash)
                if entry is not None and self.chain.is_main(entry):
                    start = entry.height + 1
                    break
            out = []
            for height in range(start, start + min(limit, MAX_HEADERS)):
                entry = self.chain.main_entry(height)
                if entry is None:
                    break
                out.append(entry.header.serialize().hex())
            return out

    def locator(self) -> list[bytes]:
        """Our tip, then ancestors at steps 1, 1, ..., doubling after 10, ending with genesis."""
        with self.chain.lock:
            tip = self.chain.tip()
            hashes, height, step = [], tip.height, 1
            while height > 0:
                entry = self.chain.main_entry(height)
                assert entry is not None
                hashes.append(entry.hash)
                if len(hashes) >= 10:
                    step *= 2
                height -= step
            genesis = self.chain.main_entry(0)
            assert genesis is not None
            hashes.append(genesis.hash)
            return hashes

    # -- sync -------------------------------------------------------------------------------
    def sync_once(self) -> int:
        """Sync from every peer that claims more work; returns blocks added. Peer errors are
        skipped (a dead peer must not stop the others)."""
        added = 0
        for peer in self.peers:
            try:
                added += self.sync_from(peer)
            except PeerError:
                continue
        return added

    def sync_from(self, peer: str) -> int:
        added = 0
        while True:
            remote = request_json(peer, "/tip")
            with self.chain.lock:
                ours = self.chain.tip().chain_work
            if int(remote["work"], 16) <= ours:
                return added
            locator = ",".join(hash_to_hex(h) for h in self.locator())
            answer = request_json(peer, f"/headers?locator={locator}")
            headers = [BlockHeader.from_hex(h) for h in answer["headers"]]
            if not headers:
                return added
            self._check_headers(headers)
            for header in headers:
                with self.chain.lock:
                    known = self.chain.get(header.hash) is not None
                if known:
                    continue
                block = Block.from_hex(request_json(peer, f"/block/{header.hash_hex}")["hex"])
                if block.hash != header.hash:
                    raise PeerError(f"{peer} sent a block that does not match its header")
                try:
                    self.chain.add_block(block)
                except LedgerError as exc:
                    raise PeerError(f"{peer} sent an invalid block: {exc}") from exc
                added += 1

    def _check_headers(self, headers: Sequence[BlockHeader]) -> None:
        """Headers first: cheap checks (link, proof of work) before any body is fetched."""
        with self.chain.lock:
            if self.chain.get(headers[0].prev_hash) is None:
                raise PeerError("peer headers do not connect to our chain")
        for prev, header in zip(headers, headers[1:], strict=False):
            if header.prev_hash != prev.hash:
                raise PeerError(f"peer headers are not a chain at {header.hash_hex}")
        try:
            for header in headers:
                validate_header(header, self.chain.params)
        except LedgerError as exc:
            raise PeerError(f"peer header fails proof of work: {exc}") from exc


def request_json(base: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """GET (or POST `body`) JSON from a peer. Raises PeerError."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        base.rstrip("/") + path, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=PEER_TIMEOUT_S) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", str(exc))
        except ValueError:
            message = str(exc)
        raise PeerError(f"{base}{path}: {message}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise PeerError(f"{base}{path}: {exc}") from exc


def _handler_for(node: Node) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """Routes the endpoints in the module docstring; errors become {"error": ...}."""

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            return  # quiet: the CLI prints what matters

        def _send(self, status: int, payload: Any) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _guard(self, answer: Any) -> None:
            try:
                self._send(200, answer())
            except NotFound as exc:
                self._send(404, {"error": str(exc)})
            except (LedgerError, KeyError, ValueError) as exc:
                self._send(400, {"error": str(exc)})

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            url = urlparse(self.path)
            parts = url.path.strip("/").split("/")
            if parts == ["tip"]:
                self._guard(node.tip_json)
            elif parts == ["headers"]:
                query = parse_qs(url.query)
                hashes = [hex_to_hash(h) for h in query.get("locator", [""])[0].split(",") if h]
                self._guard(lambda: {"headers": node.headers_after(hashes)})
            elif len(parts) == 2 and parts[0] == "block":
                self._guard(lambda: {"hex": _block_hex(node, parts[1])})
            elif len(parts) == 2 and parts[0] == "proof":
                self._guard(lambda: node.chain.proof(hex_to_hash(parts[1])))
            else:
                self._send(404, {"error": f"no such endpoint {url.path}"})

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            length = int(self.headers.get("Content-Length", "0"))
            if length > MAX_BODY:
                self._send(413, {"error": "body too large"})
                return
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._send(400, {"error": "body is not JSON"})
                return
            if self.path == "/tx":
                self._guard(lambda: {"txid": hash_to_hex(
                    node.chain.submit(transaction_from_bytes(bytes.fromhex(body["hex"]))))})
            elif self.path == "/block":
                self._guard(lambda: {"result": node.chain.add_block(Block.from_hex(body["hex"]))})
            else:
                self._send(404, {"error": f"no such endpoint {self.path}"})

    return Handler


def _block_hex(node: Node, hash_hex: str) -> str:
    with node.chain.lock:
        return node.chain.block(hex_to_hash(hash_hex)).serialize().hex()
