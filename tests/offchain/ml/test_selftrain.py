"""Best-epoch selection on validation and self-training on unlabelled images (issue 23)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from offchain.ml.config import TrainConfig
from offchain.ml.data import ImageSet, export_dataset, load_data
from offchain.ml.loop import EpochMetrics
from offchain.ml.models import build_model
from offchain.ml.selftrain import (
    balanced_pick,
    feature_teacher,
    pixel_teacher,
    pseudo_labels,
    segment_factor,
    with_pseudo_labels,
)
from offchain.ml.train import build_run, epoch_data, initial_network, train

Factory = Callable[..., TrainConfig]


class Interrupted(Exception):
    """Stands in for a crash between epochs."""


def _unlabelled(tmp_path: Path) -> str:
    pool = load_data("digits", "test", "0-4")
    hidden = ImageSet(pool.images, np.zeros_like(pool.labels), pool.classes)  # the labels are not given
    return str(export_dataset(hidden, tmp_path / "unlabelled.npz")[0])


def test_the_submitted_model_is_the_best_validation_epoch_not_the_last(tmp_path: Path, tiny_config: Factory) -> None:
    config = tiny_config(val_per_class=3, epochs=4, lr=0.05, eval_dataset=None, deterministic=True)

    result = train(config, tmp_path / "run")

    scores = [(m.eval_accuracy_bps, -(m.eval_loss or 0.0)) for m in result.epochs]
    best = max(range(len(scores)), key=lambda i: scores[i])  # the first of equals
    assert result.card["selected_epoch"]["epoch"] == best + 1
    assert result.card["selected_epoch"]["accuracy_bps"] == result.epochs[best].eval_accuracy_bps
    assert result.card["datasets"]["validation"]["sha256"] != result.card["datasets"]["eval"]["sha256"]


def test_without_validation_the_last_epoch_is_submitted(tmp_path: Path, tiny_config: Factory) -> None:
    result = train(tiny_config(epochs=2), tmp_path)

    assert "selected_epoch" not in result.card


def test_pseudo_labels_give_every_class_the_same_count_and_no_image_twice() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 4))
    images = torch.randint(0, 256, (50, 3, 8, 8), dtype=torch.uint8)

    index, labels = pseudo_labels(model, images, per_class=10, num_classes=4)

    assert len(set(index.tolist())) == 40
    assert torch.bincount(labels).tolist() == [10, 10, 10, 10]


def test_labelled_images_are_repeated_to_a_quarter_of_the_self_training_set() -> None:
    images, targets = with_pseudo_labels(
        torch.zeros(5, 3, 2, 2, dtype=torch.uint8),
        torch.arange(5),
        torch.ones(60, 3, 2, 2, dtype=torch.uint8),
        torch.zeros(60, dtype=torch.int64),
    )

    assert len(targets) == 4 * 5 + 60 and images.shape[0] == 80  # 20 labelled: a quarter


def test_each_segment_of_the_schedule_runs_its_own_course() -> None:
    segments = [(4, 0, 2), (2, 0, 1)]

    factors = [segment_factor(s, segments, lambda local, steps, warmup, per_epoch: local / steps) for s in range(6)]

    assert factors == [0.0, 0.25, 0.5, 0.75, 0.0, 0.5]


def test_a_self_training_run_adds_its_rounds_and_resumes_to_the_same_model(
    tmp_path: Path, tiny_config: Factory
) -> None:
    config = tiny_config(
        epochs=1,
        val_per_class=2,
        eval_dataset=None,
        unlabelled_dataset=_unlabelled(tmp_path),
        pseudo_rounds=2,
        pseudo_epochs=1,
        pseudo_per_class=6,
        pseudo_batch_size=20,
        deterministic=True,
    )
    straight = train(config, tmp_path / "straight")

    def crash_in_the_first_round(metrics: EpochMetrics) -> None:
        if metrics.epoch == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        train(config, tmp_path / "resumed", on_epoch_end=crash_in_the_first_round)
    resumed = train(config, tmp_path / "resumed")

    assert len(straight.epochs) == 3
    assert resumed.fingerprint == straight.fingerprint
    assert [m.train_loss for m in resumed.epochs] == [m.train_loss for m in straight.epochs]


def test_without_unlabelled_images_a_recipe_with_rounds_trains_the_labelled_epochs_only(
    tmp_path: Path, tiny_config: Factory
) -> None:
    result = train(tiny_config(epochs=2, pseudo_rounds=3), tmp_path)

    assert len(result.epochs) == 2


def test_the_same_self_training_run_twice_gives_bit_identical_weights(tmp_path: Path, tiny_config: Factory) -> None:
    config = tiny_config(
        epochs=1,
        val_per_class=2,
        eval_dataset=None,
        unlabelled_dataset=_unlabelled(tmp_path),
        pseudo_rounds=1,
        pseudo_epochs=1,
        pseudo_per_class=4,
        pseudo_batch_size=20,
    )

    a, b = train(config, tmp_path / "a"), train(config, tmp_path / "b")

    assert a.fingerprint == b.fingerprint
    tensors_a, tensors_b = (
        load_file(tmp_path / "a" / "model.safetensors"),
        load_file(tmp_path / "b" / "model.safetensors"),
    )
    assert all(torch.equal(tensors_a[n], tensors_b[n]) for n in tensors_a)


def _pseudo_label_accuracy(tmp_path: Path, tiny_config: Factory, teacher: str) -> float:
    """Train one self-training round with `teacher`; the share of its pseudo-labels that are right."""
    pool = load_data("digits", "test", "0-4")
    config = tiny_config(
        unlabelled_dataset=_unlabelled(tmp_path),
        pseudo_rounds=1,
        pseudo_epochs=1,
        pseudo_per_class=20,
        pseudo_batch_size=20,
        pseudo_teacher=teacher,
    )
    train(config, tmp_path / teacher)
    saved = torch.load(tmp_path / teacher / "checkpoint.pt", weights_only=True)["pseudo"]
    return float(np.mean(pool.labels[saved["index"].numpy()] == saved["labels"].numpy()))


def test_the_pixel_teacher_labels_the_pool_where_the_young_network_cannot(tmp_path: Path, tiny_config: Factory) -> None:
    # 4 labelled digits a class: the network after one epoch labels the pool near chance, a
    # self-trained logistic regression on the pixels far better (issue 23's lever at 5 labels).
    by_pixels = _pseudo_label_accuracy(tmp_path, tiny_config, "pixels")
    by_model = _pseudo_label_accuracy(tmp_path, tiny_config, "model")

    assert by_pixels >= 0.8
    assert by_model < by_pixels - 0.2


def test_the_pixel_teacher_balances_the_classes_and_is_deterministic() -> None:
    data = load_data("digits", "train", "0-4")
    labelled = np.concatenate([np.flatnonzero(data.labels == c)[:2] for c in range(5)])
    images, labels = torch.from_numpy(data.images), torch.from_numpy(data.labels)
    pool = images[np.setdiff1d(np.arange(len(data)), labelled)[:200]]

    first = pixel_teacher(images[labelled], labels[labelled], pool, num_classes=5)
    again = pixel_teacher(images[labelled], labels[labelled], pool, num_classes=5)
    _, picked = balanced_pick(first, per_class=30)

    assert torch.equal(first, again)
    assert torch.bincount(picked).tolist() == [30] * 5


def test_the_feature_teacher_labels_the_pool_in_training(tmp_path: Path, tiny_config: Factory) -> None:
    assert _pseudo_label_accuracy(tmp_path, tiny_config, "features") >= 0.8


def test_the_feature_teacher_reads_the_models_features_and_is_deterministic() -> None:
    data = load_data("digits", "train", "0-4")
    labelled = np.concatenate([np.flatnonzero(data.labels == c)[:2] for c in range(5)])
    images, labels = torch.from_numpy(data.images), torch.from_numpy(data.labels)
    pool = images[np.setdiff1d(np.arange(len(data)), labelled)[:100]]
    models = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        models.append(build_model("resnet18", 5))

    first, again, other = (
        feature_teacher(model, images[labelled], labels[labelled], pool, num_classes=5)
        for model in (models[0], models[0], models[1])
    )

    assert first.shape == (100, 5) and torch.equal(first, again)
    assert not torch.allclose(first, other)  # another model's features, other labels: not the pixels alone


def test_the_base_features_teacher_labels_the_pool_from_the_initial_weights_alone(
    trained_model: Path, tiny_config: Factory
) -> None:
    # the round's pseudo-labels are the features-alone teacher's on the base as loaded, not the pixels beside them
    config = tiny_config(
        weights=str(trained_model),
        reinit="stem",
        unlabelled_dataset="digits",
        pseudo_rounds=1,
        pseudo_per_class=20,
        pseudo_teacher="base-features",
    )
    train_set = load_data("digits", "train", "0-4", 4)
    x, y = torch.from_numpy(train_set.images), torch.from_numpy(train_set.labels)
    pool = torch.from_numpy(load_data("digits", "test", "0-4").images)
    state = build_run(config, train_set, torch.device("cpu"), 1, len(pool))
    teacher: Any = initial_network(config, state)
    expected = [balanced_pick(feature_teacher(teacher, x, y, pool, 5, pixel_weight=w), 20) for w in (0.0, 10.0)]

    epoch_data(state, config.epochs, x, y, pool)  # the round's first epoch labels the pool

    assert state.pseudo is not None
    assert torch.equal(state.pseudo["index"], expected[0][0]) and torch.equal(state.pseudo["labels"], expected[0][1])
    assert not torch.equal(state.pseudo["index"], expected[1][0])


def test_the_base_teacher_reads_the_initial_weights_while_the_student_starts_afresh(
    trained_model: Path, tiny_config: Factory
) -> None:
    # reinit "stem": the student starts from random weights; the "base" teacher still reads the base's features
    config = tiny_config(weights=str(trained_model), reinit="stem", pseudo_teacher="base")
    train_set = load_data("digits", "train", "0-4", 4)
    base = load_file(trained_model / "model.safetensors")

    state = build_run(config, train_set, torch.device("cpu"), 1)
    teacher: Any = initial_network(config, state)

    assert torch.equal(teacher.layer2[0].conv1.weight, base["layer2.0.conv1.weight"])
    assert not torch.equal(state.model.layer2[0].conv1.weight, base["layer2.0.conv1.weight"])
    assert not torch.equal(state.model.conv1.weight, base["conv1.weight"])
