"""Protocol overhead of one job outside training, on a local anvil chain.

    python -m benchmarks protocol

Measures what a worker spends on the market itself, through the worker's own loop
(offchain.roles.worker.Worker.round: its event poller, its durable journal, MarketClient): the
round that sees a JobPosted event and commits (commitment, journal write, commit mined), the
round that reveals, the round that finalizes the settled job (the worker does when nobody has
yet) and the round that claims the payout. Only the job's acceptance (artifact fetches, the
training estimate) and the training itself are left out: a taken job goes straight to its
trained result. Around it the job runs the current protocol: the requester posts a sealed
evaluation set and opens it, three bonded validators draw the committee, commit and reveal
their sealed scores through the committee role (offchain.roles.committee, its ML judge standing
in with the claimed score) and withdraw their fees. Baseline, in the same run on the same chain:
a plain ether transfer signed, sent and mined, so the ratio says how many "bare transactions"
the protocol costs. Goal (issue 6): at most 2 s in total per job.
"""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from web3.types import Wei

from benchmarks.ledger_bench import machine
from offchain.eth.client import Client, connect
from offchain.eth.commitment import evaluation_seal
from offchain.eth.deploy import deploy_all
from offchain.eth.deployments import Deployment
from offchain.eth.job_terms import JobTerms
from offchain.eth.keys import account_from_key, dev_private_key
from offchain.eth.localchain import local_chain
from offchain.eth.market import JobPosted, MarketClient, Outcome, Submission
from offchain.eth.registry import RegistryClient
from offchain.roles.committee import CommitteeMember
from offchain.roles.journal import JobEntry, JobState
from offchain.roles.rolelog import RoleLog
from offchain.roles.seals import SealBook
from offchain.roles.session import Session
from offchain.roles.worker import Worker, WorkerOptions

ROUNDS = 5
GOAL_SECONDS = 2.0
ETHER = 10**18
WINDOW_S = 100  # each of the job's four windows (the deployment's minimum is 60 s)
REQUESTER, WORKER, VALIDATORS = 1, 2, (4, 5, 6)  # dev accounts; 0 deploys and sends the baseline
BASE = bytes.fromhex("ba" * 32)
MODEL = bytes.fromhex("ab" * 32)
EVALUATION, EVALUATION_SALT = bytes.fromhex("e0" * 32), bytes.fromhex("5a" * 32)
SCORE_BPS = 9000  # the worker's measurement and claim, and what the committee attests
STEPS = ("event seen -> commit mined", "reveal mined", "finalize mined", "claim mined (payout)")


class BenchmarkError(RuntimeError):
    """The benchmark's job did not go the protocol's way: its figures would measure something else."""


class TrainedWorker(Worker):
    """The worker's market path as it runs, without the job's acceptance and training (artifact
    fetches, the training estimate, the ML): a job it sees is journalled with a trained result."""

    def consider(self, job: JobPosted) -> None:
        self.journal.put(job.job_id, JobState.SEEN, job=job)
        self.journal.put(
            job.job_id, JobState.TRAINED, model_hash=MODEL, measured_bps=SCORE_BPS, claim_bps=SCORE_BPS, uri="file:///m"
        )
        self.taken += 1


def _client(chain: Client, index: int) -> Client:
    return chain.with_account(account_from_key(dev_private_key(index)))


def _session(client: Client, deployment: Deployment, home: Path) -> Session:
    registry = RegistryClient(client, deployment.contract("ModelRegistry").address)
    return Session(client, deployment, MarketClient.of(client, deployment), registry, home)


def _member(session: Session) -> CommitteeMember:
    """A validator's committee duties, its judge (the ML evaluation) standing in with the claim."""

    def judge(job_id: int, index: int, sub: Submission) -> int:
        return SCORE_BPS

    book = SealBook(session.home / "seals.sqlite", session.client.chain_id, session.market.address)
    return CommitteeMember(session, book, judge, RoleLog("validator", stream=io.StringIO()))


def _travel_past(client: Client, deadline: int) -> None:
    client.w3.provider.make_request("evm_setNextBlockTimestamp", [deadline + 1])  # type: ignore[arg-type]
    client.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def one_job(requester: MarketClient, worker: TrainedWorker, members: list[CommitteeMember]) -> dict[str, float]:
    """Post a job and take it to the worker's payout; the seconds of each of the worker's rounds."""
    client = requester.client
    now = int(client.w3.eth.get_block("latest")["timestamp"])
    terms = JobTerms(
        base_model=BASE, training_set=MODEL, evaluation_seal=evaluation_seal(EVALUATION, EVALUATION_SALT), spec=MODEL,
        min_score_bps=5000, deadlines=tuple(now + k * WINDOW_S for k in (1, 2, 3, 4)),  # type: ignore[arg-type]
        min_stake=ETHER // 10, committee_size=len(members), reward=ETHER,
    )  # fmt: skip
    job_id = requester.post_job(terms)
    job = requester.job(job_id)
    timings = {STEPS[0]: _timed(worker.round)}
    _expect(worker, job_id, JobState.COMMITTED)
    _travel_past(client, job.commit_deadline)
    timings[STEPS[1]] = _timed(worker.round)
    _expect(worker, job_id, JobState.REVEALED)
    requester.reveal_evaluation(job_id, EVALUATION, EVALUATION_SALT, "")
    for deadline in (None, job.reveal_deadline, job.attest_deadline):  # draw, commit the scores, reveal them
        if deadline is not None:
            _travel_past(client, deadline)
        for member in members:
            member.step(job_id)
    _travel_past(client, job.settle_deadline)
    timings[STEPS[2]] = _timed(worker.round)
    _expect(worker, job_id, JobState.FINALIZED)
    timings[STEPS[3]] = _timed(worker.round)
    record = _expect(worker, job_id, JobState.DONE).record
    if record.outcome != Outcome.WON.name or not record.withdrawn or record.withdrawn <= terms.min_stake:
        raise BenchmarkError(f"job {job_id}: {record.outcome}, the worker's claim paid {record.withdrawn} wei")
    if not all(member.step(job_id) for member in members):  # each settles and withdraws its fee
        raise BenchmarkError(f"job {job_id}: a committee member has duties left after the payout")
    return timings


def _expect(worker: Worker, job_id: int, state: JobState) -> JobEntry:
    entry = worker.journal.get(job_id)
    if entry is None or entry.state != state:
        found = entry and (entry.state, entry.record.reason)
        raise BenchmarkError(f"job {job_id}: the worker's round left it at {found}, not {state.name}")
    return entry


def measure(rounds: int) -> tuple[list[float], list[dict[str, float]]]:
    """`rounds` bare transfers, then `rounds` jobs, on a fresh anvil: their seconds."""
    with local_chain() as chain, tempfile.TemporaryDirectory() as tmp:
        client = connect(chain.url, dev_private_key(0))
        deployment = deploy_all(client, Path(tmp) / "deployments", ledger_chain=None)
        RegistryClient(client, deployment.contract("ModelRegistry").address).register(BASE, None, MODEL, 0, "x")
        sessions = {i: _session(_client(client, i), deployment, Path(tmp) / f"home-{i}") for i in (WORKER, *VALIDATORS)}
        members = [_member(sessions[i]) for i in VALIDATORS]
        for member in members:
            member.session.market.join_validators(ETHER)
        options = WorkerOptions(publish=None, device="cpu", confirmations=0)
        worker = TrainedWorker(sessions[WORKER], options, RoleLog("worker", stream=io.StringIO()))
        bare = [
            _timed(
                lambda: client.w3.eth.wait_for_transaction_receipt(
                    client.w3.eth.send_transaction({"from": client.address, "to": client.address, "value": Wei(1)})
                )
            )
            for _ in range(rounds)
        ]
        requester = MarketClient.of(_client(client, REQUESTER), deployment)
        try:
            return bare, [one_job(requester, worker, members) for _ in range(rounds)]
        finally:
            worker.journal.close()
            for member in members:
                member.book.close()


def main() -> int:
    bare, jobs = measure(ROUNDS)
    bare_s = statistics.median(bare)
    print(f"{machine()}\nanvil (automine), {ROUNDS} jobs after {ROUNDS} bare transfers")
    print(f"{'step (median of ' + str(ROUNDS) + ' jobs)':<34} {'seconds':>9} {'x bare tx':>10}")
    print(f"{'baseline: bare transfer mined':<34} {bare_s:>9.4f} {1.0:>10.1f}")
    total = 0.0
    for step in STEPS:
        value = statistics.median(job[step] for job in jobs)
        total += value
        print(f"{step:<34} {value:>9.4f} {value / bare_s:>10.1f}")
    print(f"{'total per job (goal <= 2 s)':<34} {total:>9.4f} {total / bare_s:>10.1f}")
    met = total <= GOAL_SECONDS
    print(f"goal: <= {GOAL_SECONDS:g} s per job outside training: {'met' if met else 'NOT met'} ({total:.2f} s)")
    return 0 if met else 1
