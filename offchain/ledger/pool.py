"""The transaction pool: admission in O(1) of the pool's size, eviction by fee, templates by fee.

The pool lives in the SQLite store (so a `send` in one process is mined by another), indexed
by sender and nonce and by fee rate. Admission reads only the sender's own pending range and
the running totals: a transaction must be its sender's next nonce after the pending ones, pay
at least the minimum fee, and be covered by the sender's confirmed balance minus what their
pending transactions already spend. When the pool is at its cap, the transaction paying the
least per byte (with the sender's later ones, which cannot apply without it) makes room for
one that pays more; otherwise the newcomer is refused.

Templates take transactions by fee rate, each sender's in nonce order, until a block limit
(count or bytes) is reached; one that no longer applies (its sender's balance changed) is
skipped with the rest of its sender's chain.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from offchain.ledger import validation
from offchain.ledger.block import HEADER_SIZE
from offchain.ledger.encoding import compact_size
from offchain.ledger.errors import BadNonce, InsufficientBalance, MempoolFull, ValidationError
from offchain.ledger.params import ChainParams
from offchain.ledger.state import Account, StateView
from offchain.ledger.store import PoolEntry, Store
from offchain.ledger.tx import KIND_TRANSFER, Transaction, transaction_from_bytes

COINBASE_SIZE = 41  # the fixed coinbase layout (tx.py)


def pool_entry(tx: Transaction, sender: bytes) -> PoolEntry:
    size = tx.size
    return PoolEntry(
        txid=tx.txid,
        raw=tx.serialize(),
        sender=sender,
        nonce=tx.nonce,
        cost=tx.fee + (tx.amount if tx.kind == KIND_TRANSFER else 0),
        size=size,
        feerate=tx.fee * 1000 // size,
    )


def admit(store: Store, tx: Transaction, sender: bytes, *, max_txs: int, max_bytes: int, per_sender: int) -> None:
    """Add `tx` (signed by `sender`) to the pool, or raise why not. Runs inside a transaction."""
    if store.pool_has(tx.txid):
        return
    account = store.account(sender) or Account()
    count, pending_cost = store.pool_sender(sender)
    expected = account.nonce + count
    if tx.nonce != expected:
        raise BadNonce(
            f"transaction {tx.txid[::-1].hex()} has nonce {tx.nonce}; account 0x{sender.hex()} "
            f"expects {expected} ({count} pending)"
        )
    if count >= per_sender:
        raise MempoolFull(f"account 0x{sender.hex()} already has {count} pending transactions")
    entry = pool_entry(tx, sender)
    if account.balance < pending_cost + entry.cost:
        raise InsufficientBalance(
            f"account 0x{sender.hex()} holds {account.balance} (spendable, after "
            f"{pending_cost} pending), transaction {tx.txid[::-1].hex()} needs {entry.cost}"
        )
    while True:
        txs, size = store.pool_size()
        if txs + 1 <= max_txs and size + entry.size <= max_bytes:
            break
        cheapest = store.pool_cheapest()
        if cheapest is None or cheapest.feerate >= entry.feerate or cheapest.sender == sender:
            raise MempoolFull(
                f"the pool is full ({txs} transactions, {size} bytes) and this transaction pays "
                "no more per byte than the cheapest there; raise its fee"
            )
        store.pool_evict(cheapest)
    store.pool_add(entry)


def select(
    store: Store, params: ChainParams, lookup: Callable[[bytes], Account | None]
) -> tuple[list[Transaction], StateView]:
    """Pending transactions for a block template, best fee rate first within the block limits."""
    queues: dict[bytes, list[PoolEntry]] = {}
    for entry in store.pool_entries():
        queues.setdefault(entry.sender, []).append(entry)
    heap: list[tuple[int, int, bytes]] = []
    for order, (sender, queue) in enumerate(queues.items()):
        queue.sort(key=lambda e: e.nonce, reverse=True)  # pop() yields the lowest nonce
        heapq.heappush(heap, (-queue[-1].feerate, order, sender))
    view = StateView(lookup)
    chosen: list[Transaction] = []
    used = HEADER_SIZE + COINBASE_SIZE
    while heap and len(chosen) + 1 < validation.MAX_BLOCK_TXS:
        _, order, sender = heapq.heappop(heap)
        entry = queues[sender].pop()
        size = used + entry.size + len(compact_size(len(chosen) + 2))
        if size > validation.MAX_BLOCK_BYTES:
            continue  # this sender's later transactions wait for the next block
        tx = transaction_from_bytes(entry.raw)
        trial = view.child()
        try:
            validation.apply_transaction(trial, tx, params)
        except ValidationError:
            continue  # no longer applies (e.g. the balance moved): skip the sender's rest
        view.merge(trial)
        chosen.append(tx)
        used += entry.size
        if queues[sender]:
            heapq.heappush(heap, (-queues[sender][-1].feerate, order, sender))
    return chosen, view
