"""Every read the explorer makes of the TrainingMarket (v2), turned into plain view records.

This is the one module that knows the market's contract API (through offchain.eth.market's
client and offchain.eth.market_events' decoding): when the market changes, this module and
the job template change, nothing else. It judges nothing: phases, outcomes, verified scores
and every amount come from the market's MarketLens, which judges with the contract's own
rules (contracts/libraries/Judgment.sol). The templates only see the dataclasses below.

Cost per page, independent of how many jobs the chain holds: the job page makes six calls,
sent together (latest block, job count, job, phase, submissions, and one log query for every
event of that job, which the node filters by the indexed job id), then the lens's settlement
(it needs the committed stakes from the events) and one bond read per committee member (at
most 15); a page of the jobs list one log query for its jobs' events (by indexed job id) and
one lens call for their phases; an
account page the logs that name the account (two queries by indexed topic) and the settlements
of the jobs it posted or worked on: what it did, not what the market did.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from eth_utils import event_abi_to_log_topic, to_checksum_address

from offchain.eth.appeals import AppealsClient
from offchain.eth.batch_calls import call_many
from offchain.eth.client import Client
from offchain.eth.errors import EthError
from offchain.eth.forfeit import forfeit_cause
from offchain.eth.log_decode import LogDecoder
from offchain.eth.logs import LogFilter, read_logs
from offchain.eth.market import (
    Judged,
    MarketClient,
    Outcome,
    Phase,
    SettlementTotals,
    Status,
    ValidatorInfo,
    deposit_of,
)
from offchain.eth.market_events import (
    EVENT_TYPES,
    AttestationCommitted,
    AttestationRevealed,
    BondToppedUp,
    BondWithdrawn,
    Claimed,
    Committed,
    CommitteeDrawn,
    EvaluationRevealed,
    EvaluationUnavailable,
    Finalized,
    JobCancelled,
    JobPosted,
    MarketEvent,
    Revealed,
    ValidatorExitRequested,
    ValidatorJoined,
    ValidatorSettled,
    Withdrawn,
    to_event,
)
from offchain.eth.values import hash_hex
from offchain.explorer.market_records import (
    AccountView,
    AttestationView,
    CommitteeSeat,
    Deadline,
    EvaluationView,
    HistoryRow,
    JobRow,
    JobView,
    JobWinner,
    Settlement,
    SubmissionView,
    ValidatorRow,
)

VALIDATORS_PER_PAGE = 50  # rows of the validators list: two calls each
READ_THREADS = 6  # the job page's independent reads, in flight together
MAX_LIST = 100  # jobs on one page of the list
MAX_ACCOUNT_ROWS = 500  # history rows on an account page
MAX_TOPIC_OPTIONS = 100  # job ids in one log query's list of alternatives
LEAF_BITS = 32  # validator leaves are uint32 (ValidatorSet)
ZERO = "0x" + "00" * 20


class MarketView:
    """Reads of one market, from its deployment block on."""

    def __init__(self, client: Client, address: str, lens: str, from_block: int = 0) -> None:
        self.market = MarketClient(client, address, lens, from_block)
        self.w3 = client.w3
        self.from_block = from_block
        events: list[Any] = [abi for abi in self.market.contract.abi if abi.get("type") == "event"]
        self._topics = {"0x" + bytes(event_abi_to_log_topic(abi)).hex(): str(abi["name"]) for abi in events}
        self._decoder = LogDecoder(events)
        self._config: dict[str, int] | None = None
        self._leaves = 0  # validator leaves known taken: the count only grows
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
        """The newest jobs first (MAX_LIST a page) and the total; phases from the chain clock.
        Ids run 1..jobCount: only the page's jobs' events are read, whatever the history."""
        total = self.market.job_count()
        ids = _page_ids(total, page)
        if not ids:
            return [], total
        events = self._jobs_events(ids, (JobPosted, Committed, Finalized))
        posted = {e.job_id: e for e in events if isinstance(e, JobPosted)}
        finalized = {e.job_id: e for e in events if isinstance(e, Finalized)}
        counts: dict[int, int] = {}
        for c in events:
            if isinstance(c, Committed):
                counts[c.job_id] = counts.get(c.job_id, 0) + 1
        phases = self.market.phases(ids)  # the lens: one call
        rows = []
        for job_id, phase in zip(ids, phases, strict=True):
            event, final = posted[job_id], finalized.get(job_id)
            rows.append(
                JobRow(
                    job_id=job_id,
                    phase=_name(phase),
                    requester=event.requester,
                    reward=event.reward,
                    submissions=counts.get(job_id, 0),
                    next_deadline=_next(_deadlines(event) + self._vote_deadlines(job_id, phase), now, phase),
                    winner=final.winner if final else None,
                )
            )
        return rows, total

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
        now, events = reads["now"].result(), reads["events"].result()
        config = self.config()
        posted = _first(events, JobPosted)
        final = _first(events, Finalized)
        cancel = _first(events, JobCancelled)
        drawn = _first(events, CommitteeDrawn)
        reveals = {e.worker: e for e in events if isinstance(e, Revealed)}
        claims = {e.worker: e.amount for e in events if isinstance(e, Claimed)}
        seals = {e.validator: e.seal for e in events if isinstance(e, AttestationCommitted)}
        unavailable = {e.validator for e in events if isinstance(e, EvaluationUnavailable)}
        scores = {e.validator: e.scores for e in events if isinstance(e, AttestationRevealed)}
        settled = {e.seat: e for e in events if isinstance(e, ValidatorSettled)}
        seats: list[str | None] = [a if a != ZERO else None for a in drawn.seats] if drawn else []
        # Judged by the lens with the contract's own rules; claim zeroes a stored stake and
        # finalize overwrites the stored reward, so the lens gets them as committed and posted.
        committed = sorted((e for e in events if isinstance(e, Committed)), key=lambda e: e.index)
        judged, totals = self.market.settlement(job_id, [e.stake for e in committed], posted.reward)
        views = []
        for index, (sub, judge, commit) in enumerate(zip(subs, judged, committed, strict=True)):
            reveal = reveals.get(sub.worker)
            attestations = [
                AttestationView(
                    seat,
                    holder,
                    holder in seals,
                    scores[holder][index] if holder in scores else None,
                    judge.near(seat) if final and holder in scores else None,
                    holder in unavailable,
                )
                for seat, holder in enumerate(seats)
                if holder is not None and sub.revealed
            ]
            views.append(
                SubmissionView(
                    index=index,
                    worker=sub.worker,
                    stake=commit.stake,
                    revealed=sub.revealed,
                    model_hash=hash_hex(reveal.model_hash) if reveal else None,
                    commitment=hash_hex(sub.sealed_hash),
                    claimed_score_bps=sub.claimed_score_bps if sub.revealed else None,
                    verified_score_bps=judge.verified_score_bps if judge.verified else None,
                    outcome=_name(sub.outcome),
                    slashed=sub.outcome in (Outcome.UNREVEALED, Outcome.DISHONEST),
                    uri=reveal.uri if reveal else None,
                    attestations=attestations,
                    owed=owed_rows(judge) if final else [],
                    claimed=claims.get(sub.worker),
                )
            )
        deadlines = _deadlines(posted) + self._vote_deadlines(job_id, phase)
        evaluated = _first(events, EvaluationRevealed)
        # The requester's failure, as the contract settled it: a set never opened, one finalize
        # recorded as unavailable, or (the lens's Forfeited outcome) a committee below the quorum.
        forfeited = final is not None and (
            evaluated is None or not job.evaluation_revealed or any(j.outcome == Outcome.FORFEITED for j in judged)
        )
        drawn_seats = sum(1 for a in seats if a is not None)
        cause = forfeit_cause(
            opened=evaluated is not None,
            recorded_open=job.evaluation_revealed,
            drawn=drawn_seats,
            quorum=config["quorum"],
            unavailable=sum(1 for a in seats if a in unavailable),  # seats, not members: one may hold several
        )
        return JobView(
            now=now,
            job_id=job_id,
            phase=_name(phase),
            status=_name(job.status),
            requester=job.requester,
            reward=posted.reward,
            min_score_bps=job.min_score_bps,
            min_stake=job.min_stake,
            base_model=hash_hex(job.base_model),
            training_set=hash_hex(job.training_set),
            evaluation=EvaluationView(
                seal=hash_hex(posted.evaluation_seal),
                evaluation_set=hash_hex(evaluated.evaluation_set) if evaluated else None,
                uri=evaluated.uri if evaluated else None,
                block=evaluated.block if evaluated else None,
                tx_hash=evaluated.tx_hash if evaluated else None,
                forfeited=forfeited,
                forfeit_cause=cause if forfeited else None,
            ),
            spec=hash_hex(posted.spec),
            posted_block=posted.block,
            posted_tx=posted.tx_hash,
            deadlines=deadlines,
            next_deadline=_next(deadlines, now, phase),
            submissions=views,
            settlement=_settlement(final, totals) if final else None,
            cancelled_refund=cancel.refund if cancel else None,
            tolerance_bps=config["tolerance_bps"],
            fee_bps=config["fee_bps"],
            slash_bps=config["slash_bps"],
            committee_size=posted.committee_size,
            # On a forfeit finalize pays and slashes no validator.
            committee=self._committee(seats, seals, scores, unavailable, settled if final and not forfeited else None)
            if drawn
            else None,
        )

    def _vote_deadlines(self, job_id: int, phase: Phase) -> list[Deadline]:
        """While an appeal's vote runs (the lens's phase), its two windows' ends."""
        if phase not in (Phase.APPEAL_VOTING, Phase.APPEAL_REVEALING):
            return []
        windows = AppealsClient(self.market).windows(job_id)
        return [
            Deadline("the appeal's vote commits close", windows.commit_until),
            Deadline("the appeal's vote reveals close", windows.reveal_until),
        ]

    def _committee(
        self,
        seats: list[str | None],
        seals: dict[str, bytes],
        scores: dict[str, tuple[int, ...]],
        unavailable: set[str],
        settled: dict[int, ValidatorSettled] | None,
    ) -> list[CommitteeSeat]:
        """The seats; once finalized, each one's tally, pay and slash as finalize emitted them."""
        members = sorted({s for s in seats if s is not None})
        bonds = dict(zip(members, self._pool.map(lambda a: self.market.validator(a).bond, members), strict=True))
        out = []
        for seat, holder in enumerate(seats):
            done = settled is not None and holder is not None
            # A filled seat with no event had nothing to attest (nothing was revealed).
            e = settled.get(seat) if settled is not None else None
            out.append(
                CommitteeSeat(
                    seat=seat,
                    validator=holder,
                    bond=bonds.get(holder, 0) if holder else 0,
                    seal=hash_hex(seals[holder]) if holder in seals else None,
                    revealed=holder in scores,
                    good=(e.good if e else 0) if done else None,
                    bad=(e.bad if e else 0) if done else None,
                    pay=(e.paid if e else 0) if done else None,
                    slashed=(e.slashed if e else 0) if done else None,
                    unavailable=holder in unavailable,
                )
            )
        return out

    def winner_of(self, job_id: int, model_hash: str) -> JobWinner | None:
        """Who made `model_hash` in `job_id`, and the URI its worker revealed."""
        for e in self._job_events(job_id):
            if isinstance(e, Revealed) and hash_hex(e.model_hash) == model_hash:
                return JobWinner(job_id, e.worker, e.uri)
        return None

    # ----- accounts and validators -------------------------------------------------------
    def validators(self, page: int = 0) -> tuple[list[ValidatorRow], int]:
        """A page of the members by sortition leaf (VALIDATORS_PER_PAGE of them) and the count of
        leaves ever taken, read from the chain for the page's leaves only, in two batches of
        calls: each leaf's owner, then each owner's record and credit. Reading the owners from
        every ValidatorJoined log cost 0.8 s at 1,000 members (issue 25). A member that has
        withdrawn its bond (or joined again, on a new leaf) is left out of its page."""
        total = self._leaf_count()
        leaves = list(range(page * VALIDATORS_PER_PAGE, min(total, (page + 1) * VALIDATORS_PER_PAGE)))
        owners = [to_checksum_address(o) for o in self._calls([("validatorAt", (leaf,)) for leaf in leaves])]
        reads = self._calls([call for o in owners for call in (("validator", (o,)), ("pendingOf", (o,)))])
        rows = []
        for leaf, owner, record, pending in zip(leaves, owners, reads[::2], reads[1::2], strict=True):
            info = ValidatorInfo.of(record)
            if info.leaf == leaf:
                rows.append(ValidatorRow(owner, leaf, info.bond, info.unlocks_at or None, int(pending)))
        return rows, total

    def _leaf_count(self) -> int:
        """Leaves ever taken. ValidatorSet takes them in order and never frees one (its owner
        stays), so the count is the first leaf without an owner: found by doubling from the last
        count seen, then halving, at most 2 x 32 calls (leaves are uint32), one once it is known."""
        known = self._leaves
        if not self._taken(known):
            return known
        taken, step = known, 1  # `taken` has an owner; find a free leaf above it
        for _ in range(LEAF_BITS + 1):
            if not self._taken(taken + step):
                break
            taken, step = taken + step, step * 2
        else:
            raise EthError(f"{self.address} has owners past 2^{LEAF_BITS} validator leaves: not a ValidatorSet")
        free = taken + step
        while free - taken > 1:
            middle = (taken + free) // 2
            taken, free = (middle, free) if self._taken(middle) else (taken, middle)
        self._leaves = free
        return free

    def _taken(self, leaf: int) -> bool:
        return int(self._calls([("validatorAt", (leaf,))])[0], 16) != 0

    def _calls(self, calls: list[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        return call_many(self.market.contract, calls)

    def accounts(self, page: int = 0) -> tuple[list[str], int]:
        """The accounts of a page of the jobs list (its requesters, workers and committee seats,
        newest job first, each once) and the count of jobs. Each page reads its own jobs' events
        only, as the jobs list does: every log that names an account belongs to a job, except a
        validator's bond and withdrawals (the validators list pages those members). The list of
        every account the logs named read the whole history: 6.8 s at 10,000 jobs (issue 25)."""
        total = self.market.job_count()
        ids = _page_ids(total, page)
        seen: dict[str, None] = {}
        events = self._jobs_events(ids, (JobPosted, Committed, CommitteeDrawn)) if ids else []
        for e in sorted(events, key=lambda e: -getattr(e, "job_id", 0)):  # stable: chain order within a job
            if isinstance(e, JobPosted):
                seen.setdefault(e.requester, None)
            elif isinstance(e, Committed):
                seen.setdefault(e.worker, None)
            elif isinstance(e, CommitteeDrawn):
                seen.update((a, None) for a in e.seats if a != ZERO)
        return list(seen), total

    def account(self, address: str) -> AccountView:
        """Standing and history of `address`: bonds, credits, claims, slashes, withdrawals."""
        info = self.market.validator(address)
        view = AccountView(
            address=address,
            roles=[],
            pending=self.market.pending(address),
            wins=0,
            slashes=0,
            bond=info.bond if info.leaf is not None else None,
            leaf=info.leaf,
            exit_unlocks_at=info.unlocks_at or None if info.leaf is not None else None,
        )
        events = self._account_events(address)
        rows: list[HistoryRow] = []
        roles: dict[str, None] = {}
        involved: set[int] = set()  # jobs it posted or worked on: only those need a job view
        for e in events:
            rows.extend(self._rows_for(address, e, roles, involved))
        view.roles = list(roles)
        view.wins = sum(1 for r in rows if r.what == "prize")
        view.slashes = sum(1 for r in rows if r.what in ("stake slashed", "bond slashed"))
        view.history = rows[-MAX_ACCOUNT_ROWS:]
        return view

    def _rows_for(
        self, address: str, e: MarketEvent, roles: dict[str, None], involved: set[int]
    ) -> Iterable[HistoryRow]:
        def row(what: str, amount: int, job_id: int | None = None) -> HistoryRow:
            return HistoryRow(e.block, job_id, what, amount, e.tx_hash)

        if isinstance(e, JobPosted) and e.requester == address:
            roles.setdefault("requester")
            involved.add(e.job_id)
            # postJob escrows the reward and the requester's deposit (issue 20 item 7) in one value.
            yield row("reward and deposit escrowed", -e.reward - deposit_of(e.reward), e.job_id)
        elif isinstance(e, JobCancelled) and e.requester == address:
            yield row("refund", e.refund, e.job_id)
        elif isinstance(e, Committed) and e.worker == address:
            roles.setdefault("worker")
            involved.add(e.job_id)
            yield row("stake committed", -e.stake, e.job_id)
        elif isinstance(e, Claimed) and e.worker == address:
            yield row("claimed", e.amount, e.job_id)
        elif isinstance(e, EvaluationRevealed):
            pass
        elif isinstance(e, EvaluationUnavailable) and e.validator == address:
            yield row("attested the evaluation set unavailable", 0, e.job_id)
        elif isinstance(e, ValidatorJoined) and e.validator == address:
            roles.setdefault("validator")
            yield row("bond posted", -e.bond)
        elif isinstance(e, ValidatorExitRequested) and e.validator == address:
            yield row("exit requested", 0)
        elif isinstance(e, BondWithdrawn) and e.validator == address:
            yield row("bond returned", e.bond)
        elif isinstance(e, BondToppedUp) and e.validator == address:
            yield row("bond topped up", -e.amount)
        elif isinstance(e, Withdrawn) and e.account == address:
            yield row("withdrawn", e.amount)
        elif isinstance(e, ValidatorSettled) and e.validator == address:
            if e.paid:
                yield row("validator fee", e.paid, e.job_id)
            if e.slashed:
                yield row("bond slashed", -e.slashed, e.job_id)
        elif isinstance(e, Finalized) and e.job_id in involved:
            yield from self._settlement_rows(address, e, row)

    def _settlement_rows(self, address: str, e: Finalized, row: Any) -> Iterable[HistoryRow]:
        job = self.job(e.job_id)
        assert job is not None and job.settlement is not None
        st = job.settlement
        # Slashed stakes, forfeits and slashed bonds are burned, never the requester's (issue 20).
        if job.requester == address and st.refund:
            yield row("refund", st.refund, e.job_id)
        for sub in job.submissions:
            if sub.worker == address:
                yield from (row(what, amount, e.job_id) for what, amount in sub.owed if amount)

    # ----- helpers -----------------------------------------------------------------------
    def _all_events(self) -> list[MarketEvent]:
        return self._decode(self._logs())

    def _account_events(self, address: str) -> list[MarketEvent]:
        """The events naming `address`, and the settlements of the jobs it posted or worked on:
        what the account did, not what the market did (issue 25). Every event that names an
        account carries it indexed, first (bonds, withdrawals) or after the job id."""
        topic = "0x" + address[2:].lower().rjust(64, "0")
        mine = self._decode(self._logs([None, topic]) + self._logs([None, None, topic]))
        jobs = sorted({e.job_id for e in mine if isinstance(e, JobPosted | Committed)})
        mine += self._jobs_events(jobs, (Finalized,))
        unique = {(e.block, e.log_index): e for e in mine}  # a Finalized it won is in both reads
        return [unique[key] for key in sorted(unique)]

    def _jobs_events(self, job_ids: list[int], kinds: tuple[type[Any], ...]) -> list[MarketEvent]:
        """The `kinds` events of the jobs `job_ids`: queries by event and indexed job id."""
        wanted = [topic for topic, name in self._topics.items() if name in {k.__name__ for k in kinds}]
        out: list[MarketEvent] = []
        for start in range(0, len(job_ids), MAX_TOPIC_OPTIONS):
            ids = ["0x" + j.to_bytes(32, "big").hex() for j in job_ids[start : start + MAX_TOPIC_OPTIONS]]
            out += self._decode(self._logs([wanted, ids]))
        return out

    def _job_events(self, job_id: int) -> list[MarketEvent]:
        # Every job event has the job id as its first indexed argument: one query for all.
        topic = "0x" + job_id.to_bytes(32, "big").hex()
        return [e for e in self._decode(self._logs([None, topic])) if getattr(e, "job_id", None) == job_id]

    def _logs(self, topics: list[Any] | None = None) -> list[Any]:
        """The market's raw logs since its deployment, in ranges the node accepts."""
        where = LogFilter(self.market.address, topics or [])
        head = int(self.w3.eth.block_number)
        return read_logs(self.w3.eth.get_logs, where, self.from_block, head, list(self._topics))  # type: ignore[arg-type]

    def _decode(self, logs: Iterable[Any]) -> list[MarketEvent]:
        out = []
        for log in logs:
            if self._decoder.name_of(log) not in EVENT_TYPES:
                continue  # an event the client does not decode (yet): not shown
            out.append(to_event(self._decoder.decode(log)))
        out.sort(key=lambda e: (e.block, e.log_index))
        return out


def _page_ids(total: int, page: int) -> list[int]:
    """The job ids of page `page` of the jobs list (MAX_LIST a page, ids 1..total), newest first."""
    return list(range(total - page * MAX_LIST, max(0, total - (page + 1) * MAX_LIST), -1))


def owed_rows(judged: Judged) -> list[tuple[str, int]]:
    """What claim pays a submission, as (what, amount) rows, losses negative: the lens's
    amounts (MarketLens.settlementOf), named by the lens's outcome."""
    if judged.outcome in (Outcome.UNREVEALED, Outcome.DISHONEST):
        return [("stake slashed", -judged.stake_lost)]
    if judged.outcome == Outcome.FORFEITED:
        return [("stake returned", judged.stake_returned), ("forfeit share", judged.share)]
    if judged.outcome == Outcome.WON:
        return [("stake returned", judged.stake_returned), ("prize", judged.share)]
    if judged.outcome in (Outcome.UNVERIFIED, Outcome.BELOW_MINIMUM):
        return [("stake returned", judged.stake_returned), ("forfeit paid", -judged.stake_lost)]
    return [("stake returned", judged.stake_returned)]


def _settlement(final: Finalized, totals: SettlementTotals) -> Settlement:
    """The settlement as finalize emitted it, with the requester's parts from the lens (on a
    forfeit the lens's totals are zero: the revealed workers share the reward and the stakes)."""
    return Settlement(
        winner=final.winner,
        model_hash=hash_hex(final.model_hash) if final.winner else None,
        verified_score_bps=final.verified_score_bps,
        prize=final.prize,
        validator_pay=final.validator_pay,
        validator_slashed=final.validator_slashed,
        refund=final.refund,
        stakes_slashed=totals.stakes_slashed,
        forfeits=totals.forfeits,
        burned=final.burned,
        tx_hash=final.tx_hash,
        block=final.block,
    )


def _first(events: list[MarketEvent], cls: type[Any]) -> Any:
    return next((e for e in events if isinstance(e, cls)), None)


def _deadlines(posted: JobPosted) -> list[Deadline]:
    return [
        Deadline("commits close", posted.commit_deadline),
        Deadline("reveals, evaluation reveal and committee draw close", posted.reveal_deadline),
        Deadline("attestation commits close", posted.attest_deadline),
        Deadline("attestation reveals close", posted.settle_deadline),
    ]


def _next(deadlines: list[Deadline], now: int, phase: Phase) -> Deadline | None:
    if phase in (Phase.FINALIZED, Phase.CANCELLED):
        return None
    return next((d for d in deadlines if d.time > now), None)


def _name(value: Phase | Status | Outcome) -> str:
    return value.name.lower().replace("_", " ")  # BELOW_MINIMUM: "below minimum"
