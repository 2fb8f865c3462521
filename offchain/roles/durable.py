"""The roles' durable SQLite files (the worker's journal, the seal book): state that money
depends on is on disk before the transaction that needs it is sent.

One way to open them: WAL, so readers never block the writer; synchronous=FULL, so a
committed row survives a crash or a power loss; autocommit, so each write is its own
transaction unless the caller opens one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path


def open_durable(path: Path, schema: Sequence[str]) -> sqlite3.Connection:
    """The SQLite file at `path` (its folder made), opened durably, with `schema`'s
    `CREATE TABLE IF NOT EXISTS` statements run; raises sqlite3.Error (callers name the file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)  # explicit transactions
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a committed row survives power loss
        for statement in schema:
            db.execute(statement)
    except sqlite3.Error:
        db.close()
        raise
    return db
