"""The validator's judgement on the in-process EVM: a weights server that does not answer
is asked again later (an honest worker is not scored 0 for a network blip); weights that
are not what was revealed score 0."""

from __future__ import annotations

import io

import pytest
from conftest import World

from offchain.artifacts.errors import ArtifactUnreachableError
from offchain.eth.market import Revealed
from offchain.roles.rolelog import RoleLog
from offchain.roles.validator import ZERO_SCORE, Validator, ValidatorOptions

VALIDATOR = 4


def _validator(world: World) -> Validator:
    options = ValidatorOptions(confirmations=0)
    return Validator(world.session(VALIDATOR, "validator"), options, RoleLog("validator", stream=io.StringIO()))


def _revealed(world: World, job_id: int, model_hash: bytes, uri: str) -> Revealed:
    worker = world.client.w3.eth.accounts[2]
    return Revealed(
        block=0,
        tx_hash="0x00",
        log_index=0,
        job_id=job_id,
        worker=worker,
        model_hash=model_hash,
        score_bps=5000,
        uri=uri,
    )


def test_an_unreachable_weights_server_is_retried_not_scored_zero(world: World) -> None:
    job_id = world.post_job()
    validator = _validator(world)
    event = _revealed(world, job_id, world.base_hash, f"http://127.0.0.1:9/sha256/{'ab' * 32}")

    with pytest.raises(ArtifactUnreachableError):
        validator.judge(validator._job(job_id), event, bytes.fromhex(world.hashes["eval"]))


def test_weights_that_are_not_the_revealed_model_score_zero(world: World) -> None:
    job_id = world.post_job()
    validator = _validator(world)
    base_weights = next(world.store.iterdir())  # any file that is not the revealed model
    event = _revealed(world, job_id, bytes(32), str(base_weights))

    assert validator.judge(validator._job(job_id), event, bytes.fromhex(world.hashes["eval"])) == ZERO_SCORE
