"""`offchain validator`: bond, serve on the committees it is drawn for: seal the scores it
measured, commit, reveal, settle and withdraw.

    offchain validator --rpc http://127.0.0.1:8545 --keystore key.json --source http://127.0.0.1:8600

For each job it follows (every JobPosted), the validator draws the committee once commits
close (see offchain.roles.committee). When seated, it evaluates every revealed submission on
the evaluation set the requester opened (the contract checked it against the seal posted
with the job; the artifact fetch checks the file against that hash), writes the scores and a
fresh salt to its seal book, and only then commits the seal; it reveals in the settle window,
from the book, so a restart after kill -9 loses nothing. Weights whose tensor fingerprint
differs from the revealed model hash, or that do not load into the job's architecture, score 0;
anything else is evaluated deterministically on the CPU, so honest validators agree to the
basis point. An evaluation set that no source serves (or that does not match the hash the
requester opened) is the requester's failure: the member attests it unavailable instead of
scoring anything (offchain.roles.committee). A sealed job's submission (issue 26) is opened
first: the validator registers an encryption key when it bonds (its secret kept in its home),
opens its envelope and the artifact (offchain.roles.sealing), proves an envelope that does not
hold the committed key bad (the submission then forfeits, and the member is not slashed for
it), and scores 0 an artifact the committed key does not open.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain.artifacts.errors import ArtifactNotFoundError, ArtifactUnreachableError, HashMismatchError
from offchain.errors import OffchainError
from offchain.eth.confirm import add_spend_args, confirm_spend
from offchain.eth.errors import TransactionError
from offchain.eth.exchange import ExchangeClient
from offchain.eth.inclusion import DELAYS
from offchain.eth.market import JobPosted, Revealed, Submission
from offchain.eth.polling import EventPoller
from offchain.eth.values import format_eth, parse_amount
from offchain.roles.committee import CommitteeMember, EvaluationUnavailableError, EvaluationUnreachableError
from offchain.roles.confirmations import default_confirmations
from offchain.roles.device import check_device
from offchain.roles.pool import gather, pool_of, split_of
from offchain.roles.rolelog import RoleLog
from offchain.roles.sealing import member_key, open_submission
from offchain.roles.seals import SealBook
from offchain.roles.session import Session, add_daemon_args, add_session_args, note_unlocked_sender, open_session
from offchain.roles.spec import SPEC_LIMITS, model_fields
from offchain.roles.steps import TRANSIENT_ERRORS, run_rounds
from offchain.roles.validator_exit import add_exit_command
from offchain.roles.weights import copy_as, fetch_weights

ZERO_SCORE = 0
ENCRYPTION_KEY_FILE = "encryption.key"  # the member's secret for sealed submissions' envelopes
JOIN_TRIES = 3  # joins that raced others into a grown sortition tree (see ensure_bonded)


@dataclass
class ValidatorOptions:
    device: str = "cpu"
    bond: int | None = None  # wei; None: the contract's minimum
    confirmations: int | None = None  # None: 0 on a local dev chain, else 1
    poll_seconds: float = 1.0
    once: bool = False  # exit when every job seen so far is settled

    def __post_init__(self) -> None:
        check_device(self.device)  # at start: not when a committee seat is already held


LEGACY_SEALS = "validator-seals.sqlite"  # one book for the whole --home, before per-address homes


def carry_legacy_seals(home: Path, book: Path) -> bool:
    """Copy the seal book an earlier version kept at `home`'s top into `book`, once, so a
    validator upgraded between committing and revealing still reveals (not slashed for a lost
    salt). SQLite's backup copies what the legacy file's write-ahead log holds too."""
    import sqlite3

    legacy = home / LEGACY_SEALS
    if book.exists() or not legacy.exists():
        return False
    source, target = sqlite3.connect(legacy), sqlite3.connect(book)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return True


class Validator:
    def __init__(self, session: Session, options: ValidatorOptions, log: RoleLog) -> None:
        self.session = session
        self.options = options
        self.log = log
        self.me = session.client.address
        start = session.deployment.contract("TrainingMarket").block
        self.poller = EventPoller(
            session.market.job_posted_events,
            key=lambda e: e.log_key,
            start_block=start,
            confirmations=default_confirmations(session.client.chain_id, options.confirmations),
        )
        # Per address: validators started side by side with one --home evaluate, seal and
        # store weights each for itself.
        self.home = session.home / "validator" / self.me.lower()
        self.home.mkdir(parents=True, exist_ok=True)
        if carry_legacy_seals(session.home, self.home / "seals.sqlite"):
            log("seal book carried over", source=str(session.home / LEGACY_SEALS))
        self.book = SealBook(self.home / "seals.sqlite", session.client.chain_id, session.market.address)
        self.encryption = member_key(self.home / ENCRYPTION_KEY_FILE)
        self.member = CommitteeMember(session, self.book, self._judge_submission, log)
        self.pending: set[int] = set()
        self.settled = 0
        self.scores: dict[tuple[int, str], int] = {}
        self.jobs: dict[int, JobPosted] = {}

    def run(self) -> int:
        self.ensure_bonded()
        run_rounds(self.round, self._finished, self.options.poll_seconds, self.log)
        self.log("stopping", settled=self.settled)
        return 0

    def round(self) -> None:
        """Collect newly posted jobs, then take one step for each one pending."""
        for event in self.poller.poll(self.session.head()):
            self.jobs[event.job_id] = event
            self.pending.add(event.job_id)
            self.log("job posted", job=event.job_id, committee=event.committee_size)
            self._warn_short_windows(event)
        for job_id in sorted(self.pending):
            if self.member.step(job_id):
                self.pending.discard(job_id)
                self.settled += 1

    def _warn_short_windows(self, job: JobPosted) -> None:
        """A drawn seat cannot be refused (missing attestations are slashed): say early when
        the job's windows hold too few of this account's inclusion delays (issue 25)."""
        windows = {
            "reveal window (the committee draw)": job.reveal_deadline - job.commit_deadline,
            "attestation window": job.attest_deadline - job.reveal_deadline,
            "settle window (attestation reveals)": job.settle_deadline - job.attest_deadline,
        }
        for problem in DELAYS.short_windows(self.session.client.w3, windows):
            self.log.warn("window too short", job=job.job_id, reason=problem)

    def _finished(self) -> bool:
        # After a round the poller has read up to the head: nothing pending is nothing to follow.
        return self.options.once and not self.pending

    def ensure_bonded(self) -> None:
        self.ensure_encryption_key()
        if self.session.market.is_validator(self.me):
            self.log("already bonded", address=self.me)
            return
        bond = self.options.bond if self.options.bond is not None else self.session.market.min_bond()
        for attempt in range(1, JOIN_TRIES + 1):
            try:
                self.session.market.join_validators(bond)
                break
            except TransactionError as exc:
                # A join estimated before other joins grew the sortition tree (a fresh word)
                # can run out of gas; the next estimate sees the grown tree.
                if self.session.market.is_validator(self.me):
                    break  # it went through after all (a receipt that came too late)
                if attempt == JOIN_TRIES:
                    raise
                self.log("join raced other joins, retrying", attempt=attempt, reason=str(exc))
        self.log("bonded", address=self.me, bond=bond)

    def ensure_encryption_key(self) -> None:
        """Register this member's encryption key (once: envelopes sent to it stay provable)."""
        exchange = ExchangeClient(self.session.market)
        registered = exchange.encryption_key(self.me)
        if registered is None:
            exchange.register_encryption_key(self.encryption.public)
            self.log("encryption key registered", address=self.me)
        elif registered != self.encryption.public:
            self.log.warn("another encryption key is registered: sealed submissions will not open", address=self.me)

    def _judge_submission(self, job_id: int, index: int, sub: Submission) -> int:
        event = self.session.market.revealed_of(job_id, sub.worker)
        opened = self.session.market.evaluation_revealed(job_id)
        if event is None or opened is None:
            return ZERO_SCORE
        return self.score(job_id, event, opened.evaluation_set)

    def score(self, job_id: int, event: Revealed, evaluation_set: bytes) -> int:
        """The score this validator attests for the revealed result `event`: what it measures
        on the opened evaluation set (cached per job and worker)."""
        key = (job_id, event.worker)
        if key not in self.scores:
            self.scores[key] = self.judge(self._job(job_id), event, evaluation_set)
        return self.scores[key]

    def judge(self, job: JobPosted, event: Revealed, evaluation_set: bytes) -> int:
        """The accuracy (bps) the submitted weights reach on the opened evaluation set; 0 for
        weights that are not what was revealed. Raises EvaluationUnavailableError when the
        evaluation set cannot be fetched or does not match its hash (the requester's failure)."""
        from offchain.ml.errors import MLError
        from offchain.ml.evaluation import evaluate_model
        from offchain.ml.fingerprint import fingerprint_file

        folder = self.weights_folder(event.job_id, event.worker)
        eval_path = self.evaluation_path(job, evaluation_set)
        try:
            if self.session.market.is_sealed(event.job_id):
                opened = self._open_sealed(event, folder / "model.safetensors")
                if opened is None:
                    return ZERO_SCORE
                weights = opened
            else:
                weights = fetch_weights(self.session, event.uri, folder / "model.safetensors")
            if fingerprint_file(weights) != event.model_hash:
                self.log("fingerprint mismatch: scoring 0", job=event.job_id, worker=event.worker)
                return ZERO_SCORE
            model = model_fields(self.session.fetch(job.spec, limits=SPEC_LIMITS).read_bytes())
            _write_card(folder, model, eval_path)
            result = evaluate_model(
                folder,
                str(copy_as(eval_path, folder / "eval.npz")),
                device=self.options.device,
                batch_size=self._evaluation_batch(model, eval_path),
            )
        except TRANSIENT_ERRORS:
            raise
        except EvaluationUnavailableError:
            raise  # the requester's failure, never a 0
        except (MLError, OffchainError, OSError) as exc:
            self.log("weights unusable: scoring 0", job=event.job_id, worker=event.worker, reason=str(exc))
            return ZERO_SCORE
        self.log("evaluated", job=event.job_id, worker=event.worker, accuracy_bps=result.accuracy_bps, n=result.n)
        return result.accuracy_bps

    def _evaluation_batch(self, model: tuple[str, str], eval_path: Path) -> int:
        """The most images one evaluation batch may take in half this machine's (or GPU's)
        memory beside the set, up to TrainConfig's 500: a requester's large images, 500 at a
        time, would have the member killed mid-round (and slashed for the reveal it then misses).
        EvaluationUnavailableError when not one image fits: the requester's failure."""
        from offchain.ml.config import TrainConfig
        from offchain.ml.data import load_dataset_npz
        from offchain.ml.memory import DATA_COPIES, default_budget_bytes, largest_fitting_batch, unpacked_bytes

        config = TrainConfig(arch=model[0], stem=model[1])
        data = load_dataset_npz(eval_path)
        budget = default_budget_bytes(self.options.device) - DATA_COPIES * unpacked_bytes(eval_path)
        batch = largest_fitting_batch(config, data.image_size, len(data.classes), budget, config.eval_batch_size)
        if batch == 0:
            raise EvaluationUnavailableError(
                f"not one image of the evaluation set ({data.image_size}x{data.image_size}) can be evaluated in "
                f"half this machine's memory"
            )
        return batch

    def evaluation_path(self, job: JobPosted, evaluation_set: bytes) -> Path:
        """The opened evaluation set as one data set file. A pooled job's is the seeded complement
        of its pool: the requester opens the seal of the pool itself, and each evaluation shard
        is checked against the manifest. Raises EvaluationUnavailableError (the requester's
        failure, attested as such, never scored 0) for a set that cannot be fetched, does not
        match its hash, does not load as a data set on this machine, or is not the pool's
        seeded complement."""
        from offchain.ml.data import load_dataset_npz
        from offchain.ml.errors import DatasetError
        from offchain.ml.pool import PoolError

        try:
            manifest = pool_of(self.session, job)
            if manifest is None:
                path = self.session.fetch(evaluation_set)  # the fetch checks the file's SHA-256
                # Its hash binds the requester to the file, not the file to being a data set:
                # scored, a set that does not load would be every submission's 0.
                load_dataset_npz(path)
                return path
            if evaluation_set != job.training_set:
                raise EvaluationUnavailableError(
                    f"the opened set {evaluation_set.hex()} is not the job's pool {job.training_set.hex()}: "
                    "not the seeded complement of its training shards"
                )
            drawn = split_of(self.session, job, manifest)
            path, _ = gather(self.session, manifest, drawn.evaluation, self.home / f"{job.job_id}-pool-eval.npz")
            return path
        except (ArtifactNotFoundError, HashMismatchError, PoolError, DatasetError) as exc:
            raise EvaluationUnavailableError(f"evaluation set {evaluation_set.hex()}: {exc}") from exc
        except ArtifactUnreachableError as exc:  # asked again until overdue (CommitteeMember)
            raise EvaluationUnreachableError(f"evaluation set {evaluation_set.hex()}: {exc}") from exc

    def _open_sealed(self, event: Revealed, dest: Path) -> Path | None:
        """The weights of sealed submission `event` at `dest`, or None (score 0) when they do not
        open; an envelope that does not hold the committed key is proven bad on chain first."""
        exchange = ExchangeClient(self.session.market)
        header, posted = exchange.seal(event.job_id, event.worker), exchange.envelopes(event.job_id, event.worker)
        if header is None or posted is None:
            self.log("sealed submission without envelopes: scoring 0", job=event.job_id, worker=event.worker)
            return None
        seats = [i for i, r in enumerate(posted.recipients) if r.lower() == self.me.lower()]
        if not seats:
            self.log("no envelope for this member: scoring 0", job=event.job_id, worker=event.worker)
            return None
        artifact = fetch_weights(self.session, event.uri, dest.with_name("model.sealed")).read_bytes()
        opening = open_submission(header, posted, seats[0], self.encryption, artifact)
        if opening.bad_envelope:
            exchange.prove_bad_envelope(event.job_id, event.worker, header, self.encryption)
            self.log("bad envelope proven", job=event.job_id, worker=event.worker)
            return None
        if opening.weights is None:
            self.log("sealed submission does not open: scoring 0", job=event.job_id, reason=opening.reason)
            return None
        dest.write_bytes(opening.weights)
        return dest

    def weights_folder(self, job_id: int, worker: str) -> Path:
        """Where this validator keeps `worker`'s weights for `job_id` while it evaluates them."""
        return self.home / f"{job_id}-{worker.lower()}"

    def _job(self, job_id: int) -> JobPosted:
        if job_id not in self.jobs:
            self.jobs[job_id] = self.session.market.job_posted(job_id)
        return self.jobs[job_id]


def _write_card(folder: Path, model: tuple[str, str], eval_path: Path) -> None:
    """The model card the job implies: the architecture and stem of the spec (the ones the
    worker trained with), the evaluation set's classes."""
    from offchain.ml.data import load_dataset_npz

    classes = list(load_dataset_npz(copy_as(eval_path, folder / "eval.npz")).classes)
    card = {"architecture": model[0], "stem": model[1], "classes": classes}
    (folder / "model.json").write_text(json.dumps(card, indent=2))


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("validator", help="bond, serve on drawn committees: evaluate, seal, reveal")
    add_session_args(parser)
    parser.add_argument("--device", default="cpu", help="cpu (deterministic, the default) | cuda | auto")
    parser.add_argument("--bond", default=None, help="bond, e.g. 1ether (default: the contract's minimum)")
    add_daemon_args(parser, once_help="exit when the submissions seen so far are settled")
    add_spend_args(parser)
    parser.set_defaults(func=cmd_validator)
    add_exit_command(parser)


def cmd_validator(args: argparse.Namespace, role: type[Validator] | None = None) -> int:
    """Run the validator of `args` (`role`: a Validator subclass, for the demo's adversaries)."""
    options = ValidatorOptions(
        device=args.device,
        bond=None if args.bond is None else parse_amount(args.bond),
        confirmations=args.confirmations,
        poll_seconds=args.poll,
        once=args.once,
    )
    session = open_session(args)
    note_unlocked_sender(session)
    me = session.client.address
    if not session.market.is_validator(me):
        bond = options.bond if options.bond is not None else session.market.min_bond()
        what = (
            f"bond {format_eth(bond)} from {me} as a validator (10 % of the minimum bond per missed or bad attestation)"
        )
        if not confirm_spend(args, what):
            return 0 if args.dry_run else 1
    return (role or Validator)(session, options, RoleLog("validator", args.json)).run()
