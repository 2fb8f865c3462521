"""A spec that leaves `stem` out: the worker trains with the ML config's default, and the
validator must rebuild the same model from the same parsed spec, or it attests 0 and the
honest worker is slashed."""

from __future__ import annotations

from conftest import SPEC, World

from offchain.roles.journal import JobState
from offchain.roles.rolelog import RoleLog
from offchain.roles.validator import Validator, ValidatorOptions
from offchain.roles.worker import Worker, WorkerOptions


def test_an_honest_worker_is_verified_honest_when_the_spec_omits_the_stem(world: World, quiet_log: RoleLog) -> None:
    assert "stem" not in SPEC
    job_id = world.post_job()
    worker = Worker(world.session(2, "worker"), WorkerOptions(publish=None, device="cpu", confirmations=0), quiet_log)
    worker.discover()
    while (entry := worker.journal.get(job_id)).state != JobState.COMMITTED:  # type: ignore[union-attr]
        assert entry.state not in (JobState.SKIPPED, JobState.DONE), entry.record
        worker.advance(entry)
    world.travel_past(0, job_id)
    worker.advance(worker.journal.get(job_id))  # reveal
    validator = Validator(world.session(4, "validator"), ValidatorOptions(confirmations=0), quiet_log)
    revealed = validator.session.market.revealed_of(job_id, worker.me)
    assert revealed is not None

    score = validator.judge(validator._job(job_id), revealed, bytes.fromhex(world.hashes["eval"]))

    claimed = worker.journal.get(job_id).record.claim_bps
    # The worker never saw the evaluation set: its claim is a conservative estimate from its
    # held-out split, honest when it is at most the tolerance (100 bps) above the measurement.
    assert score > 0 and claimed <= score + 100
