"""`offchain requester`: the requester's side of its jobs, done by itself.

    offchain requester --dev-account 0 --publish http://127.0.0.1:8600

It follows every job this account posted (JobPosted naming it as requester). A pooled job's
seeded training shards are published as soon as its seed block is mined. Once a job's
commits close it opens the sealed evaluation set from the seal book `job post` wrote before
the job went on chain (publishing the file first), so the job does not forfeit to the
workers; once the settle deadline passes it finalizes (anyone may: a job someone else
finalized is no error); when the job is finalized or cancelled it withdraws what the market
owes. Each round reads the chain and the seal book again, never its own memory, so a restart
(kill -9 included) resumes anywhere and never reveals twice.

A job posted under seal (`job post --sealed`, issue 26) pays its winner through the exchange,
for its key (offchain.roles.buying): the daemon opens the delivered key with the job key in the
seal book, checks the artifact against the seal, and disputes on chain when it does not open;
otherwise it writes the decrypted weights to --models.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain.errors import OffchainError
from offchain.eth.errors import TransactionError
from offchain.eth.market import JobPosted, Phase
from offchain.eth.polling import EventPoller
from offchain.roles.buying import buy_key
from offchain.roles.confirmations import default_confirmations
from offchain.roles.pool import pool_of
from offchain.roles.requester import EvaluationUnopenableError, publish_training, reveal_evaluation
from offchain.roles.rolelog import RoleLog
from offchain.roles.session import Session, add_daemon_args, add_session_args, open_session
from offchain.roles.steps import TRANSIENT_ERRORS, finalize_if_due, run_rounds, withdraw_pending

SETTLED = (Phase.FINALIZED, Phase.CANCELLED)


@dataclass
class RequesterOptions:
    publish: str | None = None  # artifact server the evaluation set is uploaded to when opened
    confirmations: int | None = None  # None: 0 on a local dev chain, else 1
    poll_seconds: float = 1.0
    once: bool = False  # exit when every job seen so far is settled
    models: Path | None = None  # where a sealed job's decrypted weights go (None: <home>/requester/models)


class Requester:
    def __init__(self, session: Session, options: RequesterOptions, log: RoleLog) -> None:
        self.session = session
        self.options = options
        self.log = log
        self.me = session.client.address.lower()
        self.poller = EventPoller(
            session.market.job_posted_events,
            key=lambda e: e.log_key,
            start_block=session.deployment.contract("TrainingMarket").block,
            confirmations=default_confirmations(session.client.chain_id, options.confirmations),
        )
        self.pending: dict[int, JobPosted] = {}
        self.opened: set[int] = set()  # evaluation set revealed (by us or anyone holding it)
        self.given_up: set[int] = set()  # no seal on record, or the window passed: finalize only
        self.split_published: set[int] = set()  # pooled jobs whose training shards are out (or unpooled)
        self.settled = 0

    def run(self) -> int:
        self.log("started", requester=self.session.client.address)
        run_rounds(self.round, self._finished, self.options.poll_seconds, self.log)
        self.log("stopping", settled=self.settled)
        return 0

    def round(self) -> None:
        """Collect this account's newly posted jobs, then take one step for each one pending."""
        for event in self.poller.poll(self.session.head()):
            if event.requester.lower() == self.me:
                self.pending[event.job_id] = event
                self.log("following job", job=event.job_id, commits_close=event.commit_deadline)
        for job_id in sorted(self.pending):
            if self.step(job_id):
                del self.pending[job_id]
                self.settled += 1

    def step(self, job_id: int) -> bool:
        """Advance `job_id`; True once it is settled and what it owed us is withdrawn."""
        phase = finalize_if_due(self.session, job_id, self.log)
        if phase == Phase.OPEN and job_id not in self.split_published:
            self._publish_split(job_id)
        if phase == Phase.REVEALING and job_id not in self.opened | self.given_up:
            self._open(job_id)
        if phase not in SETTLED:
            return False
        try:
            withdrawn = withdraw_pending(self.session)
        except TransactionError as exc:  # e.g. no ether for gas: the next round tries again
            self.log("withdraw failed, will retry", job=job_id, error=str(exc))
            return False
        if phase == Phase.FINALIZED and not self._buy(job_id):
            return False  # a sealed job's key is still to come, be checked, or be disputed
        self.log("settled", job=job_id, phase=phase.name.lower(), withdrawn=withdrawn)
        return True

    def _publish_split(self, job_id: int) -> None:
        """A pooled job's seeded training shards, once its seed block is mined (issue 20):
        workers cannot start before, and refuse a job whose requester does not serve them."""
        job = self.pending[job_id]
        if pool_of(self.session, job) is None:
            self.split_published.add(job_id)  # unpooled: its training set went out at post
            return
        try:
            shards = publish_training(self.session, job_id, self.options.publish)
        except OffchainError as exc:  # an upload failed, or this home lacks the shards
            self.log("could not publish the training shards, will retry", job=job_id, error=str(exc))
            return
        if shards is not None:
            self.split_published.add(job_id)
            self.log("published the seeded training shards", job=job_id, shards=len(shards))

    def _buy(self, job_id: int) -> bool:
        try:
            return buy_key(self.session, job_id, self._models(), self.log)
        except TRANSIENT_ERRORS:
            raise  # the round ends; the next one tries again
        except OffchainError as exc:  # e.g. a claim or a dispute raced by another caller
            self.log("the winner's key exchange failed a step, will retry", job=job_id, error=str(exc))
            return False

    def _models(self) -> Path:
        return self.options.models or self.session.home / "requester" / "models"

    def _open(self, job_id: int) -> None:
        try:
            reveal_evaluation(self.session, job_id, self.options.publish)
        except EvaluationUnopenableError as exc:
            # The job can only forfeit now: follow it to finalize and withdraw.
            self.given_up.add(job_id)
            self.log("cannot open the evaluation set: the job forfeits to its workers", job=job_id, error=str(exc))
            return
        except TRANSIENT_ERRORS:
            raise  # the round ends; the next one tries again
        except OffchainError as exc:  # a failed transaction or upload: tried again next round
            self.log("could not open the evaluation set, will retry", job=job_id, error=str(exc))
            return
        self.opened.add(job_id)
        self.log("opened the evaluation set", job=job_id)

    def _finished(self) -> bool:
        # After a round the poller has read up to the head: nothing pending is nothing to follow.
        return self.options.once and not self.pending


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("requester", help="open your jobs' evaluation sets in time, finalize, withdraw")
    add_session_args(parser)
    parser.add_argument("--publish", default=None, help="artifact server to upload evaluation sets to when opened")
    parser.add_argument(
        "--models",
        type=Path,
        default=None,
        help="where sealed jobs' decrypted winning weights go (default: <home>/requester/models)",
    )
    add_daemon_args(parser, once_help="exit when the jobs seen so far are settled")
    parser.set_defaults(func=cmd_requester)


def cmd_requester(args: argparse.Namespace) -> int:
    options = RequesterOptions(
        publish=args.publish,
        confirmations=args.confirmations,
        poll_seconds=args.poll,
        once=args.once,
        models=args.models,
    )
    return Requester(open_session(args), options, RoleLog("requester", args.json)).run()
