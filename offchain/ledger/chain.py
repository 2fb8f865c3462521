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
the old chain stays exactly as it was.

What is stored follows Bitcoin Core's block status. Every block whose header is valid in
its tree keeps its header (valid-tree); its body is kept only if the block could become the
best chain (have-data): it has at least the tip's work, or it lies on the branch of the best
known header and that header has more work than the tip. A block that fails keeps only its
header, marked invalid, and its descendants are refused as failed children. Blocks whose
parent is unknown wait in memory as orphans, capped by count and by bytes.

Every read that decides a write (is the block known, which is the tip) happens inside the
write transaction (BEGIN IMMEDIATE), so two processes on one folder never both connect a
block at the same height.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from offchain.ledger import pool
from offchain.ledger.block import HEADER_SIZE, Block, BlockHeader
from offchain.ledger.encoding import Reader
from offchain.ledger.errors import (
    BadCoinbase,
    BadLink,
    FeeTooLow,
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
from offchain.ledger.store import (
    DB_NAME,
    STATUS_FAILED_CHILD,
    STATUS_HEADER,
    STATUS_INVALID,
    STATUS_STORED,
    BlockEntry,
    Store,
)
from offchain.ledger.tx import Transaction, parse_transaction
from offchain.ledger.validation import (
    MEDIAN_TIME_SPAN,
    apply_block,
    median_time_past,
    required_bits,
    validate_block,
    validate_header,
    validate_header_context,
    validate_min_work,
    validate_timewarp,
    validate_transaction,
    validate_version,
)
from offchain.ledger.verify import VerifyReport, replay_chain

CONNECTED = "connected"
SIDE = "side"
ORPHAN = "orphan"
DUPLICATE = "duplicate"
MAX_ORPHANS = 512
MAX_ORPHAN_BYTES = 4 << 20  # four full blocks
MAX_MEMPOOL_TXS = 20_000
MAX_MEMPOOL_BYTES = 8 << 20
MAX_PENDING_PER_SENDER = 64  # Bitcoin Core's default ancestor limit is 25; nonces chain here


class _ConnectFailure(Exception):
    """Carries which block failed while a reorganisation connected a branch."""

    def __init__(self, block_hash: bytes, error: ValidationError) -> None:
        super().__init__(str(error))
        self.block_hash = block_hash
        self.error = error


class Chain:
    """A chain stored in one folder. Not thread-safe by itself: callers hold `lock`."""

    def __init__(self, store: Store, params: ChainParams, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.params = params
        self.clock = clock
        self.lock = store.lock
        self._orphans: dict[bytes, dict[bytes, Block]] = {}
        self._orphan_bytes = 0
        self._best_branch: tuple[bytes, bytes, frozenset[bytes]] | None = None

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls, datadir: str | Path, chain: str | None = None, *, create: bool = False) -> Chain:
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
            raise StoreError(f"the {name} chain is for verify-headers and verify-proof only; stored chains: devnet")
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
            stored = self.store.get_meta("chain")
            if stored is not None:  # another process created it first
                if stored != self.params.name:
                    raise StoreError(f"{self.store.path} holds the {stored} chain")
                return
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

    def best_header(self) -> BlockEntry:
        """The not-failed header with the most work (the tip when no header beats it)."""
        tip = self.tip()
        best_hex = self.store.get_meta("best")
        best = None if best_hex is None else self.get(bytes.fromhex(best_hex))
        if best is None or best.failed or best.chain_work <= tip.chain_work:
            return tip
        return best

    def _entry(self, block_hash: bytes) -> BlockEntry:
        entry = self.store.entry(block_hash)
        if entry is None:
            raise NotFound(f"unknown block {hash_to_hex(block_hash)}")
        return entry

    def block(self, block_hash: bytes) -> Block:
        raw = self.store.raw_block(block_hash)
        if raw is None:
            raise NotFound(f"no body stored for block {hash_to_hex(block_hash)}")
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
        return required_bits(self.params, height, parent.header.bits, parent.header.time, first_time)

    def median_time(self, parent: BlockEntry) -> int:
        return median_time_past(self.recent_times(parent))

    # -- adding blocks ----------------------------------------------------------------------
    def add_block(self, block: Block) -> str:
        """Validate and store a block, moving the tip if it wins. Raises ValidationError.

        Returns "connected" (the tip moved), "side" (valid so far, not the best chain: only its
        header is kept unless it could still become the best), "orphan" (parent unknown; kept
        in memory) or "duplicate".
        """
        with self.lock:
            result = self._add(block)
            if result in (CONNECTED, SIDE):
                self._adopt_orphans(block.hash)
            return result

    def add_headers(self, headers: Sequence[BlockHeader]) -> int:
        """Headers first: validate a run of headers and keep them (no bodies). Returns how many
        were new. Raises ValidationError (nothing of the run is kept) or BadLink."""
        with self.lock:
            for header in headers:
                validate_header(header, self.params)  # proof of work before touching the store
            new = 0
            with self.store.transaction():
                for header in headers:
                    known = self.get(header.hash)
                    if known is not None:
                        if known.failed:
                            raise InvalidBlock(f"header {header.hash_hex} is known to be invalid")
                        continue
                    parent = self.get(header.prev_hash)
                    if parent is None:
                        raise BadLink(f"header {header.hash_hex} does not connect to a known block")
                    if parent.failed:
                        raise InvalidBlock(f"header {header.hash_hex} descends from an invalid block")
                    self._accept_header(header, parent)
                    new += 1
            return new

    def _add(self, block: Block) -> str:
        validate_block(block, self.params)  # context-free, CPU-bound: outside the write lock
        error: ValidationError | None = None
        with self.store.transaction():
            known = self.get(block.hash)
            if known is not None and known.failed:
                raise InvalidBlock(f"block {block.header.hash_hex} is known to be invalid")
            if known is not None and known.has_data:
                return DUPLICATE
            parent = self.get(block.header.prev_hash)
            if parent is None:
                result = ORPHAN
            elif parent.failed:
                if known is None:
                    self._insert_header(block.header, parent, STATUS_FAILED_CHILD)
                error = InvalidBlock(f"block {block.header.hash_hex} descends from an invalid block")
            else:
                entry = known or self._accept_header(block.header, parent)
                if block.txs[0].height != entry.height:
                    raise BadCoinbase(f"coinbase claims height {block.txs[0].height}, block is at {entry.height}")
                result, error = self._store_body(block, entry)
        if error is not None:
            raise error  # after COMMIT: the failure marks stay
        if result == ORPHAN:
            self._keep_orphan(block)
        return result

    def _store_body(self, block: Block, entry: BlockEntry) -> tuple[str, ValidationError | None]:
        """Keep the body if the block could become the best chain, and activate it if it wins.
        Inside the caller's transaction; a block that fails to connect is marked invalid."""
        tip = self.tip()
        if entry.chain_work < tip.chain_work and not self._on_best_branch(entry, tip):
            return SIDE, None  # the header is kept; the body could never win as things stand
        self.store.set_data(entry.hash, block.serialize(), block.txids())
        try:
            with self.store.savepoint():
                return (CONNECTED if self._activate(entry, tip) else SIDE), None
        except _ConnectFailure as failure:
            self._mark_failed(failure.block_hash, entry)
            return SIDE, failure.error

    def _insert_header(self, header: BlockHeader, parent: BlockEntry, status: int) -> BlockEntry:
        entry = BlockEntry(
            header.hash,
            header,
            parent.height + 1,
            parent.chain_work + bits_work(header.bits),
            status,
        )
        self.store.insert_block(entry, b"", [])
        return entry

    def _accept_header(self, header: BlockHeader, parent: BlockEntry) -> BlockEntry:
        """Check a header against its parent chain and keep it (valid-tree, no body)."""
        height = parent.height + 1
        validate_version(header, height, self.params)
        validate_timewarp(header, height, parent.header.time, self.params)
        validate_min_work(header, self.best_header().header.bits)
        validate_header_context(
            header,
            self.params,
            parent_hash=parent.hash,
            expected_bits=self.next_bits(parent),
            median_time=self.median_time(parent),
            now=int(self.clock()),
        )
        entry = self._insert_header(header, parent, STATUS_HEADER)
        best_hex = self.store.get_meta("best")
        best = None if best_hex is None else self.get(bytes.fromhex(best_hex))
        if best is None or best.failed or entry.chain_work > best.chain_work:
            self.store.set_meta("best", entry.hash.hex())
        return entry

    def _on_best_branch(self, entry: BlockEntry, tip: BlockEntry) -> bool:
        """Whether `entry` is on the branch of a best header that has more work than the tip."""
        best = self.best_header()
        if best.chain_work <= tip.chain_work:
            return False
        cached = self._best_branch
        if cached is None or cached[:2] != (best.hash, tip.hash):
            branch, walker = set(), best
            while not self.is_main(walker):  # bounded by the branch's length
                branch.add(walker.hash)
                walker = self._entry(walker.header.prev_hash)
            cached = (best.hash, tip.hash, frozenset(branch))
            self._best_branch = cached
        return entry.hash in cached[2]

    def _activate(self, entry: BlockEntry, tip: BlockEntry) -> bool:
        """Reorganise to the most-work block with a complete branch through `entry`, if it
        beats the tip. Raises _ConnectFailure."""
        walker = entry  # its body was just stored (the entry predates that)
        while not self.is_main(walker):
            if walker is not entry and not walker.has_data:
                return False  # an ancestor's body is still missing
            walker = self._entry(walker.header.prev_hash)
        target = entry
        while True:  # follow stored descendants (bodies that arrived before this one)
            children = [c for c in self.store.children(target.hash) if c.has_data]
            if not children:
                break
            target = max(children, key=lambda c: c.chain_work)
        if target.chain_work <= tip.chain_work:
            return False
        self._reorganize(tip, target)
        return True

    def _mark_failed(self, failed_hash: bytes, descendant: BlockEntry) -> None:
        """Mark the block that broke a rule invalid and every block from it up to
        `descendant` a failed child (bodies dropped); the best header falls back to the tip."""
        walker = descendant
        while walker.hash != failed_hash:
            self.store.mark_failed(walker.hash, STATUS_FAILED_CHILD)
            walker = self._entry(walker.header.prev_hash)
        self.store.mark_failed(failed_hash, STATUS_INVALID)
        self.store.set_meta("best", self.tip().hash.hex())

    def _keep_orphan(self, block: Block) -> None:
        size = block.size()
        if size > MAX_ORPHAN_BYTES or block.hash in self._orphans.get(block.header.prev_hash, {}):
            return
        while self._orphans and (self._orphan_bytes + size > MAX_ORPHAN_BYTES or self.orphan_count() >= MAX_ORPHANS):
            self._drop_orphans(next(iter(self._orphans)))  # the oldest parent's orphans
        self._orphans.setdefault(block.header.prev_hash, {})[block.hash] = block
        self._orphan_bytes += size

    def _drop_orphans(self, parent_hash: bytes) -> dict[bytes, Block]:
        dropped = self._orphans.pop(parent_hash, {})
        self._orphan_bytes -= sum(b.size() for b in dropped.values())
        return dropped

    def _adopt_orphans(self, parent_hash: bytes) -> None:
        """Add orphans that were waiting for `parent_hash`, and their descendants in turn."""
        waiting = [parent_hash]
        while waiting:
            for orphan in self._drop_orphans(waiting.pop()).values():
                try:
                    if self._add(orphan) in (CONNECTED, SIDE):
                        waiting.append(orphan.hash)
                except ValidationError:
                    continue  # an invalid orphan is simply dropped

    def orphan_count(self) -> int:
        return sum(len(v) for v in self._orphans.values())

    def orphan_bytes(self) -> int:
        return self._orphan_bytes

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
            apply_block(view, block, entry.height, self.params, self._matured(entry.height))
        except ValidationError as exc:
            raise _ConnectFailure(entry.hash, exc) from exc
        for address, account in view.changes.items():
            self.store.put_account(address, account)
            # Pending transactions this block made stale (spent nonces: conflict losers too).
            self.store.pool_remove_sender(address, below=account.nonce)
        self.store.put_undo(entry.hash, {a: view.before[a] for a in view.changes})
        self.store.set_main(entry.height, entry.hash)
        self.store.pool_remove(block.txids()[1:])

    def _matured(self, height: int) -> Transaction | None:
        """The coinbase a block at `height` credits: the main chain's at height - maturity
        (the main chain holds every ancestor while a branch is being connected)."""
        maturity = self.params.coinbase_maturity
        if maturity == 0 or height < maturity:
            return None
        block_hash = self.store.main_hash(height - maturity)
        prefix = None if block_hash is None else self.store.block_prefix(block_hash)
        if prefix is None:
            raise StoreError(f"no stored block at height {height - maturity} to mature")
        reader = Reader(prefix[HEADER_SIZE:])
        reader.compact_size("transaction count")
        return parse_transaction(reader)

    def _disconnect(self, entry: BlockEntry) -> None:
        for address, account in self.store.pop_undo(entry.hash).items():
            self.store.put_account(address, account)
        self.store.delete_main(entry.height)
        for tx in self.block(entry.hash).txs[1:]:  # back to the pool, as Bitcoin does
            self.store.pool_add(pool.pool_entry(tx, tx.sender(self.params.magic)))

    # -- transactions -----------------------------------------------------------------------
    def pending(self) -> tuple[list[Transaction], StateView]:
        """Pending transactions for the next block, best fee rate first within the block
        limits, each sender's in nonce order; and the state after them."""
        return pool.select(self.store, self.params, self.store.account)

    def submit(self, tx: Transaction) -> bytes:
        """Check a transaction against the tip and the sender's pending ones (in O(1) of the
        pool's size), then keep it, evicting cheaper ones if the pool is full. Returns txid."""
        with self.lock:
            validate_transaction(tx)
            if tx.is_coinbase:
                raise InvalidBlock("a coinbase cannot be submitted on its own")
            if tx.fee < self.params.min_fee:
                raise FeeTooLow(f"fee {tx.fee} is below the minimum {self.params.min_fee}")
            sender = tx.sender(self.params.magic)  # the one signature recovery
            with self.store.transaction():
                pool.admit(
                    self.store,
                    tx,
                    sender,
                    max_txs=MAX_MEMPOOL_TXS,
                    max_bytes=MAX_MEMPOOL_BYTES,
                    per_sender=MAX_PENDING_PER_SENDER,
                )
            return tx.txid

    def next_nonce(self, address: bytes) -> int:
        """The nonce the address's next transaction needs, counting pending ones."""
        with self.lock:
            count, _ = self.store.pool_sender(address)
            return self.account(address).nonce + count

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
            return replay_chain(self)
