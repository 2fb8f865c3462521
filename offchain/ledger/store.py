"""SQLite persistence (WAL mode): blocks, the active chain, account state, undo records.

Every change the chain makes goes through `Store.transaction()`, so connecting a block
(insert it, apply its state changes, write its undo record, move the tip) is one SQLite
transaction, and a reorganisation is one too. SQLite's write-ahead log makes a transaction
all-or-nothing even if the process is killed mid-write: reopening rolls the log back to the
last commit, and the store is consistent at its old tip. `synchronous=FULL` also makes each
commit durable across power loss.

Numbers too large for SQLite's 64-bit integers (cumulative chain work) are stored as 32-byte
big-endian blobs, which SQLite compares bytewise, i.e. numerically.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain.ledger.block import BlockHeader
from offchain.ledger.errors import StoreError
from offchain.ledger.state import Account

DB_NAME = "ledger.sqlite3"
# Block status, after Bitcoin Core's BlockStatus: a header alone is kept for every block whose
# header is valid in its tree; a body only for blocks that could become the best chain.
STATUS_STORED = 0  # header and body; valid as far as checked; connected if on the main chain
STATUS_INVALID = 1  # failed a rule; never reconsidered; body dropped
STATUS_HEADER = 2  # valid header, no body (less work than the tip when it came)
STATUS_FAILED_CHILD = 3  # descends from an invalid block; header only
BUSY_TIMEOUT_S = 30.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    hash BLOB PRIMARY KEY, prev BLOB NOT NULL, height INTEGER NOT NULL,
    work BLOB NOT NULL, header BLOB NOT NULL, raw BLOB NOT NULL, status INTEGER NOT NULL);
DROP INDEX IF EXISTS blocks_by_work;
CREATE INDEX IF NOT EXISTS blocks_by_prev ON blocks (prev);
CREATE TABLE IF NOT EXISTS main_chain (height INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    address BLOB PRIMARY KEY, balance INTEGER NOT NULL, nonce INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS undo (hash BLOB PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS txindex (
    txid BLOB NOT NULL, block BLOB NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (txid, block));
DROP TABLE IF EXISTS mempool;
CREATE TABLE IF NOT EXISTS txpool (
    txid BLOB PRIMARY KEY, raw BLOB NOT NULL, sender BLOB NOT NULL, nonce INTEGER NOT NULL,
    cost INTEGER NOT NULL, size INTEGER NOT NULL, feerate INTEGER NOT NULL, seq INTEGER NOT NULL,
    UNIQUE (sender, nonce));
CREATE INDEX IF NOT EXISTS txpool_by_feerate ON txpool (feerate, seq);
CREATE TABLE IF NOT EXISTS txpool_size (
    id INTEGER PRIMARY KEY CHECK (id = 0), count INTEGER NOT NULL, bytes INTEGER NOT NULL,
    seq INTEGER NOT NULL);
INSERT OR IGNORE INTO txpool_size (id, count, bytes, seq) VALUES (0, 0, 0, 0);
"""
COINBASE_PREFIX = 256  # header + count + coinbase fit in this many leading bytes of a block


@dataclass(frozen=True)
class PoolEntry:
    """A pending transaction as the pool indexes it (the raw bytes parse to the rest)."""

    txid: bytes
    raw: bytes
    sender: bytes
    nonce: int
    cost: int
    """Fee plus amount moved: what the sender's balance must cover."""
    size: int
    feerate: int
    """Fee per 1,000 bytes: the order of eviction and of template filling."""


@dataclass(frozen=True)
class BlockEntry:
    """What the chain keeps about a stored block besides its body."""

    hash: bytes
    header: BlockHeader
    height: int
    chain_work: int
    """Total work from genesis up to and including this block."""
    status: int

    @property
    def has_data(self) -> bool:
        return self.status == STATUS_STORED

    @property
    def failed(self) -> bool:
        return self.status in (STATUS_INVALID, STATUS_FAILED_CHILD)


def work_blob(work: int) -> bytes:
    return work.to_bytes(32, "big")


class Store:
    """One SQLite database file; methods other than `transaction` expect to run inside one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open {path}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (re-raised; SQLite's own
        errors, such as a constraint another process's write broke, become StoreError).

        BEGIN IMMEDIATE takes the database's write lock, so everything read inside (the tip,
        whether a block is known) stays true until COMMIT, even with other processes writing.
        """
        with self.lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot write {self.path}: {exc}") from None
            try:
                yield
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"{self.path}: {exc}") from None
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"cannot commit to {self.path}: {exc}") from None

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested all-or-nothing step inside `transaction` (a failed reorganisation)."""
        self._db.execute("SAVEPOINT step")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK TO step")
            self._db.execute("RELEASE step")
            raise
        self._db.execute("RELEASE step")

    # -- meta -----------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- blocks ---------------------------------------------------------------------------
    def insert_block(self, entry: BlockEntry, raw: bytes, txids: list[bytes]) -> None:
        self._db.execute(
            "INSERT INTO blocks (hash, prev, height, work, header, raw, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                entry.hash,
                entry.header.prev_hash,
                entry.height,
                work_blob(entry.chain_work),
                entry.header.serialize(),
                raw,
                entry.status,
            ),
        )
        self._db.executemany(
            "INSERT OR IGNORE INTO txindex (txid, block, position) VALUES (?, ?, ?)",
            [(txid, entry.hash, i) for i, txid in enumerate(txids)],
        )

    def entry(self, block_hash: bytes) -> BlockEntry | None:
        row = self._db.execute("SELECT height, work, header, status FROM blocks WHERE hash=?", (block_hash,)).fetchone()
        if row is None:
            return None
        return BlockEntry(
            hash=block_hash,
            header=BlockHeader.from_bytes(row[2]),
            height=int(row[0]),
            chain_work=int.from_bytes(row[1], "big"),
            status=int(row[3]),
        )

    def raw_block(self, block_hash: bytes) -> bytes | None:
        """The block's body, or None when unknown or kept as a header only."""
        row = self._db.execute("SELECT raw FROM blocks WHERE hash=?", (block_hash,)).fetchone()
        return None if row is None or not row[0] else bytes(row[0])

    def block_prefix(self, block_hash: bytes) -> bytes | None:
        """The first bytes of a stored body (header, count, coinbase) without reading it all."""
        row = self._db.execute(
            "SELECT substr(raw, 1, ?) FROM blocks WHERE hash=?", (COINBASE_PREFIX, block_hash)
        ).fetchone()
        return None if row is None or not row[0] else bytes(row[0])

    def set_data(self, block_hash: bytes, raw: bytes, txids: list[bytes]) -> None:
        """Attach a body to a header-only entry."""
        self._db.execute("UPDATE blocks SET raw=?, status=? WHERE hash=?", (raw, STATUS_STORED, block_hash))
        self._db.executemany(
            "INSERT OR IGNORE INTO txindex (txid, block, position) VALUES (?, ?, ?)",
            [(txid, block_hash, i) for i, txid in enumerate(txids)],
        )

    def mark_failed(self, block_hash: bytes, status: int) -> None:
        """Set a failed status and drop the body: an invalid block is never reconsidered."""
        self._db.execute("UPDATE blocks SET raw=?, status=? WHERE hash=?", (b"", status, block_hash))
        self._db.execute("DELETE FROM txindex WHERE block=?", (block_hash,))

    def children(self, block_hash: bytes) -> list[BlockEntry]:
        rows = self._db.execute("SELECT hash FROM blocks WHERE prev=?", (block_hash,)).fetchall()
        return [e for e in (self.entry(bytes(r[0])) for r in rows) if e is not None]

    def block_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM blocks").fetchone()[0])

    # -- the active chain ----------------------------------------------------------------
    def main_hash(self, height: int) -> bytes | None:
        row = self._db.execute("SELECT hash FROM main_chain WHERE height=?", (height,)).fetchone()
        return None if row is None else bytes(row[0])

    def set_main(self, height: int, block_hash: bytes) -> None:
        self._db.execute("INSERT OR REPLACE INTO main_chain (height, hash) VALUES (?, ?)", (height, block_hash))

    def delete_main(self, height: int) -> None:
        self._db.execute("DELETE FROM main_chain WHERE height=?", (height,))

    def main_height(self) -> int:
        row = self._db.execute("SELECT MAX(height) FROM main_chain").fetchone()
        return -1 if row[0] is None else int(row[0])

    def locate(self, txid: bytes) -> tuple[bytes, int, int] | None:
        """(block hash, height, position) of a txid on the active chain."""
        row = self._db.execute(
            "SELECT t.block, m.height, t.position FROM txindex t JOIN main_chain m ON m.hash = t.block WHERE t.txid=?",
            (txid,),
        ).fetchone()
        return None if row is None else (bytes(row[0]), int(row[1]), int(row[2]))

    # -- accounts and undo ----------------------------------------------------------------
    def account(self, address: bytes) -> Account | None:
        row = self._db.execute("SELECT balance, nonce FROM accounts WHERE address=?", (address,)).fetchone()
        return None if row is None else Account(balance=int(row[0]), nonce=int(row[1]))

    def put_account(self, address: bytes, account: Account | None) -> None:
        """Write an account, or delete it (None) to restore 'never seen' on disconnect."""
        if account is None:
            self._db.execute("DELETE FROM accounts WHERE address=?", (address,))
        else:
            self._db.execute(
                "INSERT OR REPLACE INTO accounts (address, balance, nonce) VALUES (?, ?, ?)",
                (address, account.balance, account.nonce),
            )

    def all_accounts(self) -> dict[bytes, Account]:
        rows = self._db.execute("SELECT address, balance, nonce FROM accounts").fetchall()
        return {bytes(a): Account(balance=int(b), nonce=int(n)) for a, b, n in rows}

    def put_undo(self, block_hash: bytes, before: dict[bytes, Account | None]) -> None:
        data = [
            [address.hex(), None if acct is None else [acct.balance, acct.nonce]]
            for address, acct in sorted(before.items())
        ]
        self._db.execute("INSERT OR REPLACE INTO undo (hash, data) VALUES (?, ?)", (block_hash, json.dumps(data)))

    def pop_undo(self, block_hash: bytes) -> dict[bytes, Account | None]:
        row = self._db.execute("SELECT data FROM undo WHERE hash=?", (block_hash,)).fetchone()
        if row is None:
            raise StoreError(f"no undo record for block {block_hash[::-1].hex()}")
        self._db.execute("DELETE FROM undo WHERE hash=?", (block_hash,))
        return {
            bytes.fromhex(address): None if acct is None else Account(acct[0], acct[1])
            for address, acct in json.loads(row[0])
        }

    def has_undo(self, block_hash: bytes) -> bool:
        row = self._db.execute("SELECT 1 FROM undo WHERE hash=?", (block_hash,)).fetchone()
        return row is not None

    # -- transaction pool ------------------------------------------------------------------
    def pool_add(self, entry: PoolEntry) -> bool:
        """Add a pending transaction; False if its txid or (sender, nonce) is already there."""
        seq = int(self._db.execute("SELECT seq FROM txpool_size").fetchone()[0]) + 1
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO txpool (txid, raw, sender, nonce, cost, size, feerate, seq)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.txid, entry.raw, entry.sender, entry.nonce, entry.cost, entry.size, entry.feerate, seq),
        )
        if cursor.rowcount != 1:
            return False
        self._db.execute("UPDATE txpool_size SET count=count+1, bytes=bytes+?, seq=?", (entry.size, seq))
        return True

    def _pool_delete(self, where: str, args: tuple[object, ...]) -> int:
        rows = self._db.execute(f"DELETE FROM txpool WHERE {where} RETURNING size", args).fetchall()
        if rows:
            self._db.execute(
                "UPDATE txpool_size SET count=count-?, bytes=bytes-?",
                (len(rows), sum(int(r[0]) for r in rows)),
            )
        return len(rows)

    def pool_remove(self, txids: list[bytes]) -> None:
        for txid in txids:
            self._pool_delete("txid=?", (txid,))

    def pool_remove_sender(self, sender: bytes, below: int | None = None) -> int:
        """Drop a sender's pending transactions with nonce below `below` (all when None)."""
        if below is None:
            return self._pool_delete("sender=?", (sender,))
        return self._pool_delete("sender=? AND nonce<?", (sender, below))

    def pool_evict(self, entry: PoolEntry) -> int:
        """Drop `entry` and the sender's later transactions, which cannot apply without it."""
        return self._pool_delete("sender=? AND nonce>=?", (entry.sender, entry.nonce))

    def pool_has(self, txid: bytes) -> bool:
        return self._db.execute("SELECT 1 FROM txpool WHERE txid=?", (txid,)).fetchone() is not None

    def pool_sender(self, sender: bytes) -> tuple[int, int]:
        """(count, total cost) of a sender's pending transactions: one index range."""
        row = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(cost), 0) FROM txpool WHERE sender=?", (sender,)
        ).fetchone()
        return int(row[0]), int(row[1])

    def pool_size(self) -> tuple[int, int]:
        """(transactions, bytes) in the pool, kept as running totals."""
        row = self._db.execute("SELECT count, bytes FROM txpool_size").fetchone()
        return int(row[0]), int(row[1])

    def pool_cheapest(self) -> PoolEntry | None:
        """The pending transaction paying least per byte (the newest among equals)."""
        row = self._db.execute(
            "SELECT txid, raw, sender, nonce, cost, size, feerate FROM txpool ORDER BY feerate ASC, seq DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _pool_entry(row)

    def pool_entries(self) -> list[PoolEntry]:
        """Every pending transaction (the pool is capped), best fee rate first."""
        rows = self._db.execute(
            "SELECT txid, raw, sender, nonce, cost, size, feerate FROM txpool ORDER BY feerate DESC, seq ASC"
        ).fetchall()
        return [_pool_entry(r) for r in rows]

    def mempool(self) -> list[bytes]:
        """Raw pending transactions in arrival order."""
        return [bytes(r[0]) for r in self._db.execute("SELECT raw FROM txpool ORDER BY seq")]

    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])


def _pool_entry(row: tuple[Any, ...]) -> PoolEntry:  # one row of `pool`: sqlite3 rows are untyped
    txid, raw, sender, nonce, cost, size, feerate = row
    return PoolEntry(
        txid=bytes(txid),
        raw=bytes(raw),
        sender=bytes(sender),
        nonce=int(nonce),
        cost=int(cost),
        size=int(size),
        feerate=int(feerate),
    )
