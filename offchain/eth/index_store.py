"""The event index's storage: an embedded SQLite file (Python's sqlite3) holding the raw logs
of a few contracts, the hashes of the blocks it relies on, and its cursor.

The cursor is the last block whose logs are all stored; `start` the first block followed (the
contracts' deployment). Logs are kept as the node sent them (JSON-RPC form), so any client can
decode them with its own ABI, and are filtered here by address, topics and block range the way
`eth_getLogs` filters them. `blocks` holds the hash of every block that holds a stored log and
of the last cursors: what the indexer compares with the chain to see a reorganisation. One
writer (the indexer) and any number of readers share the file (WAL mode).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from offchain.eth.errors import EthError

KEEP_CURSORS = 64  # cursor hashes kept to find the fork point (blocks with logs are all kept)
BUSY_TIMEOUT_S = 30.0  # a reader waits this long for the writer's transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS logs (
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, address TEXT NOT NULL,
    topic0 TEXT, topic1 TEXT, topic2 TEXT, topic3 TEXT, log TEXT NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX IF NOT EXISTS logs_by_event ON logs (address, topic0, block);
"""
TOPICS = ("topic0", "topic1", "topic2", "topic3")


class IndexMismatchError(EthError):
    """The index file follows another chain or other contracts."""


class IndexStore:
    """The index in the SQLite file at `path` (created on first use)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()  # one connection, shared by a server's threads
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    # ----- what it follows ---------------------------------------------------------------
    def follow(self, chain_id: int, addresses: Sequence[str], start: int) -> None:
        """Record what this file indexes; refuse a file made for another chain or contracts."""
        wanted = {"chain_id": str(chain_id), "addresses": ",".join(sorted(a.lower() for a in addresses))}
        with self._lock:
            found = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            for key, value in wanted.items():
                if key in found and found[key] != value:
                    raise IndexMismatchError(
                        f"the index {self.path} follows {key} {found[key]}, not {value}: use another file"
                    )
            if "start" not in found:
                self._set({**wanted, "start": str(start), "cursor": str(start - 1)})

    @property
    def chain_id(self) -> int | None:
        return self._meta_int("chain_id")

    @property
    def start(self) -> int | None:
        return self._meta_int("start")

    @property
    def cursor(self) -> int | None:
        """The last block whose logs are all stored (None before `follow`)."""
        return self._meta_int("cursor")

    def addresses(self) -> set[str]:
        """The contracts followed, lower-case."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'addresses'").fetchone()
        return set(row[0].split(",")) if row and row[0] else set()

    # ----- the writer --------------------------------------------------------------------
    def append(self, logs: Sequence[dict[str, Any]], cursor: int, cursor_hash: str) -> None:
        """Store `logs` (JSON-RPC form) and move the cursor to `cursor`, in one transaction."""
        rows = [_row(log) for log in logs]
        hashes = {(int(log["blockNumber"], 16), log["blockHash"]) for log in logs}
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR REPLACE INTO logs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
                self._db.executemany("INSERT OR REPLACE INTO blocks VALUES (?, ?)", [*hashes, (cursor, cursor_hash)])
                # Old cursor hashes go; a block that holds a log keeps its hash.
                self._db.execute(
                    "DELETE FROM blocks WHERE number < ? AND number NOT IN (SELECT block FROM logs)",
                    (cursor - KEEP_CURSORS,),
                )
                self._set({"cursor": str(cursor)})
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def known_blocks(self) -> list[tuple[int, str]]:
        """(number, hash) of the stored blocks, newest first."""
        with self._lock:
            return list(self._db.execute("SELECT number, hash FROM blocks ORDER BY number DESC").fetchall())

    def rewind(self, block: int) -> None:
        """Forget everything after `block`: its logs, hashes, and the cursor moves back to it."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM logs WHERE block > ?", (block,))
            self._db.execute("DELETE FROM blocks WHERE number > ?", (block,))
            self._set({"cursor": str(block)})
            self._db.execute("COMMIT")

    # ----- the readers -------------------------------------------------------------------
    def logs(
        self, addresses: Sequence[str], topics: Sequence[Any], from_block: int, to_block: int
    ) -> list[dict[str, Any]]:
        """Stored logs in [from_block, to_block] as eth_getLogs filters them: any of `addresses`
        (none: all), and per position a topic, a list of alternatives, or None for any."""
        where = ["block BETWEEN ? AND ?"]
        args: list[Any] = [from_block, to_block]
        if addresses:
            where.append(f"address IN ({', '.join('?' * len(addresses))})")
            args += [a.lower() for a in addresses]
        for column, wanted in zip(TOPICS, topics, strict=False):
            options = [wanted] if isinstance(wanted, str) else list(wanted or [])
            if options:
                where.append(f"{column} IN ({', '.join('?' * len(options))})")
                args += [t.lower() for t in options]
        sql = f"SELECT log FROM logs WHERE {' AND '.join(where)} ORDER BY block, log_index"  # noqa: S608 - columns are ours
        with self._lock:
            return [json.loads(row[0]) for row in self._db.execute(sql, args).fetchall()]

    def _meta_int(self, key: str) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def _set(self, values: dict[str, str]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())


def _row(log: dict[str, Any]) -> tuple[Any, ...]:
    topics = [t.lower() for t in log.get("topics", [])] + [None] * 4
    return (
        int(log["blockNumber"], 16),
        int(log["logIndex"], 16),
        log["address"].lower(),
        *topics[:4],
        json.dumps(log, sort_keys=True),
    )
