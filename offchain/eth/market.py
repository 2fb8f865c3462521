"""Typed wrapper of the TrainingMarket contract (v2) for the worker, validator and requester roles.

The market is bound through its interface, ITrainingMarket (mutators and raw reads); the
judged views (phase, submissions with outcomes and payouts, committee, winner, settlement)
come from its MarketLens, which judges with the contract's own rules (contracts/libraries/
Judgment.sol): nothing here re-derives a judgment. Every contract call has one method here;
every event has one frozen dataclass (see offchain.eth.market_events), and
`MarketClient.events(...)` fetches them from a block range in chain order. Amounts are wei
(int), scores basis points (int), hashes 32 raw bytes, times unix seconds. A job's life:
post (sealed evaluation set) -> commit -> reveal, reveal the evaluation set and draw the
committee -> committee commits its sealed scores -> committee reveals them -> finalize ->
each worker claims; validators and requesters withdraw.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property
from typing import Any

from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from offchain.eth.client import Client
from offchain.eth.deployments import Deployment
from offchain.eth.errors import InvalidInputError, TransactionError
from offchain.eth.job_terms import JobTerms
from offchain.eth.log_decode import LogDecoder
from offchain.eth.logs import LogFilter, contract_events, read_logs, resolve_block
from offchain.eth.market_events import (  # noqa: F401  (ZERO_ADDRESS and the events are re-exported)
    EVENT_TYPES,
    ZERO_ADDRESS,
    CommitteeDrawn,
    EvaluationRevealed,
    Finalized,
    JobPosted,
    MarketEvent,
    Revealed,
    ValidatorSettled,
    to_event,
)
from offchain.eth.provenance import AnchorProof, Provenance
from offchain.eth.relay import RelayClient
from offchain.eth.values import parse_address, validate_bps

CONTRACT = "TrainingMarket"  # the deployment's name for the market
INTERFACE = "ITrainingMarket"  # the ABI the client binds to
LENS = "MarketLens"
NO_WINNER = 2**256 - 1


def deposit_of(reward: int) -> int:
    """The requester's deposit postJob takes beside `reward` (Judgment.depositOf: equal to it;
    burned when the job is the requester's failure, issue 20 item 7)."""
    return reward


SEAL_NONE = bytes(32)  # attestationSeal of a member that committed nothing
SEAL_REVEALED = bytes(31) + b"\1"  # attestationSeal once the member revealed its scores
SEAL_UNAVAILABLE = bytes(31) + b"\2"  # attestationSeal once the member attested the evaluation set unavailable


# The first call fixes the seed block, the second draws; a third when the second met a new epoch,
# a fourth when a call raced another caller's first call in the seed block itself.
DRAW_CALLS = 4
SEED_BLOCK_WAIT_S = 120  # a retry waits for the block after the seed block: bounded, a stalled chain is an error
SEED_NOT_READY = "TrainingMarketSeedNotReady"
ALREADY_DRAWN = "TrainingMarketAlreadyDrawn"  # another caller drew the committee first


class Phase(IntEnum):
    OPEN = 0
    REVEALING = 1  # worker reveals, evaluation reveal, committee draw
    ATTESTING = 2  # committee commits sealed scores
    SETTLING = 3  # committee reveals them
    APPEAL_VOTING = 4  # an appeal's vote commits, from its filing (offchain.eth.appeals)
    APPEAL_REVEALING = 5  # its vote reveals; finalize waits for their close
    FINALIZABLE = 6
    FINALIZED = 7
    CANCELLED = 8


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
    FORFEITED = 6
    BELOW_MINIMUM = 7  # honest, verified below the job's minimum score: pays the forfeit
    UNDECIDED = 8  # no strict majority of the drawn seats convicts or confirms: stake returned


@dataclass(frozen=True)
class MarketConfig:
    min_bond: int
    quorum: int
    tolerance_bps: int
    fee_bps: int
    slash_bps: int
    forfeit_bps: int
    min_window: int


@dataclass(frozen=True)
class Job:
    job_id: int
    commit_deadline: int
    reveal_deadline: int
    attest_deadline: int
    settle_deadline: int
    min_stake: int
    min_score_bps: int
    submission_count: int
    committee_size: int
    status: Status
    evaluation_revealed: bool
    requester: str
    reward: int  # after finalize: the prize (or each revealed worker's share on a forfeit)
    winner_index: int | None  # index into submissions(); None when nobody won (yet)
    base_model: bytes
    training_set: bytes
    evaluation: bytes  # the seal until revealed, then the evaluation set's hash
    training_set_anchored: bool = False  # posted with a relay-verified anchor proof of the training set


@dataclass(frozen=True)
class Submission:
    worker: str
    stake: int  # zero once claimed
    sealed_hash: bytes  # the commitment until revealed, then keccak(modelHash, uri)
    revealed: bool
    claimed_score_bps: int
    attestation_count: int
    verified_score_bps: int
    outcome: Outcome
    payout: int  # what claim() pays, once finalized


@dataclass(frozen=True)
class Judged:
    """A submission judged as finalize does (or will), with what claim pays for its stake as
    committed (MarketLens.Judged)."""

    outcome: Outcome  # never PENDING; WON only once finalized
    verified: bool  # at least the quorum attested
    verified_score_bps: int
    near_seats: int  # bit s: seat s attested within tolerance of the verified score
    stake_returned: int
    stake_lost: int  # slashed, or the forfeit
    share: int  # the prize for the winner, the share of the reward on a forfeit

    def near(self, seat: int) -> bool:
        """True when `seat` attested within tolerance of the verified score."""
        return bool(self.near_seats >> seat & 1)


@dataclass(frozen=True)
class SettlementTotals:
    """A job's sums for the requester and the committee (MarketLens.Totals)."""

    stakes_slashed: int
    forfeits: int
    validator_fee: int


@dataclass(frozen=True)
class ValidatorInfo:
    bond: int
    earned: int
    leaf: int | None  # None when not a member
    unlocks_at: int  # 0 while active

    @property
    def member(self) -> bool:
        return self.leaf is not None

    @classmethod
    def of(cls, record: Sequence[Any]) -> ValidatorInfo:
        """From the contract's Validator record (bond, earned, leafPlusOne, unlocksAt, ...)."""
        return cls(record[0], record[1], record[2] - 1 if record[2] else None, record[3])


class MarketClient:
    """The TrainingMarket at `address` and its MarketLens at `lens`, used through `client`
    (its sender signs)."""

    def __init__(self, client: Client, address: str, lens: str, from_block: int = 0) -> None:
        self.client = client
        self.address = parse_address(address, "market address")
        self.lens_address = parse_address(lens, "market lens address")
        self.contract: Contract = client.contract(INTERFACE, self.address)
        self.lens: Contract = client.contract(LENS, self.lens_address)
        self.from_block = from_block  # the deployment's block: no market event is older

    @cached_property
    def _decoder(self) -> LogDecoder:
        abi: list[Any] = list(self.contract.abi)
        return LogDecoder(abi)

    @classmethod
    def of(cls, client: Client, deployment: Deployment) -> MarketClient:
        """The deployment's market (its events read from its deployment block) and lens."""
        market = deployment.contract(CONTRACT)
        return cls(client, market.address, deployment.contract(LENS).address, market.block)

    def as_sender(self, client: Client) -> MarketClient:
        """The same market, sending from `client`'s account."""
        return MarketClient(client, self.address, self.lens_address, self.from_block)

    # ----- requester -----
    def post_job(self, terms: JobTerms) -> int:
        """Post a job escrowing `terms.reward` wei and the requester's deposit beside it
        (`deposit_of(reward)`, the same amount: back at finalize unless the job is the
        requester's failure, then burned). With a `proof` (offchain.eth.provenance.load_proof),
        the job carries the anchor proof of its training set (postJobWithProvenance: the
        market's relay verifies it). `pooled`: the training set is a pool manifest
        (postPooledJob, or postPooledAnchoredJob with a proof; issue 20): from the next block,
        its seed block, a cancel or a job nobody commits to refunds nothing."""
        name, args = self.post_call(terms)
        fn = self.contract.functions[name](*args)
        return self._posted_job_id(self.client.transact(fn, value=terms.reward + deposit_of(terms.reward)))

    def post_call(self, terms: JobTerms) -> tuple[str, list[Any]]:
        """The market's post function for `terms` and its arguments: postJob,
        postJobWithProvenance (a proof), postPooledJob (pooled) or postPooledAnchoredJob (both).
        A sealed post (offchain.eth.exchange) sends the same call under seal."""
        hashes = [terms.base_model, terms.training_set, terms.evaluation_seal, terms.spec]
        args = [*hashes, terms.min_score_bps, list(terms.deadlines), terms.min_stake, terms.committee_size]
        if terms.proof is None:
            return ("postPooledJob" if terms.pooled else "postJob"), args
        name = "postPooledAnchoredJob" if terms.pooled else "postJobWithProvenance"
        return name, [*args, terms.proof.as_tuple()]

    def _posted_job_id(self, receipt: TxReceipt) -> int:
        # The receipt's other logs (TrainingSetAnchored) are not JobPosted: skip them quietly.
        posted = self.contract.events.JobPosted().process_receipt(receipt, errors=DISCARD)
        return int(posted[0]["args"]["jobId"])

    def is_sealed(self, job_id: int) -> bool:
        """True when the job was posted under seal (its JobSealed event; offchain.eth.exchange):
        its workers publish seals and envelopes, and its winner is paid for the key."""
        return bool(contract_events(self.contract.events.JobSealed(), self.from_block, "latest", jobId=job_id))

    def pooled_seed_block(self, job_id: int) -> int | None:
        """The seed block of a job posted pooled (its JobPooled event), None for any other:
        the hash of that block splits its pool (offchain.roles.pool)."""
        logs = contract_events(self.contract.events.JobPooled(), self.from_block, "latest", jobId=job_id)
        return int(logs[0]["args"]["seedBlock"]) if logs else None

    def training_set_provenance(self, job_id: int, relay: RelayClient | None) -> Provenance | None:
        """The job's TrainingSetAnchored record read live against the relay: its block's
        confirmations and their work now, proven only while they meet the relay's minimum (None
        when posted without a proof). Without a relay, only what held at post."""
        if not self.job(job_id).training_set_anchored:
            return None
        logs = contract_events(self.contract.events.TrainingSetAnchored(), self.from_block, "latest", jobId=job_id)
        if not logs:
            raise InvalidInputError(f"job {job_id} is marked anchored but its TrainingSetAnchored event is missing")
        args = logs[0]["args"]
        block = bytes(args["ledgerBlock"])[::-1].hex()
        at_post, work_at_post = int(args["confirmations"]), int(args["work"])
        if relay is None:  # no relay to read: only what held at post (it met the relay's minimum then)
            height, account = int(args["height"]), str(args["account"])
            return Provenance(
                block, height, account, at_post, at_post, required=at_post, work=work_at_post, work_at_mark=work_at_post
            )
        return Provenance(
            block_hash=block,
            height=int(args["height"]),
            account=str(args["account"]),
            confirmations=relay.confirmations(block),
            confirmations_at_mark=at_post,
            required=relay.min_confirmations(),
            work=relay.confirmation_work(block),
            work_at_mark=work_at_post,
        )

    def training_set_proven(self, job_id: int, proof: AnchorProof, relay: RelayClient) -> Provenance | None:
        """Whether `proof` anchors job `job_id`'s training set on the relay's main chain now, as
        the lens checks it (MarketLens.trainingSetProvenance): for any job, one whose post took
        no proof included. None when it does not (another hash, off the main chain)."""
        proven, account, height, confirmations, work = self.lens.functions.trainingSetProvenance(
            job_id, proof.as_tuple()
        ).call()
        if not proven:
            return None
        return Provenance(
            proof.block_hash_hex,
            int(height),
            str(account),
            int(confirmations),
            None,
            relay.min_confirmations(),
            int(work),
        )

    def cancel_job(self, job_id: int) -> TxReceipt:
        """Cancel a job nobody committed to; the reward and the deposit are credited back (a
        pooled job's are burned from its seed block on)."""
        return self.client.transact(self.contract.functions.cancelJob(job_id))

    def cancelled_refund(self, receipt: TxReceipt) -> int:
        """Wei a cancelJob receipt credited back to the requester (JobCancelled's refund): zero
        for a pooled job cancelled from its seed block on, whose escrow was burned."""
        return int(self.contract.events.JobCancelled().process_receipt(receipt, errors=DISCARD)[0]["args"]["refund"])

    def reveal_evaluation(self, job_id: int, evaluation_set: bytes, salt: bytes, uri: str) -> TxReceipt:
        """Open the sealed evaluation set (between the commit and the reveal deadline)."""
        return self.client.transact(self.contract.functions.revealEvaluation(job_id, evaluation_set, salt, uri))

    # ----- worker -----
    def commit(self, job_id: int, commitment: bytes, stake: int) -> TxReceipt:
        """Commit (see offchain.eth.commitment) with `stake` wei; save the salt first."""
        if len(commitment) != 32:
            raise InvalidInputError(f"a commitment is 32 bytes, got {len(commitment)}")
        return self.client.transact(self.contract.functions.commit(job_id, commitment), value=stake)

    def reveal(self, job_id: int, model_hash: bytes, score_bps: int, salt: bytes, uri: str) -> TxReceipt:
        """Reveal the committed model hash, claimed score, salt and artifact URI."""
        validate_bps(score_bps, "claimed score")
        return self.client.transact(self.contract.functions.reveal(job_id, model_hash, score_bps, salt, uri))

    def claim(self, job_id: int, index: int) -> TxReceipt:
        """Pull submission `index`'s outcome (the sender must be its worker), after finalize."""
        return self.client.transact(self.contract.functions.claim(job_id, index))

    # ----- validator -----
    def draw_committee(self, job_id: int) -> TxReceipt:
        """Draw the job's committee (anyone; between the commit and the reveal deadline).

        The contract draws in two calls (issue 20 item 2): the first fixes its block as the seed
        block, a call in a later block of the same epoch draws from that block's hash. Each call
        here is sent once the previous one is mined, so it lands in a later block; one that lands
        in a new epoch fixes a fresh seed block instead, hence up to DRAW_CALLS calls (a call that
        raced another caller's first one in the seed block itself is retried). Returns the
        drawing call's receipt."""
        for _ in range(DRAW_CALLS):
            try:
                # Estimated on the pending block: on the latest, the seed block itself, it reverts.
                receipt = self.client.transact(self.contract.functions.drawCommittee(job_id), estimate_on="pending")
            except TransactionError as exc:
                if SEED_NOT_READY not in str(exc):
                    raise
                # Another caller fixed this very block as the seed block (perhaps still pending, as
                # on a chain that mines every few seconds): retrying before a new block would
                # meet the same block, so the retry waits for one.
                self._wait_for_next_block(job_id)
                continue
            if any(self.contract.functions.committeeWords(job_id).call()):
                return receipt
        raise TransactionError(f"job {job_id}: {DRAW_CALLS} drawCommittee calls drew no committee")

    def ensure_drawn(self, job_id: int) -> TxReceipt | None:
        """Draw the job's committee unless it is drawn; None when it was, or when another
        caller's draw landed first: every member, and a sealed job's worker, draws as early as
        it can. That draw may still be pending (the revert is estimated on the pending block), so
        after None the committee is read only once is_drawn sees its CommitteeDrawn log."""
        if self.is_drawn(job_id):
            return None
        try:
            return self.draw_committee(job_id)
        except TransactionError as exc:
            if ALREADY_DRAWN in str(exc) or self.is_drawn(job_id):
                return None
            raise

    def _wait_for_next_block(self, job_id: int) -> None:
        w3 = self.client.w3
        head, deadline = w3.eth.block_number, time.monotonic() + SEED_BLOCK_WAIT_S
        while w3.eth.block_number <= head:
            if time.monotonic() > deadline:
                raise TransactionError(f"job {job_id}: no new block in {SEED_BLOCK_WAIT_S} s to draw the committee in")
            time.sleep(0.2)

    def commit_attestation(self, job_id: int, seal: bytes) -> TxReceipt:
        """Commit the seal of your scores (offchain.eth.commitment.attestation_seal); save the salt first."""
        return self.client.transact(self.contract.functions.commitAttestation(job_id, seal))

    def attest_unavailable(self, job_id: int) -> TxReceipt:
        """Attest that the opened evaluation set cannot be fetched or does not match its hash,
        instead of committing scores (a majority of seats: the requester's failure)."""
        return self.client.transact(self.contract.functions.attestUnavailable(job_id))

    def reveal_attestation(self, job_id: int, scores: list[int], salt: bytes) -> TxReceipt:
        """Reveal the sealed scores (one per submission, in commit order) and the salt."""
        for score in scores:
            validate_bps(score, "attested score")
        return self.client.transact(self.contract.functions.revealAttestation(job_id, list(scores), salt))

    def join_validators(self, bond: int) -> TxReceipt:
        """Join the validator set with `bond` wei (at least min_bond())."""
        return self.client.transact(self.contract.functions.joinValidators(), value=bond)

    def top_up_bond(self, amount: int) -> TxReceipt:
        """Add `amount` wei to the bond (drawn again once it reaches min_bond())."""
        return self.client.transact(self.contract.functions.topUpBond(), value=amount)

    def request_exit(self) -> TxReceipt:
        """Stop being drawn; the bond unlocks UNBONDING_DELAY later."""
        return self.client.transact(self.contract.functions.requestExit())

    def withdraw_bond(self) -> TxReceipt:
        """Take the bond back after the unbonding delay."""
        return self.client.transact(self.contract.functions.withdrawBond())

    # ----- anyone -----
    def finalize(self, job_id: int) -> TxReceipt:
        """Settle a job after its settle deadline, passing the winner's revealed model and URI."""
        best = self.winner_of(job_id)
        model, uri = b"\0" * 32, ""
        if best is not None:
            worker = self.submissions(job_id)[best].worker
            revealed = self.revealed_of(job_id, worker)
            if revealed is None:
                raise InvalidInputError(f"no Revealed event for the winner {worker} of job {job_id}")
            model, uri = revealed.model_hash, revealed.uri
        return self.client.transact(self.contract.functions.finalize(job_id, model, uri))

    def withdraw(self) -> TxReceipt:
        """Pull everything credited to the sender (validator fees included)."""
        return self.client.transact(self.contract.functions.withdraw())

    # ----- views -----
    def job(self, job_id: int) -> Job:
        r = self.contract.functions.job(job_id).call()
        return Job(
            job_id,
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            Status(r[8]),
            bool(r[9]),
            r[10],
            r[11],
            r[12] - 1 if r[12] else None,
            bytes(r[14]),
            bytes(r[15]),
            bytes(r[16]),
            bool(r[13]),
        )

    def job_count(self) -> int:
        return int(self.contract.functions.jobCount().call())

    def phase(self, job_id: int) -> Phase:
        """The job's phase by the chain's clock (the lens's)."""
        return Phase(self.lens.functions.phase(job_id).call())

    def phases(self, job_ids: list[int]) -> list[Phase]:
        """The phase of each job, in one call (the lens's)."""
        return [Phase(p) for p in self.lens.functions.phases(list(job_ids)).call()]

    def reaches_minimum(self, job_id: int, score_bps: int) -> bool:
        """True when a verified score of `score_bps` would reach the job's minimum (the lens's rule)."""
        validate_bps(score_bps, "score")
        return bool(self.lens.functions.reachesMinimum(job_id, score_bps).call())

    def submissions(self, job_id: int) -> list[Submission]:
        """Every submission in commit order, judged by the lens (outcome PENDING until finalized)."""
        return [
            Submission(r[0], r[1], bytes(r[2]), r[3], r[4], r[5], r[6], Outcome(r[7]), r[8])
            for r in self.lens.functions.submissions(job_id).call()
        ]

    def settlement(self, job_id: int, stakes: list[int], reward: int) -> tuple[list[Judged], SettlementTotals]:
        """Every submission judged by the lens with what claim pays for `stakes` (as committed,
        in commit order), and the job's totals for `reward` (as posted)."""
        judged, totals = self.lens.functions.settlementOf(job_id, list(stakes), reward).call()
        return [Judged(Outcome(r[0]), *r[1:]) for r in judged], SettlementTotals(*totals)

    def submission_of(self, job_id: int, worker: str) -> tuple[int, Submission] | None:
        """(index, submission) of `worker` in `job_id`, or None when it has not committed."""
        wanted = parse_address(worker, "worker")
        return next(((i, s) for i, s in enumerate(self.submissions(job_id)) if s.worker == wanted), None)

    def committee(self, job_id: int) -> list[str]:
        """The committee's seats (empty before the draw; zero addresses for empty seats dropped)."""
        return [str(a) for a in self.lens.functions.committee(job_id).call() if int(a, 16) != 0]

    def is_drawn(self, job_id: int) -> bool:
        """True once the committee was drawn (even when no eligible validator was found)."""
        return bool(self.events_of(job_id, "CommitteeDrawn"))

    def attestation_seal(self, job_id: int, validator: str) -> bytes:
        """What `validator` committed for `job_id`: zero bytes if nothing, 0x..01 once revealed."""
        return bytes(self.contract.functions.attestationSeal(job_id, parse_address(validator)).call())

    def winner_of(self, job_id: int) -> int | None:
        """Index of the submission finalize pays (or will pay, as things stand), or None."""
        best = int(self.lens.functions.winnerOf(job_id).call())
        return None if best == NO_WINNER else best

    def pending(self, account: str) -> int:
        """Wei credited to `account` and not yet withdrawn (validator fees included)."""
        return int(self.contract.functions.pendingOf(parse_address(account)).call())

    def validator(self, account: str) -> ValidatorInfo:
        return ValidatorInfo.of(self.contract.functions.validator(parse_address(account)).call())

    def is_validator(self, account: str) -> bool:
        """True for a bonded member (an exiting one included until it withdraws)."""
        return self.validator(account).member

    def total_weight(self) -> int:
        """Sortition weight of the active bonds, in gwei."""
        return int(self.contract.functions.totalWeight().call())

    def drawable_weight(self) -> int:
        """The sortition weight (gwei) a draw made now reads: the active bonds when the current
        epoch began (a bond joined since counts from the next epoch)."""
        return int(self.contract.functions.epochWeightNow().call())

    def min_bond(self) -> int:
        return int(self.contract.functions.minBond().call())

    def market_config(self) -> MarketConfig:
        return MarketConfig(*self.contract.functions.config().call())

    def config(self) -> dict[str, int]:
        """The protocol's parameters and constants, by name."""
        f, c = self.contract.functions, self.market_config()
        return {
            **{k: int(v) for k, v in c.__dict__.items()},
            "max_submissions": f.MAX_SUBMISSIONS().call(),
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
            raise InvalidInputError(f"unknown market events {unknown}; valid: {', '.join(EVENT_TYPES)}")
        # One query for every wanted event (topic0 options), decoded by eth_abi directly: web3's
        # decoder took about 5 ms a log, most of a fresh worker's start-up (issue 25).
        where = LogFilter(self.address, [["0x" + self._decoder.topic_of(name).hex() for name in wanted]])
        w3 = self.client.w3
        logs = read_logs(w3.eth.get_logs, where, from_block, resolve_block(w3, to_block))  # type: ignore[arg-type]
        decoded = sorted((self._decoder.decode(log) for log in logs), key=lambda e: (e["blockNumber"], e["logIndex"]))
        return [to_event(log) for log in decoded]

    def job_posted_events(self, from_block: int, to_block: int | str = "latest") -> list[JobPosted]:
        """JobPosted events in the range (a poller's fetch function)."""
        return [e for e in self.events(from_block, to_block, ("JobPosted",)) if isinstance(e, JobPosted)]

    def revealed_events(self, from_block: int, to_block: int | str = "latest") -> list[Revealed]:
        """Revealed events in the range (a poller's fetch function)."""
        return [e for e in self.events(from_block, to_block, ("Revealed",)) if isinstance(e, Revealed)]

    def events_of(self, job_id: int, name: str) -> list[MarketEvent]:
        """Every `name` event of `job_id` (jobId is an indexed topic, so the node filters)."""
        if name not in EVENT_TYPES:
            raise InvalidInputError(f"unknown market event {name}; valid: {', '.join(EVENT_TYPES)}")
        logs = contract_events(getattr(self.contract.events, name)(), self.from_block, "latest", jobId=job_id)
        return [to_event(log) for log in logs]

    def settled_of(self, validator: str, job_id: int | None = None) -> list[ValidatorSettled]:
        """`validator`'s ValidatorSettled events (one a seat), of every job or of `job_id`: both
        are indexed topics, so the node filters and the read does not grow with the market."""
        wanted = {"validator": parse_address(validator, "validator")} | ({} if job_id is None else {"jobId": job_id})
        logs = contract_events(self.contract.events.ValidatorSettled(), self.from_block, "latest", **wanted)
        return [e for e in map(to_event, logs) if isinstance(e, ValidatorSettled)]

    def job_posted(self, job_id: int) -> JobPosted:
        """The JobPosted event of `job_id` (the spec hash lives only there)."""
        return self._one(job_id, JobPosted)

    def evaluation_revealed(self, job_id: int) -> EvaluationRevealed | None:
        """The EvaluationRevealed event of `job_id`, or None while the set is sealed."""
        found = self.events_of(job_id, "EvaluationRevealed")
        return found[0] if found and isinstance(found[0], EvaluationRevealed) else None

    def committee_drawn(self, job_id: int) -> CommitteeDrawn | None:
        found = self.events_of(job_id, "CommitteeDrawn")
        return found[0] if found and isinstance(found[0], CommitteeDrawn) else None

    def revealed_of(self, job_id: int, worker: str) -> Revealed | None:
        """`worker`'s Revealed event in `job_id`, or None."""
        wanted = parse_address(worker, "worker")
        return next(
            (e for e in self.events_of(job_id, "Revealed") if isinstance(e, Revealed) and e.worker == wanted), None
        )

    def finalized_event(self, job_id: int) -> Finalized | None:
        """The Finalized event of `job_id`, or None while it is not finalized."""
        found = self.events_of(job_id, "Finalized")
        return found[0] if found and isinstance(found[0], Finalized) else None

    def _one(self, job_id: int, cls: type) -> Any:
        found = self.events_of(job_id, cls.__name__)
        if not found:
            raise InvalidInputError(f"no {cls.__name__} event for job {job_id}")
        return found[0]
