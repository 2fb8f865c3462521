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

from offchain.ledger.block import BlockHeader
from offchain.ledger.errors import StoreError
from offchain.ledger.state import Account

DB_NAME = "ledger.sqlite3"
STATUS_STORED = 0  # valid as far as checked; connected if on the main chain
STATUS_INVALID = 1  # failed a rule; never reconsidered
BUSY_TIMEOUT_S = 30.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    hash BLOB PRIMARY KEY, prev BLOB NOT NULL, height INTEGER NOT NULL,
    work BLOB NOT NULL, header BLOB NOT NULL, raw BLOB NOT NULL, status INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS blocks_by_work ON blocks (work);
CREATE INDEX IF NOT EXISTS blocks_by_prev ON blocks (prev);
CREATE TABLE IF NOT EXISTS main_chain (height INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    address BLOB PRIMARY KEY, balance INTEGER NOT NULL, nonce INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS undo (hash BLOB PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS txindex (
    txid BLOB NOT NULL, block BLOB NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (txid, block));
CREATE TABLE IF NOT EXISTS mempool (txid BLOB PRIMARY KEY, raw BLOB NOT NULL, seq INTEGER);
"""


@dataclass(frozen=True)
class BlockEntry:
    """What the chain keeps about a stored block besides its body."""

    hash: bytes
    header: BlockHeader
    height: int
    chain_work: int
    """Total work from genesis up to and including this block."""
    status: int


def work_blob(work: int) -> bytes:
    return work.to_bytes(32, "big")


class Store:
    """One SQLite database file; methods other than `transaction` expect to run inside one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        try:
            self._db = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open {path}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (re-raised)."""
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- meta -----------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- blocks ---------------------------------------------------------------------------
    def insert_block(self, entry: BlockEntry, raw: bytes, txids: list[bytes]) -> None:
        self._db.execute(
            "INSERT INTO blocks (hash, prev, height, work, header, raw, status)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (entry.hash, entry.header.prev_hash, entry.height, work_blob(entry.chain_work),
             entry.header.serialize(), raw, entry.status),
        )
        self._db.executemany(
            "INSERT OR IGNORE INTO txindex (txid, block, position) VALUES (?, ?, ?)",
            [(txid, entry.hash, i) for i, txid in enumerate(txids)],
        )

    def entry(self, block_hash: bytes) -> BlockEntry | None:
        row = self._db.execute(
            "SELECT height, work, header, status FROM blocks WHERE hash=?", (block_hash,)
        ).fetchone()
        if row is None:
            return None
        return BlockEntry(
            hash=block_hash, header=BlockHeader.from_bytes(row[2]), height=int(row[0]),
            chain_work=int.from_bytes(row[1], "big"), status=int(row[3]),
        )

    def raw_block(self, block_hash: bytes) -> bytes | None:
        row = self._db.execute("SELECT raw FROM blocks WHERE hash=?", (block_hash,)).fetchone()
        return None if row is None else bytes(row[0])

    def set_status(self, block_hash: bytes, status: int) -> None:
        self._db.execute("UPDATE blocks SET status=? WHERE hash=?", (status, block_hash))

    def candidates(self, min_work: int) -> list[bytes]:
        """Hashes of blocks not known invalid with more work than `min_work`, most work first."""
        rows = self._db.execute(
            "SELECT hash FROM blocks WHERE status!=? AND work>? ORDER BY work DESC",
            (STATUS_INVALID, work_blob(min_work)),
        ).fetchall()
        return [bytes(r[0]) for r in rows]

    def block_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM blocks").fetchone()[0])

    # -- the active chain ----------------------------------------------------------------
    def main_hash(self, height: int) -> bytes | None:
        row = self._db.execute("SELECT hash FROM main_chain WHERE height=?", (height,)).fetchone()
        return None if row is None else bytes(row[0])

    def set_main(self, height: int, block_hash: bytes) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO main_chain (height, hash) VALUES (?, ?)", (height, block_hash)
        )

    def delete_main(self, height: int) -> None:
        self._db.execute("DELETE FROM main_chain WHERE height=?", (height,))

    def main_height(self) -> int:
        row = self._db.execute("SELECT MAX(height) FROM main_chain").fetchone()
        return -1 if row[0] is None else int(row[0])

    def locate(self, txid: bytes) -> tuple[bytes, int, int] | None:
        """(block hash, height, position) of a txid on the active chain."""
        row = self._db.execute(
            "SELECT t.block, m.height, t.position FROM txindex t"
            " JOIN main_chain m ON m.hash = t.block WHERE t.txid=?",
            (txid,),
        ).fetchone()
        return None if row is None else (bytes(row[0]), int(row[1]), int(row[2]))

    # -- accounts and undo ----------------------------------------------------------------
    def account(self, address: bytes) -> Account | None:
        row = self._db.execute(
            "SELECT balance, nonce FROM accounts WHERE address=?", (address,)
        ).fetchone()
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
        self._db.execute(
            "INSERT OR REPLACE INTO undo (hash, data) VALUES (?, ?)", (block_hash, json.dumps(data))
        )

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

    # -- mempool --------------------------------------------------------------------------
    def mempool_add(self, txid: bytes, raw: bytes) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO mempool (txid, raw, seq)"
            " VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM mempool))",
            (txid, raw),
        )

    def mempool_remove(self, txids: list[bytes]) -> None:
        self._db.executemany("DELETE FROM mempool WHERE txid=?", [(t,) for t in txids])

    def mempool(self) -> list[bytes]:
        return [bytes(r[0]) for r in self._db.execute("SELECT raw FROM mempool ORDER BY seq")]

    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])
