"""Training runs: output folder, resume equality, evaluation determinism, schedules, specs."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from offchain.ml.augment import batch_crop, batch_flip_lr, batch_rotate, normalize
from offchain.ml.config import TrainConfig
from offchain.ml.data import export_dataset, load_data
from offchain.ml.errors import CheckpointError, ConfigError, DatasetError
from offchain.ml.evaluation import evaluate_model
from offchain.ml.fingerprint import fingerprint_dir
from offchain.ml.loop import EpochMetrics, lr_factor
from offchain.ml.train import train

Factory = Callable[..., TrainConfig]


class Interrupted(Exception):
    """Stands in for a crash or Ctrl-C between epochs."""


def test_a_run_writes_weights_card_metrics_and_curves(trained_model: Path) -> None:
    card = json.loads((trained_model / "model.json").read_text())
    metrics = json.loads((trained_model / "metrics.json").read_text())

    assert (trained_model / "model.safetensors").is_file()
    assert (trained_model / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert card["fingerprint"] == fingerprint_dir(trained_model).hex()
    assert card["architecture"] == "resnet18" and card["classes"] == ["0", "1", "2", "3", "4"]
    assert len(card["datasets"]["train"]["sha256"]) == 64
    assert card["config"]["lr"] == 0.01 and "torch" in card["versions"]
    assert metrics["epochs"][0]["images_per_second"] > 0


def test_an_interrupted_and_resumed_run_ends_with_the_same_fingerprint(tmp_path: Path, tiny_config: Factory) -> None:
    # With ema: the submitted weights are the average, so the raw weights, the optimizer, the
    # schedule and the average must all resume exactly (one run: make test's budget).
    config = tiny_config(epochs=2, deterministic=True, schedule="cosine", warmup_epochs=0.5, ema=0.9)
    straight = train(config, tmp_path / "straight")

    def crash_after_first_epoch(metrics: EpochMetrics) -> None:
        if metrics.epoch == 1:
            raise Interrupted

    with pytest.raises(Interrupted):
        train(config, tmp_path / "resumed", on_epoch_end=crash_after_first_epoch)
    assert not (tmp_path / "resumed" / "model.safetensors").exists()
    resumed = train(config, tmp_path / "resumed")

    assert resumed.fingerprint == straight.fingerprint
    assert [m.train_loss for m in resumed.epochs] == [m.train_loss for m in straight.epochs]


def test_resuming_with_another_config_names_the_difference(tmp_path: Path, tiny_config: Factory) -> None:
    train(tiny_config(), tmp_path)

    with pytest.raises(CheckpointError, match="lr=0.01.*lr=0.02"):
        train(tiny_config(lr=0.02), tmp_path)


def test_with_ema_the_submitted_model_is_the_weights_average(tmp_path: Path, tiny_config: Factory) -> None:
    plain = train(tiny_config(epochs=2), tmp_path / "plain")
    averaged = train(tiny_config(epochs=2, ema=0.9), tmp_path / "averaged")

    assert averaged.fingerprint != plain.fingerprint
    assert [m.train_loss for m in averaged.epochs] == [m.train_loss for m in plain.epochs]  # same raw steps


def test_the_same_seed_gives_the_same_model(tmp_path: Path, tiny_config: Factory) -> None:
    a = train(tiny_config(deterministic=True), tmp_path / "a")
    b = train(tiny_config(deterministic=True), tmp_path / "b")

    assert a.fingerprint == b.fingerprint


def test_frozen_backbone_tensors_do_not_change(tmp_path: Path, tiny_config: Factory) -> None:
    base = train(tiny_config(), tmp_path / "base")
    tuned = train(tiny_config(weights=str(tmp_path / "base"), freeze="backbone"), tmp_path / "ft")
    from offchain.ml.fingerprint import load_tensors

    before, after = load_tensors(base.out_dir), load_tensors(tuned.out_dir)

    assert torch.equal(before["layer3.0.bn1.running_mean"], after["layer3.0.bn1.running_mean"])
    assert torch.equal(before["layer4.1.conv2.weight"], after["layer4.1.conv2.weight"])
    assert tuned.card["base_model"]["fingerprint"] == base.fingerprint.hex()


def test_evaluation_on_cpu_is_deterministic(trained_model: Path, tmp_path: Path) -> None:
    path, digest = export_dataset(load_data("digits", "test", classes="0-4"), tmp_path / "e.npz")

    first = evaluate_model(trained_model, str(path), expected_sha256=digest)
    second = evaluate_model(trained_model, "digits", classes="0-4")

    assert first == second
    assert first.n == 300 and 0 <= first.accuracy_bps <= 10_000


def test_evaluating_on_other_classes_is_refused(trained_model: Path) -> None:
    with pytest.raises(DatasetError, match="differ from the model's"):
        evaluate_model(trained_model, "digits", classes="5-9")


def test_a_training_run_on_an_artifact_file_records_its_hash(tmp_path: Path, tiny_config: Factory) -> None:
    data = load_data("digits", "train", classes="0-1", per_class=3)
    path, digest = export_dataset(data, tmp_path / "train.npz")

    result = train(tiny_config(dataset=str(path), classes=None, per_class=None), tmp_path / "run")

    assert result.card["datasets"]["train"]["sha256"] == digest
    assert result.accuracy_bps is None  # a file brings no test split and none was named


def test_warmup_then_cosine_rises_then_falls_to_zero(tiny_config: Factory) -> None:
    config = tiny_config(schedule="cosine")

    factors = [lr_factor(step, 10, 2, config, 5) for step in range(10)]

    assert factors[:3] == [0.5, 1.0, 1.0]
    assert factors == sorted(factors[:2]) + sorted(factors[2:], reverse=True)
    assert lr_factor(10, 10, 2, config, 5) == pytest.approx(0.0)


def test_the_step_schedule_decays_by_gamma_every_step_epochs(tiny_config: Factory) -> None:
    config = tiny_config(schedule="step", step_epochs=2, gamma=0.5)

    assert [lr_factor(s, 100, 0, config, 3) for s in (0, 5, 6, 12)] == [1.0, 1.0, 0.5, 0.25]


def test_a_spec_builds_a_config_and_accepts_lists() -> None:
    config = TrainConfig.from_spec({"arch": "resnet34", "classes": [5, 6], "epochs": 3, "lr": 1})

    assert (config.arch, config.classes, config.epochs, config.lr) == ("resnet34", "5,6", 3, 1)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"epochz": 3}, "unknown spec key 'epochz'; valid keys: .*epochs"),
        ({"epochs": "3"}, "spec key 'epochs' must be int"),
        ({"epochs": True}, "spec key 'epochs' must be int"),
        ({"schedule": "linear"}, "unknown schedule 'linear'; choose from: constant, step, cosine"),
        ({"device": "tpu"}, "choose from: auto, cpu, cuda"),
        ({"freeze": "layer9"}, "choose from: none, stem, layer1"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
    ],
)
def test_a_bad_spec_names_the_bad_key(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TrainConfig.from_spec(spec)


def test_crop_is_a_window_of_the_zero_padded_image() -> None:
    images = torch.randint(0, 255, (6, 3, 8, 8), dtype=torch.uint8)
    generator = torch.Generator().manual_seed(3)

    cropped = batch_crop(images, 2, generator)

    padded = torch.nn.functional.pad(images, (2, 2, 2, 2))
    for image, window in zip(padded, cropped, strict=True):
        offsets = [
            (dy, dx) for dy in range(5) for dx in range(5) if torch.equal(image[:, dy : dy + 8, dx : dx + 8], window)
        ]
        assert offsets


def test_flip_mirrors_some_images_and_keeps_the_others() -> None:
    images = torch.randint(0, 255, (64, 3, 4, 4), dtype=torch.uint8)

    flipped = batch_flip_lr(images, torch.Generator().manual_seed(0))

    mirrored = [torch.equal(f, i.flip(-1)) for f, i in zip(flipped, images, strict=True)]
    kept = [torch.equal(f, i) for f, i in zip(flipped, images, strict=True)]
    assert all(m or k for m, k in zip(mirrored, kept, strict=True))
    assert 10 < sum(mirrored) < 54


def test_rotate_turns_each_image_by_at_most_the_given_angle_about_its_centre() -> None:
    images = torch.zeros((32, 1, 33, 33), dtype=torch.uint8)
    images[:, :, 16, 4:29] = 255  # a horizontal bar through the centre

    turned = batch_rotate(images, 15.0, torch.Generator().manual_seed(0)).float()

    # the bar's angle from its second moments about the centre pixel (a 15-line reference)
    y, x = torch.meshgrid(torch.arange(33.0) - 16, torch.arange(33.0) - 16, indexing="ij")
    w = turned[:, 0]
    angles = [
        0.5 * math.degrees(math.atan2(2 * float((m * x * y).sum()), float((m * (x * x - y * y)).sum()))) for m in w
    ]
    assert all(abs(a) <= 15.5 for a in angles)
    assert max(angles) > 5 and min(angles) < -5
    assert torch.equal(batch_rotate(images, 0.0, torch.Generator()), images)


def test_normalize_maps_0_and_255_to_minus_one_and_one() -> None:
    out = normalize(torch.tensor([0, 255], dtype=torch.uint8).reshape(1, 1, 1, 2))

    assert out.flatten().tolist() == [-1.0, 1.0]


class PlantedCode:
    """A pickle payload: unpickling it calls Path.touch(marker), i.e. runs code from the file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.marker),))  # type: ignore[return-value]


def test_a_planted_checkpoint_cannot_run_code(tmp_path: Path, tiny_config: Factory) -> None:
    marker = tmp_path / "code-ran"
    out = tmp_path / "run"
    out.mkdir()
    torch.save({"config": tiny_config().to_dict(), "payload": PlantedCode(marker)}, out / "checkpoint.pt")

    with pytest.raises(CheckpointError, match="refused checkpoint"):
        train(tiny_config(), out)
    assert not marker.exists()


def test_the_card_records_threads_torch_and_cpu_capability(trained_model: Path) -> None:
    environment = json.loads((trained_model / "model.json").read_text())["environment"]

    assert environment["threads"] == torch.get_num_threads()
    assert environment["torch"] == str(torch.__version__)
    assert environment["cpu_capability"] == torch.backends.cpu.get_cpu_capability()


def test_resuming_in_another_environment_warns_and_names_it(tmp_path: Path, tiny_config: Factory) -> None:
    config = tiny_config(epochs=2)

    def crash_after_first_epoch(metrics: EpochMetrics) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        train(config, tmp_path, on_epoch_end=crash_after_first_epoch)
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    state["environment"]["threads"] = 97
    torch.save(state, tmp_path / "checkpoint.pt")

    with pytest.warns(UserWarning, match="threads: 97"):
        train(config, tmp_path)


def test_a_validation_split_is_disjoint_and_the_test_set_is_scored_once_at_the_end(
    tmp_path: Path, tiny_config: Factory
) -> None:
    from offchain.ml.data import split_validation

    pool = load_data("digits", "train", "0-4")
    rest, validation = split_validation(pool, 3, seed=0)
    seen = {image.tobytes() for image in rest.images}
    result = train(tiny_config(val_per_class=3, eval_dataset=None, epochs=2), tmp_path)
    card = result.card

    assert len(validation) == 15 and len(rest) == len(pool) - 15
    assert not any(image.tobytes() in seen for image in validation.images)
    assert card["datasets"]["validation"]["n"] == 15 and card["datasets"]["train"]["n"] == 20
    test = card["metrics"]["test"]
    assert sum(map(sum, test["confusion"])) == test["n"] == card["datasets"]["eval"]["n"]
    assert set(test["per_class_accuracy_bps"]) == {"0", "1", "2", "3", "4"}
    assert result.accuracy_bps == test["accuracy_bps"]
    assert (tmp_path / "confusion.png").read_bytes()[:4] == b"\x89PNG"
