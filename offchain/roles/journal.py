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
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from offchain.errors import OffchainError
from offchain.eth.market import JobPosted
from offchain.eth.values import hash_hex
from offchain.roles.durable import open_durable

T = TypeVar("T")


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
    DELIVERING = "delivering"  # a sealed job's winner: its exchange is open, the key goes to the requester
    DELIVERED = "delivered"  # the key is delivered: the exchange pays once the dispute window passes
    DONE = "done"  # balance withdrawn


TERMINAL = frozenset({JobState.SKIPPED, JobState.DONE})


class JournalError(OffchainError):
    """The journal cannot be opened or is inconsistent."""


@dataclass(frozen=True)
class JobRecord:
    """What the worker knows about one job. Hashes are bytes here; only the journal's
    storage turns them into 0x-hex JSON (the same layout older journals were written in)."""

    job: JobPosted | None = None  # the posting, as its event said
    recipe: dict[str, Any] | None = None  # the spec's recipe, once the job is taken
    base_path: str | None = None  # the verified base weights on disk
    model_hash: bytes | None = None  # the trained model's tensor fingerprint
    measured_bps: int | None = None  # its score on the CPU, as validators measure it
    claim_bps: int | None = None  # the score committed to
    uri: str | None = None  # where the weights are served (a sealed job's: the sealed artifact)
    sealed: bool = False  # the job was posted under seal: only ciphertext is served (issue 26)
    seal_dir: str | None = None  # the submission's key and sealed artifact (offchain.roles.sealing)
    seal: dict[str, str] | None = None  # its seal (SealHeader as hex), published before the reveal
    envelopes: str | None = None  # "posted" once the committee's envelopes are on chain, or why not
    salt: bytes | None = None  # journalled BEFORE the commit is sent
    commitment: bytes | None = None
    commit_block: int | None = None
    missed_reveal: bool = False
    appealed: bool = False  # this worker appealed the job's verdicts (once a job, at most)
    outcome: str | None = None  # the contract's Outcome name once settled
    withdrawn: int | None = None  # wei pulled when the job was done
    reason: str | None = None  # why the job was skipped or abandoned

    @property
    def posting(self) -> JobPosted:
        return required(self.job, "the job's posting")


def required(value: T | None, what: str) -> T:
    """`value`, which the journal state says was written; JournalError if it was not."""
    if value is None:
        raise JournalError(f"the journal lacks {what}")
    return value


# JSON names that differ from the record's; the posting's fields sit at the top level.
_STORED_AS = {"recipe": "spec_json"}
_POSTING_HASHES = ("base_model", "training_set", "evaluation_seal", "spec")
_RECORD_HASHES = ("model_hash", "salt", "commitment")


def _to_json(record: JobRecord) -> str:
    stored: dict[str, Any] = {}
    if record.job is not None:
        stored.update(asdict(record.job))
        del stored["job_id"]  # the row's key
        for name in _POSTING_HASHES:
            stored[name] = hash_hex(stored[name])
    for item in fields(JobRecord):
        value = getattr(record, item.name)
        if item.name == "job" or value is None or value == item.default:
            continue
        stored[_STORED_AS.get(item.name, item.name)] = hash_hex(value) if item.name in _RECORD_HASHES else value
    return json.dumps(stored, sort_keys=True)


def _from_json(job_id: int, text: str) -> JobRecord:
    stored: dict[str, Any] = json.loads(text)
    posting = {f.name for f in fields(JobPosted)}
    job = None
    if "commit_deadline" in stored:
        values = {k: v for k, v in stored.items() if k in posting}
        for name in _POSTING_HASHES:
            values[name] = bytes.fromhex(values[name][2:])
        job = JobPosted(**{**values, "job_id": job_id})
    names = {_STORED_AS.get(f.name, f.name): f.name for f in fields(JobRecord) if f.name != "job"}
    values = {names[k]: v for k, v in stored.items() if k in names}
    for name in _RECORD_HASHES:
        if values.get(name) is not None:
            values[name] = bytes.fromhex(values[name][2:])
    return JobRecord(job=job, **values)


@dataclass
class JobEntry:
    job_id: int
    state: JobState
    record: JobRecord = field(default_factory=JobRecord)
    updated: float = 0.0


SCHEMA = (
    "CREATE TABLE IF NOT EXISTS jobs (chain_id INTEGER, market TEXT, job_id INTEGER,"
    " state TEXT NOT NULL, detail TEXT NOT NULL, updated REAL NOT NULL,"
    " PRIMARY KEY (chain_id, market, job_id))",
    "CREATE TABLE IF NOT EXISTS cursor (chain_id INTEGER, market TEXT, name TEXT,"
    " block INTEGER NOT NULL, PRIMARY KEY (chain_id, market, name))",
)


class Journal:
    """SQLite (WAL) journal of jobs, keyed by job id and the chain/market it belongs to."""

    def __init__(self, path: Path, chain_id: int, market: str) -> None:
        try:
            self._db = open_durable(path, SCHEMA)
        except (sqlite3.Error, OSError) as exc:
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
        return JobEntry(job_id, JobState(row[0]), _from_json(job_id, row[1]), row[2])

    def put(self, job_id: int, state: JobState, **changes: Any) -> JobEntry:
        """Move `job_id` to `state`, with `changes` (JobRecord fields) applied; durable on return."""
        current = self.get(job_id)
        merged = replace(current.record if current else JobRecord(), **changes)
        now = time.time()
        self._db.execute(
            "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chain_id, market, job_id)"
            " DO UPDATE SET state=excluded.state, detail=excluded.detail, updated=excluded.updated",
            (*self._key, job_id, state.value, _to_json(merged), now),
        )
        return JobEntry(job_id, state, merged, now)

    def skip_all(self, jobs: Sequence[JobPosted], reason: str) -> None:
        """Journal each of `jobs` (none journalled yet) as skipped for `reason`, in one
        transaction: a fresh worker meets thousands of past jobs, and a synced write each took
        about 5 ms (issue 25). Durable on return."""
        now = time.time()
        rows = [
            (*self._key, j.job_id, JobState.SKIPPED.value, _to_json(JobRecord(job=j, reason=reason)), now) for j in jobs
        ]
        self._db.execute("BEGIN")
        try:
            self._db.executemany("INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?)", rows)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def active(self) -> list[JobEntry]:
        """Jobs that still need something from the worker, oldest first."""
        return [e for e in self.entries() if e.state not in TERMINAL]

    def entries(self, newest: int | None = None) -> list[JobEntry]:
        """Every job of this chain and market (only the `newest` many if given), oldest first."""
        rows = self._db.execute(
            "SELECT job_id, state, detail, updated FROM jobs WHERE chain_id=? AND market=? ORDER BY job_id DESC"
            + (" LIMIT ?" if newest is not None else ""),
            (*self._key, newest) if newest is not None else self._key,
        ).fetchall()
        return [
            JobEntry(job_id, JobState(state), _from_json(job_id, detail), updated)
            for job_id, state, detail, updated in rows[::-1]
        ]

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
