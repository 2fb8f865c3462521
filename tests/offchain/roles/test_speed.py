"""The worker's time estimate comes from the measured speed of the job's own recipe."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from offchain.ml.config import TrainConfig
from offchain.ml.data import export_dataset, load_data
from offchain.roles import speed
from offchain.roles.speed import RecipeSpeed, estimate_job_seconds


def test_without_a_given_speed_the_estimate_measures_the_jobs_own_recipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train_path, _ = export_dataset(load_data("digits", "train", "0-4", per_class=10), tmp_path / "train.npz")
    eval_path, _ = export_dataset(load_data("digits", "test", "0-4", per_class=4), tmp_path / "eval.npz")
    config = TrainConfig(stem="small", freeze="layer1", epochs=3, batch_size=25)
    measured: list[tuple[str, str, int, int, str]] = []

    def fake_measure(cfg: TrainConfig, image_size: int, num_classes: int, device: str) -> RecipeSpeed:
        measured.append((cfg.stem, cfg.freeze, image_size, num_classes, device))
        return RecipeSpeed(train_images_per_second=10.0, eval_images_per_second=40.0, setup_seconds=1.0)

    monkeypatch.setattr(speed, "measure_recipe_speed", fake_measure)

    estimate = estimate_job_seconds(config, train_path, eval_path, "cpu", None)

    assert measured == [("small", "layer1", 32, 5, "cpu")]  # the job's recipe, its images, this device
    # 3 epochs x 50 images / 10 + 4 evaluations x 20 images / 40 + 1 s set-up, times the margin
    assert estimate == pytest.approx(speed.MARGIN * (15 + 2 + 1) + speed.RUN_OVERHEAD_S)


def test_the_estimate_counts_the_self_training_rounds_when_the_job_carries_unlabelled_images(tmp_path: Path) -> None:
    """A job with an unlabelled pool trains far longer than its labelled epochs: 8 more epochs on
    a set ten times the size, in the workers' default recipe (issue 23). Counting only the
    labelled epochs, a worker would take a job it cannot finish before the commit deadline."""
    config = TrainConfig(epochs=3, pseudo_rounds=1, pseudo_epochs=8, pseudo_per_class=200)
    rate = RecipeSpeed(train_images_per_second=10.0, eval_images_per_second=40.0, setup_seconds=1.0)

    without = speed.estimate_seconds(config, 100, 0, rate, num_classes=5)
    with_pool = speed.estimate_seconds(config, 100, 0, rate, num_classes=5, unlabelled_images=1000)

    assert without == pytest.approx(speed.MARGIN * (30 + 1) + speed.RUN_OVERHEAD_S)  # no pool: no rounds
    # 1,000 pseudo-labelled images and the labelled 100 repeated 4 times (a quarter of the set),
    # 8 epochs, plus labelling the pool once (at inference speed)
    rounds = (8 * (1000 + 400) + 1000 * 10 / 40) / 10
    assert with_pool == pytest.approx(speed.MARGIN * (30 + rounds + 1) + speed.RUN_OVERHEAD_S)


def test_the_estimate_counts_the_consistency_terms_pool_images_in_every_step() -> None:
    """With "consistency" each self-training step also trains on `ratio` pool images per image of
    its batch, after labelling their weak view (offchain.ml.loop): a spec's {"ratio": 7}, FixMatch's
    own, trains 8 times the images of the rounds the estimate counted without it."""
    config = TrainConfig(epochs=3, pseudo_rounds=1, pseudo_epochs=8, pseudo_per_class=200, consistency={"ratio": 3})
    rate = RecipeSpeed(train_images_per_second=10.0, eval_images_per_second=40.0, setup_seconds=1.0)

    estimate = speed.estimate_seconds(config, 100, 0, rate, num_classes=5, unlabelled_images=1000)

    # each of the 8 epochs' 1,400 images brings 3 pool images, trained on and labelled at inference speed
    rounds = (8 * 1400 * (1 + 3) + 8 * 1400 * 3 * 10 / 40 + 1000 * 10 / 40) / 10
    assert estimate == pytest.approx(speed.MARGIN * (30 + rounds + 1) + speed.RUN_OVERHEAD_S)


@pytest.mark.timing
def test_the_estimate_covers_the_real_run(tmp_path: Path) -> None:
    from offchain.ml.train import train

    train_path, _ = export_dataset(load_data("digits", "train", "0-4", per_class=10), tmp_path / "train.npz")
    eval_path, _ = export_dataset(load_data("digits", "test", "0-4", per_class=10), tmp_path / "eval.npz")
    config = TrainConfig(dataset=str(train_path), eval_dataset=str(eval_path), epochs=1, batch_size=10, device="cpu")

    estimate = estimate_job_seconds(config, train_path, eval_path, "cpu", None)
    began = time.perf_counter()
    train(config, tmp_path / "run", quiet=True)
    actual = time.perf_counter() - began

    assert 0.7 * actual <= estimate <= 10 * actual, (estimate, actual)
