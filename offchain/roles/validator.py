"""`offchain validator`: bond, re-evaluate every revealed submission, attest the score.

    offchain validator --rpc http://127.0.0.1:8545 --keystore key.json --source http://127.0.0.1:8600

Weights whose tensor fingerprint differs from the revealed model hash, or that do not load
into the job's architecture, score 0; anything else is evaluated on the job's evaluation
set (deterministically on the CPU, so honest validators agree to the basis point) and the
measured accuracy is attested. Each submission is judged once (the result is cached in
memory) and attested once: the contract's attestation list is checked before sending.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain.errors import OffchainError
from offchain.eth.errors import TransactionError
from offchain.eth.market import JobPosted, Phase, Revealed
from offchain.eth.polling import EventPoller
from offchain.roles.rolelog import RoleLog
from offchain.roles.session import Session, add_session_args, open_session
from offchain.roles.spec import JobSpec, parse_spec
from offchain.roles.steps import TRANSIENT_ERRORS, finalize_if_due, run_rounds, withdraw_pending
from offchain.roles.weights import copy_as, fetch_weights

ZERO_SCORE = 0


@dataclass
class ValidatorOptions:
    device: str = "cpu"
    bond: int | None = None  # wei; None: the contract's minimum
    confirmations: int = 1
    poll_seconds: float = 1.0
    once: bool = False  # exit when every revealed submission seen so far is settled


class Validator:
    def __init__(self, session: Session, options: ValidatorOptions, log: RoleLog) -> None:
        self.session = session
        self.options = options
        self.log = log
        self.me = session.client.address
        start = session.deployment.contract("TrainingMarket").block
        self.poller = EventPoller(
            session.market.revealed_events,
            key=lambda e: e.log_key,
            start_block=start,
            confirmations=options.confirmations,
        )
        self.pending: dict[tuple[int, str], Revealed] = {}
        self.scores: dict[tuple[int, str], int] = {}
        self.jobs: dict[int, JobPosted] = {}

    def run(self) -> int:
        self.ensure_bonded()
        run_rounds(self.round, self._finished, self.options.poll_seconds, self.log)
        self.log("stopping", attested=len(self.scores))
        return 0

    def round(self) -> None:
        """Collect newly revealed submissions, then take one step for each one pending."""
        for event in self.poller.poll(self.session.head()):
            self.pending[(event.job_id, event.worker)] = event
            self.log("submission revealed", job=event.job_id, worker=event.worker, claim_bps=event.score_bps)
        for key, event in list(self.pending.items()):
            if self.step(event):
                del self.pending[key]

    def _finished(self) -> bool:
        return self.options.once and not self.pending and bool(self.scores)

    def ensure_bonded(self) -> None:
        if self.session.market.is_validator(self.me):
            self.log("already bonded", address=self.me)
            return
        bond = self.options.bond if self.options.bond is not None else self.session.market.min_bond()
        self.session.market.join_validators(bond)
        self.log("bonded", address=self.me, bond=bond)

    def step(self, event: Revealed) -> bool:
        """Advance `event`'s submission; True when nothing is left to do for it.

        Attest while the job is attesting, finalize it if nobody has once it may be, and
        withdraw the fee share once it is settled.
        """
        phase = finalize_if_due(self.session, event.job_id, self.log)
        if phase in (Phase.OPEN, Phase.REVEALING, Phase.FINALIZABLE):
            return False
        if phase == Phase.ATTESTING:
            self.attest(event)
            return False
        pending = withdraw_pending(self.session)
        if pending:
            self.log("withdrawn", job=event.job_id, amount=pending)
        return True

    def attest(self, event: Revealed) -> None:
        job = self._job(event.job_id)
        if self.me in (job.requester, event.worker):
            return  # the contract forbids it
        if self.session.market.has_attested(event.job_id, event.worker, self.me):
            return
        key = (event.job_id, event.worker)
        if key not in self.scores:
            self.scores[key] = self.judge(job, event)
        try:
            receipt = self.session.market.attest(event.job_id, event.worker, self.scores[key])
        except TransactionError as exc:
            self.log("attest failed, will re-check", job=event.job_id, error=str(exc))
            return
        self.log(
            "attested",
            job=event.job_id,
            worker=event.worker,
            score_bps=self.scores[key],
            claim_bps=event.score_bps,
            gas=receipt["gasUsed"],
        )

    def judge(self, job: JobPosted, event: Revealed) -> int:
        """The accuracy (bps) the submitted weights reach; 0 for weights that are not what was revealed."""
        from offchain.ml.errors import MLError
        from offchain.ml.evaluation import evaluate_model
        from offchain.ml.fingerprint import fingerprint_file

        folder = self.session.home / "validator" / f"{event.job_id}-{event.worker.lower()}"
        try:
            weights = fetch_weights(self.session, event.uri, folder / "model.safetensors")
            if fingerprint_file(weights) != event.model_hash:
                self.log("fingerprint mismatch: scoring 0", job=event.job_id, worker=event.worker)
                return ZERO_SCORE
            eval_path = self.session.fetch(job.evaluation_set)
            spec = parse_spec(self.session.fetch(job.spec).read_bytes())
            _write_card(folder, spec, eval_path)
            result = evaluate_model(folder, str(copy_as(eval_path, folder / "eval.npz")), device=self.options.device)
        except TRANSIENT_ERRORS:
            raise
        except (MLError, OffchainError, OSError) as exc:
            self.log("weights unusable: scoring 0", job=event.job_id, worker=event.worker, reason=str(exc))
            return ZERO_SCORE
        self.log("evaluated", job=event.job_id, worker=event.worker, accuracy_bps=result.accuracy_bps, n=result.n)
        return result.accuracy_bps

    def _job(self, job_id: int) -> JobPosted:
        if job_id not in self.jobs:
            self.jobs[job_id] = self.session.market.job_posted(job_id)
        return self.jobs[job_id]


def _write_card(folder: Path, spec: JobSpec, eval_path: Path) -> None:
    """The model card the job implies: the architecture and stem of the spec's training
    config (the same one the worker trained with), the evaluation set's classes."""
    from offchain.ml.data import load_dataset_npz

    classes = list(load_dataset_npz(copy_as(eval_path, folder / "eval.npz")).classes)
    card = {"architecture": spec.config.arch, "stem": spec.config.stem, "classes": classes}
    (folder / "model.json").write_text(json.dumps(card, indent=2))


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("validator", help="bond, re-evaluate revealed submissions and attest")
    add_session_args(parser)
    parser.add_argument("--device", default="cpu", help="cpu (deterministic, the default) | cuda | auto")
    parser.add_argument("--bond", type=int, default=None, help="bond in wei (default: the contract's minimum)")
    parser.add_argument("--confirmations", type=int, default=1)
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between polls")
    parser.add_argument("--once", action="store_true", help="exit when the submissions seen so far are settled")
    parser.add_argument("--json", action="store_true", help="JSON log lines")
    parser.set_defaults(func=cmd_validator)


def cmd_validator(args: argparse.Namespace) -> int:
    options = ValidatorOptions(
        device=args.device, bond=args.bond, confirmations=args.confirmations, poll_seconds=args.poll, once=args.once
    )
    return Validator(open_session(args), options, RoleLog("validator", args.json)).run()
