"""The event index in a PostgreSQL database, for operators who outgrow one machine: named by a
libpq URL (postgresql://user[:password]@host[:port]/db, or ?host=/socket/dir for a unix
socket), driven by psycopg 3. The indexer writes in transactions serialised by an advisory
lock (SQLite's BEGIN IMMEDIATE); readers on any machine read committed state without waiting."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from offchain.eth.errors import InvalidInputError
from offchain.eth.index_store import IndexStore

WRITE_LOCK = 0x0FFC4A1D  # the advisory lock key every writer of an index database takes
LOCK_TIMEOUT = "30s"  # a writer waits this long for another writer's transaction


class PostgresIndexStore(IndexStore):
    """The index in the PostgreSQL database at `url` (its tables created on first use)."""

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:  # a base requirement; named for a venv made before it was one
            raise InvalidInputError("a postgresql:// index needs psycopg: pip install 'psycopg[binary]'") from None
        name = _without_password(url)
        try:
            self._db = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise InvalidInputError(f"cannot reach the index database {name}: {str(exc).strip()}") from None
        self._db.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        super().__init__(name)

    def close(self) -> None:
        self._db.close()

    def _run(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._db.execute(_placeholders(sql), args)
        return list(cursor.fetchall()) if cursor.description else []

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self._db.cursor() as cursor:
                cursor.executemany(_placeholders(sql), rows)

    @contextmanager
    def _write(self) -> Iterator[None]:
        with self._db.transaction():  # commits at the end, rolls back on an exception
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
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
