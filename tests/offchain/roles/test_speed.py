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
