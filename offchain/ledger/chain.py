"""The chain: fork choice by most work, reorganisations, orphans, mempool, proofs, verify-db.

Python API (stable; the demo and the CLI use it)::

    chain = Chain.open(datadir, "devnet", create=True)   # a folder; creates genesis if new
    chain.add_block(block)      # -> "connected" | "side" | "orphan" | "duplicate"; raises
    chain.submit(tx)            # validated against the tip state plus pending transactions
    chain.proof(txid)           # dict: txid, tx, index, branch, merkle_root, header, height...
    chain.verify_db()           # re-validates the whole stored chain; raises StoreError

Fork choice follows Bitcoin: the active tip is the stored, not-invalid block with the most
cumulative work (2^256 / (target + 1) summed from genesis). When another branch overtakes
it, the blocks back to the fork point are disconnected (restoring every touched account
from its undo record) and the new branch is connected, all inside one SQLite transaction:
if any new block breaks a rule the transaction rolls back, that block is marked invalid and
the old chain stays exactly as it was. Blocks whose parent is unknown wait in memory as
orphans until it arrives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from offchain.ledger.block import Block
from offchain.ledger.errors import (
    BadCoinbase,
    BadLink,
    InvalidBlock,
    NotFound,
    StoreError,
    ValidationError,
)
from offchain.ledger.genesis import genesis_block
from offchain.ledger.hashing import hash_to_hex
from offchain.ledger.merkle import merkle_branch
from offchain.ledger.params import ChainParams, chain_params
from offchain.ledger.pow import bits_work
from offchain.ledger.state import Account, StateView
from offchain.ledger.store import DB_NAME, STATUS_INVALID, STATUS_STORED, BlockEntry, Store
from offchain.ledger.tx import Transaction, transaction_from_bytes
from offchain.ledger.validation import (
    MEDIAN_TIME_SPAN,
    apply_block,
    apply_transaction,
    median_time_past,
    required_bits,
    validate_block,
    validate_header_context,
    validate_transaction,
)

CONNECTED = "connected"
SIDE = "side"
ORPHAN = "orphan"
DUPLICATE = "duplicate"
MAX_ORPHANS = 512


class _ConnectFailure(Exception):
    """Carries which block failed while a reorganisation connected a branch."""

    def __init__(self, block_hash: bytes, error: ValidationError) -> None:
        super().__init__(str(error))
        self.block_hash = block_hash
        self.error = error


@dataclass(frozen=True)
class VerifyReport:
    """What `verify_db` checked."""

    height: int
    tip: str
    blocks: int
    accounts: int
    transactions: int


class Chain:
    """A chain stored in one folder. Not thread-safe by itself: callers hold `lock`."""

    def __init__(
        self, store: Store, params: ChainParams, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.params = params
        self.clock = clock
        self.lock = store.lock
        self._orphans: dict[bytes, dict[bytes, Block]] = {}

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(
        cls, datadir: str | Path, chain: str | None = None, *, create: bool = False
    ) -> Chain:
        """Open the chain stored in `datadir` (creating it with its genesis if `create`)."""
        folder = Path(datadir)
        path = folder / DB_NAME
        if not path.exists() and not create:
            raise StoreError(f"no ledger in {folder}; run `offchain ledger init` first")
        folder.mkdir(parents=True, exist_ok=True)
        store = Store(path)
        stored = store.get_meta("chain")
        name = chain or stored or "devnet"
        if stored is not None and stored != name:
            raise StoreError(f"{folder} holds the {stored} chain, not {name}")
        params = chain_params(name)
        if not params.genesis_block_hex:
            raise StoreError(
                f"the {name} chain is for verify-headers and verify-proof only; "
                "stored chains: devnet"
            )
        self = cls(store, params)
        if stored is None:
            self._create_genesis()
        return self

    def close(self) -> None:
        self.store.close()

    def _create_genesis(self) -> None:
        block = genesis_block(self.params)
        validate_block(block, self.params)
        entry = BlockEntry(block.hash, block.header, 0, bits_work(block.header.bits), STATUS_STORED)
        with self.store.transaction():
            self.store.set_meta("chain", self.params.name)
            self.store.insert_block(entry, block.serialize(), block.txids())
            self._connect(entry)
            self.store.set_meta("tip", block.hash.hex())

    # -- reading ----------------------------------------------------------------------------
    def tip(self) -> BlockEntry:
        tip_hex = self.store.get_meta("tip")
        if tip_hex is None:
            raise StoreError(f"{self.store.path} has no tip; the store is incomplete")
        return self._entry(bytes.fromhex(tip_hex))

    def get(self, block_hash: bytes) -> BlockEntry | None:
        return self.store.entry(block_hash)

    def _entry(self, block_hash: bytes) -> BlockEntry:
        entry = self.store.entry(block_hash)
        if entry is None:
            raise NotFound(f"unknown block {hash_to_hex(block_hash)}")
        return entry

    def block(self, block_hash: bytes) -> Block:
        raw = self.store.raw_block(block_hash)
        if raw is None:
            raise NotFound(f"unknown block {hash_to_hex(block_hash)}")
        return Block.from_bytes(raw)

    def is_main(self, entry: BlockEntry) -> bool:
        return self.store.main_hash(entry.height) == entry.hash

    def main_entry(self, height: int) -> BlockEntry | None:
        block_hash = self.store.main_hash(height)
        return None if block_hash is None else self.get(block_hash)

    def ancestor(self, entry: BlockEntry, height: int) -> BlockEntry:
        """The block at `height` on `entry`'s branch (a lookup once it meets the main chain)."""
        while entry.height > height:
            if self.is_main(entry):
                main = self.main_entry(height)
                assert main is not None  # every height below a main block is on the main chain
                return main
            entry = self._entry(entry.header.prev_hash)
        return entry

    def account(self, address: bytes) -> Account:
        return self.store.account(address) or Account()

    def recent_times(self, entry: BlockEntry, count: int = MEDIAN_TIME_SPAN) -> list[int]:
        """Times of `entry` and up to `count - 1` ancestors, oldest first."""
        times = [entry.header.time]
        while len(times) < count and entry.height > 0:
            entry = self._entry(entry.header.prev_hash)
            times.append(entry.header.time)
        return times[::-1]

    def next_bits(self, parent: BlockEntry) -> int:
        """The bits a child of `parent` must carry."""
        height = parent.height + 1
        first_time = 0
        if height % self.params.retarget_interval == 0:
            first_time = self.ancestor(parent, height - self.params.retarget_interval).header.time
        return required_bits(
            self.params, height, parent.header.bits, parent.header.time, first_time
        )

    def median_time(self, parent: BlockEntry) -> int:
        return median_time_past(self.recent_times(parent))

    # -- adding blocks ----------------------------------------------------------------------
    def add_block(self, block: Block) -> str:
        """Validate and store a block, moving the tip if it wins. Raises ValidationError."""
        with self.lock:
            result = self._add(block)
            if result in (CONNECTED, SIDE):
                self._adopt_orphans(block.hash)
            return result

    def _add(self, block: Block) -> str:
        known = self.get(block.hash)
        if known is not None:
            if known.status == STATUS_INVALID:
                raise InvalidBlock(f"block {block.header.hash_hex} is known to be invalid")
            return DUPLICATE
        validate_block(block, self.params)
        parent = self.get(block.header.prev_hash)
        if parent is None:
            self._keep_orphan(block)
            return ORPHAN
        if parent.status == STATUS_INVALID:
            self._store_invalid(block, parent)
            raise InvalidBlock(f"block {block.header.hash_hex} descends from an invalid block")
        validate_header_context(
            block.header,
            self.params,
            parent_hash=parent.hash,
            expected_bits=self.next_bits(parent),
            median_time=self.median_time(parent),
            now=int(self.clock()),
        )
        if block.txs[0].height != parent.height + 1:
            raise BadCoinbase(
                f"coinbase claims height {block.txs[0].height}, block is at {parent.height + 1}"
            )
        entry = BlockEntry(
            block.hash, block.header, parent.height + 1,
            parent.chain_work + bits_work(block.header.bits), STATUS_STORED,
        )
        tip = self.tip()
        try:
            with self.store.transaction():
                self.store.insert_block(entry, block.serialize(), block.txids())
                if entry.chain_work <= tip.chain_work:
                    return SIDE
                self._reorganize(tip, entry)
                return CONNECTED
        except _ConnectFailure as failure:
            with self.store.transaction():
                self._store_invalid(block, parent)
                self.store.set_status(failure.block_hash, STATUS_INVALID)
            raise failure.error from None

    def _store_invalid(self, block: Block, parent: BlockEntry) -> None:
        entry = BlockEntry(
            block.hash, block.header, parent.height + 1,
            parent.chain_work + bits_work(block.header.bits), STATUS_INVALID,
        )
        if self.get(block.hash) is None:
            self.store.insert_block(entry, block.serialize(), [])

    def _keep_orphan(self, block: Block) -> None:
        if sum(len(v) for v in self._orphans.values()) >= MAX_ORPHANS:
            self._orphans.pop(next(iter(self._orphans)))  # drop the oldest parent's orphans
        self._orphans.setdefault(block.header.prev_hash, {})[block.hash] = block

    def _adopt_orphans(self, parent_hash: bytes) -> None:
        """Add orphans that were waiting for `parent_hash`, and their descendants in turn."""
        waiting = [parent_hash]
        while waiting:
            for orphan in self._orphans.pop(waiting.pop(), {}).values():
                try:
                    if self._add(orphan) in (CONNECTED, SIDE):
                        waiting.append(orphan.hash)
                except ValidationError:
                    continue  # an invalid orphan is simply dropped

    def orphan_count(self) -> int:
        return sum(len(v) for v in self._orphans.values())

    # -- reorganising -----------------------------------------------------------------------
    def _reorganize(self, old_tip: BlockEntry, new_tip: BlockEntry) -> None:
        """Disconnect back to the fork point, connect up to `new_tip` (inside a transaction)."""
        fork = self._fork_point(old_tip, new_tip)
        entry = old_tip
        while entry.hash != fork.hash:
            self._disconnect(entry)
            entry = self._entry(entry.header.prev_hash)
        path = []
        entry = new_tip
        while entry.hash != fork.hash:
            path.append(entry)
            entry = self._entry(entry.header.prev_hash)
        for entry in reversed(path):
            self._connect(entry)
        self.store.set_meta("tip", new_tip.hash.hex())

    def _fork_point(self, a: BlockEntry, b: BlockEntry) -> BlockEntry:
        while a.height > b.height:
            a = self._entry(a.header.prev_hash)
        while b.height > a.height:
            b = self._entry(b.header.prev_hash)
        while a.hash != b.hash:
            a = self._entry(a.header.prev_hash)
            b = self._entry(b.header.prev_hash)
        return a

    def _connect(self, entry: BlockEntry) -> None:
        block = self.block(entry.hash)
        view = StateView(self.store.account)
        try:
            apply_block(view, block, entry.height, self.params)
        except ValidationError as exc:
            raise _ConnectFailure(entry.hash, exc) from exc
        for address, account in view.changes.items():
            self.store.put_account(address, account)
        self.store.put_undo(entry.hash, {a: view.before[a] for a in view.changes})
        self.store.set_main(entry.height, entry.hash)
        self.store.mempool_remove(block.txids()[1:])

    def _disconnect(self, entry: BlockEntry) -> None:
        for address, account in self.store.pop_undo(entry.hash).items():
            self.store.put_account(address, account)
        self.store.delete_main(entry.height)
        for tx in self.block(entry.hash).txs[1:]:  # back to the mempool, as Bitcoin does
            self.store.mempool_add(tx.txid, tx.serialize())

    # -- transactions -----------------------------------------------------------------------
    def pending(self) -> tuple[list[Transaction], StateView]:
        """Mempool transactions that apply, in order, on top of the tip; and the state after."""
        view = StateView(self.store.account)
        txs = [transaction_from_bytes(raw) for raw in self.store.mempool()]
        txs.sort(key=lambda tx: tx.nonce)  # a sender's transactions must go in nonce order
        chosen: list[Transaction] = []
        for tx in txs:
            trial = view.child()
            try:
                apply_transaction(trial, tx, self.params)
            except ValidationError:
                continue  # stale or not yet valid; stays in the pool
            view.merge(trial)
            chosen.append(tx)
        return chosen, view

    def submit(self, tx: Transaction) -> bytes:
        """Check a transaction against the tip and pending ones, then keep it. Returns txid."""
        with self.lock:
            validate_transaction(tx)
            if tx.is_coinbase:
                raise InvalidBlock("a coinbase cannot be submitted on its own")
            _, view = self.pending()
            apply_transaction(view.child(), tx, self.params)
            with self.store.transaction():
                self.store.mempool_add(tx.txid, tx.serialize())
            return tx.txid

    def next_nonce(self, address: bytes) -> int:
        """The nonce the address's next transaction needs, counting pending ones."""
        _, view = self.pending()
        return view.get(address).nonce

    # -- proofs -----------------------------------------------------------------------------
    def proof(self, txid: bytes) -> dict[str, object]:
        """A self-contained inclusion proof of a transaction on the active chain."""
        with self.lock:
            found = self.store.locate(txid)
            if found is None:
                raise NotFound(f"transaction {hash_to_hex(txid)} is not on the active chain")
            block_hash, height, index = found
            block = self.block(block_hash)
            txids = block.txids()
            tip = self.tip()
        return {
            "chain": self.params.name,
            "txid": hash_to_hex(txid),
            "tx": block.txs[index].serialize().hex(),
            "index": index,
            "tx_count": len(txids),
            "branch": [hash_to_hex(h) for h in merkle_branch(txids, index)],
            "merkle_root": hash_to_hex(block.header.merkle_root),
            "block_hash": hash_to_hex(block_hash),
            "header": block.header.serialize().hex(),
            "height": height,
            "confirmations": tip.height - height + 1,
        }

    # -- verify-db --------------------------------------------------------------------------
    def verify_db(self) -> VerifyReport:
        """Replay the stored active chain from genesis into fresh state and compare everything.

        Checks: SQLite's integrity check; genesis; each block's hash, link, proof of work,
        Merkle root, bits, time and transactions; cumulative work; undo records; and that
        the replayed balances equal the stored ones. Raises StoreError naming the first fault.
        """
        with self.lock:
            return self._verify_db()

    def _verify_db(self) -> VerifyReport:
        integrity = self.store.integrity_check()
        if integrity != "ok":
            raise StoreError(f"sqlite integrity check failed: {integrity}")
        tip = self.tip()
        if self.store.main_height() != tip.height:
            raise StoreError(f"main chain ends at {self.store.main_height()}, tip at {tip.height}")
        replay: dict[bytes, Account] = {}
        view = StateView(replay.get)
        parent: BlockEntry | None = None
        times: list[int] = []
        work = 0
        transactions = 0
        for height in range(tip.height + 1):
            entry = self.main_entry(height)
            if entry is None:
                raise StoreError(f"no active block at height {height}")
            block = self.block(entry.hash)
            try:
                if block.hash != entry.hash or block.header != entry.header:
                    raise BadLink(f"stored block at height {height} does not hash to its key")
                validate_block(block, self.params)
                if parent is None:
                    if block.hash != genesis_block(self.params).hash:
                        raise BadLink("height 0 is not this chain's genesis")
                else:
                    validate_header_context(
                        block.header, self.params, parent_hash=parent.hash,
                        expected_bits=self.next_bits(parent),
                        median_time=median_time_past(times),
                        now=block.header.time,  # the clock is not a property of the store
                    )
                apply_block(view, block, height, self.params)
            except ValidationError as exc:
                message = f"block {block.header.hash_hex} at height {height}: {exc}"
                raise StoreError(message) from exc
            work += bits_work(block.header.bits)
            if work != entry.chain_work or entry.status != STATUS_STORED:
                raise StoreError(f"stored work or status wrong at height {height}")
            if not self.store.has_undo(entry.hash):
                raise StoreError(f"missing undo record at height {height}")
            times = (times + [block.header.time])[-MEDIAN_TIME_SPAN:]
            transactions += len(block.txs)
            parent = entry
        stored = self.store.all_accounts()
        if stored != view.changes:
            diff = sorted(set(stored.items()) ^ set(view.changes.items()))
            raise StoreError(f"stored balances differ from the replayed chain: {diff[:3]}")
        return VerifyReport(
            height=tip.height, tip=hash_to_hex(tip.hash), blocks=self.store.block_count(),
            accounts=len(stored), transactions=transactions,
        )
