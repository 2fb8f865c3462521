"""Helpers shared by the ledger tests: named keys and in-process block making."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from offchain.ledger.block import BLOCK_VERSION, Block, BlockHeader
from offchain.ledger.chain import Chain
from offchain.ledger.merkle import merkle_root
from offchain.ledger.miner import scan
from offchain.ledger.pow import decode_bits
from offchain.ledger.store import BlockEntry
from offchain.ledger.tx import KIND_COINBASE, Transaction, address_of

ALICE_KEY = bytes.fromhex("a1" * 32)
BOB_KEY = bytes.fromhex("b0" * 32)
MINER_KEY = bytes.fromhex("c3" * 32)
ALICE, BOB, MINER = (address_of(k) for k in (ALICE_KEY, BOB_KEY, MINER_KEY))


def solve(header: BlockHeader) -> BlockHeader:
    """Find a nonce for `header` in this process (devnet targets need ~512 hashes)."""
    target = decode_bits(header.bits).target
    nonce = scan(header.serialize()[:76], target, 0, 1 << 32)
    assert nonce is not None
    return replace(header, nonce=nonce)


def make_block(
    chain: Chain,
    parent: BlockEntry | None = None,
    txs: Sequence[Transaction] = (),
    to: bytes = MINER,
    extra_nonce: int = 0,
    spacing: int | None = None,
    fees: int | None = None,
) -> Block:
    """A valid block on `parent` (default: the tip), `spacing` seconds after it."""
    parent = parent or chain.tip()
    height = parent.height + 1
    paid = sum(tx.fee for tx in txs) if fees is None else fees
    coinbase = Transaction(
        kind=KIND_COINBASE,
        height=height,
        extra_nonce=extra_nonce,
        to=to,
        amount=chain.params.subsidy(height) + paid,
    )
    all_txs = (coinbase, *txs)
    root, _ = merkle_root([tx.txid for tx in all_txs])
    header = BlockHeader(
        version=BLOCK_VERSION,
        prev_hash=parent.hash,
        merkle_root=root,
        time=parent.header.time + (chain.params.target_spacing if spacing is None else spacing),
        bits=chain.next_bits(parent),
        nonce=0,
    )
    return Block(header=solve(header), txs=all_txs)


def extend(chain: Chain, count: int, parent: BlockEntry | None = None, **kwargs: Any) -> list[Block]:
    """Mine `count` blocks in a row on `parent` (default: the tip) and add them."""
    blocks = []
    for _ in range(count):
        block = make_block(chain, parent, **kwargs)
        chain.add_block(block)
        parent = chain.get(block.hash)
        blocks.append(block)
    return blocks


def min_fee(chain: Chain) -> int:
    """The chain's minimum transaction fee (a consensus parameter)."""
    return int(getattr(chain.params, "min_fee", 0))


def fund(chain: Chain, to: bytes, **kwargs: Any) -> list[Block]:
    """Mine blocks paying `to` until its first coinbase has matured (spendable at the tip)."""
    return extend(chain, int(getattr(chain.params, "coinbase_maturity", 0)) + 1, to=to, **kwargs)


def pay(key: bytes, nonce: int, amount: int, to: bytes, fee: int, magic: bytes = b"OFLD") -> Transaction:
    """A signed transfer."""
    from offchain.ledger.tx import KIND_TRANSFER, sign

    return sign(Transaction(kind=KIND_TRANSFER, nonce=nonce, fee=fee, to=to, amount=amount), key, magic)
