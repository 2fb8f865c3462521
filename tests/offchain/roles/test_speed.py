"""The worker's time estimate comes from the measured speed of the job's own recipe."""

from __future__ import annotations

import time
from pathlib import Path

from offchain.ml.config import TrainConfig
from offchain.ml.data import export_dataset, load_data
from offchain.roles.speed import estimate_job_seconds, measure_recipe_speed


def test_a_small_stem_measures_slower_than_an_imagenet_stem() -> None:
    imagenet = measure_recipe_speed(TrainConfig(stem="imagenet", batch_size=4), 32, 5, "cpu")
    small = measure_recipe_speed(TrainConfig(stem="small", batch_size=4), 32, 5, "cpu")

    assert small.train_images_per_second < imagenet.train_images_per_second


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
