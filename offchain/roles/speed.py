"""How long a job's training will take on this machine: measured, not guessed.

A worker decides whether it can finish before the commit deadline. A constant throughput
was off by 4x either way (16 s estimated for a run of 62 s), because speed depends on the
recipe (a small stem costs 16x an ImageNet stem at 32x32, frozen blocks skip their
backward pass) and on the machine. So the worker times a few real steps of the job's own
recipe (architecture, stem, freeze, batch size, image size, device) on random images, and
scales: epochs x images / measured speed, plus the evaluation passes, with a margin.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from offchain.ml.config import TrainConfig

if TYPE_CHECKING:
    from offchain.eth.market import MarketClient

TIMED_STEPS = 2  # after one warm-up step
MARGIN = 1.5  # the estimate is this multiple of the measured cost
MAX_PROBE_BATCH = 128  # images per timed step, at most (bounds the probe's memory and time)
RUN_OVERHEAD_S = 5.0  # per run, outside the steps: loading data, checkpoints, the card, the plot


@dataclass(frozen=True)
class RecipeSpeed:
    train_images_per_second: float
    eval_images_per_second: float
    setup_seconds: float  # building the model once


def measure_recipe_speed(config: TrainConfig, image_size: int, num_classes: int, device: str) -> RecipeSpeed:
    """Time TIMED_STEPS training steps and one evaluation batch of `config` on random images."""
    import torch
    from torch import nn

    from offchain.ml.devices import select_device
    from offchain.ml.models import build_model, freeze, parameter_groups

    target = select_device(device)
    start = time.perf_counter()
    model = build_model(config.arch, num_classes, config.stem).to(target)
    frozen = freeze(model, config.freeze)
    optimizer = torch.optim.SGD(parameter_groups(model, config.lr, config.head_lr), lr=config.lr, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    setup = time.perf_counter() - start
    batch = max(1, min(config.batch_size, MAX_PROBE_BATCH))
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(batch, 3, image_size, image_size, generator=generator).to(target)
    labels = torch.randint(0, num_classes, (batch,), generator=generator).to(target)
    model.train()
    for module in frozen:
        module.eval()
    elapsed = 0.0
    for step in range(1 + TIMED_STEPS):
        _sync(target)
        began = time.perf_counter()
        loss = criterion(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        _sync(target)
        if step:  # the first step warms caches and allocators up
            elapsed += time.perf_counter() - began
    model.eval()
    with torch.no_grad():
        _sync(target)
        began = time.perf_counter()
        model(images)
        _sync(target)
        eval_seconds = time.perf_counter() - began
    return RecipeSpeed(batch * TIMED_STEPS / max(elapsed, 1e-9), batch / max(eval_seconds, 1e-9), setup)


def _sync(device: object) -> None:
    import torch

    if getattr(device, "type", "") == "cuda":
        torch.cuda.synchronize()


def estimate_seconds(
    config: TrainConfig,
    train_images: int,
    eval_images: int,
    speed: RecipeSpeed,
    num_classes: int = 1,
    unlabelled_images: int = 0,
) -> float:
    """The run's expected duration with MARGIN: every epoch's training and evaluation pass
    (the self-training rounds' too, when the job carries unlabelled images: each labels the
    pool once, then trains on the labelled and pseudo-labelled set, and with "consistency" on
    `ratio` pool images per image besides, each labelled first), the final evaluation the worker
    makes before it claims a score, and the set-up."""
    from offchain.ml.selftrain import pseudo_set_size

    rounds = config.pseudo_rounds if unlabelled_images else 0
    ratio = consistency.ratio if (consistency := config.consistency_settings) else 0
    inference = speed.train_images_per_second / speed.eval_images_per_second  # an image's cost, in trained images
    epoch = pseudo_set_size(config, train_images, num_classes, unlabelled_images)
    self_training = rounds * (
        config.pseudo_epochs * epoch * (1 + ratio + ratio * inference) + unlabelled_images * inference
    )
    training = (config.epochs * train_images + self_training) / speed.train_images_per_second
    evaluation = (config.epochs + rounds * config.pseudo_epochs + 1) * eval_images / speed.eval_images_per_second
    return MARGIN * (training + evaluation + speed.setup_seconds) + RUN_OVERHEAD_S


def estimate_job_seconds(
    config: TrainConfig,
    train_path: Path,
    eval_path: Path | None,
    device: str,
    images_per_second: float | None,
    unlabelled_images: int = 0,
) -> float:
    """Seconds the worker expects a job to take: from `images_per_second` when the user set
    it, else from a measurement of the job's own recipe on this machine's `device`."""
    from offchain.ml.data import load_dataset_npz

    train_set = load_dataset_npz(train_path)
    eval_images = len(load_dataset_npz(eval_path)) if eval_path is not None else 0
    if images_per_second is not None:
        speed = RecipeSpeed(images_per_second, 4 * images_per_second, 0.0)  # inference ~4x a training step
    else:
        speed = measure_recipe_speed(config, train_set.image_size, len(train_set.classes), device)
    return estimate_seconds(config, len(train_set), eval_images, speed, len(train_set.classes), unlabelled_images)


def validate_reaches_minimum(market: MarketClient, job_id: int, measured_bps: int | None, min_score_bps: int) -> None:
    """Raise unless the worker's own measurement reaches the job's minimum (the market's rule,
    asked of its lens): below it the stake only buys a fee (and no reward), so the worker does
    not commit at all. `min_score_bps` only words the message."""
    from offchain.errors import OffchainError

    if measured_bps is None or not market.reaches_minimum(job_id, measured_bps):
        shown = "nothing" if measured_bps is None else f"{measured_bps / 100:.2f} %"
        raise OffchainError(
            f"measured {shown}, below the job's minimum of {min_score_bps / 100:.2f} %: not committing the stake"
        )
