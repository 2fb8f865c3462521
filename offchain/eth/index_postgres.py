"""The event index in a PostgreSQL database, for operators who outgrow one machine: named by a
libpq URL (postgresql://user[:password]@host[:port]/db, or ?host=/socket/dir for a unix
socket), driven by psycopg 3. The indexer writes in transactions serialised by an advisory
lock (SQLite's BEGIN IMMEDIATE); readers on any machine read committed state without waiting.

A lost connection (the server restarted, the network dropped) fails the statement with an
IndexUnavailableError, which `offchain index` rides out like a node's hiccup; the next
statement connects again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from offchain.eth.errors import EthError
from offchain.eth.index_store import IndexStore

WRITE_LOCK = 0x0FFC4A1D  # the advisory lock key every writer of an index database takes
LOCK_TIMEOUT = "30s"  # a writer waits this long for another writer's transaction


class IndexUnavailableError(EthError):
    """The index database cannot be reached, or the connection to it was lost."""


class PostgresIndexStore(IndexStore):
    """The index in the PostgreSQL database at `url` (its tables created on first use)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._db = self._connect(_without_password(url))
        super().__init__(_without_password(url))

    def close(self) -> None:
        self._db.close()

    def _connect(self, name: str) -> Any:
        try:
            import psycopg
        except ImportError:  # a base requirement; named for a venv made before it was one
            raise IndexUnavailableError("a postgresql:// index needs psycopg: pip install 'psycopg[binary]'") from None
        try:
            db = psycopg.connect(self.url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise IndexUnavailableError(f"cannot reach the index database {name}: {str(exc).strip()}") from None
        db.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        return db

    @contextmanager
    def _connected(self) -> Iterator[Any]:
        """The connection (a new one if the last was lost); a lost one raises IndexUnavailableError."""
        import psycopg

        if self._db.broken:
            self._db = self._connect(self.name)
        try:
            yield self._db
        except psycopg.OperationalError as exc:
            raise IndexUnavailableError(f"the index database {self.name}: {str(exc).strip()}") from None

    def _run(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._connected() as db:
            cursor = db.execute(_placeholders(sql), args)
            return list(cursor.fetchall()) if cursor.description else []

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self._connected() as db, db.cursor() as cursor:
                cursor.executemany(_placeholders(sql), rows)

    @contextmanager
    def _write(self) -> Iterator[None]:
        with self._connected() as db, db.transaction():  # commits at the end, rolls back on an exception
            db.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield


def _placeholders(sql: str) -> str:
    """The shared SQL's `?` as psycopg's `%s` (the statements hold no literal ? or %)."""
    return sql.replace("?", "%s")


def _without_password(url: str) -> str:
    """`url` fit for a message or a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
