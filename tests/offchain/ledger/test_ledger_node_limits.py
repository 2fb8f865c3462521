"""A node against slow and lying peers and clients (issue 21, hole 4 and 5), on loopback with
short limits: whole-request deadlines, peers asked in parallel, sync off the caller's thread,
idle and dripping connections closed, a connection cap, a bound on cheap header forks, and a
bounded back-off from a peer that keeps serving them."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_helpers import extend

from offchain.ledger.chain import Chain
from offchain.ledger.errors import PeerError
from offchain.ledger.node import LOOPBACK, Node, NodeLimits, request_json

pytestmark = pytest.mark.timing  # each test bounds a wait by the wall clock: run alone (make test-offchain)

SHORT = NodeLimits(stall_s=0.3, deadline_s=0.6, idle_s=0.3, request_deadline_s=0.6)
QUICK_S = 2.0  # what each bounded wait below must stay under (the limits are a fraction of it)


@pytest.fixture()
def honest(tmp_path: Path) -> Iterator[Node]:
    """A peer whose chain is 3 blocks ahead of a fresh one."""
    chain = Chain.open(tmp_path / "honest", "devnet", create=True)
    extend(chain, 3, extra_nonce=1)
    node = Node(chain).start()
    yield node
    node.stop()
    chain.close()


@pytest.fixture()
def silent() -> Iterator[str]:
    """A peer that accepts connections (the kernel's backlog) and never answers."""
    listener = socket.create_server((LOOPBACK, 0))
    yield f"http://{LOOPBACK}:{listener.getsockname()[1]}"
    listener.close()


@pytest.fixture()
def dripping() -> Iterator[str]:
    """A peer that answers one byte every 0.1 s, for at most 5 s (so the test ends either way)."""
    listener = socket.create_server((LOOPBACK, 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            for byte in b"HTTP/1.0 200 OK\r\n" + b"X-Slow: " + b"a" * 100:
                if stop.wait(0.1):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://{LOOPBACK}:{listener.getsockname()[1]}"
    stop.set()
    listener.close()
    thread.join(5)


def _closed_within(sock: socket.socket, seconds: float, drip: bool = False) -> bool:
    """Whether the server closes `sock` within `seconds` (sending a byte per read with `drip`)."""
    sock.settimeout(0.1)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if drip:
                sock.send(b"x")
            if sock.recv(1024) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:  # reset or broken pipe: closed
            return True
    return False


def test_a_peer_that_drips_is_given_up_at_the_whole_request_deadline(dripping: str) -> None:
    start = time.monotonic()

    with pytest.raises(PeerError, match="within"):
        request_json(dripping, "/tip", stall_s=0.5, deadline_s=0.6)

    assert time.monotonic() - start < QUICK_S  # each read came within the stall timeout


def test_a_silent_peer_does_not_stall_sync_from_an_honest_one(chain: Chain, honest: Node, silent: str) -> None:
    node = Node(chain, peers=[silent, honest.url], limits=SHORT)
    start = time.monotonic()

    node.sync_once()

    assert time.monotonic() - start < QUICK_S
    assert chain.tip().height == 3


def test_sync_runs_off_the_callers_thread(chain: Chain, honest: Node, silent: str) -> None:
    node = Node(chain, peers=[silent, honest.url], limits=SHORT).start(sync_every_s=0.05)
    try:
        end = time.monotonic() + QUICK_S
        while chain.tip().height < 3 and time.monotonic() < end:
            time.sleep(0.02)  # the caller's thread (the miner's, in `serve`) is free meanwhile

        assert chain.tip().height == 3
    finally:
        node.stop()


def test_an_idle_half_sent_request_is_closed(chain: Chain) -> None:
    node = Node(chain, limits=SHORT).start()
    try:
        with socket.create_connection((LOOPBACK, node.server.server_address[1])) as sock:
            sock.sendall(b"GET /tip HTTP/1.1\r\n")  # and nothing more

            assert _closed_within(sock, QUICK_S)
    finally:
        node.stop()


def test_a_client_dripping_a_request_is_closed_at_the_deadline(chain: Chain) -> None:
    node = Node(chain, limits=NodeLimits(idle_s=1.0, request_deadline_s=0.5)).start()
    try:
        with socket.create_connection((LOOPBACK, node.server.server_address[1])) as sock:
            sock.sendall(b"GET /tip HTTP/1.1\r\nX-Slow: ")

            assert _closed_within(sock, QUICK_S, drip=True)  # a byte per 0.1 s never idles 1 s
    finally:
        node.stop()


def test_connections_beyond_the_cap_are_closed_at_once(chain: Chain) -> None:
    node = Node(chain, limits=NodeLimits(max_connections=2, idle_s=5.0, request_deadline_s=5.0)).start()
    port = node.server.server_address[1]
    held = [socket.create_connection((LOOPBACK, port)) for _ in range(2)]
    try:
        for sock in held:
            sock.sendall(b"GET /tip HTTP/1.1\r\n")
        time.sleep(0.1)  # both are being served (and wait for the rest of their request)
        with socket.create_connection((LOOPBACK, port)) as extra:
            assert _closed_within(extra, 1.0)
        for sock in held:
            sock.close()
        time.sleep(0.1)

        assert request_json(node.url, "/tip")["height"] == 0  # served again once under the cap
    finally:
        for sock in held:
            sock.close()
        node.stop()


def test_a_peer_claiming_more_work_than_it_serves_stores_few_headers(chain: Chain, tmp_path: Path) -> None:
    extend(chain, 12, extra_nonce=1)
    liar_chain = Chain.open(tmp_path / "liar", "devnet", create=True)
    fork = extend(liar_chain, 10, extra_nonce=2)  # from genesis: less work than our 12 blocks
    liar = Node(liar_chain)
    claimed = liar.tip_json() | {"work": f"{2**200:x}"}
    liar.tip_json = lambda: claimed  # type: ignore[method-assign]
    liar.start()
    try:
        node = Node(chain, peers=[liar.url], limits=NodeLimits(max_low_work_headers=5))

        node.sync_once()

        assert all(chain.get(block.hash) is None for block in fork)
        assert chain.tip().height == 12
    finally:
        liar.stop()
        liar_chain.close()


class ForkServingLiar:
    """A peer that claims far more work than ours and, each time it is asked, serves a new
    branch from genesis lighter than our tip, within one sync's low-work budget (issue 21)."""

    def __init__(self, tmp_path: Path, forks: int, length: int) -> None:
        self.chain = Chain.open(tmp_path / "liar", "devnet", create=True)
        genesis = self.chain.main_entry(0)
        self.forks = [extend(self.chain, length, parent=genesis, extra_nonce=10 + i) for i in range(forks)]
        self.served = 0
        self.node = Node(self.chain)
        claimed = self.node.tip_json() | {"work": f"{2**200:x}"}
        self.node.tip_json = lambda: claimed  # type: ignore[method-assign]
        self.node.headers_after = self._next_fork  # type: ignore[method-assign]
        self.node.start()

    def _next_fork(self, locator: object, limit: int = 0) -> list[str]:
        fork = self.forks[min(self.served, len(self.forks) - 1)]
        self.served += 1
        return [block.header.serialize().hex() for block in fork]

    def stored(self, chain: Chain) -> int:
        return sum(chain.get(block.hash) is not None for fork in self.forks for block in fork)

    def stop(self) -> None:
        self.node.stop()
        self.chain.close()


def test_a_peer_that_keeps_serving_lighter_forks_is_backed_off(chain: Chain, tmp_path: Path) -> None:
    extend(chain, 12, extra_nonce=1)
    liar = ForkServingLiar(tmp_path, forks=5, length=3)  # 3 headers a sync: within the budget of 5
    try:
        node = Node(chain, peers=[liar.node.url], limits=NodeLimits(max_low_work_headers=5, backoff_s=60.0))

        for _ in range(5):
            node.sync_once()

        assert liar.stored(chain) == 3  # the first lie only: then the peer is not asked for a minute
        assert liar.served == 1
        assert 0 < node.backed_off(liar.node.url) <= 60.0
        assert chain.tip().height == 12
    finally:
        liar.stop()


def test_the_back_off_doubles_with_each_lie_up_to_its_bound(chain: Chain, tmp_path: Path) -> None:
    extend(chain, 12, extra_nonce=1)
    liar = ForkServingLiar(tmp_path, forks=4, length=1)
    try:
        limits = NodeLimits(max_low_work_headers=5, backoff_s=0.2, max_backoff_s=0.5)
        node = Node(chain, peers=[liar.node.url], limits=limits)
        waits = []
        for _ in range(4):
            while node.backed_off(liar.node.url) > 0:
                time.sleep(0.01)
            node.sync_once()
            waits.append(node.backed_off(liar.node.url))

        assert liar.served == 4  # asked again each time its back-off ended
        assert waits[0] <= 0.2 < waits[1] <= 0.4 < waits[2] <= 0.5  # 0.2 s, 0.4 s, then the bound
        assert 0.4 < waits[3] <= 0.5
    finally:
        liar.stop()


def test_stop_returns_only_once_the_requests_in_flight_are_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The caller closes the chain right after stop(): a handler thread still reading it then
    read a closed SQLite connection, which crashed the whole process (a segfault in make test)."""
    chain = Chain.open(tmp_path / "chain", "devnet", create=True)
    node = Node(chain).start()
    reading, answered = threading.Event(), threading.Event()
    tip_json = node.tip_json

    def slow_tip() -> dict:
        reading.set()
        time.sleep(0.5)
        try:
            return tip_json()
        finally:
            answered.set()

    monkeypatch.setattr(node, "tip_json", slow_tip)
    client = threading.Thread(target=request_json, args=(node.url, "/tip"), daemon=True)
    client.start()
    assert reading.wait(QUICK_S)

    node.stop()

    assert answered.is_set()  # before the chain below is closed
    chain.close()
    client.join(QUICK_S)
