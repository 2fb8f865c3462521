"""A committee member on a sealed job (issue 26), on the in-process EVM: it registers its
encryption key when it bonds, opens its envelope and the sealed artifact to the weights it
then checks and scores, and proves an envelope that does not hold the committed key bad on
chain (the submission forfeits) instead of scoring what it cannot open."""

from __future__ import annotations

import io
import json
from pathlib import Path

from conftest import ETH, SPEC, World

from offchain.artifacts.store import ArtifactStore
from offchain.eth.commitment import commitment, new_salt
from offchain.eth.exchange import ExchangeClient
from offchain.eth.market import Revealed
from offchain.roles.rolelog import RoleLog
from offchain.roles.sealing import seal_weights
from offchain.roles.validator import ZERO_SCORE, Validator, ValidatorOptions
from offchain.sealed.curve import new_key_pair
from offchain.sealed.keys import new_key

VALIDATOR, REQUESTER, WORKER = 4, 1, 2
MODEL = bytes([9]) * 32  # the revealed model hash (never the base's: reveal refuses it)


def _small_weights(folder: Path) -> Path:
    """A small safetensors file (a ResNet-18's 45 MB takes seconds to seal in Python)."""
    import numpy as np
    from safetensors.numpy import save_file

    path = folder / "small.safetensors"
    save_file({"w": np.arange(600, dtype=np.float32)}, str(path))
    return path


def _bonded_validator(world: World) -> tuple[Validator, io.StringIO]:
    stream = io.StringIO()
    validator = Validator(
        world.session(VALIDATOR, "validator"), ValidatorOptions(confirmations=0), RoleLog("validator", stream=stream)
    )
    validator.ensure_bonded()  # the only member: it holds every seat
    return validator, stream


def _sealed_job(world: World) -> int:
    spec_path = world.tmp / "spec.json"
    spec_path.write_text(json.dumps(SPEC))
    spec = ArtifactStore(world.store).put_file(spec_path)
    requester = world.session(REQUESTER, "requester")
    terms = world.terms(requester, world.hashes["train"], world.hashes["eval"], spec)
    return ExchangeClient(requester.market).post_sealed_job(new_key_pair(), terms)


def _sealed_submission(world: World, job_id: int, weights: Path):
    """The worker commits, seals `weights`, serves the artifact, publishes the seal and reveals;
    the committee is drawn. Returns (worker's exchange client, the sealed weights, the Revealed event)."""
    worker = world.session(WORKER, "worker")
    salt = new_salt()
    worker.market.commit(job_id, commitment(job_id, worker.client.address, MODEL, 7000, salt), ETH // 10)
    world.travel_past(0, job_id)
    sealed = seal_weights(weights, MODEL, worker.home / "job")
    uri = "sha256:" + ArtifactStore(world.store).put_file(sealed.artifact)
    exchange = ExchangeClient(worker.market)
    exchange.publish_seal(job_id, sealed.header)
    worker.market.reveal(job_id, MODEL, 7000, salt, uri)
    worker.market.draw_committee(job_id)
    event = worker.market.revealed_of(job_id, worker.client.address)
    assert isinstance(event, Revealed)
    return exchange, sealed, event


def test_a_member_opens_a_sealed_submission_to_its_weights_with_the_key_it_registered(world: World) -> None:
    validator, stream = _bonded_validator(world)
    job_id = _sealed_job(world)
    weights = _small_weights(world.tmp)
    exchange, sealed, event = _sealed_submission(world, job_id, weights)
    exchange.post_envelopes(job_id, sealed.key)

    score = validator.judge(validator._job(job_id), event, bytes.fromhex(world.hashes["eval"]))

    opened = validator.weights_folder(job_id, event.worker) / "model.safetensors"
    assert opened.read_bytes() == weights.read_bytes()  # decrypted, then checked against MODEL
    assert score == ZERO_SCORE and "fingerprint mismatch" in stream.getvalue()
    assert not exchange.bad_envelope(job_id, event.worker)
    # Its key was registered when it bonded, and a restart keeps it (the secret in its home).
    again = Validator(world.session(VALIDATOR, "validator"), ValidatorOptions(), RoleLog("v", stream=io.StringIO()))
    assert exchange.encryption_key(validator.me) == validator.encryption.public == again.encryption.public


def test_a_member_handed_a_bad_envelope_proves_it_instead_of_scoring(world: World) -> None:
    validator, stream = _bonded_validator(world)
    job_id = _sealed_job(world)
    exchange, sealed, event = _sealed_submission(world, job_id, _small_weights(world.tmp))
    exchange.post_envelopes(job_id, new_key())  # another key than the committed one, to every seat

    score = validator.judge(validator._job(job_id), event, bytes.fromhex(world.hashes["eval"]))

    assert score == ZERO_SCORE and "bad envelope proven" in stream.getvalue()
    assert exchange.bad_envelope(job_id, event.worker)
