"""Which engine an `--index` names: a postgresql:// URL is a PostgreSQL database, anything
else a SQLite file."""

from __future__ import annotations

from pathlib import Path

from offchain.eth.index_postgres import PostgresIndexStore
from offchain.eth.index_sqlite import SqliteIndexStore
from offchain.eth.index_store import IndexStore

URL_SCHEMES = ("postgresql://", "postgres://")  # libpq's two spellings


def is_url(where: Path | str) -> bool:
    """Whether `where` names a PostgreSQL database rather than a SQLite file."""
    return str(where).startswith(URL_SCHEMES)


def open_store(where: Path | str) -> IndexStore:
    """The index at `where` (a file is created on first use, a database's tables too)."""
    return PostgresIndexStore(str(where)) if is_url(where) else SqliteIndexStore(where)
