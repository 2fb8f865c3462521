"""A job may carry the requester's unlabelled images (the spec's "unlabelled" hash, issue 23):
the worker fetches them, checks them, counts them in its time estimate and self-trains on them;
images it cannot use make it skip the job with the reason, before it stakes anything."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import ETH, SPEC, World

from offchain.artifacts.store import ArtifactStore
from offchain.eth.errors import InvalidInputError
from offchain.ml.data import ImageSet, export_dataset, load_data, load_dataset_npz
from offchain.roles import spec as spec_module
from offchain.roles.journal import JobState
from offchain.roles.post_checks import JobCheckError
from offchain.roles.requester import PostedJob, post_job
from offchain.roles.rolelog import RoleLog
from offchain.roles.spec import SpecError, check_unlabelled, spec_from_recipe
from offchain.roles.worker import Worker, WorkerOptions

WORKER = 2
SELF_TRAINING = {"pseudo_rounds": 1, "pseudo_epochs": 1, "pseudo_per_class": 4, "pseudo_batch_size": 10}


def _worker(world: World) -> tuple[Worker, io.StringIO]:
    stream = io.StringIO()
    options = WorkerOptions(publish=None, device="cpu", confirmations=0, images_per_second=1000.0)  # no speed probe
    return Worker(world.session(WORKER, "worker"), options, RoleLog("worker", stream=stream)), stream


def _publish(world: World, data: ImageSet, name: str = "unlabelled.npz") -> str:
    path, _ = export_dataset(data, world.tmp / name)
    return ArtifactStore(world.store).put_file(path)


def _unlabelled() -> ImageSet:
    """Digits 5-9 from the training split, their labels zeroed: the worker must not need them."""
    data = load_data("digits", "train", "5-9", per_class=8, seed=1)
    return ImageSet(data.images, np.zeros(len(data), dtype=np.int64), data.classes)


def _entry(world: World, job_id: int) -> Any:
    worker, _ = _worker(world)
    entry = worker.journal.get(job_id)
    assert entry is not None
    return entry


def test_a_job_with_unlabelled_images_self_trains_on_them(world: World) -> None:
    digest = _publish(world, _unlabelled())
    job_id = world.post_job({**SPEC, **SELF_TRAINING, "unlabelled": digest})
    _worker(world)[0].discover()
    assert _entry(world, job_id).state == JobState.TRAINING

    worker, log = _worker(world)
    worker.advance(_entry(world, job_id))

    assert _entry(world, job_id).state == JobState.TRAINED, (_entry(world, job_id).record.reason, log.getvalue())
    folder = worker._job_dir(job_id) / "model"
    epochs = json.loads((folder / "metrics.json").read_text())["epochs"]
    assert len(epochs) == SPEC["epochs"] + SELF_TRAINING["pseudo_epochs"]  # the labelled epoch, then the round's
    used = json.loads((folder / "model.json").read_text())["config"]["unlabelled_dataset"]
    assert load_dataset_npz(used).images.tobytes() == _unlabelled().images.tobytes()  # the spec's images


def test_a_job_whose_unlabelled_images_cannot_be_fetched_is_skipped_with_the_reason(world: World) -> None:
    job_id = world.post_job({**SPEC, **SELF_TRAINING, "unlabelled": "ab" * 32})

    _worker(world)[0].discover()

    entry = _entry(world, job_id)
    assert entry.state == JobState.SKIPPED and "not found" in (entry.record.reason or "")


def test_a_job_whose_unlabelled_images_differ_in_shape_from_its_training_images_is_skipped(world: World) -> None:
    small = ImageSet(np.zeros((10, 3, 16, 16), dtype=np.uint8), np.zeros(10, dtype=np.int64), ("a",))
    job_id = world.post_job({**SPEC, **SELF_TRAINING, "unlabelled": _publish(world, small)})

    _worker(world)[0].discover()

    entry = _entry(world, job_id)
    assert entry.state == JobState.SKIPPED
    assert "unlabelled images are [3, 16, 16], the training images [3, 32, 32]" in (entry.record.reason or "")


def test_a_job_whose_unlabelled_images_declare_a_petabyte_is_skipped_not_the_worker_ended(world: World) -> None:
    """808 bytes whose array header declares 2**48 images: numpy's MemoryError, not a DatasetError,
    ended the worker at consider() and again at every restart (the job stayed SEEN), its staked
    jobs with it. The byte bound reads the archive's directory, which is honest here."""
    path = world.tmp / "petabyte.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for key, array in (("labels", np.zeros(1, dtype=np.int64)), ("classes", np.array(["a"]))):
            member = io.BytesIO()
            np.save(member, array)
            archive.writestr(f"{key}.npy", member.getvalue())
        member, header = io.BytesIO(), {"descr": "|u1", "fortran_order": False, "shape": (2**48, 3, 32, 32)}
        np.lib.format.write_array_header_1_0(member, header)
        archive.writestr("images.npy", member.getvalue() + bytes(100))
    job_id = world.post_job({**SPEC, **SELF_TRAINING, "unlabelled": ArtifactStore(world.store).put_file(path)})

    _worker(world)[0].discover()

    entry = _entry(world, job_id)
    assert entry.state == JobState.SKIPPED and "cannot read" in (entry.record.reason or "")


def test_a_spec_naming_unlabelled_images_needs_a_self_training_round_and_a_sha256() -> None:
    with pytest.raises(SpecError, match="pseudo_rounds"):
        spec_from_recipe({**SPEC, "unlabelled": "ab" * 32})
    for bad in ("ab" * 31, "zz" * 32, 7, None, "ab " * 21 + " "):  # the last: 64 characters, 21 bytes to fromhex
        with pytest.raises(SpecError, match="64 hex digits"):
            spec_from_recipe({**SPEC, **SELF_TRAINING, "unlabelled": bad})
    parsed = spec_from_recipe({**SPEC, **SELF_TRAINING, "unlabelled": "AB" * 32})
    assert parsed.unlabelled == bytes([0xAB]) * 32 and parsed.config.pseudo_rounds == 1


def test_a_compressed_archive_that_unpacks_past_the_bound_is_refused_before_it_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A few kB of deflated zeros can unpack to gigabytes: the bound reads the members' sizes
    from the archive's directory, before numpy unpacks anything."""
    train, _ = export_dataset(load_data("digits", "train", "5-9", per_class=2), tmp_path / "train.npz")
    monkeypatch.setattr(spec_module, "MAX_UNLABELLED_IMAGES", 10)  # 10 images + 1 MiB of slack
    bomb = tmp_path / "bomb.npz"
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((400, 3, 32, 32), dtype=np.uint8))  # 1.2 MB unpacked
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("images.npy", buffer.getvalue())
    assert bomb.stat().st_size < 10_000

    with pytest.raises(SpecError, match="bytes unpacked"):
        check_unlabelled(bomb, train)


def _post(world: World, spec: dict[str, Any], unlabelled: Path | None) -> PostedJob:
    path = world.tmp / "spec-given.json"
    path.write_text(json.dumps(spec))
    return post_job(
        world.session(1, "requester"),
        base="0x" + world.base_hash.hex(),
        train=world.tmp / "train.npz",
        evaluation=world.tmp / "eval.npz",
        spec=path,
        reward=ETH,
        min_score_bps=0,
        unlabelled=unlabelled,
    )


def test_job_post_with_unlabelled_images_posts_a_spec_naming_them_and_publishes_them(world: World) -> None:
    path, digest = export_dataset(_unlabelled(), world.tmp / "pool-unlabelled.npz")

    job = _post(world, {**SPEC, **SELF_TRAINING}, path)

    session = world.session(1, "requester")
    posted = json.loads(session.fetch(bytes.fromhex(job.spec)).read_bytes())
    assert posted == {**SPEC, **SELF_TRAINING, "unlabelled": digest}
    assert session.cache.has(digest)  # published beside the spec


def test_job_post_refuses_unlabelled_images_that_share_an_image_with_the_sealed_evaluation_set(world: World) -> None:
    """`--unlabelled eval.npz` (or the test split it came from) would publish the sealed set's
    images to every worker before it trains: its score no longer measures held-out images."""
    evaluation = load_dataset_npz(world.tmp / "eval.npz")
    mixed = ImageSet(
        np.concatenate([_unlabelled().images, evaluation.images[:1]]), np.zeros(41, dtype=np.int64), ("a",)
    )
    path, _ = export_dataset(mixed, world.tmp / "with-one-eval-image.npz")

    with pytest.raises(JobCheckError, match="1 of the 41 unlabelled images are in the evaluation set"):
        _post(world, {**SPEC, **SELF_TRAINING}, path)

    assert world.session(1, "requester").market.job_count() == 0


def test_a_pooled_job_post_refuses_unlabelled_images_that_share_an_image_with_its_pool(world: World) -> None:
    """Any image of the pool may be drawn for evaluation a block after the post."""
    pool = load_dataset_npz(world.tmp / "train.npz")
    in_pool = {image.tobytes() for image in pool.images}
    others = [image for image in _unlabelled().images if image.tobytes() not in in_pool][:40]
    mixed = ImageSet(np.stack([*others, *pool.images[-2:]]), np.zeros(len(others) + 2, dtype=np.int64), ("a",))
    path, _ = export_dataset(mixed, world.tmp / "with-two-pool-images.npz")
    spec = world.tmp / "spec-pooled.json"
    spec.write_text(json.dumps({**SPEC, **SELF_TRAINING}))

    with pytest.raises(JobCheckError, match=f"2 of the {len(mixed)} unlabelled images are in the pool, whose"):
        post_job(
            world.session(1, "requester"),
            base="0x" + world.base_hash.hex(),
            pool=world.tmp / "train.npz",
            spec=spec,
            reward=ETH,
            min_score_bps=0,
            unlabelled=path,
        )

    assert world.session(1, "requester").market.job_count() == 0


def test_job_post_refuses_unlabelled_images_nobody_can_use_before_anything_is_sent(world: World) -> None:
    path, digest = export_dataset(_unlabelled(), world.tmp / "pool-unlabelled.npz")
    with pytest.raises(SpecError, match=r'--unlabelled .*: the spec has no self-training round .*"pseudo_rounds"'):
        _post(world, SPEC, path)  # the README's spec as it is: no self-training round would read them
    with pytest.raises(JobCheckError, match=r"spec-given.json is not a data set \(an .npz"):  # the wrong file
        _post(world, {**SPEC, **SELF_TRAINING}, world.tmp / "spec-given.json")
    with pytest.raises(InvalidInputError, match="names unlabelled images"):  # the spec names others
        _post(world, {**SPEC, **SELF_TRAINING, "unlabelled": "ab" * 32}, path)
    with pytest.raises(JobCheckError, match="cannot be fetched"):  # named, but nowhere to be found
        _post(world, {**SPEC, **SELF_TRAINING, "unlabelled": "ab" * 32}, None)
    small = ImageSet(np.zeros((10, 3, 16, 16), dtype=np.uint8), np.zeros(10, dtype=np.int64), ("a",))
    odd, _ = export_dataset(small, world.tmp / "small.npz")
    with pytest.raises(JobCheckError, match=r"unlabelled images are \[3, 16, 16\]"):
        _post(world, {**SPEC, **SELF_TRAINING}, odd)
    assert world.session(1, "requester").market.job_count() == 0
