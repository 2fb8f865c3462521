"""Denial-of-service attacks (issue 11, items 3, 4, 7 and 8): each failed before its guard."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest
from ledger_helpers import ALICE, ALICE_KEY, BOB, BOB_KEY, MINER, extend, fund, make_block, min_fee, pay, solve

import offchain.ledger.chain as chain_module
import offchain.ledger.validation as validation
from offchain.ledger.block import BLOCK_VERSION, Block, BlockHeader
from offchain.ledger.chain import Chain
from offchain.ledger.errors import InvalidBlock, LedgerError
from offchain.ledger.merkle import merkle_root
from offchain.ledger.miner import Miner, mine_blocks
from offchain.ledger.state import Account
from offchain.ledger.tx import KIND_COINBASE, KIND_TRANSFER, Transaction, address_of


def junk(count: int) -> tuple[Transaction, ...]:
    """Transfers with an all-zero signature: cheap to make, invalid only once connected."""
    return tuple(
        Transaction(kind=KIND_TRANSFER, nonce=i, fee=1, to=BOB, amount=1, signature=bytes(65)) for i in range(count)
    )


def block_on(
    parent_hash: bytes, height: int, time_: int, bits: int, txs: tuple[Transaction, ...], extra: int = 0
) -> Block:
    coinbase = Transaction(kind=KIND_COINBASE, height=height, extra_nonce=extra, to=MINER)
    all_txs = (coinbase, *txs)
    root, _ = merkle_root([tx.txid for tx in all_txs])
    header = BlockHeader(BLOCK_VERSION, parent_hash, root, time_, bits, 0)
    return Block(header=solve(header), txs=all_txs)


def deadline(seconds: float) -> Callable[[], bool]:
    end = time.monotonic() + seconds
    return lambda: time.monotonic() > end


def db_bytes(chain: Chain) -> int:
    path = chain.store.path
    return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))


def rich(chain: Chain, count: int) -> list[bytes]:
    """`count` keys whose accounts hold coins (written straight into the state)."""
    keys = [(1000 + i).to_bytes(32, "big") for i in range(count)]
    with chain.store.transaction():
        for key in keys:
            chain.store.put_account(address_of(key), Account(balance=10**12))
    return keys


def test_the_miner_fills_templates_within_the_count_limit_by_fee(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    """Attack 3: a template with more transactions than a block may hold stalled the miner."""
    fund(chain, ALICE)
    fund(chain, BOB)
    fee = max(min_fee(chain), 1)
    for nonce in range(4):
        chain.submit(pay(ALICE_KEY, nonce, 1, MINER, fee=fee))
        chain.submit(pay(BOB_KEY, nonce, 1, MINER, fee=3 * fee))
    monkeypatch.setattr(validation, "MAX_BLOCK_TXS", 5)

    with Miner(processes=0) as miner:
        mined = mine_blocks(chain, 1, MINER, miner, should_stop=deadline(20))

    assert len(mined) == 1, "the miner never produced a block"
    block = chain.block(chain.tip().hash)
    assert len(block.txs) == 5
    assert all(tx.fee == 3 * fee for tx in block.txs[1:])  # Bob's, the better payers


def test_the_miner_fills_templates_within_the_byte_limit(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    fund(chain, ALICE)
    fee = max(min_fee(chain), 1)
    for nonce in range(4):
        chain.submit(pay(ALICE_KEY, nonce, 1, MINER, fee=fee))
    monkeypatch.setattr(validation, "MAX_BLOCK_BYTES", 80 + 1 + 41 + 2 * 110, raising=False)

    with Miner(processes=0) as miner:
        mined = mine_blocks(chain, 1, MINER, miner, should_stop=deadline(20))

    assert len(mined) == 1
    assert len(chain.block(chain.tip().hash).txs) == 3


def test_a_block_over_the_byte_limit_is_refused_before_any_signature_is_checked(
    chain: Chain,
) -> None:
    """Attack 4: no byte limit; with slow recovery a huge block held the chain lock for minutes."""
    big = make_block(chain, txs=junk(9_100), fees=0)  # 9,100 x 110 bytes > 1,000,000

    started = time.perf_counter()
    with pytest.raises(InvalidBlock, match="bytes"):
        chain.add_block(big)
    assert time.perf_counter() - started < 5


def test_a_transaction_that_lost_a_conflict_leaves_the_mempool(chain: Chain) -> None:
    """Attack 7a: the loser of a nonce conflict stayed in the pool for ever."""
    fund(chain, ALICE)
    fee = max(min_fee(chain), 1)
    chain.submit(pay(ALICE_KEY, 0, 1, BOB, fee=fee))
    rival = pay(ALICE_KEY, 0, 2, MINER, fee=fee)

    chain.add_block(make_block(chain, txs=(rival,)))

    assert chain.store.mempool() == []


def test_submitting_does_not_recheck_the_whole_pool(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    """Attack 7b: each submit re-applied every pending transaction (O(pool) per submit)."""
    keys = rich(chain, 300)
    fee = max(min_fee(chain), 1)
    txs = [pay(key, 0, 1, BOB, fee=fee) for key in keys]
    for tx in txs[:-1]:
        chain.submit(tx)
    calls = 0
    real = Transaction.sender

    def counting(self: Transaction, magic: bytes) -> bytes:
        nonlocal calls
        calls += 1
        return real(self, magic)

    monkeypatch.setattr(Transaction, "sender", counting)
    chain.submit(txs[-1])

    assert calls <= 2, f"submit #300 recovered {calls} signatures"


def test_a_full_mempool_evicts_by_fee(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    """Attack 7c: the pool had no size cap."""
    monkeypatch.setattr(chain_module, "MAX_MEMPOOL_TXS", 5, raising=False)
    keys = rich(chain, 7)
    fee = max(min_fee(chain), 1)
    cheap = [pay(key, 0, 1, BOB, fee=fee + i) for i, key in enumerate(keys[:5])]
    for tx in cheap:
        chain.submit(tx)

    chain.submit(pay(keys[5], 0, 1, BOB, fee=10 * fee))  # pays more: the cheapest goes
    with pytest.raises(LedgerError, match="full"):
        chain.submit(pay(keys[6], 0, 1, BOB, fee=fee))  # pays no more than the cheapest left

    pool = {bytes(raw) for raw in chain.store.mempool()}
    assert len(pool) == 5 and cheap[0].serialize() not in pool


def test_a_low_work_side_block_is_not_stored(chain: Chain) -> None:
    """Attack 8a: a sibling of block 1 with thousands of junk transactions was stored."""
    extend(chain, 3)
    genesis = chain.main_entry(0)
    assert genesis is not None
    size = db_bytes(chain)
    sibling = block_on(genesis.hash, 1, genesis.header.time + 5, genesis.header.bits, junk(7_000))

    chain.add_block(sibling)

    assert chain.store.raw_block(sibling.hash) is None
    assert db_bytes(chain) - size < 100_000


def test_children_of_an_invalid_block_are_not_stored(chain: Chain) -> None:
    """Attack 8b: descendants of a known-invalid block were stored with their bodies."""
    bad = make_block(chain, txs=junk(1), fees=0)
    with pytest.raises(LedgerError):
        chain.add_block(bad)
    tip_hash = chain.tip().hash
    invalid = chain.get(bad.hash)
    assert invalid is not None
    child = block_on(bad.hash, 2, bad.header.time + 2, bad.header.bits, junk(3_000))

    with pytest.raises(InvalidBlock):
        chain.add_block(child)

    assert chain.store.raw_block(child.hash) is None
    assert chain.store.raw_block(bad.hash) is None
    assert chain.tip().hash == tip_hash


def test_orphans_are_capped_by_bytes(chain: Chain) -> None:
    """Attack 8c: 512 orphans of any size were kept in memory."""
    txs = junk(7_000)  # ~770 kB a block
    genesis = chain.main_entry(0)
    assert genesis is not None
    for i in range(12):
        orphan = block_on(bytes([i + 1]) * 32, 5, genesis.header.time + 100, genesis.header.bits, txs, extra=i)
        chain.add_block(orphan)

    kept = sum(len(b.serialize()) for group in chain._orphans.values() for b in group.values())
    assert kept <= getattr(chain_module, "MAX_ORPHAN_BYTES", 4 << 20)
    assert chain.orphan_count() >= 1


def test_a_miner_whose_own_blocks_are_refused_stops_instead_of_retrying_for_ever(
    chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack 3, the loop itself: a refused template on an unmoved tip was retried for ever."""

    def refuse(block: Block) -> str:
        raise InvalidBlock("refused")

    monkeypatch.setattr(chain, "add_block", refuse)
    with Miner(processes=0) as miner:
        with pytest.raises(InvalidBlock):
            mine_blocks(chain, 1, MINER, miner, should_stop=deadline(15))
