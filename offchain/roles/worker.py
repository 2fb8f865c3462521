"""`offchain worker`: find jobs, fine-tune, commit, reveal, finalize, withdraw.

    offchain worker --rpc http://127.0.0.1:8545 --keystore key.json \\
        --source http://127.0.0.1:8600 --publish http://127.0.0.1:8600

Each job moves through the journal's states (offchain.roles.journal.JobState), one durable write
and one log line per step. The salt and commitment are journalled BEFORE the commit is
sent; every step checks the contract's state first, so a worker killed anywhere picks up
where it was on restart: it resumes training from the checkpoint, reveals what it
committed, never commits twice and never loses a salt.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from offchain.errors import OffchainError
from offchain.eth.appeals import AppealsClient
from offchain.eth.commitment import commitment, new_salt
from offchain.eth.errors import InvalidInputError, TransactionError
from offchain.eth.exchange import ExchangeClient, State
from offchain.eth.inclusion import DELAYS
from offchain.eth.market import JobPosted, Outcome, Phase
from offchain.eth.polling import EventPoller, with_retries
from offchain.eth.values import MAX_BPS, hash_hex, parse_amount
from offchain.ml.config import TrainConfig
from offchain.roles.confirmations import ConfirmationWatch, default_confirmations
from offchain.roles.device import check_device
from offchain.roles.journal import JobEntry, JobState, Journal, required
from offchain.roles.pool import SplitNotDrawnError, gather, pool_of, require_pooled, seed_block, split_of
from offchain.roles.rolelog import RoleLog
from offchain.roles.session import Session, add_daemon_args, add_session_args, note_unlocked_sender, open_session
from offchain.roles.spec import SPEC_LIMITS, check_unlabelled, parse_spec, spec_from_recipe
from offchain.roles.speed import estimate_job_seconds, validate_reaches_minimum
from offchain.roles.steps import TRANSIENT_ERRORS, finalize_if_due, open_exchange, run_rounds
from offchain.roles.weights import copy_as, fetch_weights
from offchain.roles.worker_status import add_status_command


@dataclass
class WorkerOptions:
    publish: str | None  # artifact server that receives the results (their URI goes on chain)
    device: str = "auto"
    confirmations: int | None = None  # None: 0 on a local dev chain, else 1
    poll_seconds: float = 1.0
    once: bool = False
    max_jobs: int | None = None
    images_per_second: float | None = None  # None: measure the job's recipe on this machine
    max_memory: int | None = None  # bytes a job's run may hold (None: half the machine's, or the GPU's)
    seed: int = 0  # this worker's seed, unless the spec fixes one
    # Appeal a conviction its own measurement disputes (issue 20 item 5), with a deposit of the
    # job's minimum stake when that is at most this many wei (None: whatever the job asks).
    max_appeal_deposit: int | None = None
    # Refuse unpooled jobs (issue 20): their evaluation set is the requester's choice, and a
    # hostile one (mislabelled, shifted) convicts an honest claim. By default they are taken
    # with a warning, as before pooled jobs existed.
    pooled_only: bool = False

    def __post_init__(self) -> None:
        check_device(self.device)  # at start: not after a job has been taken
        if self.max_memory is not None and self.max_memory <= 0:
            raise InvalidInputError(f"--max-memory must be positive, got {self.max_memory / 2**30:g} GiB")


# A job of ours in these states still has its reveal ahead (its stake at risk if it misses it).
BEFORE_REVEAL = frozenset({JobState.TRAINING, JobState.TRAINED, JobState.COMMITTING, JobState.COMMITTED})


@dataclass(frozen=True)
class Trained:
    """A fine-tuned result: its weights file, its tensor fingerprint, its held-out score."""

    weights: Path
    model_hash: bytes
    measured_bps: int
    n: int  # held-out images measured (for a pooled job, held-out shards)
    evaluation_shards: int | None = None  # a pooled job's: its claim's margin counts them


PAST_JOB = "its commit window had closed when the worker saw it"
UNPOOLED = (
    "unpooled: the requester chose its evaluation set, and a hostile one can convict an honest claim "
    "(refused under --pooled-only)"
)
# Seconds after the seed block within which the requester must serve the seeded training
# shards (its daemon does at once); a worker that finds them missing after that refuses the job.
PUBLISH_GRACE_S = 120
ENVELOPES_POSTED = "posted"
# The committee's verdicts a worker appeals when its own measurement backs its claim: a
# conviction, and the verdicts silent or split seats leave open, which the vote decides.
APPEALABLE = (Outcome.DISHONEST, Outcome.UNDECIDED, Outcome.UNVERIFIED)


class Worker:
    def __init__(self, session: Session, options: WorkerOptions, log: RoleLog) -> None:
        self.session = session
        self.options = options
        self.log = log
        self.me = session.client.address
        self.journal = Journal(
            session.home / "worker" / f"{self.me.lower()}.sqlite", session.client.chain_id, session.market.address
        )
        start = session.deployment.contract("TrainingMarket").block
        self.poller = EventPoller(
            session.market.job_posted_events,
            key=lambda e: e.log_key,
            start_block=self.journal.cursor("jobs", start),
            confirmations=default_confirmations(session.client.chain_id, options.confirmations),
        )
        self.waiting = ConfirmationWatch()
        self.taken = self.journal.count_taken()

    # ----------------------------------------------------------------------- the loop

    def run(self) -> int:
        self.log("started", address=self.me, market=self.session.market.address)
        run_rounds(self.round, self._finished, self.options.poll_seconds, self.log)
        self.log("stopping", jobs=self.taken)
        return 0

    def round(self) -> None:
        """Look for new jobs, then take one step for each job in progress."""
        self.discover()
        for entry in self.journal.active():
            self.advance(entry)

    def _finished(self) -> bool:
        if self.journal.active():
            return False
        if self.options.max_jobs is not None and self.taken >= self.options.max_jobs:
            return True
        return self.options.once

    def discover(self) -> None:
        head = self.session.head()
        waiting = self.waiting.check(head, self.poller)
        if waiting:
            self.log(waiting)
        now, past = self.session.chain_time(), []
        for event in self.poller.poll(head):
            if self.journal.get(event.job_id) is not None or self._full():
                continue
            if event.commit_deadline <= now:
                # A fresh worker meets the whole history: a past job is skipped from its event alone.
                past.append(event)
            else:
                self.consider(event)
        if past:
            self.journal.skip_all(past, PAST_JOB)  # one write for them all, not one a job
            self.log("past jobs skipped", count=len(past), reason=PAST_JOB)
        self.journal.set_cursor("jobs", self.poller.next_block)

    def _full(self) -> bool:
        return self.options.max_jobs is not None and self.taken >= self.options.max_jobs

    # ----------------------------------------------------------------------- the steps

    def consider(self, job: JobPosted) -> None:
        """Take the job if it can be done in time; otherwise skip it with the reason."""
        self.journal.put(job.job_id, JobState.SEEN, job=job)
        try:
            self._require_open(job.job_id)  # one call, before seconds of downloads and timing
            # Seen only once open: a job cancelled before the worker met it costs one line, its skip.
            self.log("job seen", job=job.job_id, reward=job.reward, min_score_bps=job.min_score_bps)
            spec = parse_spec(self.session.fetch(job.spec, limits=SPEC_LIMITS).read_bytes())
            train_path, groups = self._training_set(job)  # never the evaluation set: it is sealed
            if groups is None:
                self.log.warn("unpooled job: its evaluation set is the requester's choice", job=job.job_id)
            base_uri = self.session.registry.record(job.base_model).uri
            base_path = self._fetch_base_model(job.base_model, base_uri)
            # No evaluation set to time: it is sealed. Training on the whole set over-counts the
            # 80 % that is fitted by about what scoring the held-out 20 % costs.
            unlabelled_path = self.session.fetch(spec.unlabelled) if spec.unlabelled is not None else None
            self._require_memory(spec.config, train_path, unlabelled_path)  # before the probe: its batch is big too
            unlabelled = 0 if unlabelled_path is None else len(check_unlabelled(unlabelled_path, train_path))
            options = self.options
            try:
                needed = estimate_job_seconds(
                    spec.config, train_path, None, options.device, options.images_per_second, unlabelled
                )
            except RuntimeError as exc:  # torch: the recipe does not fit this machine (memory, mostly)
                raise OffchainError(f"the job's recipe does not run on this machine: {exc}") from None
            now = self.session.chain_time()
            left = job.commit_deadline - now
            if needed > left:
                raise OffchainError(f"needs about {needed:.0f} s of training, {left} s left before the commit deadline")
            # Training holds this worker's loop: every job of ours still to reveal must be
            # revealable after it, or its stake is lost for this job's sake.
            after = {
                f"time left to reveal job {e.job_id} after training this one": e.record.posting.reveal_deadline
                - now
                - needed
                for e in self.journal.active()
                if e.state in BEFORE_REVEAL
            }
            if late := [name for name, seconds in after.items() if seconds <= 0]:
                raise OffchainError(f"needs about {needed:.0f} s of training: no {', no '.join(late)}")
            # Its commit and its reveal must each be included in time (issue 25), and those reveals.
            short = DELAYS.short_windows(
                self.session.client.w3,
                {
                    "time left to commit after training": left - needed,
                    "reveal window": job.reveal_deadline - job.commit_deadline,
                    **after,
                },
            )
            if short:
                raise OffchainError("; ".join(short))
            if job.min_stake > self.session.client.balance():
                raise OffchainError(f"stake {job.min_stake} wei exceeds the balance")
        except TRANSIENT_ERRORS:
            raise  # the node or a server is down: consider the job again on the next poll
        except SplitNotDrawnError as exc:
            self.log("waiting for the pool's split", job=job.job_id, reason=str(exc))
            return  # still SEEN: considered again on the next round
        except (OffchainError, OSError, ValueError) as exc:
            self.journal.put(job.job_id, JobState.SKIPPED, reason=str(exc))
            self.log("job skipped", job=job.job_id, reason=str(exc))
            return
        self.taken += 1
        self.journal.put(job.job_id, JobState.TRAINING, base_path=str(base_path), recipe=spec.recipe)
        self.log("job taken", job=job.job_id, estimate_s=round(needed))

    def advance(self, entry: JobEntry) -> None:
        """One step for one job, decided by its journal state and the contract's state."""
        step = {
            JobState.SEEN: self._skip_unfinished_consideration,
            JobState.TRAINING: self.train,
            JobState.TRAINED: self.commit,
            JobState.COMMITTING: self.confirm_commit,
            JobState.COMMITTED: self.reveal,
            JobState.REVEALED: self.finalize,
            JobState.FINALIZED: self.withdraw,
            JobState.DELIVERING: self.deliver,
            JobState.DELIVERED: self.collect,
        }[entry.state]
        try:
            step(entry)
        except TRANSIENT_ERRORS:
            raise
        except TransactionError as exc:
            self.log("transaction failed, will re-check", job=entry.job_id, error=str(exc))
        except (OffchainError, OSError) as exc:
            self.journal.put(entry.job_id, JobState.SKIPPED, reason=str(exc))
            self.log("job abandoned", job=entry.job_id, reason=str(exc))

    def _skip_unfinished_consideration(self, entry: JobEntry) -> None:
        # Killed while checking the job: check it again from its event data.
        self.consider(entry.record.posting)

    def train(self, entry: JobEntry) -> None:
        job_dir = self._job_dir(entry.job_id)
        result = self.fine_tune(entry, job_dir)
        claim = self.claim_for(result.measured_bps, result.n, result.evaluation_shards)
        # Read from the chain here, not from an older journal: a sealed job's weights are never
        # served in the clear (issue 26).
        sealed = self.session.market.is_sealed(entry.job_id)
        seal_dir, seal, served = None, None, result.weights
        if sealed:
            from offchain.roles.sealing import header_to_json, seal_folder, seal_weights

            folder = seal_folder(job_dir, result.model_hash)
            sealing = seal_weights(result.weights, result.model_hash, folder)  # the key durable first
            seal_dir, seal, served = str(folder), header_to_json(sealing.header), sealing.artifact
        uri = self._publish(served)
        self.journal.put(
            entry.job_id,
            JobState.TRAINED,
            model_hash=result.model_hash,
            measured_bps=result.measured_bps,
            claim_bps=claim,
            uri=uri,
            sealed=sealed,
            seal_dir=seal_dir,
            seal=seal,
        )
        self.log(
            "trained",
            job=entry.job_id,
            model=hash_hex(result.model_hash),
            measured_bps=result.measured_bps,
            claim_bps=claim,
            uri=uri,
            sealed=sealed,
        )

    def fine_tune(self, entry: JobEntry, job_dir: Path) -> Trained:
        """Fine-tune the base model on the job's training set (resuming from the checkpoint in
        `job_dir`), and measure the result on a held-out part of it."""
        from offchain.ml.evaluation import evaluate_model
        from offchain.ml.train import train

        record = entry.record
        recipe = required(record.recipe, "the spec's recipe")
        train_path, groups = self._training_set(record.posting)
        # The evaluation set stays sealed until commits close: hold out part of the training
        # set instead, to measure (and claim) what the hidden set will likely show.
        fit_path, holdout_path, held_shards = _split_holdout(train_path, job_dir, self.options.seed, groups)
        spec = spec_from_recipe(recipe)
        config = spec.config
        config.dataset = str(fit_path)
        if spec.unlabelled is not None:  # checked when the job was taken; the fetch checks its hash again
            config.unlabelled_dataset = str(copy_as(self.session.fetch(spec.unlabelled), job_dir / "unlabelled.npz"))
        config.eval_dataset = str(holdout_path)
        config.weights = required(record.base_path, "the base model's path")
        config.device = self.options.device
        if "seed" not in recipe:
            config.seed = self.options.seed
        config.validate()
        self.log("training", job=entry.job_id, epochs=config.total_epochs, device=check_device(self.options.device))
        result = train(
            config,
            job_dir / "model",
            quiet=True,
            on_epoch_end=lambda m: self._epoch_done(entry.job_id, m),
        )
        # Validators measure on the hidden set; only over-claims are slashed, so claim the
        # held-out accuracy less two standard errors (the deterministic CPU evaluation).
        held = evaluate_model(job_dir / "model", str(holdout_path), device="cpu")
        trained = Trained(job_dir / "model" / "model.safetensors", result.fingerprint, held.accuracy_bps, held.n)
        if groups is None:
            return trained
        manifest = pool_of(self.session, record.posting)
        return replace(trained, n=held_shards, evaluation_shards=manifest.evaluation_shards if manifest else 1)

    def _require_memory(self, config: TrainConfig, train_path: Path, unlabelled_path: Path | None) -> None:
        """Refuse a job whose data and largest training step would not fit this worker's memory:
        the requester chooses both, and a run past the machine's memory is killed, this worker
        with it, and every job it has staked on."""
        from offchain.ml.memory import default_budget_bytes
        from offchain.roles.job_memory import job_memory_bytes

        budget = self.options.max_memory
        if budget is None:
            budget = default_budget_bytes(self.options.device)
        needed = job_memory_bytes(config, train_path, unlabelled_path, stop_above=budget)
        if needed > budget:
            raise OffchainError(
                f"needs about {needed / 2**30:.2f} GiB of memory to train, over this worker's "
                f"{budget / 2**30:.2f} GiB (--max-memory)"
            )

    def _epoch_done(self, job_id: int, metrics: Any) -> None:
        self.log(
            "epoch",
            job=job_id,
            epoch=metrics.epoch,
            loss=round(metrics.train_loss, 4),
            eval_bps=metrics.eval_accuracy_bps,
        )
        self._require_open(job_id)  # a job cancelled mid-training stops at the epoch's end

    def _require_open(self, job_id: int) -> None:
        """Work only for a job that still takes commits; raising abandons a cancelled or closed one."""
        phase = self.session.market.phase(job_id)
        if phase == Phase.CANCELLED:
            raise OffchainError("the job was cancelled")
        if phase != Phase.OPEN:
            raise OffchainError(f"the job no longer takes commits (it is {phase.name.lower()})")

    def commit(self, entry: JobEntry) -> None:
        record = entry.record
        self._require_open(entry.job_id)
        # Never stake on a loss.
        validate_reaches_minimum(self.session.market, entry.job_id, record.measured_bps, record.posting.min_score_bps)
        if self.session.chain_time() >= record.posting.commit_deadline:
            raise OffchainError("the commit window closed before training finished")
        salt = new_salt()
        model_hash = required(record.model_hash, "the model hash")
        sealed = commitment(entry.job_id, self.me, model_hash, required(record.claim_bps, "the claim"), salt)
        # Durable BEFORE the transaction: a crash after sending can always reveal.
        self.journal.put(entry.job_id, JobState.COMMITTING, salt=salt, commitment=sealed)
        self._send_commit(entry.job_id, sealed, record.posting.min_stake)

    def confirm_commit(self, entry: JobEntry) -> None:
        """After a restart between journalling and mining: commit again only if it is not on chain."""
        if self.session.market.submission_of(entry.job_id, self.me) is not None:
            self.journal.put(entry.job_id, JobState.COMMITTED)
            self.log("committed (found on chain)", job=entry.job_id)
            return
        posting = entry.record.posting
        if self.session.chain_time() >= posting.commit_deadline:
            raise OffchainError("the commit window closed before the commit was mined")
        sealed = required(entry.record.commitment, "the commitment")
        self._send_commit(entry.job_id, sealed, posting.min_stake)

    def _send_commit(self, job_id: int, sealed: bytes, stake: int) -> None:
        receipt = self.session.market.commit(job_id, sealed, stake)
        self.journal.put(job_id, JobState.COMMITTED, commit_block=receipt["blockNumber"])
        self.log("committed", job=job_id, stake=stake, gas=receipt["gasUsed"])

    def reveal(self, entry: JobEntry) -> None:
        record = entry.record
        found = self.session.market.submission_of(entry.job_id, self.me)
        if found is not None and found[1].revealed:
            self.journal.put(entry.job_id, JobState.REVEALED)
            return
        phase = self.session.market.phase(entry.job_id)
        if phase == Phase.OPEN:
            return  # reveals open at the commit deadline
        if phase != Phase.REVEALING:
            self.journal.put(entry.job_id, JobState.REVEALED, missed_reveal=True)
            self.log("reveal window missed: the stake will be slashed", job=entry.job_id)
            return
        claim = required(record.claim_bps, "the claim")
        if record.sealed:
            self._publish_seal(entry)
        receipt = self.session.market.reveal(
            entry.job_id,
            required(record.model_hash, "the model hash"),
            claim,
            required(record.salt, "the salt"),
            required(record.uri, "the weights' URI"),
        )
        self.journal.put(entry.job_id, JobState.REVEALED)
        self.log("revealed", job=entry.job_id, claim_bps=claim, gas=receipt["gasUsed"])

    def _publish_seal(self, entry: JobEntry) -> None:
        """Publish the submission's seal (a sealed job refuses the reveal without it), once: a
        restart finds it on chain. The key behind it was made durable when it was sealed."""
        from offchain.roles.sealing import header_from_json

        exchange = ExchangeClient(self.session.market)
        if exchange.seal_of(entry.job_id, self.me) != bytes(32):
            return
        header = header_from_json(required(entry.record.seal, "the seal"))
        receipt = exchange.publish_seal(entry.job_id, header)
        self.log("seal published", job=entry.job_id, gas=receipt["gasUsed"])

    def finalize(self, entry: JobEntry) -> None:
        if entry.record.sealed and entry.record.envelopes is None and not entry.record.missed_reveal:
            self._post_envelopes(entry)
        self._appeal_if_wrongly_convicted(entry)
        phase = finalize_if_due(self.session, entry.job_id, self.log)
        if phase not in (Phase.FINALIZED, Phase.CANCELLED):
            return  # still attesting
        found = self.session.market.submission_of(entry.job_id, self.me)
        outcome = found[1].outcome.name if found else "none"
        self.journal.put(entry.job_id, JobState.FINALIZED, outcome=outcome)
        self.log("job settled", job=entry.job_id, outcome=outcome)

    def _appeal_if_wrongly_convicted(self, entry: JobEntry) -> None:
        """Appeal, once, when the committee's verdict convicts this submission, or leaves it
        undecided or unverified (silent or split seats), and the worker's own measurement says
        its claim is honest (it claimed at most what it measured): the whole bond then votes and
        decides it, and a captured committee loses its bonds."""
        record, market = entry.record, self.session.market
        if record.appealed or record.claim_bps is None or record.measured_bps is None:
            return
        appeals = AppealsClient(market)
        windows = appeals.windows(entry.job_id)
        now = int(self.session.client.w3.eth.get_block("latest")["timestamp"])
        if not windows.opens <= now < windows.closes or appeals.appeal(entry.job_id).filed:
            return
        job = market.job(entry.job_id)
        subs = market.submissions(entry.job_id)
        judged, _ = market.settlement(entry.job_id, [s.stake for s in subs], job.reward)
        mine = next((i for i, s in enumerate(subs) if s.worker == self.me), None)
        if mine is None or judged[mine].outcome not in APPEALABLE:
            return
        measured = [MAX_BPS] * len(subs)  # the others' bits are not read
        measured[mine] = record.measured_bps
        if appeals.ballot(entry.job_id, measured) >> mine & 1:
            return  # by the contract's rule, its own measurement does not back the claim
        limit = self.options.max_appeal_deposit
        if limit is not None and job.min_stake > limit:
            self.log.warn("convicted, but the appeal's deposit exceeds --max-appeal-deposit", job=entry.job_id)
            return
        self.journal.put(entry.job_id, JobState.REVEALED, appealed=True)  # once, even across a crash
        receipt = appeals.file_appeal(entry.job_id, job.min_stake)
        self.log.warn("convicted against our measurement: appealed", job=entry.job_id, gas=receipt["gasUsed"])

    def _post_envelopes(self, entry: JobEntry) -> None:
        """Send the submission's key to each seat of the drawn committee (issue 26), between the
        draw and the reveal deadline; the worker draws when no member has yet. Once: the chain
        refuses a second list, and a restart finds the first."""
        from offchain.roles.sealing import submission_key

        job_id, market = entry.job_id, self.session.market
        exchange = ExchangeClient(market)
        if exchange.envelopes(job_id, self.me) is not None:
            self.journal.put(job_id, JobState.REVEALED, envelopes=ENVELOPES_POSTED)
            return
        if self.session.chain_time() >= entry.record.posting.reveal_deadline:
            why = "the reveal deadline passed before the committee was drawn"
            self.journal.put(job_id, JobState.REVEALED, envelopes=why)
            self.log.warn("no envelopes posted: the committee cannot open the submission", job=job_id, reason=why)
            return
        if not market.is_drawn(job_id):
            if market.drawable_weight() == 0:
                return  # no member to draw yet: a later round
            market.ensure_drawn(job_id)  # anyone may; a member that drew first is no failure
            if not market.is_drawn(job_id):
                return  # another caller's draw is still pending: the next round posts to its seats
        if not market.committee(job_id):
            self.journal.put(job_id, JobState.REVEALED, envelopes="no member was drawn")
            return
        key = submission_key(Path(required(entry.record.seal_dir, "the seal's folder")))
        receipt = exchange.post_envelopes(job_id, key)
        self.journal.put(job_id, JobState.REVEALED, envelopes=ENVELOPES_POSTED)
        self.log("envelopes posted", job=job_id, seats=len(market.committee(job_id)), gas=receipt["gasUsed"])

    def withdraw(self, entry: JobEntry) -> None:
        """Claim this submission's outcome (stake, prize or share; nothing when slashed). A
        sealed job's winner is paid through the exchange, for its key: the claim opens it."""
        found = self.session.market.submission_of(entry.job_id, self.me)
        if entry.record.sealed and entry.record.outcome == Outcome.WON.name:
            if found is None:
                raise OffchainError(f"job {entry.job_id}: won by the journal, yet no submission of {self.me} on chain")
            self._open_exchange(entry.job_id, found[0])
            self.journal.put(entry.job_id, JobState.DELIVERING)
            return
        amount = 0
        if found is not None and found[1].stake != 0:
            index, sub = found
            self.session.market.claim(entry.job_id, index)
            amount = sub.payout
        self.journal.put(entry.job_id, JobState.DONE, withdrawn=amount)
        self.log("claimed", job=entry.job_id, amount=amount)

    def _open_exchange(self, job_id: int, index: int) -> None:
        """Open the winner's exchange (offchain.roles.steps.open_exchange: the requester's daemon
        may have opened it already, or open it between our read and our claim)."""
        opening, receipt = open_exchange(self.session, job_id, index)
        gas = receipt["gasUsed"] if receipt is not None else None
        self.log(f"won: {opening.value}; delivering the key", job=job_id, gas=gas)

    def deliver(self, entry: JobEntry) -> None:
        """Deliver the key to the requester's job key, within the exchange's delivery window."""
        exchange = ExchangeClient(self.session.market)
        found = exchange.exchange(entry.job_id)
        if found.state == State.NONE:
            self.journal.put(entry.job_id, JobState.FINALIZED)  # the claim is not on chain: claim again
            return
        if found.state == State.AWAITING_KEY:
            if self.session.chain_time() > found.since + exchange.delivery_window():
                self.log.warn("the delivery window closed: the requester is refunded", job=entry.job_id)
            else:
                receipt = exchange.deliver_key(entry.job_id, self.delivery_key(entry))
                self.log("key delivered to the requester", job=entry.job_id, gas=receipt["gasUsed"])
        self.journal.put(entry.job_id, JobState.DELIVERED)

    def delivery_key(self, entry: JobEntry) -> bytes:
        """The key delivered for the reward: the submission's own, as sealed."""
        from offchain.roles.sealing import submission_key

        return submission_key(Path(required(entry.record.seal_dir, "the seal's folder")))

    def collect(self, entry: JobEntry) -> None:
        """Once the requester's dispute window ends undisputed, claim the prize and the deposit
        from the exchange and withdraw them."""
        exchange = ExchangeClient(self.session.market)
        found = exchange.exchange(entry.job_id)
        if found.state == State.DELIVERED:
            if self.session.chain_time() <= found.since + exchange.dispute_window():
                return  # the requester may still dispute
            try:
                exchange.claim(entry.job_id)
            except TransactionError:
                if exchange.exchange(entry.job_id).state != State.CLOSED:
                    raise  # anyone may claim: closed by another caller is no error
        if not exchange.claimed(entry.job_id):
            self.journal.put(entry.job_id, JobState.DONE, withdrawn=0)
            self.log.warn("the requester was refunded: the key was disputed or never delivered", job=entry.job_id)
            return
        amount = exchange.pending(self.me)
        if amount:
            exchange.withdraw()
        self.journal.put(entry.job_id, JobState.DONE, withdrawn=amount)
        self.log("claimed", job=entry.job_id, amount=amount)

    # ----------------------------------------------------------------------- helpers

    def _training_set(self, job: JobPosted) -> tuple[Path, list[int] | None]:
        """The job's training set, and for a pooled job each image's shard (whole shards are
        held out, as the split draws whole shards). A pooled job's set is the seeded training
        shards, each checked against the manifest: SplitNotDrawnError before the seed block;
        an OffchainError refuses a job whose requester does not serve them in time, and a pool
        not posted pooled (nothing on chain makes its requester stand by the split)."""
        from offchain.artifacts.errors import ArtifactNotFoundError, HashMismatchError

        manifest = pool_of(self.session, job)
        if manifest is None:
            if self.options.pooled_only:
                raise OffchainError(UNPOOLED)
            return self.session.fetch(job.training_set), None
        require_pooled(self.session, job)  # else its requester walks away from the split for free
        drawn = split_of(self.session, job, manifest)
        try:
            return gather(self.session, manifest, drawn.training, self._job_dir(job.job_id) / "pool-train.npz")
        except (ArtifactNotFoundError, HashMismatchError) as exc:
            block = self.session.client.w3.eth.get_block(seed_block(self.session, job, manifest))
            if self.session.chain_time() < int(block["timestamp"]) + PUBLISH_GRACE_S:
                raise SplitNotDrawnError(f"the seeded training shards are not all served yet ({exc})") from None
            raise OffchainError(
                f"the requester does not serve the seeded training shards {list(drawn.training)} ({exc}): "
                "not the split its pool commits to"
            ) from None

    def _job_dir(self, job_id: int) -> Path:
        # Per address: workers started side by side with one --home never share a checkpoint.
        path = self.session.home / "worker" / "jobs" / self.me.lower() / f"{self.session.client.chain_id}-{job_id}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _fetch_base_model(self, model_hash: bytes, uri: str) -> Path:
        from offchain.ml.fingerprint import fingerprint_file

        path = fetch_weights(
            self.session, uri, self.session.home / "worker" / "base" / f"{hash_hex(model_hash)[2:]}.safetensors"
        )
        if fingerprint_file(path) != model_hash:
            raise OffchainError(f"the base model at {uri} does not match its registered hash")
        return path

    def claim_for(self, measured_bps: int, n: int, evaluation_shards: int | None = None) -> int:
        """The score this worker claims for a result measuring `measured_bps` on `n` held-out
        images: the measurement less two standard errors (only over-claims are slashed). For a
        pooled job `n` counts held-out shards, and the job's evaluation shards widen the margin
        to `pooled_claim`'s bound."""
        if evaluation_shards is not None:
            return pooled_claim(measured_bps, n, evaluation_shards)
        return conservative_claim(measured_bps, n)

    def _publish(self, weights: Path) -> str:
        from offchain.artifacts.client import upload

        if self.options.publish is None:
            digest = self.session.cache.put_file(weights)
            return str(self.session.cache.get(digest))
        digest = with_retries(lambda: upload(self.options.publish or "", weights), "upload the result")
        return f"{self.options.publish.rstrip('/')}/sha256/{digest}"


HOLDOUT_SHARE = 0.2  # of the training set, kept out of training to estimate the hidden score


def conservative_claim(measured_bps: int, n: int) -> int:
    """`measured_bps` on `n` held-out images less two binomial standard errors, floored at 0."""
    import math

    p = measured_bps / MAX_BPS
    margin = 2 * math.sqrt(max(p * (1 - p), 1e-4) / max(n, 1)) * MAX_BPS
    return max(0, int(measured_bps - margin))


# One-sided 1 %: the most an honest pooled claim is convicted on one split, whatever the pool.
# A requester that re-rolls the split (cancel, post again with fresh salts) is not covered:
# a margin for the best of 1,000 splits (z = 4.26) left the demo's and the end-to-end job's
# claims at 0 (20 held-out shards), a claim that says nothing (docs/market.md).
POOLED_CLAIM_Z = 2.33


def pooled_claim(measured_bps: int, held_shards: int, evaluation_shards: int) -> int:
    """A pooled job's claim: `measured_bps` on `held_shards` held-out shards less POOLED_CLAIM_Z
    standard deviations of (evaluation - held-out) accuracy. Each shard's accuracy lies in
    [0, 1] with mean p, so its variance is at most p(1 - p) (shards all right or all wrong, the
    requester's best effort), and the two sets' means differ with variance at most
    p(1 - p)(1/held + 1/evaluation): the bound holds for any pool (docs/market.md)."""
    import math

    p = measured_bps / MAX_BPS
    spread = math.sqrt(max(p * (1 - p), 1e-4) * (1 / max(held_shards, 1) + 1 / max(evaluation_shards, 1)))
    return max(0, int(measured_bps - POOLED_CLAIM_Z * spread * MAX_BPS))


def _split_holdout(
    train_path: Path, job_dir: Path, seed: int, groups: list[int] | None = None
) -> tuple[Path, Path, int]:
    """Split the training set into a fitting part and a held-out part (per class, seeded); a
    pooled job's by whole shards (`groups`: each image's shard), drawn as the pool's split
    draws the evaluation shards, so the held-out part and the evaluation set are exchangeable
    even when a shard's images are alike (copies of one image, one source)."""
    import numpy as np

    from offchain.ml.data import ImageSet, export_dataset, load_dataset_npz

    data = load_dataset_npz(train_path)
    rng = np.random.default_rng(seed)
    held = np.zeros(len(data.labels), dtype=bool)
    held_shards = 0
    if groups is not None:
        shard_of = np.asarray(groups)
        shards = np.unique(shard_of)
        rng.shuffle(shards)
        held_shards = max(1, int(len(shards) * HOLDOUT_SHARE))
        held = np.isin(shard_of, shards[:held_shards])
    for c in range(len(data.classes)) if groups is None else ():
        idx = np.flatnonzero(data.labels == c)
        rng.shuffle(idx)
        if len(idx) > 1:  # a class with one image stays in training
            held[idx[: max(1, int(len(idx) * HOLDOUT_SHARE))]] = True
    fit = ImageSet(data.images[~held], data.labels[~held], data.classes)
    holdout = ImageSet(data.images[held], data.labels[held], data.classes)
    fit_path, _ = export_dataset(fit, job_dir / "train.npz")
    holdout_path, _ = export_dataset(holdout, job_dir / "holdout.npz")
    return fit_path, holdout_path, held_shards


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("worker", help="take jobs, fine-tune, commit, reveal and get paid")
    add_session_args(parser)
    parser.add_argument("--publish", default=None, help="artifact server for the results (their URI goes on chain)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    add_daemon_args(parser, once_help="exit when the jobs on offer now are done")
    parser.add_argument("--max-jobs", type=int, default=None, help="take at most N jobs, then exit when done")
    parser.add_argument(
        "--images-per-second",
        type=float,
        default=None,
        help="this machine's training speed, for deadline estimates (default: measured for each job's recipe)",
    )
    parser.add_argument(
        "--max-memory",
        type=float,
        default=None,
        metavar="GIB",
        help="refuse jobs whose data and training step need more memory than this, in GiB (default: half of the "
        "machine's memory, or of the GPU's)",
    )
    parser.add_argument("--seed", type=int, default=0, help="training seed when the spec names none")
    parser.add_argument(
        "--max-appeal-deposit",
        default=None,
        help="appeal a conviction our measurement disputes only when its deposit (the job's minimum stake) is at "
        "most this, e.g. 0.1ether (default: any)",
    )
    parser.add_argument(
        "--pooled-only",
        action="store_true",
        help="refuse jobs whose evaluation set the requester chose (unpooled): a hostile one convicts honest claims",
    )
    parser.set_defaults(func=cmd_worker)
    add_status_command(parser)


def cmd_worker(args: argparse.Namespace, role: type[Worker] | None = None) -> int:
    """Run the worker of `args` (`role`: a Worker subclass, for the demo's adversaries)."""
    options = worker_options(args)
    session = open_session(args)
    note_unlocked_sender(session)
    return (role or Worker)(session, options, RoleLog("worker", args.json)).run()


def worker_options(args: argparse.Namespace) -> WorkerOptions:
    """The options of `offchain worker ARGS`, checked before any connection is made."""
    return WorkerOptions(
        publish=args.publish,
        device=args.device,
        confirmations=args.confirmations,
        poll_seconds=args.poll,
        once=args.once,
        max_jobs=args.max_jobs,
        images_per_second=args.images_per_second,
        max_memory=None if args.max_memory is None else int(args.max_memory * 2**30),
        seed=args.seed,
        max_appeal_deposit=None if args.max_appeal_deposit is None else parse_amount(args.max_appeal_deposit),
        pooled_only=args.pooled_only,
    )
