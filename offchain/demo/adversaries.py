"""The demo's adversaries: the product's worker and validator with one step replaced.

    python -m offchain.demo.adversaries worker --overclaim-bps 1500 <worker options>
    python -m offchain.demo.adversaries worker --forge-key JOB <worker options>
    python -m offchain.demo.adversaries validator --lazy <validator options>
    python -m offchain.demo.adversaries validator --inflate-for ADDRESS <validator options>

The released `offchain worker` and `offchain validator` behave honestly and have no hidden
flags; `make demo` (and the tests) start these instead, to show the market slashing them: an
over-claiming worker, a sealed job's winner that delivers a forged key (disputed and refunded),
a lazy validator that copies each claim instead of evaluating, and a Sybil of one worker that
attests its claim and 0 for everyone else.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from offchain.cli import USER_ERRORS
from offchain.eth.errors import InvalidInputError
from offchain.eth.market import JobPosted, Revealed
from offchain.eth.values import MAX_BPS, parse_address
from offchain.roles import validator as validator_role
from offchain.roles import worker as worker_role
from offchain.roles.journal import JobEntry
from offchain.roles.validator import ZERO_SCORE, Validator
from offchain.roles.worker import Worker
from offchain.sealed.keys import new_key


class OverclaimingWorker(Worker):
    """Claims `overclaim_bps` more than it measured (capped at 100 %)."""

    overclaim_bps = 0

    def claim_for(self, measured_bps: int, n: int, evaluation_shards: int | None = None) -> int:
        return min(MAX_BPS, measured_bps + self.overclaim_bps)


class ForgingWorker(Worker):
    """Works sealed job `job` only, honestly, and when it wins delivers a made-up key instead of
    its own: the requester disputes it on chain (disputeKey) and is refunded, its deposit burns."""

    job = 0

    def consider(self, job: JobPosted) -> None:
        if job.job_id != self.job:
            self.journal.skip_all([job], f"the forger works job {self.job} only")
            return
        super().consider(job)

    def delivery_key(self, entry: JobEntry) -> bytes:
        self.log("delivering a forged key", job=entry.job_id)
        return new_key()


class LazyValidator(Validator):
    """Copies each claim instead of evaluating: slashed whenever the claim is off the median."""

    def score(self, job_id: int, event: Revealed, evaluation_set: bytes) -> int:
        self.log("copied the claim without evaluating", job=job_id, worker=event.worker, claim_bps=event.score_bps)
        return event.score_bps


class SybilValidator(Validator):
    """Colludes with the worker `partner`: attests its claim and 0 for every other submission,
    without evaluating (outvoted by an honest majority and slashed for it)."""

    partner = ""

    def score(self, job_id: int, event: Revealed, evaluation_set: bytes) -> int:
        score = event.score_bps if event.worker == self.partner else ZERO_SCORE
        self.log("attested without evaluating (Sybil)", job=job_id, worker=event.worker, score_bps=score)
        return score


def _address(text: str) -> str:
    """argparse type of --inflate-for: a checksummed address."""
    try:
        return parse_address(text, "--inflate-for")
    except InvalidInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """The product's worker and validator commands, each with its adversary's flag."""
    parser = argparse.ArgumentParser(prog="python -m offchain.demo.adversaries")
    subparsers = parser.add_subparsers(dest="role", required=True)
    worker_role.register(subparsers)
    validator_role.register(subparsers)
    worker = subparsers.choices["worker"].add_mutually_exclusive_group(required=True)
    worker.add_argument("--overclaim-bps", type=int, help="claim this much more than measured")
    worker.add_argument("--forge-key", type=int, metavar="JOB", help="work sealed job JOB only; deliver a forged key")
    validator = subparsers.choices["validator"]
    behaviour = validator.add_mutually_exclusive_group(required=True)
    behaviour.add_argument("--lazy", action="store_true", help="copy each claim instead of evaluating")
    behaviour.add_argument("--inflate-for", type=_address, metavar="ADDRESS", help="a Sybil of worker ADDRESS")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except USER_ERRORS as exc:  # one line, as the product's commands say it
        print(f"adversary: error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.role == "worker" and args.forge_key is not None:
        return worker_role.cmd_worker(args, type("Forger", (ForgingWorker,), {"job": args.forge_key}))
    if args.role == "worker":
        role = type("Overclaimer", (OverclaimingWorker,), {"overclaim_bps": args.overclaim_bps})
        return worker_role.cmd_worker(args, role)
    if args.lazy:
        return validator_role.cmd_validator(args, LazyValidator)
    return validator_role.cmd_validator(args, type("Sybil", (SybilValidator,), {"partner": args.inflate_for}))


if __name__ == "__main__":
    sys.exit(main())
