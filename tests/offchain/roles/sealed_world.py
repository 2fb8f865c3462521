"""A sealed job (issue 26) on the roles' in-process chain: posted with `job post --sealed`'s
code, worked by the product's worker steps on tiny weights, judged by a committee of three
bonded members whose attestations the tests write directly."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from conftest import ETH, SPEC, World

from offchain.artifacts.store import ArtifactStore
from offchain.eth.commitment import attestation_seal
from offchain.eth.market import MarketClient
from offchain.roles.journal import JobEntry, JobState
from offchain.roles.requester import Windows, post_job, reveal_evaluation
from offchain.roles.rolelog import RoleLog
from offchain.roles.validator import Validator, ValidatorOptions
from offchain.roles.worker import Trained, Worker, WorkerOptions

REQUESTER = 1
MEMBERS = (4, 5, 6)
WINDOWS = Windows(3600, 3600, 3600, 3600)
MEASURED = 9000  # each tiny worker's held-out score; it claims 8,810 (two standard errors on 1,000)


class TinyWorker(Worker):
    """The product's worker with its fine-tuning replaced by tiny random weights (sealing a
    ResNet-18's 45 MB takes seconds in Python): every other step is the product's."""

    def fine_tune(self, entry: JobEntry, job_dir: Path) -> Trained:
        from safetensors.numpy import save_file

        from offchain.ml.fingerprint import fingerprint_file

        weights = job_dir / "model.safetensors"
        rng = np.random.default_rng(int(self.me, 16) + entry.job_id)  # one model per worker and job
        save_file({"w": rng.standard_normal(700).astype(np.float32)}, str(weights))
        return Trained(weights, fingerprint_file(weights), MEASURED, 1000)


def tiny_worker(world: World, account: int, stream: io.StringIO | None = None) -> TinyWorker:
    """A worker process as it starts: a fresh object on the journal of the last one."""
    # A stated speed: measuring the spec's ResNet-18 takes seconds, and TinyWorker never trains it.
    options = WorkerOptions(publish=None, device="cpu", confirmations=0, images_per_second=1000.0)
    return TinyWorker(
        world.session(account, f"worker-{account}"), options, RoleLog("worker", stream=stream or io.StringIO())
    )


def step(world: World, account: int, job_id: int) -> JobState:
    """Restart worker `account`, take one step for the job, return the state it reached."""
    worker = tiny_worker(world, account)
    entry = worker.journal.get(job_id)
    assert entry is not None
    worker.advance(entry)
    found = tiny_worker(world, account).journal.get(job_id)
    assert found is not None
    return found.state


def post_sealed(world: World) -> int:
    """A job posted as `offchain job post --sealed` posts it."""
    spec = world.tmp / "sealed-spec.json"
    spec.write_text(json.dumps(SPEC))
    ArtifactStore(world.store).put_file(spec)  # where the workers look (no --publish server here)
    session = world.session(REQUESTER, "requester")
    posted = post_job(
        session,
        base="0x" + world.base_hash.hex(),
        train=world.tmp / "train.npz",
        evaluation=world.tmp / "eval.npz",
        spec=spec,
        reward=ETH,
        min_score_bps=0,
        windows=WINDOWS,
        sealed=True,
    )
    return posted.job_id


def bond_members(world: World) -> list[Validator]:
    """Three members, each with its encryption key registered as `offchain validator` does."""
    members = []
    for account in MEMBERS:
        options = ValidatorOptions(confirmations=0, bond=ETH)
        member = Validator(world.session(account, "validator"), options, RoleLog("validator", stream=io.StringIO()))
        member.ensure_bonded()
        members.append(member)
    return members


def open_evaluation(world: World, job_id: int) -> None:
    """The requester opens the evaluation set from its seal book (after the commit deadline)."""
    assert reveal_evaluation(world.session(REQUESTER, "requester"), job_id, None)


def attest(world: World, job_id: int, scores: list[int]) -> None:
    """Every seated member attests `scores` (one per submission, in commit order), then the
    clock moves past the settle deadline."""
    markets = [
        MarketClient.of(world.client.with_account(world.client.w3.eth.accounts[a]), world.deployment) for a in MEMBERS
    ]
    seated = [m for m in markets if m.client.address in markets[0].committee(job_id)]
    world.travel_past(1, job_id)
    salt = bytes(32)
    for m in seated:
        m.commit_attestation(job_id, attestation_seal(job_id, m.client.address, scores, salt))
    world.travel_past(2, job_id)
    for m in seated:
        m.reveal_attestation(job_id, scores, salt)
    world.travel_past(3, job_id)


def settled(world: World, job_id: int, workers: tuple[int, ...], scores: list[int]) -> None:
    """Walk trained `workers` (journal state TRAINED) through commit, reveal and envelopes, the
    committee attesting `scores`, to the job's finalize."""
    for account in workers:
        assert step(world, account, job_id) == JobState.COMMITTED
    world.travel_past(0, job_id)
    for account in workers:
        assert step(world, account, job_id) == JobState.REVEALED
        step(world, account, job_id)  # the first draws the committee; each posts its envelopes
    open_evaluation(world, job_id)
    attest(world, job_id, scores)
    for account in workers:
        assert step(world, account, job_id) == JobState.FINALIZED
