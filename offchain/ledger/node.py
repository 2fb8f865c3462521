"""An HTTP JSON node on loopback, and headers-first sync with peers.

Endpoints (all JSON; hashes in display order)::

    GET  /tip                       {"hash", "height", "work", "bits"}
    GET  /headers?locator=H1,H2,..  {"headers": [hex, ...]} after the first locator hash we share
    GET  /block/<hash>              {"hex"}
    GET  /header/<hash>             {"hex", "height", "main", "confirmations"}
    GET  /proof/<txid>              the inclusion proof (as `offchain ledger prove`)
    POST /tx     {"hex"}            {"txid"}  (validated, then pending)
    POST /block  {"hex"}            {"result": "connected" | "side" | "orphan" | "duplicate"}

Sync (`Node.sync_once`), headers first as Bitcoin Core: ask each peer for its tip; if it
claims more work, send a block locator (the best header we know, or the last one this peer
sent, then exponentially sparser ancestors on *its* branch, then genesis, as `GetLocator`),
receive the headers after our last shared block, check that they link and meet their proof
of work, and keep them (valid-tree, no bodies). Rounds continue while a full batch brings
new headers, so an honest fork longer than one batch syncs even if its first batch has less
work than our tip; a round that brings nothing new ends the sync (a peer serving the same
header for ever), and rounds, bodies and reply sizes are all capped. Then the bodies along
the peer's branch are fetched in order and handed to the chain, which validates fully and
reorganises if they win.

Every bad request gets a 4xx status and a JSON error: a missing, negative or oversized
Content-Length, a body that is not a JSON object with a hex string.

Slow and lying peers and clients (`NodeLimits`): a request to a peer has a stall timeout per
read and a deadline for the whole request (a watchdog shuts the socket), and one sync from one
peer a deadline of its own; every peer's tip is asked at once, so a silent peer costs one
deadline, not one per peer; `start(sync_every_s=...)` syncs in a thread of its own (`serve`
mines on its own thread). A sync stores at most `max_low_work_headers` headers on a branch
that stays lighter than our tip (the chain's minimum-work rule refuses far easier ones), and a
peer that lies (claims more work than it serves, or sends headers that fail their checks) is
not asked again for `backoff_s`, doubled for each lie in a row up to `max_backoff_s`: one
that keeps serving light forks stores at most one sync's budget per back-off. The
server closes a connection idle for `idle_s` or open for `request_deadline_s`, and serves at
most `max_connections` at once (one more is closed unanswered).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from offchain.ledger import validation
from offchain.ledger.block import HEADER_SIZE, Block, BlockHeader
from offchain.ledger.chain import Chain
from offchain.ledger.errors import LedgerError, NotFound, PeerError, PeerLied
from offchain.ledger.hashing import hash_to_hex, hex_to_hash
from offchain.ledger.pow import bits_work
from offchain.ledger.store import BlockEntry
from offchain.ledger.tx import transaction_from_bytes
from offchain.ledger.validation import validate_header

LOOPBACK = "127.0.0.1"
MAX_HEADERS = 2000  # per /headers answer, as Bitcoin's `headers` message
MAX_LOCATOR = 101  # hashes in a locator (Bitcoin's MAX_LOCATOR_SZ)
PEER_STALL_S = 10.0  # a peer silent this long (one read) is given up
PEER_DEADLINE_S = 30.0  # a whole request (connect, send, every read): a peer that drips is given up too
MAX_BODY = 4 * 1024 * 1024  # a POSTed block is hex: twice MAX_BLOCK_BYTES, plus JSON
MAX_SMALL_REPLY = 64 * 1024  # /tip, /header, /tx answers
MAX_SYNC_ROUNDS = 1000  # header batches from one peer in one sync (2 million headers)
MAX_SYNC_BODIES = 10_000  # bodies fetched from one peer in one sync
MAX_LOW_WORK_HEADERS = 2 * MAX_HEADERS  # headers one sync may store on a branch lighter than our tip


@dataclass(frozen=True)
class NodeLimits:
    """What bounds a node against slow or lying peers and clients (tests shorten them)."""

    stall_s: float = PEER_STALL_S  # per read, asking a peer
    deadline_s: float = PEER_DEADLINE_S  # per request, asking a peer
    sync_deadline_s: float = 120.0  # one sync from one peer, every request included
    idle_s: float = 10.0  # a client connection silent this long is closed (one read)
    request_deadline_s: float = 30.0  # a client connection is closed this long after it opened
    max_connections: int = 64  # client connections served at once; more are closed at once
    max_low_work_headers: int = MAX_LOW_WORK_HEADERS
    backoff_s: float = 60.0  # a peer that lied is not asked for this long, doubled per lie in a row
    max_backoff_s: float = 3600.0  # ... up to this: a peer that mends its ways is asked again


class Node:
    """Serves one chain over HTTP and syncs it from peers (URLs like http://127.0.0.1:PORT)."""

    def __init__(
        self,
        chain: Chain,
        port: int = 0,
        peers: Sequence[str] = (),
        host: str = LOOPBACK,
        limits: NodeLimits | None = None,
    ) -> None:
        self.chain = chain
        self.peers = list(peers)
        self.limits = limits or NodeLimits()
        self.server = _CappedServer((host, port), _handler_for(self), self.limits)
        self._thread: threading.Thread | None = None
        self._syncer: threading.Thread | None = None
        self._stopping = threading.Event()
        # Peers that lied (claimed more work than they served, or sent invalid or too many light
        # headers): lies in a row, and when the peer may be asked again (monotonic). Keyed by the
        # configured peers only, so it stays as small as their list.
        self._backoff: dict[str, tuple[int, float]] = {}
        self._backoff_lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, sync_every_s: float | None = None) -> Node:
        """Serve; with `sync_every_s`, also sync from the peers in a thread of its own, so that
        mining (or anything else on the caller's thread) never waits for a peer."""
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        if sync_every_s is not None:
            self._syncer = threading.Thread(target=self._sync_loop, args=(sync_every_s,), daemon=True)
            self._syncer.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()
        # Requests in flight still read the chain: the caller closes it next (its SQLite
        # connection closed under a reading thread crashed the process: a segfault in make test).
        self.server.drain(self.limits.request_deadline_s + 1.0)
        if self._thread is not None:
            self._thread.join()
        if self._syncer is not None:
            self._syncer.join(self.limits.sync_deadline_s + self.limits.deadline_s)

    def _sync_loop(self, every_s: float) -> None:
        while not self._stopping.is_set():
            try:
                self.sync_once()
            except LedgerError:
                pass  # a chain error is the next round's to retry; peers' errors are handled inside
            self._stopping.wait(every_s)

    # -- answers ----------------------------------------------------------------------------
    def tip_json(self) -> dict[str, Any]:
        with self.chain.lock:
            tip = self.chain.tip()
        return {
            "hash": hash_to_hex(tip.hash),
            "height": tip.height,
            "work": f"{tip.chain_work:x}",
            "bits": f"{tip.header.bits:08x}",
        }

    def headers_after(self, locator: Sequence[bytes], limit: int = MAX_HEADERS) -> list[str]:
        with self.chain.lock:
            start = 0
            for block_hash in locator[:MAX_LOCATOR]:
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

    def header_json(self, block_hash: bytes) -> dict[str, Any]:
        with self.chain.lock:
            entry = self.chain.get(block_hash)
            if entry is None:
                raise NotFound(f"unknown block {hash_to_hex(block_hash)}")
            main = self.chain.is_main(entry)
            confirmations = self.chain.tip().height - entry.height + 1 if main else 0
        return {
            "hex": entry.header.serialize().hex(),
            "height": entry.height,
            "main": main,
            "confirmations": confirmations,
        }

    def locator(self, start: BlockEntry | None = None) -> list[bytes]:
        """`start` (default: the best header), then ancestors on its branch at steps 1, 1, ...,
        doubling after 10, ending with genesis."""
        with self.chain.lock:
            entry = self.chain.best_header() if start is None else start
            hashes: list[bytes] = []
            step = 1
            while entry.height > 0 and len(hashes) < MAX_LOCATOR - 1:
                hashes.append(entry.hash)
                if len(hashes) >= 10:
                    step *= 2
                entry = self.chain.ancestor(entry, max(entry.height - step, 0))
            genesis = self.chain.main_entry(0)
            assert genesis is not None
            hashes.append(genesis.hash)
            return hashes

    # -- sync -------------------------------------------------------------------------------
    def sync_once(self) -> int:
        """Ask every peer's tip at once (a slow one costs at most its deadline, never the
        others'), then sync from those that claim more work, heaviest first; returns blocks
        added. Peer errors are skipped (a dead peer must not stop the others)."""
        peers = [peer for peer in self.peers if self.backed_off(peer) == 0]
        if not peers:
            return 0
        with ThreadPoolExecutor(max_workers=min(len(peers), 16)) as pool:
            answers = zip(peers, pool.map(self._claimed_work, peers), strict=True)
            claims = [(peer, work) for peer, work in answers if work is not None]
        added = 0
        for peer, claimed in sorted(claims, key=lambda claim: claim[1], reverse=True):
            try:
                added += self.sync_from(peer, claimed)
            except PeerLied:
                self._back_off(peer)
            except PeerError:
                continue  # slow or gone: asked again next round
        return added

    def backed_off(self, peer: str) -> float:
        """Seconds before `peer` is asked again after its last lie (0: it may be asked now)."""
        with self._backoff_lock:
            _, until = self._backoff.get(peer, (0, 0.0))
        return max(0.0, until - time.monotonic())

    def _back_off(self, peer: str) -> None:
        """Each lie in a row doubles the time the peer is left alone, up to max_backoff_s: a
        peer that keeps serving light forks stores at most one sync's budget per back-off."""
        with self._backoff_lock:
            lies = self._backoff.get(peer, (0, 0.0))[0] + 1
            wait = min(self.limits.backoff_s * 2 ** min(lies - 1, 32), self.limits.max_backoff_s)
            self._backoff[peer] = (lies, time.monotonic() + wait)

    def _claimed_work(self, peer: str) -> int | None:
        """The chain work the peer claims (None when it does not answer in time, or sends junk)."""
        try:
            remote = self._ask(peer, "/tip", MAX_SMALL_REPLY, time.monotonic() + self.limits.deadline_s)
            return int(remote["work"], 16)
        except (PeerError, KeyError, TypeError, ValueError):
            return None

    def _ask(self, peer: str, path: str, limit: int, until: float) -> Any:
        """request_json within this node's stall timeout and at most until `until` (monotonic)."""
        left = until - time.monotonic()
        if left <= 0:
            raise PeerError(f"{peer}: the sync's deadline passed")
        return request_json(
            peer, path, limit=limit, stall_s=self.limits.stall_s, deadline_s=min(left, self.limits.deadline_s)
        )

    def sync_from(self, peer: str, claimed: int | None = None) -> int:
        """Sync from one peer within the sync deadline; `claimed`: its tip's work, if known."""
        until = time.monotonic() + self.limits.sync_deadline_s
        if claimed is None:
            remote = self._ask(peer, "/tip", MAX_SMALL_REPLY, until)
            try:
                claimed = int(remote["work"], 16)
            except (KeyError, TypeError, ValueError):
                raise PeerError(f"{peer} sent a malformed /tip") from None
        with self.chain.lock:
            start_work = self.chain.tip().chain_work
        if claimed <= start_work:
            return 0
        last = self._sync_headers(peer, until)
        # Our tip at the start, not now: blocks we mined meanwhile are no lie of the peer's.
        if last is None or last.chain_work <= start_work:
            raise PeerLied(f"{peer} claimed more work than our tip and served a branch no heavier")
        with self._backoff_lock:
            self._backoff.pop(peer, None)  # it served what it claimed: its record is clean
        return self._sync_bodies(peer, last, until)

    def _sync_headers(self, peer: str, until: float) -> BlockEntry | None:
        """Download the peer's headers after our last shared block; returns the last one. At most
        `max_low_work_headers` are stored on a branch that stays lighter than our tip: a peer
        that claims more work than it serves cannot fill the store with a cheap fork."""
        last: BlockEntry | None = None
        header_reply = MAX_HEADERS * (2 * HEADER_SIZE + 4) + 1024
        low_work_budget = self.limits.max_low_work_headers
        for _ in range(MAX_SYNC_ROUNDS):
            locator = ",".join(hash_to_hex(h) for h in self.locator(last))
            answer = self._ask(peer, f"/headers?locator={locator}", header_reply, until)
            try:
                headers = [BlockHeader.from_hex(h) for h in answer["headers"]][:MAX_HEADERS]
            except (KeyError, TypeError, LedgerError) as exc:
                raise PeerError(f"{peer} sent malformed headers: {exc}") from None
            if not headers:
                break
            self._check_headers(headers)
            with self.chain.lock:
                parent = self.chain.get(headers[0].prev_hash)
                tip_work = self.chain.tip().chain_work
            assert parent is not None  # _check_headers: they connect
            if parent.chain_work + sum(bits_work(h.bits) for h in headers) <= tip_work:
                low_work_budget -= len(headers)
                if low_work_budget < 0:
                    raise PeerLied(
                        f"{peer} served over {self.limits.max_low_work_headers} headers lighter than our tip "
                        "while claiming more work"
                    )
            try:
                new = self.chain.add_headers(headers)
            except LedgerError as exc:
                raise PeerLied(f"{peer} sent invalid headers: {exc}") from exc
            with self.chain.lock:
                last = self.chain.get(headers[-1].hash)
            if new == 0 or len(headers) < MAX_HEADERS:
                break  # nothing new (a stuck or lying peer), or the peer has no more
        return last

    def _sync_bodies(self, peer: str, last: BlockEntry, until: float) -> int:
        """Fetch, in order, the bodies missing on the branch up to `last` if it beats our tip."""
        with self.chain.lock:
            if last.chain_work <= self.chain.tip().chain_work:
                return 0
            missing, entry = [], last
            while not self.chain.is_main(entry):
                if not entry.has_data:
                    missing.append(entry.header)
                entry = self.chain._entry(entry.header.prev_hash)
        added = 0
        block_reply = 2 * validation.MAX_BLOCK_BYTES + 1024
        for header in reversed(missing[-MAX_SYNC_BODIES:]):
            answer = self._ask(peer, f"/block/{header.hash_hex}", block_reply, until)
            try:
                block = Block.from_hex(answer["hex"])
            except (KeyError, TypeError, LedgerError) as exc:
                raise PeerError(f"{peer} sent a malformed block: {exc}") from None
            if block.hash != header.hash:
                raise PeerError(f"{peer} sent a block that does not match its header")
            try:
                self.chain.add_block(block)
            except LedgerError as exc:
                raise PeerError(f"{peer} sent an invalid block: {exc}") from exc
            added += 1
        return added

    def _check_headers(self, headers: Sequence[BlockHeader]) -> None:
        """Headers first: cheap checks (link, proof of work) before the chain sees them."""
        with self.chain.lock:
            if self.chain.get(headers[0].prev_hash) is None:
                raise PeerError("peer headers do not connect to our chain")
        for prev, header in zip(headers, headers[1:], strict=False):
            if header.prev_hash != prev.hash:
                raise PeerLied(f"peer headers are not a chain at {header.hash_hex}")
        try:
            for header in headers:
                validate_header(header, self.chain.params)
        except LedgerError as exc:
            raise PeerLied(f"peer header fails proof of work: {exc}") from exc


def request_json(
    base: str,
    path: str,
    body: dict[str, Any] | None = None,
    limit: int = MAX_BODY,
    stall_s: float = PEER_STALL_S,
    deadline_s: float = PEER_DEADLINE_S,
) -> Any:
    """GET (or POST `body`) JSON from a peer, reading at most `limit` bytes. Raises PeerError.

    Two clocks: `stall_s` for each read (a silent peer), and `deadline_s` for the whole request
    (a peer that sends one byte a second never stalls a read): when it passes, a watchdog shuts
    the socket, which ends any read under way."""
    url = urlparse(base.rstrip("/") + path)
    if url.scheme != "http" or url.hostname is None:
        raise PeerError(f"{base}: a peer is http://HOST:PORT")
    target = url.path + (f"?{url.query}" if url.query else "")
    data = None if body is None else json.dumps(body).encode()
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=min(stall_s, deadline_s))
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        if conn.sock is not None:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed

    watchdog = threading.Timer(deadline_s, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.request("GET" if data is None else "POST", target, body=data, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        declared = resp.getheader("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise PeerError(f"{base}{path}: reply too large ({declared} bytes, limit {limit})")
        raw = resp.read(limit + 1)
        if expired.is_set():
            raise PeerError(f"{base}{path}: no whole answer within {deadline_s:g} s")
        if len(raw) > limit:
            raise PeerError(f"{base}{path}: reply too large (over {limit} bytes)")
        if resp.status >= 400:
            try:
                message = str(json.loads(raw[:MAX_SMALL_REPLY]).get("error", resp.reason))
            except (ValueError, AttributeError):
                message = f"HTTP {resp.status} {resp.reason}"
            raise PeerError(f"{base}{path}: {message}")
        return json.loads(raw)
    except (http.client.HTTPException, OSError, ValueError) as exc:
        if expired.is_set():
            raise PeerError(f"{base}{path}: no whole answer within {deadline_s:g} s") from None
        raise PeerError(f"{base}{path}: {exc}") from exc
    finally:
        watchdog.cancel()
        conn.close()


class _CappedServer(ThreadingHTTPServer):
    """A threading HTTP server that serves at most `max_connections` clients at once (one more
    is closed at once, unanswered), closes a connection silent for `idle_s`, and shuts any
    connection `request_deadline_s` after it opened (a client that drips a byte a second)."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], limits: NodeLimits) -> None:
        handler.timeout = limits.idle_s  # socketserver applies it to each connection's reads
        super().__init__(address, handler)
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.max_connections)

    def drain(self, timeout_s: float) -> bool:
        """Wait until no request is being served (at most `timeout_s`); whether none is."""
        end, taken = time.monotonic() + timeout_s, 0
        try:
            while taken < self.limits.max_connections:
                if not self._slots.acquire(timeout=max(0.0, end - time.monotonic())):
                    return False
                taken += 1
            return True
        finally:
            for _ in range(taken):
                self._slots.release()

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)  # at the cap: refused, so held connections cannot pile up
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        watchdog = threading.Timer(self.limits.request_deadline_s, _shut, args=(request,))
        watchdog.daemon = True
        watchdog.start()
        try:
            super().process_request_thread(request, client_address)
        finally:
            watchdog.cancel()
            self._slots.release()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


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
                self._guard(lambda: {"headers": node.headers_after(_locator(query))})
            elif len(parts) == 2 and parts[0] == "header":
                self._guard(lambda: node.header_json(hex_to_hash(parts[1])))
            elif len(parts) == 2 and parts[0] == "block":
                self._guard(lambda: {"hex": _block_hex(node, parts[1])})
            elif len(parts) == 2 and parts[0] == "proof":
                self._guard(lambda: node.chain.proof(hex_to_hash(parts[1])))
            else:
                self._send(404, {"error": f"no such endpoint {url.path}"})

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            if self.path not in ("/tx", "/block"):
                self._send(404, {"error": f"no such endpoint {self.path}"})
                return
            declared = self.headers.get("Content-Length", "")
            if not declared.isdigit():  # missing, negative ("-1") or not a number
                self.close_connection = True
                self._send(
                    400 if declared else 411,
                    {"error": f"Content-Length must be a non-negative integer, got {declared!r}"},
                )
                return
            length = int(declared)
            if length > MAX_BODY:
                self.close_connection = True
                self._send(413, {"error": f"body of {length} bytes is over the {MAX_BODY} limit"})
                return
            try:
                body = json.loads(self.rfile.read(length))
            except ValueError:
                self._send(400, {"error": "body is not JSON"})
                return
            if not isinstance(body, dict) or not isinstance(body.get("hex"), str):
                self._send(400, {"error": 'body must be a JSON object {"hex": "<hex string>"}'})
                return
            raw = body["hex"]
            if self.path == "/tx":
                self._guard(lambda: {"txid": hash_to_hex(node.chain.submit(transaction_from_bytes(_unhex(raw))))})
            else:
                self._guard(lambda: {"result": node.chain.add_block(Block.from_bytes(_unhex(raw)))})

        def _refuse_method(self) -> None:
            self.close_connection = True
            self._send(405, {"error": f"method {self.command} not allowed; use GET or POST"})

        do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse_method  # noqa: N815 - stdlib names

    return Handler


def _unhex(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise PeerError("hex is not hexadecimal") from None


def _locator(query: dict[str, list[str]]) -> list[bytes]:
    texts = [h for h in query.get("locator", [""])[0].split(",") if h]
    if len(texts) > MAX_LOCATOR:
        raise PeerError(f"a locator has at most {MAX_LOCATOR} hashes")
    return [hex_to_hash(h) for h in texts]


def _block_hex(node: Node, hash_hex: str) -> str:
    with node.chain.lock:
        return node.chain.block(hex_to_hash(hash_hex)).serialize().hex()
