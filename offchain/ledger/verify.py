"""`verify-db`: replay the stored active chain from genesis and compare everything stored.

Checks: SQLite's integrity check; genesis; each block's hash, link, proof of work, Merkle
root, bits, time, version and transactions; cumulative work and status; undo records; and
that the replayed balances (coinbases credited at maturity) equal the stored ones. The first
fault raises StoreError naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from offchain.ledger.errors import BadLink, StoreError, ValidationError
from offchain.ledger.genesis import genesis_block
from offchain.ledger.hashing import hash_to_hex
from offchain.ledger.pow import bits_work
from offchain.ledger.state import Account, StateView
from offchain.ledger.store import STATUS_STORED, BlockEntry
from offchain.ledger.tx import Transaction
from offchain.ledger.validation import (
    MEDIAN_TIME_SPAN,
    apply_block,
    median_time_past,
    validate_block,
    validate_header_context,
    validate_timewarp,
    validate_version,
)

if TYPE_CHECKING:
    from offchain.ledger.block import Block
    from offchain.ledger.params import ChainParams
    from offchain.ledger.store import Store


class ChainReader(Protocol):
    """What a replay reads of a chain (offchain.ledger.chain.Chain is one): named here so
    that verify does not import chain, which imports verify."""

    store: Store
    params: ChainParams

    def tip(self) -> BlockEntry: ...

    def main_entry(self, height: int) -> BlockEntry | None: ...

    def block(self, block_hash: bytes) -> Block: ...

    def next_bits(self, parent: BlockEntry) -> int: ...


@dataclass(frozen=True)
class VerifyReport:
    """What `verify_db` checked."""

    height: int
    tip: str
    blocks: int
    accounts: int
    transactions: int


def replay_chain(chain: ChainReader) -> VerifyReport:
    """Replay the stored active chain from genesis into fresh state and compare everything
    (see `Chain.verify_db`). The caller holds `chain.lock`."""
    integrity = chain.store.integrity_check()
    if integrity != "ok":
        raise StoreError(f"sqlite integrity check failed: {integrity}")
    tip = chain.tip()
    if chain.store.main_height() != tip.height:
        raise StoreError(f"main chain ends at {chain.store.main_height()}, tip at {tip.height}")
    replay: dict[bytes, Account] = {}
    view = StateView(replay.get)
    parent: BlockEntry | None = None
    times: list[int] = []
    work = 0
    transactions = 0
    coinbases: list[Transaction] = []
    maturity = chain.params.coinbase_maturity
    for height in range(tip.height + 1):
        entry = chain.main_entry(height)
        if entry is None:
            raise StoreError(f"no active block at height {height}")
        block = chain.block(entry.hash)
        try:
            if block.hash != entry.hash or block.header != entry.header:
                raise BadLink(f"stored block at height {height} does not hash to its key")
            validate_block(block, chain.params)
            if parent is None:
                if block.hash != genesis_block(chain.params).hash:
                    raise BadLink("height 0 is not this chain's genesis")
            else:
                validate_header_context(
                    block.header,
                    chain.params,
                    parent_hash=parent.hash,
                    expected_bits=chain.next_bits(parent),
                    median_time=median_time_past(times),
                    now=block.header.time,  # the clock is not a property of the store
                )
                validate_version(block.header, height, chain.params)
                validate_timewarp(block.header, height, parent.header.time, chain.params)
            matured = coinbases[height - maturity] if maturity and height >= maturity else None
            apply_block(view, block, height, chain.params, matured)
        except ValidationError as exc:
            message = f"block {block.header.hash_hex} at height {height}: {exc}"
            raise StoreError(message) from exc
        work += bits_work(block.header.bits)
        if work != entry.chain_work or entry.status != STATUS_STORED:
            raise StoreError(f"stored work or status wrong at height {height}")
        if not chain.store.has_undo(entry.hash):
            raise StoreError(f"missing undo record at height {height}")
        times = (times + [block.header.time])[-MEDIAN_TIME_SPAN:]
        coinbases.append(block.txs[0])
        transactions += len(block.txs)
        parent = entry
    stored = chain.store.all_accounts()
    if stored != view.changes:
        diff = sorted(set(stored.items()) ^ set(view.changes.items()))
        raise StoreError(f"stored balances differ from the replayed chain: {diff[:3]}")
    return VerifyReport(
        height=tip.height,
        tip=hash_to_hex(tip.hash),
        blocks=chain.store.block_count(),
        accounts=len(stored),
        transactions=transactions,
    )
