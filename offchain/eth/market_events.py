"""The TrainingMarket's events as frozen dataclasses (one each), decoded from logs.

`block`, `tx_hash` and `log_index` say where an event was logged; amounts are wei, scores
basis points, hashes 32 raw bytes, times unix seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ZERO_ADDRESS = "0x" + "00" * 20


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
    evaluation_seal: bytes  # the set's hash stays sealed until EvaluationRevealed
    spec: bytes
    min_score_bps: int
    commit_deadline: int
    reveal_deadline: int
    attest_deadline: int
    settle_deadline: int
    min_stake: int
    committee_size: int
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
class EvaluationRevealed(LoggedEvent):
    job_id: int
    evaluation_set: bytes
    uri: str


@dataclass(frozen=True)
class CommitteeDrawn(LoggedEvent):
    job_id: int
    seats: tuple[str, ...]  # zero addresses for seats left empty
    seed: int


@dataclass(frozen=True)
class AttestationCommitted(LoggedEvent):
    job_id: int
    validator: str
    seal: bytes


@dataclass(frozen=True)
class CommitteeSeedBlockSet(LoggedEvent):
    """The first drawCommittee call fixed its block as the seed block of the job's draw (a
    later call in the same epoch draws from that block's hash)."""

    job_id: int
    seed_block: int
    epoch: int


@dataclass(frozen=True)
class EvaluationUnavailable(LoggedEvent):
    """A committee member attested that the opened evaluation set cannot be fetched or does
    not match its hash (instead of sealing scores): a strict majority of the drawn seats makes
    the job the requester's failure."""

    job_id: int
    validator: str


@dataclass(frozen=True)
class AttestationRevealed(LoggedEvent):
    job_id: int
    validator: str
    scores: tuple[int, ...]  # one per submission, in commit order


@dataclass(frozen=True)
class Finalized(LoggedEvent):
    job_id: int
    winner: str | None
    model_hash: bytes
    verified_score_bps: int
    prize: int  # the winner's (or, on a forfeit, each revealed worker's share)
    validator_pay: int
    validator_slashed: int
    refund: int  # the requester's own money back: the reward when nobody won, an unearned fee
    burned: int  # slashed stakes, forfeits, slashed bonds nobody earned, dust: nobody's


@dataclass(frozen=True)
class ValidatorSettled(LoggedEvent):
    """One committee seat's settlement, emitted by finalize."""

    job_id: int
    validator: str
    seat: int
    good: int  # attestations within tolerance of the median
    bad: int  # outside it, or missing for a revealed submission
    paid: int
    slashed: int


@dataclass(frozen=True)
class Claimed(LoggedEvent):
    job_id: int
    worker: str
    amount: int


@dataclass(frozen=True)
class Withdrawn(LoggedEvent):
    account: str
    amount: int


@dataclass(frozen=True)
class ValidatorJoined(LoggedEvent):
    validator: str
    leaf: int
    bond: int


@dataclass(frozen=True)
class ValidatorExitRequested(LoggedEvent):
    validator: str
    unlocks_at: int


@dataclass(frozen=True)
class BondWithdrawn(LoggedEvent):
    validator: str
    bond: int


@dataclass(frozen=True)
class BondToppedUp(LoggedEvent):
    validator: str
    amount: int
    bond: int


MarketEvent = (
    JobPosted
    | JobCancelled
    | Committed
    | Revealed
    | EvaluationRevealed
    | CommitteeDrawn
    | AttestationCommitted
    | EvaluationUnavailable
    | CommitteeSeedBlockSet
    | AttestationRevealed
    | Finalized
    | ValidatorSettled
    | Claimed
    | Withdrawn
    | ValidatorJoined
    | ValidatorExitRequested
    | BondWithdrawn
    | BondToppedUp
)
EVENT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        JobPosted,
        JobCancelled,
        Committed,
        Revealed,
        EvaluationRevealed,
        CommitteeDrawn,
        AttestationCommitted,
        EvaluationUnavailable,
        CommitteeSeedBlockSet,
        AttestationRevealed,
        Finalized,
        ValidatorSettled,
        Claimed,
        Withdrawn,
        ValidatorJoined,
        ValidatorExitRequested,
        BondWithdrawn,
        BondToppedUp,
    )
}
# Solidity argument name -> dataclass field, where they differ beyond camelCase.
_RENAMES = {"jobId": "job_id", "unlocksAt": "unlocks_at", "validatorPay": "validator_pay"}


def to_event(log: Any) -> MarketEvent:
    """The dataclass of a decoded web3 log."""
    cls = EVENT_TYPES[log["event"]]
    fields: dict[str, Any] = {
        "block": int(log["blockNumber"]),
        "tx_hash": "0x" + bytes(log["transactionHash"]).hex(),
        "log_index": int(log["logIndex"]),
    }
    for key, value in log["args"].items():
        if key == "deadlines":  # JobPosted's uint32[4]
            for name, t in zip(("commit", "reveal", "attest", "settle"), value, strict=True):
                fields[f"{name}_deadline"] = int(t)
            continue
        name = _RENAMES.get(key) or _snake(key)
        if isinstance(value, bytes):
            value = bytes(value)
        elif isinstance(value, list | tuple):
            value = tuple(value)
        fields[name] = value
    if cls is Finalized and fields["winner"] == ZERO_ADDRESS:
        fields["winner"] = None
    return cls(**fields)  # type: ignore[no-any-return]


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
