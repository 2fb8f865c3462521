"""The validator's judgement on the in-process EVM: a weights server that does not answer
is asked again later (an honest worker is not scored 0 for a network blip); weights that
are not what was revealed score 0."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import SPEC, World

from offchain.artifacts.errors import ArtifactUnreachableError
from offchain.artifacts.store import ArtifactStore
from offchain.eth.inclusion import DELAYS
from offchain.eth.market import Revealed
from offchain.ml.pool import PoolSplit
from offchain.roles.committee import EvaluationUnavailableError, EvaluationUnreachableError
from offchain.roles.pool import pool_of, split_of
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


def test_an_evaluation_set_nobody_serves_is_the_requesters_failure_not_a_zero_score(world: World) -> None:
    # Issue 20 item 4: the requester opened a seal whose file it never publishes.
    job_id = world.post_job()
    validator = _validator(world)
    base_weights = next(world.store.iterdir())
    event = _revealed(world, job_id, bytes(32), str(base_weights))

    with pytest.raises(EvaluationUnavailableError):
        validator.judge(validator._job(job_id), event, bytes([7]) * 32)


def test_an_evaluation_set_whose_server_does_not_answer_is_told_apart_from_unreachable_weights(world: World) -> None:
    # The member asks again until half the attestation window, then attests the set unavailable
    # (the requester's failure); unreachable weights would score 0 instead.
    job_id = world.post_job()
    validator = _validator(world)
    validator.session.sources.insert(0, "http://127.0.0.1:9")  # nothing listens there
    event = _revealed(world, job_id, world.base_hash, "file:///m")

    with pytest.raises(EvaluationUnreachableError):
        validator.judge(validator._job(job_id), event, bytes([9]) * 32)  # held by no store


def test_weights_that_are_not_the_revealed_model_score_zero(world: World) -> None:
    job_id = world.post_job()
    validator = _validator(world)
    base_weights = next(world.store.iterdir())  # any file that is not the revealed model
    event = _revealed(world, job_id, bytes(32), str(base_weights))

    assert validator.judge(validator._job(job_id), event, bytes.fromhex(world.hashes["eval"])) == ZERO_SCORE


def _job_with_two_revealed_submissions(world: World) -> tuple[int, str, str]:
    """A job where workers 2 and 3 revealed claims of 7000 and 9000 bps (weights never served)."""
    from offchain.eth.commitment import commitment, new_salt

    job_id = world.post_job()
    workers = []
    for account, claim in ((2, 7000), (3, 9000)):
        market = world.session(account, f"worker-{account}").market
        salt = new_salt()
        model = bytes([account]) * 32
        market.commit(job_id, commitment(job_id, market.client.address, model, claim, salt), 10**17)
        workers.append((market, model, claim, salt))
    world.travel_past(0, job_id)
    for market, model, claim, salt in workers:
        market.reveal(job_id, model, claim, salt, "http://127.0.0.1:9/sha256/" + "ab" * 32)
    world.reveal_evaluation(job_id)
    return job_id, workers[0][0].client.address, workers[1][0].client.address


def test_a_sybil_attests_its_workers_claim_and_zero_for_the_others_without_evaluating(world: World) -> None:
    from offchain.demo.adversaries import SybilValidator

    job_id, rival, colluder = _job_with_two_revealed_submissions(world)
    sybil_of = type("Sybil", (SybilValidator,), {"partner": colluder})
    options = ValidatorOptions(confirmations=0)
    sybil = sybil_of(world.session(VALIDATOR, "sybil"), options, RoleLog("validator", stream=io.StringIO()))
    subs = sybil.session.market.submissions(job_id)

    # The weights URL answers nothing: an evaluation would raise ArtifactUnreachableError.
    scores = {s.worker: sybil._judge_submission(job_id, i, s) for i, s in enumerate(subs)}

    assert scores == {rival: ZERO_SCORE, colluder: 9000}


def test_a_join_that_fails_once_is_retried(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from offchain.eth.errors import TransactionError

    validator = _validator(world)
    market = validator.session.market
    join = market.join_validators
    calls = []

    def racing_join(bond: int) -> object:
        calls.append(bond)
        if len(calls) == 1:  # as when another join grew the sortition tree after the estimate
            raise TransactionError("joinValidators reverted in transaction 0xab")
        return join(bond)

    monkeypatch.setattr(market, "join_validators", racing_join)

    validator.ensure_bonded()

    assert len(calls) == 2
    assert market.is_validator(validator.me)


def test_validators_sharing_a_home_keep_their_own_seals_and_weights(world: World) -> None:
    # The README starts three validators in three terminals of one user: one --home.
    first, second = (
        Validator(
            world.session(account, "one-home"), ValidatorOptions(confirmations=0), RoleLog("v", stream=io.StringIO())
        )
        for account in (4, 5)
    )
    worker = world.client.w3.eth.accounts[2]

    first.book.put_attestation(1, [7000], bytes(32))

    assert second.book.attestation(1) is None  # it evaluates for itself, with a salt of its own
    assert first.weights_folder(1, worker) != second.weights_folder(1, worker)  # no file rewritten under a reader


def test_a_seal_book_from_before_per_address_homes_is_carried_over_once(tmp_path: Path) -> None:
    from offchain.roles.seals import SealBook
    from offchain.roles.validator import LEGACY_SEALS, carry_legacy_seals

    market = "0x" + "ab" * 20
    legacy = SealBook(tmp_path / LEGACY_SEALS, 1337, market)  # committed before the upgrade
    sealed = legacy.put_attestation(4, [8000, 0], b"\x01" * 32)
    legacy.close()
    book = tmp_path / "validator" / "0xme" / "seals.sqlite"
    book.parent.mkdir(parents=True)

    assert carry_legacy_seals(tmp_path, book) is True
    assert SealBook(book, 1337, market).attestation(4) == sealed  # revealed after the upgrade
    assert carry_legacy_seals(tmp_path, book) is False  # once: the new book is never overwritten


def test_a_job_whose_windows_hold_too_few_measured_inclusion_delays_is_warned_of(world: World) -> None:
    job_id = world.post_job()  # each window an hour
    stream = io.StringIO()
    validator = Validator(
        world.session(VALIDATOR, "validator"), ValidatorOptions(confirmations=0), RoleLog("v", stream=stream)
    )
    # This account's transactions took 20 minutes to be included (issue 25).
    DELAYS.record(validator.session.client.w3, 1200.0)

    validator.round()

    warnings = [line for line in stream.getvalue().splitlines() if "window too short" in line]
    assert len(warnings) == 3 and all(f"job {job_id}" in line for line in warnings), stream.getvalue()


def _pooled_job_opened(world: World) -> tuple[int, Validator, PoolSplit]:
    """A pooled job past its seed block, its training shards served (as its requester does)."""
    job_id = world.post_pooled_job()
    validator = _validator(world)
    job = validator._job(job_id)
    manifest = pool_of(validator.session, job)
    assert manifest is not None
    world.client.w3.testing.mine(manifest.seed_delay)
    drawn = split_of(validator.session, job, manifest)
    world.serve_shards(drawn.training)
    return job_id, validator, drawn


def test_a_pooled_jobs_evaluation_set_is_the_seeded_complement_of_its_training_shards(world: World) -> None:
    from offchain.ml.data import load_dataset_npz

    job_id, validator, drawn = _pooled_job_opened(world)
    world.serve_shards(drawn.evaluation)  # `job reveal-eval` publishes them

    path = validator.evaluation_path(validator._job(job_id), bytes.fromhex(world.hashes["pool"]))

    sizes = {i: len(load_dataset_npz(validator.session.fetch(bytes.fromhex(h)))) for i, h in _shards(world)}
    assert len(load_dataset_npz(path)) == sum(sizes[i] for i in drawn.evaluation)


def test_issue20_an_opened_set_that_is_not_the_pools_seeded_complement_is_attested_unavailable(world: World) -> None:
    # The requester opens a seal of another set (a hostile one it sealed at post) on a pooled job.
    job_id, validator, _ = _pooled_job_opened(world)
    base_weights = next(world.store.iterdir())
    event = _revealed(world, job_id, bytes(32), str(base_weights))

    with pytest.raises(EvaluationUnavailableError, match="not the seeded complement"):
        validator.judge(validator._job(job_id), event, bytes.fromhex(world.hashes["eval"]))


def test_issue20_a_pooled_job_whose_evaluation_shards_are_not_served_is_attested_unavailable(world: World) -> None:
    job_id, validator, drawn = _pooled_job_opened(world)
    world.serve_shards(drawn.evaluation[1:])  # one evaluation shard kept back
    base_weights = next(world.store.iterdir())
    event = _revealed(world, job_id, bytes(32), str(base_weights))

    with pytest.raises(EvaluationUnavailableError):
        validator.judge(validator._job(job_id), event, bytes.fromhex(world.hashes["pool"]))


def _shards(world: World) -> list[tuple[int, str]]:
    from offchain.ml.pool import parse_manifest

    manifest = parse_manifest((world.store / world.hashes["pool"]).read_bytes())
    assert manifest is not None
    return list(enumerate(manifest.shards))


def test_a_spec_key_from_a_later_version_does_not_make_the_validator_score_zero(world: World) -> None:
    """A validator needs only the spec's architecture and stem. Read strictly, a key its version
    does not know (the "unlabelled" images were one) scored every submission 0, convicting the
    honest workers of a committee that had not upgraded yet."""
    job_id = world.post_job({**SPEC, "a_key_from_a_later_version": 1})
    stream = io.StringIO()
    validator = Validator(world.session(VALIDATOR, "validator"), ValidatorOptions(confirmations=0),
                          RoleLog("validator", stream=stream))  # fmt: skip
    uri = world.session(VALIDATOR, "validator").registry.record(world.base_hash).uri
    event = _revealed(world, job_id, world.base_hash, uri)  # the base model itself, served honestly

    validator.judge(validator._job(job_id), event, bytes.fromhex(world.hashes["eval"]))

    assert "weights unusable" not in stream.getvalue() and "evaluated" in stream.getvalue()


@pytest.mark.parametrize("kind", ["junk", "bomb"])
def test_an_opened_set_that_is_no_data_set_is_the_requesters_failure_not_a_zero_score(
    world: World, tmp_path: Path, kind: str
) -> None:
    """The requester commits to its evaluation set's hash, not to its being a data set. Scored,
    a set that does not load made every member score every submission 0: the committee would
    convict the honest workers. A small archive that unpacks past the machine's memory would
    have the member killed mid-round (its bond slashed for the missed reveal)."""
    import zipfile

    if kind == "junk":
        digest = bytes.fromhex(ArtifactStore(world.store).put_bytes(b"not an npz at all"))
    else:
        bomb = tmp_path / "bomb.npz"
        with (
            zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
            archive.open("images.npy", "w", force_zip64=True) as out,
        ):
            for _ in range(64):
                out.write(bytes(1 << 20))
        digest = bytes.fromhex(ArtifactStore(world.store).put_file(bomb))
    job_id = world.post_job()
    validator = _validator(world)
    uri = world.session(VALIDATOR, "validator").registry.record(world.base_hash).uri
    event = _revealed(world, job_id, world.base_hash, uri)  # honest weights, served
    limit = {"junk": None, "bomb": 32 << 20}[kind]  # a machine with 64 MiB to spare

    with pytest.MonkeyPatch.context() as patch:
        if limit is not None:
            patch.setattr("offchain.ml.memory.ram_bytes", lambda: 2 * limit)
        with pytest.raises(EvaluationUnavailableError, match={"junk": "not a data set", "bomb": "unpacks to"}[kind]):
            validator.judge(validator._job(job_id), event, digest)


@pytest.mark.parametrize("room", ["ten images", "none"])
def test_a_member_evaluates_in_batches_that_fit_its_memory(world: World, room: str) -> None:
    """Evaluation ran 500 images a batch whatever their size: 500 of 512x512 (0.4 GiB, within
    the loader's bound) need some 26 GiB at once, and the member was killed mid-round (its bond
    slashed for the reveal it then missed). It evaluates in the batch its memory holds; a set of
    which not one image fits half the machine is the requester's failure."""
    from offchain.ml import evaluation
    from offchain.ml.config import TrainConfig
    from offchain.ml.data import load_dataset_npz
    from offchain.ml.memory import DATA_COPIES, eval_bytes, unpacked_bytes

    job_id = world.post_job()
    validator = _validator(world)
    uri = world.session(VALIDATOR, "validator").registry.record(world.base_hash).uri
    event = _revealed(world, job_id, world.base_hash, uri)
    digest = bytes.fromhex(world.hashes["eval"])
    path = validator.evaluation_path(validator._job(job_id), digest)
    data = load_dataset_npz(path)
    config = TrainConfig.from_spec({k: v for k, v in SPEC.items() if k in ("arch", "stem")})
    held = DATA_COPIES * unpacked_bytes(path)
    room_for = {"ten images": 10, "none": 0}[room]
    budget = held + (eval_bytes(config, data.image_size, len(data.classes), room_for) if room_for else 1)
    batches: list[int] = []
    real = evaluation.evaluate_model

    def recorded(*args: object, batch_size: int = 500, **kwargs: object) -> object:
        batches.append(batch_size)
        return real(*args, batch_size=batch_size, **kwargs)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("offchain.ml.memory.ram_bytes", lambda: 2 * budget)
        patch.setattr(evaluation, "evaluate_model", recorded)
        if room_for:
            validator.judge(validator._job(job_id), event, digest)
            assert batches == [10]
        else:
            with pytest.raises(EvaluationUnavailableError, match="not one image"):
                validator.judge(validator._job(job_id), event, digest)
