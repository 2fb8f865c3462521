"""A job both pooled (issue 20) and sealed (issue 26), on the in-process EVM: `job post --pool
--sealed` posts it in one transaction (the seed block and the seal recorded together), the
worker's sealed loop trains on the seeded training shards and claims the pooled claim, and a
member opens the envelope and evaluates on the seeded evaluation shards, as for any sealed job.
The training and the evaluation are the product's calls with `train` and `evaluate_model`
standing in (a ResNet-18's 45 MB take seconds to seal in Python): every data path is real."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import ETH, SPEC, World
from sealed_world import REQUESTER, WINDOWS, bond_members, step

from offchain.artifacts.store import ArtifactStore
from offchain.demo.observer import Secret, leaks
from offchain.ml.data import load_dataset_npz
from offchain.roles.journal import JobState
from offchain.roles.pool import gather, pool_of, split_of
from offchain.roles.requester import post_job
from offchain.roles.rolelog import RoleLog
from offchain.roles.worker import Trained, Worker, WorkerOptions, pooled_claim
from offchain.sealed.seal import MAGIC

WORKER = 2
MEASURED = 9000  # what the stand-in evaluation measures, held out and on the evaluation set


class RecordingWorker(Worker):
    """The product's worker, keeping what its fine_tune returned."""

    trained: Trained | None = None

    def fine_tune(self, entry: Any, job_dir: Path) -> Trained:
        self.trained = super().fine_tune(entry, job_dir)
        return self.trained


def _stand_ins(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """`train` writes small weights, `evaluate_model` measures MEASURED on the whole file it is
    given; both record the data sets they were handed."""
    import numpy as np
    from safetensors.numpy import save_file

    from offchain.ml import evaluation, train
    from offchain.ml.fingerprint import fingerprint_file

    seen: dict[str, list[str]] = {"fit": [], "evaluated": []}

    def fake_train(config: Any, out: Path, **_: Any) -> SimpleNamespace:
        seen["fit"].append(config.dataset)
        out.mkdir(parents=True, exist_ok=True)
        save_file({"w": np.arange(700, dtype=np.float32)}, str(out / "model.safetensors"))
        return SimpleNamespace(fingerprint=fingerprint_file(out / "model.safetensors"))

    def fake_evaluate(folder: Path, path: str, device: str = "cpu", batch_size: int = 500) -> SimpleNamespace:
        seen["evaluated"].append(path)
        return SimpleNamespace(accuracy_bps=MEASURED, n=len(load_dataset_npz(Path(path))))

    monkeypatch.setattr(train, "train", fake_train)
    monkeypatch.setattr(evaluation, "evaluate_model", fake_evaluate)
    return seen


def _post_pooled_sealed(world: World) -> int:
    """`offchain job post --pool pool.npz --sealed`; the manifest published where roles look."""
    spec = world.tmp / "sealed-spec.json"
    spec.write_text(json.dumps(SPEC))
    ArtifactStore(world.store).put_file(spec)
    session = world.session(REQUESTER, "requester")
    posted = post_job(
        session, base="0x" + world.base_hash.hex(), pool=world.pool_file(), pool_shards=10, spec=spec,
        reward=ETH, min_score_bps=0, windows=WINDOWS, sealed=True,
    )  # fmt: skip
    world.hashes["pool"] = posted.training_set
    ArtifactStore(world.store).put_file(session.cache.get(posted.training_set))
    return posted.job_id


def _images(path: Path | str) -> int:
    return len(load_dataset_npz(Path(path)))


def test_a_sealed_pooled_job_trains_on_the_seeded_shards_and_is_judged_on_the_seeded_complement(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _stand_ins(monkeypatch)
    members = bond_members(world)
    job_id = _post_pooled_sealed(world)
    posted_block = world.client.w3.eth.block_number  # the post is the last transaction mined
    market = world.session(WORKER, "w").market
    assert market.is_sealed(job_id) and market.pooled_seed_block(job_id) == posted_block + 1
    job = market.job_posted(job_id)
    manifest = pool_of(world.session(WORKER, "w"), job)
    assert manifest is not None
    world.client.w3.testing.mine(manifest.seed_delay)  # the seed block
    drawn = split_of(world.session(WORKER, "w"), job, manifest)
    world.serve_shards(drawn.training)  # the requester's publish_training
    options = WorkerOptions(publish=None, device="cpu", confirmations=0, images_per_second=1000.0)
    worker = RecordingWorker(
        world.session(WORKER, f"worker-{WORKER}"), options, RoleLog("worker", stream=io.StringIO())
    )

    worker.discover()
    worker.advance(worker.journal.get(job_id))  # type: ignore[arg-type]

    entry = worker.journal.get(job_id)
    assert entry is not None and entry.state == JobState.TRAINED and entry.record.sealed
    seeded, _ = gather(world.session(WORKER, "w"), manifest, drawn.training, world.tmp / "seeded-train.npz")
    (fit,) = seen["fit"]
    (held,) = seen["evaluated"]
    assert _images(fit) + _images(held) == _images(seeded)  # the seeded training shards, nothing else
    trained = worker.trained
    assert trained is not None and trained.evaluation_shards == manifest.evaluation_shards
    assert entry.record.claim_bps == pooled_claim(MEASURED, trained.n, manifest.evaluation_shards)
    served = Path(entry.record.uri or "").read_bytes()
    assert served.startswith(MAGIC) and not leaks(Secret.of([trained.weights.read_bytes()]), served)

    assert step(world, WORKER, job_id) == JobState.COMMITTED
    world.travel_past(0, job_id)
    assert step(world, WORKER, job_id) == JobState.REVEALED
    step(world, WORKER, job_id)  # draws the committee
    step(world, WORKER, job_id)  # posts the key's envelopes to its seats
    world.serve_shards(drawn.evaluation)  # `job reveal-eval` publishes them
    event = market.revealed_of(job_id, worker.me)
    assert event is not None
    seated = [m for m in members if m.me in market.committee(job_id)]

    score = seated[0].judge(seated[0]._job(job_id), event, bytes.fromhex(world.hashes["pool"]))

    assert score == MEASURED  # opened, and its fingerprint is the revealed model's
    opened = seated[0].weights_folder(job_id, event.worker) / "model.safetensors"
    assert opened.read_bytes() == trained.weights.read_bytes()
    evaluated = seen["evaluated"][-1]
    assert _images(evaluated) == sum(
        _images(ArtifactStore(world.store).get(manifest.shards[i])) for i in drawn.evaluation
    )
