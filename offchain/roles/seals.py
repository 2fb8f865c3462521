"""Durable seals: what a committee member or a requester must still know after a crash.

A validator writes its scores and salt here BEFORE it sends the attestation commit, and a
requester writes its evaluation set's hash and salt BEFORE it sends postJob; SQLite's commit
makes each row durable (fsync) before the transaction that needs it leaves. A process killed
at any moment finds, on restart, everything it needs to reveal what it sealed.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from offchain.errors import OffchainError
from offchain.roles.durable import open_durable


class SealBookError(OffchainError):
    """The seal book cannot be opened or lacks a record it should hold."""


@dataclass(frozen=True)
class AttestationSeal:
    job_id: int
    scores: tuple[int, ...]  # one per submission, in commit order
    salt: bytes


@dataclass(frozen=True)
class VoteSeal:
    job_id: int
    vote: int  # an appeal's vote: bit i, submission i over-claims; bit 16 + i, its verified score is inflated
    salt: bytes


@dataclass(frozen=True)
class EvaluationSeal:
    seal: bytes  # what postJob received
    evaluation_set: bytes  # the set's SHA-256
    salt: bytes
    path: str  # where the set lies, to publish it once commits close
    job_id: int | None  # known once postJob is mined


SCHEMA = (
    "CREATE TABLE IF NOT EXISTS attestations (chain_id INTEGER, market TEXT, job_id INTEGER,"
    " scores TEXT, salt TEXT, PRIMARY KEY (chain_id, market, job_id))",
    "CREATE TABLE IF NOT EXISTS evaluations (chain_id INTEGER, market TEXT, seal TEXT,"
    " evaluation_set TEXT, salt TEXT, path TEXT, job_id INTEGER, PRIMARY KEY (chain_id, market, seal))",
    "CREATE TABLE IF NOT EXISTS votes (chain_id INTEGER, market TEXT, job_id INTEGER,"
    " vote INTEGER, salt TEXT, PRIMARY KEY (chain_id, market, job_id))",
    # A sealed job's key (issue 26), keyed by its evaluation seal as the post is.
    "CREATE TABLE IF NOT EXISTS job_keys (chain_id INTEGER, market TEXT, seal TEXT,"
    " secret TEXT, PRIMARY KEY (chain_id, market, seal))",
)


class SealBook:
    """One SQLite file per role home, keyed by chain and market."""

    def __init__(self, path: Path, chain_id: int, market: str) -> None:
        self.key = (chain_id, market.lower())
        try:
            self._db = open_durable(path, SCHEMA)  # the commit is on disk before we send
        except (sqlite3.Error, OSError) as exc:
            raise SealBookError(f"cannot open the seal book {path}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    # ----- validator -----
    def put_attestation(self, job_id: int, scores: list[int], salt: bytes) -> AttestationSeal:
        """Record the scores and salt for `job_id` (first write wins: a restart reuses it)."""
        self._db.execute(
            "INSERT OR IGNORE INTO attestations VALUES (?, ?, ?, ?, ?)",
            (*self.key, job_id, json.dumps(list(scores)), salt.hex()),
        )
        found = self.attestation(job_id)
        assert found is not None
        return found

    def attestation(self, job_id: int) -> AttestationSeal | None:
        row = self._db.execute(
            "SELECT scores, salt FROM attestations WHERE chain_id = ? AND market = ? AND job_id = ?",
            (*self.key, job_id),
        ).fetchone()
        return None if row is None else AttestationSeal(job_id, tuple(json.loads(row[0])), bytes.fromhex(row[1]))

    def put_vote(self, job_id: int, vote: int, salt: bytes) -> VoteSeal:
        """Record an appeal vote and its salt for `job_id` (first write wins: a restart reuses it)."""
        self._db.execute("INSERT OR IGNORE INTO votes VALUES (?, ?, ?, ?, ?)", (*self.key, job_id, vote, salt.hex()))
        found = self.vote(job_id)
        assert found is not None
        return found

    def vote(self, job_id: int) -> VoteSeal | None:
        row = self._db.execute(
            "SELECT vote, salt FROM votes WHERE chain_id = ? AND market = ? AND job_id = ?", (*self.key, job_id)
        ).fetchone()
        return None if row is None else VoteSeal(job_id, int(row[0]), bytes.fromhex(row[1]))

    # ----- requester -----
    def put_evaluation(self, seal: bytes, evaluation_set: bytes, salt: bytes, path: Path) -> None:
        """Record an evaluation set's seal before the postJob that sends it."""
        self._db.execute(
            "INSERT OR REPLACE INTO evaluations VALUES (?, ?, ?, ?, ?, ?, NULL)",
            (*self.key, seal.hex(), evaluation_set.hex(), salt.hex(), str(path)),
        )

    def put_job_key(self, seal: bytes, secret: int) -> None:
        """Record the secret of a sealed job's key before the post registers its public half:
        the winner delivers its weights' key to it."""
        self._db.execute(
            "INSERT OR REPLACE INTO job_keys VALUES (?, ?, ?, ?)",
            (*self.key, seal.hex(), secret.to_bytes(32, "big").hex()),
        )

    def job_key(self, job_id: int) -> int | None:
        """The secret of the key job `job_id` was posted under seal with, or None."""
        row = self._db.execute(
            "SELECT k.secret FROM job_keys k JOIN evaluations e ON e.chain_id = k.chain_id AND e.market = k.market"
            " AND e.seal = k.seal WHERE k.chain_id = ? AND k.market = ? AND e.job_id = ?",
            (*self.key, job_id),
        ).fetchone()
        return None if row is None else int(row[0], 16)

    def bind_evaluation(self, seal: bytes, job_id: int) -> None:
        """Note the job id a sealed evaluation set was posted under."""
        self._db.execute(
            "UPDATE evaluations SET job_id = ? WHERE chain_id = ? AND market = ? AND seal = ?",
            (job_id, *self.key, seal.hex()),
        )

    def evaluation(self, seal: bytes) -> EvaluationSeal | None:
        row = self._db.execute(
            "SELECT evaluation_set, salt, path, job_id FROM evaluations WHERE chain_id = ? AND market = ? AND seal = ?",
            (*self.key, seal.hex()),
        ).fetchone()
        if row is None:
            return None
        return EvaluationSeal(seal, bytes.fromhex(row[0]), bytes.fromhex(row[1]), row[2], row[3])
