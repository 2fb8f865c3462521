"""The event index in an embedded SQLite file (Python's sqlite3), the default engine: one
writer and any number of readers share the file in WAL mode."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from offchain.eth.index_store import IndexStore

BUSY_TIMEOUT_S = 30.0  # a reader waits this long for the writer's transaction


class SqliteIndexStore(IndexStore):
    """The index in the SQLite file at `path` (created on first use)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        super().__init__(str(self.path))

    def close(self) -> None:
        self._db.close()

    def _run(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._db.execute(sql, args).fetchall())

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)

    @contextmanager
    def _write(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")  # takes the write lock now: one writer at a time
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
