"""Typed wrapper of the TrainingMarket contract for the worker, validator and requester roles.

Every contract call has one method here; every event has one frozen dataclass, and
`MarketClient.events(...)` fetches them from a block range in chain order. Amounts are
wei (int), scores basis points (int), hashes 32 raw bytes, times unix seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from web3.contract import Contract
from web3.types import TxReceipt

from offchain.eth.client import Client
from offchain.eth.errors import InvalidInputError
from offchain.eth.values import parse_address, validate_bps

CONTRACT = "TrainingMarket"
ZERO_ADDRESS = "0x" + "00" * 20


class Phase(IntEnum):
    OPEN = 0
    REVEALING = 1
    ATTESTING = 2
    FINALIZABLE = 3
    FINALIZED = 4
    CANCELLED = 5


class Status(IntEnum):
    ACTIVE = 0
    FINALIZED = 1
    CANCELLED = 2


class Outcome(IntEnum):
    PENDING = 0
    UNREVEALED = 1
    UNVERIFIED = 2
    DISHONEST = 3
    HONEST = 4
    WON = 5


@dataclass(frozen=True)
class Job:
    job_id: int
    commit_deadline: int
    reveal_deadline: int
    attest_deadline: int
    min_stake: int
    min_score_bps: int
    submission_count: int
    status: Status
    winner_index: int | None  # index into submissions(); None when nobody won (yet)
    requester: str
    reward: int
    base_model: bytes
    training_set: bytes


@dataclass(frozen=True)
class Submission:
    worker: str
    stake: int
    sealed_hash: bytes  # the commitment until revealed, then the model hash
    revealed: bool
    claimed_score_bps: int
    attestation_count: int
    verified_score_bps: int
    outcome: Outcome


@dataclass(frozen=True)
class Attestation:
    seat: int
    score_bps: int


@dataclass(frozen=True)
class ValidatorInfo:
    bond: int
    joined_at: int
    exit_requested_at: int  # 0 while active
    seat: int
    member: bool


@dataclass(frozen=True)
class WorkerStats:
    wins: int
    slashes: int


# ----- events: one dataclass each, after the fields that say where it was logged -----
@dataclass(frozen=True)
class LoggedEvent:
    block: int
    tx_hash: str
    log_index: int

    @property
    def log_key(self) -> tuple[str, int]:
        """What identifies this log across polls (a reorg may move it to another block)."""
        return (self.tx_hash, self.log_index)


@dataclass(frozen=True)
class JobPosted(LoggedEvent):
    job_id: int
    requester: str
    base_model: bytes
    training_set: bytes
    evaluation_set: bytes
    spec: bytes
    min_score_bps: int
    commit_deadline: int
    reveal_deadline: int
    attest_deadline: int
    min_stake: int
    reward: int


@dataclass(frozen=True)
class JobCancelled(LoggedEvent):
    job_id: int
    requester: str
    refund: int


@dataclass(frozen=True)
class Committed(LoggedEvent):
    job_id: int
    worker: str
    index: int
    commitment: bytes
    stake: int


@dataclass(frozen=True)
class Revealed(LoggedEvent):
    job_id: int
    worker: str
    model_hash: bytes
    score_bps: int
    uri: str


@dataclass(frozen=True)
class Attested(LoggedEvent):
    job_id: int
    worker: str
    validator: str
    seat: int
    score_bps: int


@dataclass(frozen=True)
class Finalized(LoggedEvent):
    job_id: int
    winner: str | None
    model_hash: bytes
    verified_score_bps: int
    payout: int
    validator_fees: int
    slashed: int
    refund: int


@dataclass(frozen=True)
class Withdrawn(LoggedEvent):
    account: str
    amount: int


@dataclass(frozen=True)
class ValidatorJoined(LoggedEvent):
    validator: str
    seat: int
    bond: int


@dataclass(frozen=True)
class ValidatorExitRequested(LoggedEvent):
    validator: str
    unlocks_at: int


@dataclass(frozen=True)
class BondWithdrawn(LoggedEvent):
    validator: str
    bond: int


MarketEvent = (
    JobPosted
    | JobCancelled
    | Committed
    | Revealed
    | Attested
    | Finalized
    | Withdrawn
    | ValidatorJoined
    | ValidatorExitRequested
    | BondWithdrawn
)
EVENT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        JobPosted,
        JobCancelled,
        Committed,
        Revealed,
        Attested,
        Finalized,
        Withdrawn,
        ValidatorJoined,
        ValidatorExitRequested,
        BondWithdrawn,
    )
}
# Solidity argument name -> dataclass field, where they differ beyond camelCase.
_RENAMES = {"jobId": "job_id", "unlocksAt": "unlocks_at"}


class MarketClient:
    """The TrainingMarket at `address`, used through `client` (its sender signs)."""

    def __init__(self, client: Client, address: str) -> None:
        self.client = client
        self.address = parse_address(address, "market address")
        self.contract: Contract = client.contract(CONTRACT, self.address)

    def as_sender(self, client: Client) -> MarketClient:
        """The same market, sending from `client`'s account."""
        return MarketClient(client, self.address)

    # ----- requester -----
    def post_job(
        self,
        base_model: bytes,
        training_set: bytes,
        evaluation_set: bytes,
        spec: bytes,
        min_score_bps: int,
        commit_deadline: int,
        reveal_deadline: int,
        attest_deadline: int,
        min_stake: int,
        reward: int,
    ) -> int:
        """Post a job escrowing `reward` wei; returns its id."""
        validate_bps(min_score_bps, "minimum score")
        receipt = self.client.transact(
            self.contract.functions.postJob(
                base_model,
                training_set,
                evaluation_set,
                spec,
                min_score_bps,
                commit_deadline,
                reveal_deadline,
                attest_deadline,
                min_stake,
            ),
            value=reward,
        )
        posted = self.contract.events.JobPosted().process_receipt(receipt)
        return int(posted[0]["args"]["jobId"])

    def cancel_job(self, job_id: int) -> TxReceipt:
        """Cancel a job nobody committed to; the reward is credited back."""
        return self.client.transact(self.contract.functions.cancelJob(job_id))

    # ----- worker -----
    def commit(self, job_id: int, commitment: bytes, stake: int) -> TxReceipt:
        """Commit (see offchain.eth.commitment) with `stake` wei; save the salt first."""
        if len(commitment) != 32:
            raise InvalidInputError(f"a commitment is 32 bytes, got {len(commitment)}")
        return self.client.transact(self.contract.functions.commit(job_id, commitment), value=stake)

    def reveal(
        self, job_id: int, model_hash: bytes, score_bps: int, salt: bytes, uri: str
    ) -> TxReceipt:
        """Reveal the committed model hash, claimed score, salt and artifact URI."""
        validate_bps(score_bps, "claimed score")
        return self.client.transact(
            self.contract.functions.reveal(job_id, model_hash, score_bps, salt, uri)
        )

    # ----- validator -----
    def attest(self, job_id: int, worker: str, score_bps: int) -> TxReceipt:
        """Attest the score measured for `worker`'s revealed submission."""
        validate_bps(score_bps, "attested score")
        return self.client.transact(
            self.contract.functions.attest(job_id, parse_address(worker, "worker"), score_bps)
        )

    def join_validators(self, bond: int) -> TxReceipt:
        """Join the validator set with `bond` wei (at least min_bond())."""
        return self.client.transact(self.contract.functions.joinValidators(), value=bond)

    def request_exit(self) -> TxReceipt:
        """Stop attesting; the bond unlocks UNBONDING_DELAY later."""
        return self.client.transact(self.contract.functions.requestExit())

    def withdraw_bond(self) -> TxReceipt:
        """Take the bond back after the unbonding delay."""
        return self.client.transact(self.contract.functions.withdrawBond())

    # ----- anyone -----
    def finalize(self, job_id: int) -> TxReceipt:
        """Settle a job after its attest deadline."""
        return self.client.transact(self.contract.functions.finalize(job_id))

    def withdraw(self) -> TxReceipt:
        """Pull everything credited to the sender."""
        return self.client.transact(self.contract.functions.withdraw())

    # ----- views -----
    def job(self, job_id: int) -> Job:
        raw = self.contract.functions.job(job_id).call()
        return Job(
            job_id,
            raw[0],
            raw[1],
            raw[2],
            raw[3],
            raw[4],
            raw[5],
            Status(raw[6]),
            raw[7] - 1 if raw[7] else None,
            raw[8],
            raw[9],
            bytes(raw[10]),
            bytes(raw[11]),
        )

    def job_count(self) -> int:
        return int(self.contract.functions.jobCount().call())

    def phase(self, job_id: int) -> Phase:
        return Phase(self.contract.functions.phase(job_id).call())

    def submissions(self, job_id: int) -> list[Submission]:
        return [
            Submission(r[0], r[1], bytes(r[2]), r[3], r[4], r[5], r[6], Outcome(r[7]))
            for r in self.contract.functions.submissions(job_id).call()
        ]

    def attestations(self, job_id: int, worker: str) -> list[Attestation]:
        rows = self.contract.functions.attestations(job_id, parse_address(worker, "worker")).call()
        return [Attestation(int(seat), int(score)) for seat, score in rows]

    def pending(self, account: str) -> int:
        """Wei credited to `account` and not yet withdrawn."""
        return int(self.contract.functions.pendingOf(parse_address(account)).call())

    def worker_stats(self, account: str) -> WorkerStats:
        wins, slashes = self.contract.functions.workerStats(parse_address(account)).call()
        return WorkerStats(int(wins), int(slashes))

    def validator(self, account: str) -> ValidatorInfo:
        r = self.contract.functions.validator(parse_address(account)).call()
        return ValidatorInfo(r[0], r[1], r[2], r[3], r[4])

    def validator_at(self, seat: int) -> str | None:
        holder, _ = self.contract.functions.validatorAt(seat).call()
        return None if int(holder, 16) == 0 else str(holder)

    def commitment_of(
        self, job_id: int, worker: str, model_hash: bytes, score_bps: int, salt: bytes
    ) -> bytes:
        """The contract's own commitment (offchain.eth.commitment computes the same locally)."""
        fn = self.contract.functions.commitmentOf(
            job_id, parse_address(worker), model_hash, score_bps, salt
        )
        return bytes(fn.call())

    def submission_of(self, job_id: int, worker: str) -> Submission | None:
        """`worker`'s submission to `job_id`, or None when it has not committed."""
        wanted = parse_address(worker, "worker")
        return next((s for s in self.submissions(job_id) if s.worker == wanted), None)

    def has_attested(self, job_id: int, worker: str, validator: str) -> bool:
        """True when `validator` (in its current seat) attested `worker`'s submission."""
        info = self.validator(validator)
        if not info.member:
            return False
        return any(a.seat == info.seat for a in self.attestations(job_id, worker))

    def is_validator(self, account: str) -> bool:
        """True for a bonded member (an exiting one included until it withdraws)."""
        return self.validator(account).member

    def quorum(self) -> int:
        return int(self.contract.functions.quorum().call())

    def tolerance_bps(self) -> int:
        return int(self.contract.functions.toleranceBps().call())

    def fee_bps(self) -> int:
        return int(self.contract.functions.feeBps().call())

    def min_bond(self) -> int:
        return int(self.contract.functions.minBond().call())

    def config(self) -> dict[str, int]:
        """quorum, tolerance_bps, fee_bps, max_submissions, max_validators, unbonding_delay."""
        f = self.contract.functions
        return {
            "quorum": f.quorum().call(),
            "tolerance_bps": f.toleranceBps().call(),
            "fee_bps": f.feeBps().call(),
            "max_submissions": f.MAX_SUBMISSIONS().call(),
            "max_validators": f.MAX_VALIDATORS().call(),
            "unbonding_delay": f.UNBONDING_DELAY().call(),
            "max_job_duration": f.MAX_JOB_DURATION().call(),
        }

    # ----- events -----
    def events(
        self, from_block: int, to_block: int | str = "latest", names: tuple[str, ...] | None = None
    ) -> list[MarketEvent]:
        """The market's events in [from_block, to_block], in chain order, optionally only `names`."""
        wanted = names or tuple(EVENT_TYPES)
        unknown = [n for n in wanted if n not in EVENT_TYPES]
        if unknown:
            raise InvalidInputError(
                f"unknown market events {unknown}; valid: {', '.join(EVENT_TYPES)}"
            )
        logs: list[Any] = []
        for name in wanted:
            logs.extend(
                getattr(self.contract.events, name)().get_logs(
                    from_block=from_block, to_block=to_block
                )
            )
        logs.sort(key=lambda log: (log["blockNumber"], log["logIndex"]))
        return [_to_event(log) for log in logs]


    def job_posted_events(self, from_block: int, to_block: int | str = "latest") -> list[JobPosted]:
        """JobPosted events in the range (a poller's fetch function)."""
        return [e for e in self.events(from_block, to_block, ("JobPosted",)) if isinstance(e, JobPosted)]

    def revealed_events(self, from_block: int, to_block: int | str = "latest") -> list[Revealed]:
        """Revealed events in the range (a poller's fetch function)."""
        return [e for e in self.events(from_block, to_block, ("Revealed",)) if isinstance(e, Revealed)]

    def job_posted(self, job_id: int) -> JobPosted:
        """The JobPosted event of `job_id` (evaluation-set and spec hashes live only there)."""
        event = self._one("JobPosted", job_id)
        assert isinstance(event, JobPosted)
        return event

    def finalized_event(self, job_id: int) -> Finalized | None:
        """The Finalized event of `job_id`, or None while it is not finalized."""
        try:
            event = self._one("Finalized", job_id)
        except InvalidInputError:
            return None
        assert isinstance(event, Finalized)
        return event

    def _one(self, name: str, job_id: int) -> MarketEvent:
        # jobId is an indexed topic, so the node filters; scan from genesis.
        logs = getattr(self.contract.events, name)().get_logs(
            from_block=0, to_block="latest", argument_filters={"jobId": job_id}
        )
        if not logs:
            raise InvalidInputError(f"no {name} event for job {job_id}")
        return _to_event(logs[0])


def _to_event(log: Any) -> MarketEvent:
    cls = EVENT_TYPES[log["event"]]
    fields: dict[str, Any] = {
        "block": int(log["blockNumber"]),
        "tx_hash": "0x" + bytes(log["transactionHash"]).hex(),
        "log_index": int(log["logIndex"]),
    }
    for key, value in log["args"].items():
        name = _RENAMES.get(key) or _snake(key)
        fields[name] = bytes(value) if isinstance(value, bytes) else value
    if cls is Finalized and fields["winner"] == ZERO_ADDRESS:
        fields["winner"] = None
    return cls(**fields)  # type: ignore[no-any-return]


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
