"""A validator's duties on one job: draw the committee, and when seated, seal the scores it
measured, commit the seal, reveal it, settle and withdraw.

The scores and salt are written to the SealBook before the commit is sent, so a validator
killed between commit and reveal (kill -9 included) reveals after a restart with nothing
lost: `step` reads the book and the chain, never its own memory. When the evaluation set the
requester opened cannot be fetched (or is not what it opened), the member attests that
instead of scores (`attestUnavailable`): a majority of seats doing so makes the job the
requester's failure, where scoring every submission 0 would convict honest workers.

A server that does not answer is asked again next round, but only until half the attestation
window (from the reveal deadline to the attestation deadline) has passed: a worker whose weights
are still not served then scores 0, and an evaluation set still not served is attested
unavailable. Retried to the end, one unserved submission held every member's whole attestation
until the window closed, and the members were slashed for their silence.

When anyone appeals a job (issue 20 item 5), every eligible validator, seated or not, votes:
it judges each revealed submission as it would on a seat (over-claimed when measured + the
tolerance is below the claim), writes the vote and its salt to the SealBook, commits, then
reveals; an eligible member that does not vote is slashed like a silent seat.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from offchain.artifacts.errors import ArtifactUnreachableError
from offchain.errors import OffchainError
from offchain.eth.appeals import VOTE_NONE, VOTE_REVEALED, VOTE_SLASHED, AppealsClient
from offchain.eth.commitment import attestation_seal, new_salt, vote_seal
from offchain.eth.errors import TransactionError
from offchain.eth.market import SEAL_NONE as ZERO
from offchain.eth.market import SEAL_REVEALED as REVEALED
from offchain.eth.market import SEAL_UNAVAILABLE as UNAVAILABLE
from offchain.eth.market import Phase, Submission
from offchain.roles.rolelog import RoleLog
from offchain.roles.seals import SealBook
from offchain.roles.session import Session
from offchain.roles.steps import finalize_if_due, withdraw_pending

# judge(job_id, index, submission) -> the score measured, in bps
Judge = Callable[[int, int, Submission], int]


class EvaluationUnavailableError(OffchainError):
    """The opened evaluation set cannot be fetched from any source, or is not what was opened."""


class EvaluationUnreachableError(ArtifactUnreachableError):
    """The servers of the opened evaluation set did not answer (retried until overdue)."""


class CommitteeMember:
    def __init__(self, session: Session, book: SealBook, judge: Judge, log: RoleLog) -> None:
        self.session = session
        self.book = book
        self.judge = judge
        self.log = log
        self.me = session.client.address
        self.warned_missed: set[int] = set()
        self.draw_pending: set[int] = set()  # drawn by another member, not yet mined: said once

    def step(self, job_id: int) -> bool:
        """Advance this validator's duties on `job_id`; True when nothing is left to do."""
        market = self.session.market
        phase = finalize_if_due(self.session, job_id, self.log)
        if phase == Phase.OPEN:
            return False
        if phase == Phase.REVEALING:
            self._draw(job_id)
            return False
        if phase == Phase.ATTESTING:
            if self.me in market.committee(job_id):
                self._commit(job_id)
            return False
        if phase == Phase.SETTLING:
            self._reveal(job_id)
            return False
        if phase in (Phase.APPEAL_VOTING, Phase.APPEAL_REVEALING):
            self._vote(job_id)  # finalize waits for the vote (the lens says so: no finalize tried)
            return False
        if phase == Phase.FINALIZABLE:
            return False  # finalize_if_due's try failed: tried again next round
        if phase == Phase.FINALIZED:
            self._report_settlement(job_id)
            self._collect(job_id)
        pending = withdraw_pending(self.session)
        if pending:
            self.log("withdrawn", job=job_id, amount=pending)
        return True

    @cached_property
    def appeals(self) -> AppealsClient:
        return AppealsClient(self.session.market)

    def _vote(self, job_id: int) -> None:
        """Vote on the job's appeal, if there is one and this validator may: commit in the
        commit window (the vote journalled first), reveal in the reveal window."""
        appeals = self.appeals
        appeal = appeals.appeal(job_id)
        if not appeal.filed:
            return
        now = int(self.session.client.w3.eth.get_block("latest")["timestamp"])
        on_chain = appeals.vote_of(job_id, self.me)
        if now < appeal.commit_until:
            if on_chain != VOTE_NONE or not appeals.eligible(job_id, self.me):
                return
            stored = self.book.vote(job_id)
            if stored is None:
                try:
                    vote = self._judge_appeal(job_id)
                except EvaluationUnavailableError as exc:
                    # The vote decides whether the set was served: say it was not (not silence).
                    self.log.warn(
                        "cannot fetch the appealed job's set: voting it unserved", job=job_id, reason=str(exc)
                    )
                    vote = appeals.unserved_vote()
                stored = self.book.put_vote(job_id, vote, new_salt())  # durable BEFORE the commit
            receipt = appeals.commit_vote(job_id, vote_seal(job_id, self.me, stored.vote, stored.salt))
            self.log("committed an appeal vote", job=job_id, vote=hex(stored.vote), gas=receipt["gasUsed"])
        elif now < appeal.reveal_until and on_chain not in (VOTE_NONE, VOTE_REVEALED, VOTE_SLASHED):
            stored = self.book.vote(job_id)
            if stored is None:
                self.log("no appeal vote on record: cannot reveal", job=job_id)
                return
            receipt = appeals.reveal_vote(job_id, stored.vote, stored.salt)
            self.log("revealed an appeal vote", job=job_id, gas=receipt["gasUsed"])

    def _judge_appeal(self, job_id: int) -> int:
        """The vote, from this validator's measurement of each revealed submission, by the
        contract's rule (Appeals.ballotOf): over-claimed, and the committee's verified score
        inflated, each against the measurement plus the tolerance."""
        subs = self.session.market.submissions(job_id)
        measured = [self.judge(job_id, i, s) if s.revealed else 0 for i, s in enumerate(subs)]
        return self.appeals.ballot(job_id, measured)

    def _collect(self, job_id: int) -> None:
        """Pull this validator's share of an upheld appeal's deposit."""
        if self.appeals.owed_to(job_id, self.me):
            receipt = self.appeals.collect(job_id)
            self.log("collected an appeal's deposit share", job=job_id, gas=receipt["gasUsed"])

    def _report_settlement(self, job_id: int) -> None:
        """Say loudly what the job cost this validator: a slash, and a bond no longer drawn."""
        market = self.session.market
        for event in market.settled_of(self.me, job_id):
            if event.slashed:
                self.log.warn(
                    "slashed: attestations outside the tolerance or never revealed",
                    job=job_id,
                    seat=event.seat,
                    slashed=event.slashed,
                    bad=event.bad,
                    good=event.good,
                )
        info, minimum = market.validator(self.me), market.min_bond()
        if info.member and info.bond < minimum:
            self.log.warn(
                "bond below the minimum: no longer drawn for new jobs (`offchain validator top-up AMOUNT`, or exit)",
                bond=info.bond,
                min_bond=minimum,
            )

    def _draw(self, job_id: int) -> None:
        # Draw as early as possible: the seed block's hash is known to all once it is out, and a
        # seed block nobody draws from in its epoch is fixed again (a new committee).
        market = self.session.market
        if market.is_drawn(job_id):
            self.draw_pending.discard(job_id)
            return
        if market.drawable_weight() == 0:
            return
        try:
            drawn = market.ensure_drawn(job_id)
        except TransactionError as exc:
            self.log.warn("draw reverted, will re-check", job=job_id, reason=str(exc))
            return
        if drawn is None:  # the routine race: another member drew first (said once, not every round)
            if job_id not in self.draw_pending:
                self.draw_pending.add(job_id)
                self.log("committee drawn by another validator", job=job_id)
        else:
            self.log("drew the committee", job=job_id, seats=len(market.committee(job_id)))

    def _commit(self, job_id: int) -> None:
        market = self.session.market
        if market.attestation_seal(job_id, self.me) != ZERO:
            return  # committed (perhaps by the process that ran before a crash)
        if market.evaluation_revealed(job_id) is None:
            return  # the contract refuses attestations until the set is open
        sealed = self.book.attestation(job_id)
        if sealed is None:
            subs = market.submissions(job_id)
            try:
                scores = [self._score(job_id, i, s) if s.revealed else 0 for i, s in enumerate(subs)]
            except EvaluationUnreachableError as exc:
                if not self._overdue(job_id):
                    raise  # asked again next round
                receipt = market.attest_unavailable(job_id)
                self.log.warn(
                    "evaluation set still not served at half the attestation window: attested unavailable",
                    job=job_id,
                    reason=str(exc),
                    gas=receipt["gasUsed"],
                )
                return
            except EvaluationUnavailableError as exc:
                receipt = market.attest_unavailable(job_id)
                self.log.warn(
                    "evaluation set unavailable: attested so", job=job_id, reason=str(exc), gas=receipt["gasUsed"]
                )
                return
            sealed = self.book.put_attestation(job_id, scores, new_salt())  # durable BEFORE the commit
        seal = attestation_seal(job_id, self.me, list(sealed.scores), sealed.salt)
        receipt = market.commit_attestation(job_id, seal)
        self.log("committed scores", job=job_id, scores=list(sealed.scores), gas=receipt["gasUsed"])

    def _score(self, job_id: int, index: int, sub: Submission) -> int:
        """The judge's score; 0 for weights whose server still does not answer at half the
        attestation window (before that, ArtifactUnreachableError: asked again next round)."""
        try:
            return self.judge(job_id, index, sub)
        except EvaluationUnreachableError:
            raise
        except ArtifactUnreachableError as exc:
            if not self._overdue(job_id):
                raise
            self.log.warn(
                "weights still not served at half the attestation window: scoring 0",
                job=job_id,
                worker=sub.worker,
                reason=str(exc),
            )
            return 0

    def _overdue(self, job_id: int) -> bool:
        """Whether half the attestation window has passed: servers not answering by then are
        taken as not serving."""
        job = self.session.market.job(job_id)
        return self.session.chain_time() >= (job.reveal_deadline + job.attest_deadline) // 2

    def _reveal(self, job_id: int) -> None:
        market = self.session.market
        on_chain = market.attestation_seal(job_id, self.me)
        if on_chain == ZERO and job_id not in self.warned_missed and self.me in market.committee(job_id):
            self.warned_missed.add(job_id)
            self.log.warn("missed the attestation window: this seat will be slashed at finalize", job=job_id)
        if on_chain in (ZERO, REVEALED, UNAVAILABLE):
            return  # nothing committed (a missed window), already revealed, or no scores to reveal
        sealed = self.book.attestation(job_id)
        if sealed is None:
            self.log("no sealed scores on record: cannot reveal", job=job_id)
            return
        receipt = market.reveal_attestation(job_id, list(sealed.scores), sealed.salt)
        self.log("revealed scores", job=job_id, scores=list(sealed.scores), gas=receipt["gasUsed"])
