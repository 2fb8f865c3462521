"""One relayer round against a fake ledger node and a fake relay (issue 21, hole 6): a node that
claims more work than it serves makes the relayer ask every round, and the headers it serves that
the relay already holds are never paid for again; a header stamped past the relay's clock limit
waits. Headers here are chained by hash only: the relayer checks no proof of work (the relay does)."""

from __future__ import annotations

from typing import Any

import pytest

from offchain.eth.relay import ChainTip
from offchain.ledger.block import BlockHeader
from offchain.ledger.errors import PeerError
from offchain.ledger.hashing import hash_to_hex
from offchain.roles import relayer as relayer_module
from offchain.roles.relayer import Relayer

GENESIS = BlockHeader(1, bytes(32), bytes(32), 1_000, 0x207FFFFF, 0)
NODE_URL = "http://node"


def _chain(count: int, start: BlockHeader = GENESIS, time_step: int = 1) -> list[BlockHeader]:
    headers, parent = [], start
    for i in range(count):
        parent = BlockHeader(1, parent.hash, bytes([i + 1]) * 32, parent.time + time_step, 0x207FFFFF, i)
        headers.append(parent)
    return headers


class FakeRelay:
    """Holds `held` (any branches); its tip is `tip`, which a heavier branch the fake does not weigh
    keeps: only headers extending the tip move it. Records every header submitted."""

    def __init__(self, held: list[BlockHeader], tip: BlockHeader | None = None, limit: int = 10**9) -> None:
        self.held = {GENESIS.hash_hex, *(h.hash_hex for h in held)}
        self.tip = tip or (held[-1] if held else GENESIS)
        self.submitted: list[bytes] = []
        self.limit = limit

    def reorganizing(self) -> bool:
        return False

    def best_tip(self) -> ChainTip:
        return ChainTip(self.tip.hash_hex, len(self.held) - 1, len(self.held))

    def knows(self, block_hash: str) -> bool:
        return block_hash in self.held

    def time_limit(self) -> int:
        return self.limit

    def submit_headers(self, raw: list[bytes]) -> None:
        self.submitted += raw
        for r in raw:
            header = BlockHeader.from_hex(r.hex())
            self.held.add(header.hash_hex)
            if header.prev_hash == self.tip.hash:
                self.tip = header


def _node(monkeypatch: pytest.MonkeyPatch, served: list[BlockHeader], claimed_work: int) -> None:
    """A node whose /tip claims `claimed_work`, serving `served` (its main chain) as a node does."""

    def request_json(base: str, path: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        assert base == NODE_URL
        if path == "/tip":
            return {"hash": served[-1].hash_hex, "height": len(served), "work": hex(claimed_work)[2:]}
        if path.startswith("/headers?locator="):  # the headers after the first locator hash it has
            index = {h.hash_hex: i + 1 for i, h in enumerate(served)} | {GENESIS.hash_hex: 0}
            start = next(index[x] for x in path.removeprefix("/headers?locator=").split(",") if x in index)
            return {"headers": [h.serialize().hex() for h in served[start:]]}
        if path.startswith("/block/"):
            raise PeerError("404: a block this node never had")  # the fake serves no bodies
        raise AssertionError(f"unexpected request {path}")

    monkeypatch.setattr(relayer_module, "request_json", request_json)


def _relayer(relay: FakeRelay) -> Relayer:
    return Relayer(relay, NODE_URL, hash_to_hex(GENESIS.hash), batch=4, log=lambda *a, **k: None)  # type: ignore[arg-type]


def test_headers_the_relay_holds_are_not_submitted_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # The relay holds the node's first four headers and a side branch from the second, its tip.
    headers = _chain(6)
    side = _chain(2, start=headers[1], time_step=2)
    relay = FakeRelay(held=[*headers[:4], *side], tip=side[-1])
    _node(monkeypatch, served=headers, claimed_work=10**6)

    submitted = _relayer(relay).sync_once()

    assert submitted == 2 and relay.submitted == [h.serialize() for h in headers[4:]]


def test_a_node_claiming_more_work_than_it_serves_costs_no_gas_round_after_round(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The node claims more work than the relay's tip (a heavier side branch) but serves only a
    # branch the relay holds whole: landed main resubmitted it every round.
    headers = _chain(4)
    side = _chain(3, start=headers[0], time_step=2)
    relay = FakeRelay(held=[*headers, *side], tip=side[-1])
    _node(monkeypatch, served=headers, claimed_work=10**6)
    relayer = _relayer(relay)

    rounds = [relayer.sync_once() for _ in range(3)]

    assert rounds == [0, 0, 0] and relay.submitted == []


def test_headers_past_the_clock_limit_wait_for_a_later_round(monkeypatch: pytest.MonkeyPatch) -> None:
    headers = _chain(5, time_step=10)
    relay = FakeRelay(held=[], limit=headers[2].time)  # the fourth header is stamped past it
    _node(monkeypatch, served=headers, claimed_work=10**6)

    assert _relayer(relay).sync_once() == 3
    assert relay.submitted == [h.serialize() for h in headers[:3]]
