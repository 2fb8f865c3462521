"""FixMatch-style consistency in the self-training rounds (issue 23): offchain.ml.consistency."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from offchain.ml import augment as aug
from offchain.ml.config import Consistency, TrainConfig
from offchain.ml.consistency import PoolTerm, strong_targets, unlabelled_loss, unlabelled_order, weak_labels
from offchain.ml.data import ImageSet, export_dataset, load_data
from offchain.ml.errors import ConfigError
from offchain.ml.loop import EpochMetrics, train_one_epoch
from offchain.ml.train import build_run, train

Factory = Callable[..., TrainConfig]


class Interrupted(Exception):
    """Stands in for a crash between epochs."""


class FixedLogits(torch.nn.Module):
    """Answers every batch with the same logits (as many rows as the batch)."""

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits[: len(x)]


def _round(tmp_path: Path, tiny_config: Factory, **overrides: Any) -> TrainConfig:
    """One labelled epoch, then one self-training round with consistency on digits 0-4's test split."""
    pool = load_data("digits", "test", "0-4")
    hidden = ImageSet(pool.images[:100], np.zeros(100, dtype=np.int64), pool.classes)  # the labels are not given
    settings: dict[str, Any] = dict(
        epochs=1,
        val_per_class=2,
        eval_dataset=None,
        unlabelled_dataset=str(export_dataset(hidden, tmp_path / "unlabelled.npz")[0]),
        pseudo_rounds=1,
        pseudo_epochs=2,
        pseudo_per_class=4,
        pseudo_batch_size=20,
        consistency={"threshold": 0.3},
        best_epoch=False,  # the round's last epoch is submitted, whatever the tiny validation says
    )
    return tiny_config(**{**settings, **overrides})


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(folder / "model.safetensors")


def test_the_weak_view_keeps_only_the_labels_the_model_is_sure_of() -> None:
    logits = torch.tensor([[4.0, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 9.0]])

    labels, kept = weak_labels(FixedLogits(logits), torch.zeros(3, 1), threshold=0.9)

    assert labels.tolist() == [0, 1, 2]
    assert kept.tolist() == [True, False, True]  # softmax tops: 0.96, 0.45, 0.9998


def test_the_unlabelled_loss_averages_the_kept_images_cross_entropy_over_the_whole_batch() -> None:
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0], [3.0, 0.0]])
    labels, kept = torch.tensor([0, 0, 1, 1]), torch.tensor([True, False, True, False])

    loss = unlabelled_loss(logits, labels, kept, weight=2.0)

    each = torch.nn.functional.cross_entropy(logits, labels, reduction="none")
    assert torch.allclose(loss, 2.0 * (each[0] + each[2]) / 4)


def test_the_labels_come_from_the_weak_view_and_the_loss_from_the_strong_one() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 4))
    pool = torch.randint(0, 256, (6, 3, 8, 8), dtype=torch.uint8)
    settings = Consistency(threshold=0.01, strong="cutout")

    strong, labels, kept = strong_targets(model, pool, settings, (), torch.Generator().manual_seed(1))

    with torch.no_grad():
        assert labels.tolist() == model(aug.normalize(pool)).argmax(1).tolist()  # weak view: no augmentation
    painted = aug.batch_cutout(pool, aug.CUTOUT, torch.Generator().manual_seed(1))
    assert torch.equal(strong, aug.normalize(painted))
    assert bool(kept.all())


def test_cutout_paints_one_grey_square_at_most_its_side_in_each_image() -> None:
    images = torch.zeros(8, 3, 32, 32, dtype=torch.uint8)

    painted = aug.batch_cutout(images, 12, torch.Generator().manual_seed(0))

    again = aug.batch_cutout(images, 12, torch.Generator().manual_seed(0))
    assert torch.equal(painted, again)
    for image in painted[:, 0]:
        rows, cols = torch.nonzero(image == aug.CUTOUT_FILL, as_tuple=True)
        assert 0 < len(rows) <= 144 and set(image.unique().tolist()) == {0, aug.CUTOUT_FILL}
        assert len(rows) == (int(rows.max() - rows.min()) + 1) * (int(cols.max() - cols.min()) + 1)  # a rectangle
    assert torch.equal(painted[:, 0], painted[:, 2])  # every channel alike


def test_each_epoch_walks_the_pool_in_shuffled_passes() -> None:
    order = unlabelled_order(10, steps=3, per_step=4, generator=torch.Generator().manual_seed(0))

    assert order.shape == (3, 4)
    assert sorted(order.flatten()[:10].tolist()) == list(range(10))


def test_the_student_relabels_the_pool_at_every_step(tmp_path: Path, tiny_config: Factory) -> None:
    config = tiny_config(batch_size=10, augment="crop")
    state = build_run(config, load_data("digits", "train", "0-4", 4), torch.device("cpu"), 1)
    images = torch.randint(0, 256, (20, 3, 32, 32), dtype=torch.uint8)
    pool = torch.randint(0, 256, (50, 3, 32, 32), dtype=torch.uint8)
    calls: list[tuple[bool, int]] = []
    state.model.register_forward_hook(lambda _m, args, _out: calls.append((torch.is_grad_enabled(), len(args[0]))))

    train_one_epoch(
        state.model,
        state.criterion,
        state.optimizer,
        state.scheduler,
        images,
        torch.arange(20) % 5,
        0,
        config,
        unlabelled=(term := PoolTerm(pool, Consistency(threshold=0.01, ratio=2))),
    )

    # two steps of 10: each labels 20 pool images without gradient, then learns 10 + 20 with it
    assert calls == [(False, 20), (True, 30), (False, 20), (True, 30)]
    assert (term.kept, term.seen) == (40, 40)  # a threshold every image reaches (5 classes: tops >= 0.2)


def test_a_consistency_round_changes_what_it_trains_and_resumes_to_bit_identical_weights(
    tmp_path: Path, tiny_config: Factory
) -> None:
    # One test for both (four runs, not five: make test's budget).
    config = _round(tmp_path, tiny_config, deterministic=True)
    straight = train(config, tmp_path / "straight")

    def crash_in_the_round(metrics: EpochMetrics) -> None:
        if metrics.epoch == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        train(config, tmp_path / "resumed", on_epoch_end=crash_in_the_round)
    resumed = train(config, tmp_path / "resumed")
    without = train(_round(tmp_path, tiny_config, deterministic=True, consistency=None), tmp_path / "without")

    assert resumed.fingerprint == straight.fingerprint
    tensors_a, tensors_b = _weights(tmp_path / "straight"), _weights(tmp_path / "resumed")
    assert all(torch.equal(tensors_a[n], tensors_b[n]) for n in tensors_a)
    assert [m.pool_kept_bps is not None for m in straight.epochs] == [False, True, True]  # reported in the round
    assert without.fingerprint != straight.fingerprint
    assert without.epochs[0].train_loss == straight.epochs[0].train_loss  # the labelled epoch is untouched


@pytest.mark.parametrize(
    ("consistency", "message"),
    [
        ({"treshold": 0.9}, "unknown consistency key 'treshold'; valid keys: ratio, strong, threshold, weight"),
        ({"threshold": 0}, "consistency threshold must lie in (0, 1], got 0"),
        ({"threshold": "high"}, "consistency key 'threshold' must be float, got 'high'"),
        ({"weight": 0.0}, "consistency weight must be positive"),
        ({"ratio": 0}, "consistency ratio must be at least 1"),
        ({"strong": "crop,blur"}, "blur"),
    ],
)
def test_a_bad_consistency_object_names_what_is_wrong(consistency: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        TrainConfig.from_spec({"pseudo_rounds": 1, "consistency": consistency}, recipe_only=True)


def test_consistency_without_a_self_training_round_is_refused() -> None:
    with pytest.raises(ConfigError, match="consistency trains in the self-training rounds"):
        TrainConfig(consistency={})


def test_a_job_spec_may_turn_consistency_on_with_its_defaults() -> None:
    config = TrainConfig.from_spec({"pseudo_rounds": 1, "consistency": {}}, recipe_only=True)

    assert config.consistency_settings == Consistency()
    assert TrainConfig().consistency_settings is None  # off by default
