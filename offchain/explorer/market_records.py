"""The plain records the explorer's market pages show (market v2), filled by market_view."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Deadline:
    label: str  # what ends at this time, e.g. "commits close"
    time: int  # unix seconds, chain clock


@dataclass(frozen=True)
class JobRow:
    """One line of the jobs list."""

    job_id: int
    phase: str
    requester: str
    reward: int
    submissions: int
    next_deadline: Deadline | None
    winner: str | None


@dataclass(frozen=True)
class AttestationView:
    """One committee seat's attestation of one submission."""

    seat: int
    validator: str
    committed: bool  # the member sealed its scores
    score_bps: int | None  # None until the member revealed
    near: bool | None  # within the tolerance of the verified score; None until settled
    unavailable: bool = False  # the member attested the evaluation set unavailable instead


@dataclass(frozen=True)
class SubmissionView:
    index: int
    worker: str
    stake: int  # as committed
    revealed: bool
    model_hash: str | None  # None until revealed (the chain holds the commitment until then)
    commitment: str
    claimed_score_bps: int | None
    verified_score_bps: int | None  # None until the quorum attested
    outcome: str  # pending, unrevealed, unverified, dishonest, honest, won, forfeited
    slashed: bool
    uri: str | None
    attestations: list[AttestationView]
    owed: list[tuple[str, int]]  # what claim pays, by part, once finalized (losses negative)
    claimed: int | None  # what the worker's claim paid; None until claimed

    @property
    def due(self) -> int:
        """What claim pays (stake back, prize or forfeit share; zero for a slashed stake)."""
        return sum(amount for _, amount in self.owed if amount > 0)


@dataclass(frozen=True)
class CommitteeSeat:
    """A seat of the job's committee (market v2), its holder and what it did and got."""

    seat: int
    validator: str | None  # None for a seat the draw left empty
    bond: int  # the holder's bond now
    seal: str | None  # the committed seal (hex); None when it never committed
    revealed: bool
    good: int | None  # attestations within tolerance; None until finalized
    bad: int | None  # attestations outside tolerance or missing
    pay: int | None  # the holder's fee share for this job (over all its seats)
    slashed: int | None  # taken from the holder's bond for this job (over all its seats)
    unavailable: bool = False  # attested the evaluation set unavailable instead of sealing scores


@dataclass(frozen=True)
class EvaluationView:
    """The requester's sealed evaluation set: revealed, still sealed, or forfeited."""

    seal: str
    evaluation_set: str | None
    uri: str | None
    block: int | None
    tx_hash: str | None
    forfeited: bool  # the requester's failure: the reward went to the revealed workers
    forfeit_cause: str | None = None  # why, in words (offchain.eth.forfeit), when forfeited


@dataclass(frozen=True)
class Settlement:
    winner: str | None
    model_hash: str | None
    verified_score_bps: int
    prize: int  # the winner's, or each revealed worker's share on a forfeit
    validator_pay: int
    validator_slashed: int
    refund: int  # the requester's own money back: the reward when nobody won, an unearned fee
    stakes_slashed: int  # burned, never the requester's (issue 20)
    forfeits: int  # burned, never the requester's
    burned: int  # everything finalize burned: the two above, slashed bonds nobody earned, dust
    tx_hash: str
    block: int


@dataclass(frozen=True)
class JobView:
    now: int  # the chain clock the phase and the countdown were computed at
    job_id: int
    phase: str
    status: str
    requester: str
    reward: int  # as posted (escrowed)
    min_score_bps: int
    min_stake: int
    base_model: str
    training_set: str
    evaluation: EvaluationView
    spec: str
    posted_block: int
    posted_tx: str
    deadlines: list[Deadline]
    next_deadline: Deadline | None
    submissions: list[SubmissionView]
    settlement: Settlement | None
    cancelled_refund: int | None
    tolerance_bps: int
    fee_bps: int
    slash_bps: int
    committee_size: int
    committee: list[CommitteeSeat] | None  # None until drawn


@dataclass(frozen=True)
class HistoryRow:
    """Something that moved an account's money or standing, from the market's events."""

    block: int
    job_id: int | None
    what: str
    amount: int  # wei; positive: credited to the account, negative: paid in or lost
    tx_hash: str


@dataclass
class AccountView:
    address: str
    roles: list[str]
    pending: int
    wins: int
    slashes: int
    bond: int | None  # None when not a validator
    leaf: int | None
    exit_unlocks_at: int | None
    history: list[HistoryRow] = field(default_factory=list)

    @property
    def rewards(self) -> int:
        return sum(r.amount for r in self.history if r.amount > 0 and r.what in REWARD_KINDS)

    @property
    def penalties(self) -> int:
        return -sum(r.amount for r in self.history if r.amount < 0 and r.what in PENALTY_KINDS)


REWARD_KINDS = (
    "prize",
    "forfeit share",
    "validator fee",
    "refund",
)
PENALTY_KINDS = ("stake slashed", "forfeit paid", "bond slashed")
# What the market credits to pending withdrawals (workers' outcomes are claimed instead).
CREDIT_KINDS = ("validator fee", "refund")


@dataclass(frozen=True)
class ValidatorRow:
    address: str
    leaf: int
    bond: int
    exit_unlocks_at: int | None
    pending: int


@dataclass(frozen=True)
class JobWinner:
    """The job that made a registered model, for the model page."""

    job_id: int
    worker: str
    uri: str | None
