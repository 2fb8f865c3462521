"""The event index's storage, whatever the engine: the raw logs of a few contracts, the hashes
of the blocks it relies on, and its cursor, in three tables of plain SQL.

The cursor is the last block whose logs are all stored; `start` the first block followed (the
contracts' deployment). Logs are kept as the node sent them (JSON-RPC form), so any client can
decode them with its own ABI, and are filtered here by address, topics and block range the way
`eth_getLogs` filters them. `blocks` holds the hash of every block that holds a stored log and
of the last cursors: what the indexer compares with the chain to see a reorganisation. One
writer (the indexer) and any number of readers share the store.

The logic lives here once; an engine module says only how to connect, run a statement and hold
the one write transaction: offchain.eth.index_sqlite (a file, the default) and
offchain.eth.index_postgres (a PostgreSQL database); offchain.eth.index_open picks one.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from offchain.eth.errors import EthError

KEEP_CURSORS = 64  # cursor hashes kept to find the fork point (blocks with logs are all kept)

# Portable SQL (SQLite 3.24+ and PostgreSQL 9.5+): BIGINT block numbers, upserts by ON CONFLICT.
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS blocks (number BIGINT PRIMARY KEY, hash TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS logs (
        block BIGINT NOT NULL, log_index BIGINT NOT NULL, address TEXT NOT NULL,
        topic0 TEXT, topic1 TEXT, topic2 TEXT, topic3 TEXT, log TEXT NOT NULL,
        PRIMARY KEY (block, log_index)
    )""",
    "CREATE INDEX IF NOT EXISTS logs_by_event ON logs (address, topic0, block)",
    # A job's events (its id first) and an account's (first or after the job id): a page's
    # reads cost what it shows, not the history (issue 25). topic0 follows the topic so that
    # SQLite, without statistics, prefers these (more equalities) to logs_by_event for a page
    # of jobs' events, where the job ids select a few logs and the event kinds thousands.
    "CREATE INDEX IF NOT EXISTS logs_by_topic1 ON logs (address, topic1, topic0, block)",
    "CREATE INDEX IF NOT EXISTS logs_by_topic2 ON logs (address, topic2, topic0, block)",
)
TOPICS = ("topic0", "topic1", "topic2", "topic3")
PUT_META = "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
PUT_BLOCK = "INSERT INTO blocks VALUES (?, ?) ON CONFLICT (number) DO UPDATE SET hash = excluded.hash"
PUT_LOG = (
    "INSERT INTO logs VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (block, log_index) DO UPDATE SET "
    "address = excluded.address, topic0 = excluded.topic0, topic1 = excluded.topic1, "
    "topic2 = excluded.topic2, topic3 = excluded.topic3, log = excluded.log"
)


class IndexMismatchError(EthError):
    """The index follows another chain or other contracts."""


class IndexStore(ABC):
    """The index's logic over an engine's connection; `name` says where it is, for messages."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()  # one connection, shared by a server's threads
        with self._lock, self._write():
            for statement in SCHEMA:
                self._run(statement)

    # ----- what an engine provides ---------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _run(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (`?` placeholders); its rows, if any."""

    @abstractmethod
    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abstractmethod
    def _write(self) -> AbstractContextManager[None]:
        """One write transaction, serialised with every other writer's; rolled back on error."""

    # ----- what it follows ---------------------------------------------------------------
    def follow(self, chain_id: int, addresses: Sequence[str], start: int) -> None:
        """Record what this index holds; refuse an index made for another chain or contracts."""
        wanted = {"chain_id": str(chain_id), "addresses": ",".join(sorted(a.lower() for a in addresses))}
        with self._lock, self._write():
            found = {str(k): str(v) for k, v in self._run("SELECT key, value FROM meta")}
            for key, value in wanted.items():
                if key in found and found[key] != value:
                    raise IndexMismatchError(
                        f"the index {self.name} follows {key} {found[key]}, not {value}: use another one"
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
            rows = self._run("SELECT value FROM meta WHERE key = 'addresses'")
        return set(rows[0][0].split(",")) if rows and rows[0][0] else set()

    # ----- the writer --------------------------------------------------------------------
    def append(self, logs: Sequence[dict[str, Any]], cursor: int, cursor_hash: str) -> None:
        """Store `logs` (JSON-RPC form) and move the cursor to `cursor`, in one transaction."""
        rows = [_row(log) for log in logs]
        hashes = {(int(log["blockNumber"], 16), log["blockHash"]) for log in logs} | {(cursor, cursor_hash)}
        with self._lock, self._write():
            self._run_many(PUT_LOG, rows)
            self._run_many(PUT_BLOCK, sorted(hashes))
            # Old cursor hashes go; a block that holds a log keeps its hash.
            self._run(
                "DELETE FROM blocks WHERE number < ? "
                "AND NOT EXISTS (SELECT 1 FROM logs WHERE logs.block = blocks.number)",
                (cursor - KEEP_CURSORS,),
            )
            self._set({"cursor": str(cursor)})

    def known_blocks(self) -> list[tuple[int, str]]:
        """(number, hash) of the stored blocks, newest first."""
        with self._lock:
            return [(int(n), str(h)) for n, h in self._run("SELECT number, hash FROM blocks ORDER BY number DESC")]

    def rewind(self, block: int) -> None:
        """Forget everything after `block`: its logs, hashes, and the cursor moves back to it."""
        with self._lock, self._write():
            self._run("DELETE FROM logs WHERE block > ?", (block,))
            self._run("DELETE FROM blocks WHERE number > ?", (block,))
            self._set({"cursor": str(block)})

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
            return [json.loads(row[0]) for row in self._run(sql, args)]

    def _meta_int(self, key: str) -> int | None:
        with self._lock:
            rows = self._run("SELECT value FROM meta WHERE key = ?", (key,))
        return None if not rows else int(rows[0][0])

    def _set(self, values: dict[str, str]) -> None:
        self._run_many(PUT_META, list(values.items()))


def _row(log: dict[str, Any]) -> tuple[Any, ...]:
    topics = [t.lower() for t in log.get("topics", [])] + [None] * 4
    return (
        int(log["blockNumber"], 16),
        int(log["logIndex"], 16),
        log["address"].lower(),
        *topics[:4],
        json.dumps(log, sort_keys=True),
    )
