"""The worker's durable journal: one SQLite row per job, written before every step that
money depends on.

The salt and commitment are stored (and fsynced by SQLite's commit) BEFORE the commit
transaction is sent, so a worker killed at any moment can always reveal what it
committed, and never commits twice: on restart it looks at its row and at the chain.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from offchain.errors import OffchainError


class JobState(StrEnum):
    """Where the worker is with a job; each transition is one journal write and one log line."""

    SEEN = "seen"  # discovered, not yet accepted
    SKIPPED = "skipped"  # not doable (reason stored); never retried
    TRAINING = "training"  # fine-tuning in progress (resumes from its checkpoint)
    TRAINED = "trained"  # result written and served; salt + commitment not yet stored
    COMMITTING = "committing"  # salt + commitment stored; the commit tx may or may not be mined
    COMMITTED = "committed"  # commit mined
    REVEALED = "revealed"  # reveal mined
    FINALIZED = "finalized"  # the job is finalized (by us or someone else)
    DONE = "done"  # balance withdrawn


TERMINAL = frozenset({JobState.SKIPPED, JobState.DONE})


class JournalError(OffchainError):
    """The journal cannot be opened or is inconsistent."""


@dataclass
class JobEntry:
    job_id: int
    state: JobState
    detail: dict[str, Any] = field(default_factory=dict)  # model hash, score, salt, uri, reason...
    updated: float = 0.0


class Journal:
    """SQLite (WAL) journal of jobs, keyed by job id and the chain/market it belongs to."""

    def __init__(self, path: Path, chain_id: int, market: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, isolation_level=None)  # explicit transactions
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a committed row survives power loss
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS jobs (chain_id INTEGER, market TEXT, job_id INTEGER,"
                " state TEXT NOT NULL, detail TEXT NOT NULL, updated REAL NOT NULL,"
                " PRIMARY KEY (chain_id, market, job_id))"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS cursor (chain_id INTEGER, market TEXT, name TEXT,"
                " block INTEGER NOT NULL, PRIMARY KEY (chain_id, market, name))"
            )
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the journal {path}: {exc}") from None
        self._key = (chain_id, market.lower())

    def close(self) -> None:
        self._db.close()

    def get(self, job_id: int) -> JobEntry | None:
        row = self._db.execute(
            "SELECT state, detail, updated FROM jobs WHERE chain_id=? AND market=? AND job_id=?",
            (*self._key, job_id),
        ).fetchone()
        if row is None:
            return None
        return JobEntry(job_id, JobState(row[0]), json.loads(row[1]), row[2])

    def put(self, job_id: int, state: JobState, **detail: Any) -> JobEntry:
        """Move `job_id` to `state`, merging `detail` into what is stored; durable on return."""
        current = self.get(job_id)
        merged = {**(current.detail if current else {}), **detail}
        now = time.time()
        self._db.execute(
            "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chain_id, market, job_id)"
            " DO UPDATE SET state=excluded.state, detail=excluded.detail, updated=excluded.updated",
            (*self._key, job_id, state.value, json.dumps(merged, sort_keys=True), now),
        )
        return JobEntry(job_id, state, merged, now)

    def active(self) -> list[JobEntry]:
        """Jobs that still need something from the worker, oldest first."""
        rows = self._db.execute(
            "SELECT job_id FROM jobs WHERE chain_id=? AND market=? ORDER BY job_id", self._key
        ).fetchall()
        entries = [self.get(job_id) for (job_id,) in rows]
        return [e for e in entries if e is not None and e.state not in TERMINAL]

    def count_taken(self) -> int:
        """Jobs the worker accepted (everything but seen-only and skipped ones)."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM jobs WHERE chain_id=? AND market=? AND state NOT IN (?, ?)",
            (*self._key, JobState.SEEN.value, JobState.SKIPPED.value),
        ).fetchone()
        return int(row[0])

    def cursor(self, name: str, default: int) -> int:
        row = self._db.execute(
            "SELECT block FROM cursor WHERE chain_id=? AND market=? AND name=?", (*self._key, name)
        ).fetchone()
        return int(row[0]) if row else default

    def set_cursor(self, name: str, block: int) -> None:
        self._db.execute(
            "INSERT INTO cursor VALUES (?, ?, ?, ?) ON CONFLICT (chain_id, market, name)"
            " DO UPDATE SET block=excluded.block",
            (*self._key, name, block),
        )
