"""Every read the explorer makes of the TrainingMarket, turned into plain view records.

This is the one module that knows the market's contract API (through
offchain.eth.market's client and event decoding): when the market changes (v2's sealed
evaluation set, committees, commit-revealed attestations), this module and the job
template change, nothing else. The templates only see the dataclasses below.

Cost per page, independent of how many jobs the chain holds: the job page makes six
calls, sent together (latest block, job count, job, phase, submissions, and one log query for every
event of that job, which the node filters by the indexed job id); the jobs list one log
query per event kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from eth_utils import event_abi_to_log_topic

from offchain.eth.client import Client
from offchain.eth.market import (
    EVENT_TYPES,
    Attested,
    BondWithdrawn,
    Committed,
    Finalized,
    JobCancelled,
    JobPosted,
    MarketClient,
    MarketEvent,
    Outcome,
    Phase,
    Revealed,
    Status,
    ValidatorExitRequested,
    ValidatorJoined,
    Withdrawn,
    _to_event,  # the client's own log decoding, shared rather than copied
)
from offchain.eth.values import hash_hex

BPS = 10_000
READ_THREADS = 6  # the job page's independent reads, in flight together
MAX_LIST = 100  # jobs on one page of the list
MAX_ACCOUNT_ROWS = 500  # history rows on an account page


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
    validator: str
    seat: int
    score_bps: int
    near: bool  # within the tolerance of the verified score (only known once verified)


@dataclass(frozen=True)
class SubmissionView:
    index: int
    worker: str
    stake: int
    revealed: bool
    model_hash: str | None  # None until revealed (the chain holds the commitment until then)
    commitment: str
    claimed_score_bps: int | None
    verified_score_bps: int | None  # None until the quorum attested
    outcome: str  # pending, unrevealed, unverified, dishonest, honest, won
    slashed: bool
    uri: str | None
    attestations: list[AttestationView]


@dataclass(frozen=True)
class CommitteeSeat:
    """A validator drawn for the job (market v2), with what it did."""

    validator: str
    committed: bool
    revealed: bool
    slashed: bool


@dataclass(frozen=True)
class Settlement:
    winner: str | None
    model_hash: str | None
    verified_score_bps: int
    payout: int
    validator_fees: int
    slashed: int
    refund: int
    tx_hash: str
    block: int


@dataclass(frozen=True)
class JobView:
    now: int  # the chain clock the phase and the countdown were computed at
    job_id: int
    phase: str
    status: str
    requester: str
    reward: int
    min_score_bps: int
    min_stake: int
    base_model: str
    training_set: str
    evaluation_set: str
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
    # Market v2 fills this; the job template shows the committee section only when set.
    committee: list[CommitteeSeat] | None = None


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
    seat: int | None
    exit_unlocks_at: int | None
    history: list[HistoryRow] = field(default_factory=list)

    @property
    def rewards(self) -> int:
        return sum(r.amount for r in self.history if r.amount > 0 and r.what in REWARD_KINDS)

    @property
    def penalties(self) -> int:
        return -sum(r.amount for r in self.history if r.amount < 0 and r.what in PENALTY_KINDS)


REWARD_KINDS = ("prize", "validator fee", "slashed stakes received", "refund")
PENALTY_KINDS = ("stake slashed",)


@dataclass(frozen=True)
class ValidatorRow:
    address: str
    seat: int
    bond: int
    exit_unlocks_at: int | None
    pending: int


@dataclass(frozen=True)
class JobWinner:
    """The job that made a registered model, for the model page."""

    job_id: int
    worker: str
    uri: str | None


class MarketView:
    """Reads of one market, from its deployment block on."""

    def __init__(self, client: Client, address: str, from_block: int = 0) -> None:
        self.market = MarketClient(client, address)
        self.w3 = client.w3
        self.from_block = from_block
        events: list[Any] = [abi for abi in self.market.contract.abi if abi.get("type") == "event"]
        self._topics = {"0x" + bytes(event_abi_to_log_topic(abi)).hex(): str(abi["name"]) for abi in events}
        self._config: dict[str, int] | None = None
        self._pool = ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="market-read")

    @property
    def address(self) -> str:
        return self.market.address

    def config(self) -> dict[str, int]:
        if self._config is None:  # fixed at deployment
            self._config = self.market.config()
        return self._config

    # ----- the jobs list -----------------------------------------------------------------
    def jobs(self, now: int, page: int = 0) -> tuple[list[JobRow], int]:
        """The newest jobs first (MAX_LIST a page) and the total; phases from the chain clock."""
        posted = self._events(JobPosted)
        finalized = {e.job_id: e for e in self._events(Finalized)}
        cancelled = {e.job_id for e in self._events(JobCancelled)}
        counts: dict[int, int] = {}
        for c in self._events(Committed):
            counts[c.job_id] = counts.get(c.job_id, 0) + 1
        newest = sorted(posted, key=lambda e: e.job_id, reverse=True)
        rows = []
        for event in newest[page * MAX_LIST : (page + 1) * MAX_LIST]:
            status = (
                Status.FINALIZED
                if event.job_id in finalized
                else Status.CANCELLED
                if event.job_id in cancelled
                else Status.ACTIVE
            )
            phase = _phase(status, now, event.commit_deadline, event.reveal_deadline, event.attest_deadline)
            final = finalized.get(event.job_id)
            rows.append(
                JobRow(
                    job_id=event.job_id,
                    phase=_name(phase),
                    requester=event.requester,
                    reward=event.reward,
                    submissions=counts.get(event.job_id, 0),
                    next_deadline=_next(_deadlines(event), now, phase),
                    winner=final.winner if final else None,
                )
            )
        return rows, len(posted)

    # ----- one job -----------------------------------------------------------------------
    def now(self) -> int:
        """The chain's clock: the latest block's timestamp (phases follow it, not ours)."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def job(self, job_id: int) -> JobView | None:
        """Everything the job page shows; None when there is no such job."""
        # Six independent reads, sent at once: the page waits for the slowest, not the sum.
        reads: dict[str, Future[Any]] = {
            "now": self._pool.submit(self.now),
            "count": self._pool.submit(self.market.job_count),
            "job": self._pool.submit(self.market.job, job_id),
            "phase": self._pool.submit(self.market.phase, job_id),
            "subs": self._pool.submit(self.market.submissions, job_id),
            "events": self._pool.submit(self._job_events, job_id),
        }
        wait(reads.values())
        if not 1 <= job_id <= reads["count"].result():  # ids start at 1; an unknown id reverts
            return None
        job, phase, subs = reads["job"].result(), reads["phase"].result(), reads["subs"].result()
        now = reads["now"].result()
        events = reads["events"].result()
        posted = next(e for e in events if isinstance(e, JobPosted))
        reveals = {e.worker: e for e in events if isinstance(e, Revealed)}
        final = next((e for e in events if isinstance(e, Finalized)), None)
        cancel = next((e for e in events if isinstance(e, JobCancelled)), None)
        config = self.config()
        attested: dict[str, list[Attested]] = {}
        for e in events:
            if isinstance(e, Attested):
                attested.setdefault(e.worker, []).append(e)
        views = []
        for index, sub in enumerate(subs):
            verified = sub.attestation_count >= config["quorum"]
            reveal = reveals.get(sub.worker)
            views.append(
                SubmissionView(
                    index=index,
                    worker=sub.worker,
                    stake=sub.stake,
                    revealed=sub.revealed,
                    model_hash=hash_hex(sub.sealed_hash) if sub.revealed else None,
                    commitment=hash_hex(sub.sealed_hash),
                    claimed_score_bps=sub.claimed_score_bps if sub.revealed else None,
                    verified_score_bps=sub.verified_score_bps if verified else None,
                    outcome=_name(sub.outcome),
                    slashed=sub.outcome in (Outcome.UNREVEALED, Outcome.DISHONEST),
                    uri=reveal.uri if reveal else None,
                    attestations=[
                        AttestationView(
                            a.validator,
                            a.seat,
                            a.score_bps,
                            verified and abs(a.score_bps - sub.verified_score_bps) <= config["tolerance_bps"],
                        )
                        for a in attested.get(sub.worker, [])
                    ],
                )
            )
        deadlines = _deadlines(posted)
        return JobView(
            now=now,
            job_id=job_id,
            phase=_name(phase),
            status=_name(job.status),
            requester=job.requester,
            reward=job.reward,
            min_score_bps=job.min_score_bps,
            min_stake=job.min_stake,
            base_model=hash_hex(job.base_model),
            training_set=hash_hex(job.training_set),
            evaluation_set=hash_hex(posted.evaluation_set),
            spec=hash_hex(posted.spec),
            posted_block=posted.block,
            posted_tx=posted.tx_hash,
            deadlines=deadlines,
            next_deadline=_next(deadlines, now, phase),
            submissions=views,
            settlement=_settlement(final),
            cancelled_refund=cancel.refund if cancel else None,
            tolerance_bps=config["tolerance_bps"],
            fee_bps=config["fee_bps"],
        )

    def winner_of(self, job_id: int, model_hash: str) -> JobWinner | None:
        """Who made `model_hash` in `job_id`, and the URI its worker revealed."""
        for e in self._job_events(job_id):
            if isinstance(e, Revealed) and hash_hex(e.model_hash) == model_hash:
                return JobWinner(job_id, e.worker, e.uri)
        return None

    # ----- accounts and validators -------------------------------------------------------
    def validators(self) -> list[ValidatorRow]:
        """Every validator that has not withdrawn its bond, by seat."""
        rows = []
        for address in sorted({e.validator for e in self._events(ValidatorJoined)}):
            info = self.market.validator(address)
            if info.member:
                rows.append(
                    ValidatorRow(
                        address,
                        info.seat,
                        info.bond,
                        self._unlocks_at(address) if info.exit_requested_at else None,
                        self.market.pending(address),
                    )
                )
        return sorted(rows, key=lambda r: r.seat)

    def accounts(self) -> list[str]:
        """Every address the market's events name, in first-seen order."""
        seen: dict[str, None] = {}
        for e in self._all_events():
            for name in ("requester", "worker", "validator", "account", "winner"):
                value = getattr(e, name, None)
                if isinstance(value, str):
                    seen.setdefault(value, None)
        return list(seen)

    def account(self, address: str) -> AccountView:
        """Standing and history of `address`: bonds, credits, slashes, withdrawals."""
        info = self.market.validator(address)
        stats = self.market.worker_stats(address)
        view = AccountView(
            address=address,
            roles=[],
            pending=self.market.pending(address),
            wins=stats.wins,
            slashes=stats.slashes,
            bond=info.bond if info.member else None,
            seat=info.seat if info.member else None,
            exit_unlocks_at=self._unlocks_at(address) if info.member and info.exit_requested_at else None,
        )
        events = self._all_events()
        posted = {e.job_id: e for e in events if isinstance(e, JobPosted)}
        rows: list[HistoryRow] = []
        roles: dict[str, None] = {}
        for e in events:
            rows.extend(self._rows_for(address, e, posted, roles))
        view.roles = list(roles)
        view.history = rows[-MAX_ACCOUNT_ROWS:]
        return view

    def _rows_for(
        self, address: str, e: MarketEvent, posted: dict[int, JobPosted], roles: dict[str, None]
    ) -> Iterable[HistoryRow]:
        def row(what: str, amount: int, job_id: int | None = None) -> HistoryRow:
            return HistoryRow(e.block, job_id, what, amount, e.tx_hash)

        if isinstance(e, JobPosted) and e.requester == address:
            roles.setdefault("requester")
            yield row("reward escrowed", -e.reward, e.job_id)
        elif isinstance(e, JobCancelled) and e.requester == address:
            yield row("refund", e.refund, e.job_id)
        elif isinstance(e, Committed) and e.worker == address:
            roles.setdefault("worker")
            yield row("stake committed", -e.stake, e.job_id)
        elif isinstance(e, ValidatorJoined) and e.validator == address:
            roles.setdefault("validator")
            yield row("bond posted", -e.bond)
        elif isinstance(e, ValidatorExitRequested) and e.validator == address:
            yield row("exit requested", 0)
        elif isinstance(e, BondWithdrawn) and e.validator == address:
            yield row("bond returned", e.bond)
        elif isinstance(e, Withdrawn) and e.account == address:
            yield row("withdrawn", e.amount)
        elif isinstance(e, Finalized):
            yield from self._settlement_rows(address, e, posted[e.job_id], row)

    def _settlement_rows(self, address: str, e: Finalized, posted: JobPosted, row: Any) -> Iterable[HistoryRow]:
        if posted.requester == address:
            if e.refund:
                yield row("refund", e.refund, e.job_id)
            if e.slashed:
                yield row("slashed stakes received", e.slashed, e.job_id)
        if e.winner == address:
            yield row("prize", e.payout, e.job_id)
        job = self.job(e.job_id)
        assert job is not None
        for sub in job.submissions:
            if sub.worker == address:
                if sub.slashed:
                    yield row("stake slashed", -sub.stake, e.job_id)
                else:
                    yield row("stake returned", sub.stake, e.job_id)
        yield from (row("validator fee", share, e.job_id) for share in self._fee_shares(job, e, address))

    def _fee_shares(self, job: JobView, e: Finalized, address: str) -> list[int]:
        # v1 pays the fee equally to the validators whose attestation of the winner is within
        # the tolerance of its verified score (TrainingMarket._payValidators); the event
        # carries only the total, so the share is derived here and checked against it in tests.
        winner = next((s for s in job.submissions if s.outcome == "won"), None)
        if winner is None or not e.validator_fees:
            return []
        near = [a for a in winner.attestations if a.near]
        share = job.reward * job.fee_bps // BPS // len(near)
        return [share for a in near if a.validator == address]

    # ----- helpers -----------------------------------------------------------------------
    def _unlocks_at(self, address: str) -> int | None:
        exits = [e for e in self._events(ValidatorExitRequested) if e.validator == address]
        return exits[-1].unlocks_at if exits else None

    def _events(self, cls: type[Any]) -> list[Any]:
        return [e for e in self.market.events(self.from_block, "latest", (cls.__name__,)) if isinstance(e, cls)]

    def _all_events(self) -> list[MarketEvent]:
        logs = self.w3.eth.get_logs({"address": self.market.address, "fromBlock": self.from_block, "toBlock": "latest"})
        return self._decode(logs)

    def _job_events(self, job_id: int) -> list[MarketEvent]:
        # Every job event has the job id as its first indexed argument: one query for all.
        topic = "0x" + job_id.to_bytes(32, "big").hex()
        logs = self.w3.eth.get_logs(
            {"address": self.market.address, "fromBlock": self.from_block, "toBlock": "latest", "topics": [None, topic]}
        )
        return [e for e in self._decode(logs) if getattr(e, "job_id", None) == job_id]

    def _decode(self, logs: Iterable[Any]) -> list[MarketEvent]:
        out = []
        for log in logs:
            name = self._topics.get("0x" + bytes(log["topics"][0]).hex())
            if name is None or name not in EVENT_TYPES:
                continue  # an event the client does not decode (yet): not shown
            decoded = getattr(self.market.contract.events, name)().process_log(log)
            out.append(_to_event(decoded))
        out.sort(key=lambda e: (e.block, e.log_index))
        return out


def _phase(status: Status, now: int, commit: int, reveal: int, attest: int) -> Phase:
    """JobBook.phase() from the posted deadlines and the chain clock (the list shows many jobs)."""
    if status == Status.FINALIZED:
        return Phase.FINALIZED
    if status == Status.CANCELLED:
        return Phase.CANCELLED
    if now < commit:
        return Phase.OPEN
    if now < reveal:
        return Phase.REVEALING
    if now < attest:
        return Phase.ATTESTING
    return Phase.FINALIZABLE


def _deadlines(posted: JobPosted) -> list[Deadline]:
    return [
        Deadline("commits close", posted.commit_deadline),
        Deadline("reveals close", posted.reveal_deadline),
        Deadline("attestations close", posted.attest_deadline),
    ]


def _next(deadlines: list[Deadline], now: int, phase: Phase) -> Deadline | None:
    if phase in (Phase.FINALIZED, Phase.CANCELLED):
        return None
    return next((d for d in deadlines if d.time > now), None)


def _settlement(final: Finalized | None) -> Settlement | None:
    if final is None:
        return None
    return Settlement(
        winner=final.winner,
        model_hash=hash_hex(final.model_hash) if final.winner else None,
        verified_score_bps=final.verified_score_bps,
        payout=final.payout,
        validator_fees=final.validator_fees,
        slashed=final.slashed,
        refund=final.refund,
        tx_hash=final.tx_hash,
        block=final.block,
    )


def _name(value: Phase | Status | Outcome) -> str:
    return value.name.lower()
