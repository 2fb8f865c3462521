"""Benchmarks of the fine-tuning engine, each against a named baseline measured in the same run.

    python -m benchmarks.ml_bench        # both tables; about 2-3 minutes on 2 CPU cores

1. Throughput: training images per second of the fast path (uint8 tensors on the device,
   batched tensor augmentation, bf16 autocast and channels_last on CUDA) against the seed
   recipe written literally (torchvision transforms on PIL images, DataLoader with
   num_workers=2, fp32). Same model (torchvision ResNet-18, 10 classes), same data (digits,
   32x32 RGB), same optimizer, same number of images; mean and spread over TRIALS trials.
2. Transfer: digits, 20 labelled images per class of the target task (5-9). A base model
   pretrained on the source task (0-4) is fine-tuned, against the same network trained from
   scratch with the same budget (epochs, images, schedule). Test accuracy on the target
   task's held-out split (299 images).

Goals (issue 4): throughput >= 1.5x on a 2-core CPU (>= 5x on a GPU); fine-tuned >= 90 %
and >= 20 points above scratch, in <= 60 s on 2 CPU cores.

Measured 2025-11-25 on the project's 2-core AMD EPYC (no GPU), torch 2.14.1, shared with
other engineers' test runs (load average 1.2-2.7), 3 minutes for the whole script:

    seed recipe (PIL, DataLoader x2, fp32)    123.2 ±  1.7 images/s   1.00x
    fast path (defaults: fp32, NCHW)          138.1 ± 14.6 images/s   1.12x
    fast path + channels_last                 139.9 ±  5.4 images/s   1.14x
    fast path + bf16 autocast (batch 10)        3.4        images/s   0.03x

    base on 0-4 (601 images, 8 epochs)        98.66 %   43.1 s
    fine-tuned, 10 epochs / scratch           77.25 % / 22.07 %  (+55.2 points)  14.8 s
    fine-tuned, 20 epochs / scratch           92.64 % / 90.30 %  (+2.3 points)   31.4 s

On this CPU, ResNet-18's own arithmetic (~0.7 s per 100 images) dwarfs PIL augmentation, so
the fast path gains little while the machine is idle; under load from other processes the
seed recipe's two worker processes fight the training threads for the 2 cores and it fell
to 25-41 images/s (6.8x and 0.6x in two loaded runs: the spread is the machine, not the
code). Transfer: the base gives a large head start (+55 points at 10 epochs), and at 20
epochs scratch catches up on this easy data set; no single budget met all three goals.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from offchain.ml.config import SOURCE_TASK_RECIPE, TARGET_TASK_RECIPE, TrainConfig
from offchain.ml.data import ImageSet, load_data
from offchain.ml.devices import select_device, to_device
from offchain.ml.loop import train_one_epoch
from offchain.ml.models import build_model
from offchain.ml.train import train

ARCH, STEM = "resnet18", "imagenet"  # torchvision's ResNet-18 as is, head replaced
BATCH = 100  # the seed recipe's batch size
TIMED_BATCHES = 2  # per trial, after one warm-up batch
TRIALS = 3
THROUGHPUT_GOAL_CPU, THROUGHPUT_GOAL_GPU = 1.5, 5.0  # issue 4
# The transfer recipes live in offchain.ml.config (`offchain pretrain` uses the first).
PRETRAIN, TARGET = SOURCE_TASK_RECIPE, TARGET_TASK_RECIPE


# ----------------------------------------------------------------------------- machine


def describe_machine(device: torch.device) -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if "model name" in line)
    except (OSError, StopIteration):
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    gpu = f", GPU {torch.cuda.get_device_name(device)}" if device.type == "cuda" else ""
    return (
        f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads){gpu}; load average {load}; device {device}"
    )


# ----------------------------------------------------------------------------- throughput


class SeedRecipeDataset(torch.utils.data.Dataset[tuple[torch.Tensor, int]]):
    """torchvision's CIFAR10 __getitem__, literally: a PIL image per item, then transforms."""

    def __init__(self, data: ImageSet, transform: Callable[[Any], torch.Tensor]) -> None:
        self.images = data.images.transpose(0, 2, 3, 1).copy()  # HWC, as CIFAR10 stores them
        self.labels = data.labels.tolist()
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        from PIL import Image

        return self.transform(Image.fromarray(self.images[index])), self.labels[index]


def seed_recipe_trial(data: ImageSet, device: torch.device, seed: int) -> float:
    """Images/s of the literal seed recipe: PIL transforms, DataLoader(num_workers=2), fp32."""
    import torchvision.transforms as T

    torch.manual_seed(seed)
    transform = T.Compose(
        [
            T.RandomHorizontalFlip(),
            T.RandomCrop(32, padding=4),
            T.ToTensor(),
            T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
        ]
    )
    loader = torch.utils.data.DataLoader(
        SeedRecipeDataset(data, transform), batch_size=BATCH, shuffle=True, num_workers=2
    )
    model = build_model(ARCH, len(data.classes), STEM).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9, weight_decay=5e-4)
    criterion = torch.nn.CrossEntropyLoss()
    model.train()
    seen, start = 0, 0.0
    for step, (x, y) in enumerate(loader):
        if step == 1:  # the first batch pays for worker start-up: not timed
            _sync(device)
            start, seen = time.perf_counter(), 0
        x, y = x.to(device), y.to(device)
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seen += len(y)
        if step == TIMED_BATCHES:
            break
    _sync(device)
    return seen / (time.perf_counter() - start)


def fast_path_trial(data: ImageSet, device: torch.device, seed: int, batch: int = BATCH, **overrides: Any) -> float:
    """Images/s of offchain.ml's own train_one_epoch on the same number of images."""
    config = TrainConfig(arch=ARCH, stem=STEM, device=device.type, seed=seed, batch_size=batch, **overrides)
    images, labels = to_device(data, device)
    model = build_model(ARCH, len(data.classes), STEM).to(device)
    if config.channels_last or (config.channels_last is None and device.type == "cuda"):
        model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    criterion = torch.nn.CrossEntropyLoss()
    warm = batch  # one warm-up batch, like the baseline
    train_one_epoch(model, criterion, optimizer, scheduler, images[:warm], labels[:warm], 0, config)
    n = batch * (TIMED_BATCHES if batch == BATCH else 1)
    _, _, seen, seconds = train_one_epoch(model, criterion, optimizer, scheduler, images[:n], labels[:n], 1, config)
    return seen / seconds


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _mean_spread(values: list[float]) -> str:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):8.1f} ± {spread:6.1f}"


def throughput_table(device: torch.device) -> list[str]:
    data = load_data("digits", "train")  # 10 classes, 1,197 images
    # (name, one trial, trials)
    variants: list[tuple[str, Callable[[int], float], int]] = [
        (
            "seed recipe (PIL, DataLoader x2, fp32)",
            lambda s: seed_recipe_trial(data, device, s),
            TRIALS,
        ),
        (
            "fast path (defaults for this device)",
            lambda s: fast_path_trial(data, device, s),
            TRIALS,
        ),
    ]
    if device.type == "cpu":  # the measurements behind the CPU defaults
        variants += [
            (
                "fast path + channels_last",
                lambda s: fast_path_trial(data, device, s, channels_last=True),
                TRIALS,
            ),
            (
                # bf16 against fp32 at the same batch: comparing batch 10 with batch 100 once
                # made bf16 look 30x slower; at equal batch it is 1.0-1.5x slower on this CPU.
                "fast path fp32 (batch 10)",
                lambda s: fast_path_trial(data, device, s, batch=10, precision="fp32"),
                1,
            ),
            (
                "fast path + bf16 autocast (batch 10)",
                lambda s: fast_path_trial(data, device, s, batch=10, precision="bf16"),
                1,
            ),
        ]
    else:
        variants.append(
            (
                "fast path, fp32 NCHW",
                lambda s: fast_path_trial(data, device, s, precision="fp32", channels_last=False),
                TRIALS,
            )
        )
    # Trials interleave the variants, so a neighbour's load on a shared machine hits all alike.
    results: dict[str, list[float]] = {name: [] for name, _, _ in variants}
    for seed in range(TRIALS):
        for name, run, trials in variants:
            if seed < trials:
                results[name].append(run(seed))
    baseline = statistics.mean(results[variants[0][0]])
    lines = [
        f"Throughput: {ARCH} ({STEM} stem), digits 32x32, batch {BATCH}, "
        f"{TIMED_BATCHES * BATCH} timed images per trial, {TRIALS} trials",
        f"{'variant':<42} {'images/s (mean ± sd)':>22} {'vs seed recipe':>15}",
    ]
    for name, values in results.items():
        ratio = statistics.mean(values) / baseline
        lines.append(f"{name:<42} {_mean_spread(values):>22} {ratio:>14.2f}x")
    goal = THROUGHPUT_GOAL_CPU if device.type == "cpu" else THROUGHPUT_GOAL_GPU
    defaults = statistics.mean(results[variants[1][0]]) / baseline
    verdict = "met" if defaults >= goal else "NOT met"
    lines.append(f"goal: fast path >= {goal}x the seed recipe: {verdict} ({defaults:.2f}x)")
    return lines


# ----------------------------------------------------------------------------- transfer


def transfer_table(device: torch.device) -> list[str]:
    """Base on 0-4, then fine-tuned vs scratch on 5-9 at the recipe's budget and at half of it."""
    common: dict[str, Any] = dict(arch=ARCH, stem=STEM, device=device.type, seed=0)
    rows: list[tuple[str, str, int | None, float]] = []
    summary: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        base = train(TrainConfig(**common, **PRETRAIN), root / "base")
        base_seconds = time.perf_counter() - start
        n_base = base.card["datasets"]["train"]["n"]
        rows.append(
            (
                "base: source task 0-4, from scratch",
                f"{n_base} images",
                base.accuracy_bps,
                base_seconds,
            )
        )
        for epochs in (TARGET["epochs"] // 2, TARGET["epochs"]):
            budget = {**TARGET, "epochs": epochs}
            start = time.perf_counter()
            tuned = train(TrainConfig(**common, **budget, weights=str(root / "base")), root / f"ft{epochs}")
            tuned_seconds = time.perf_counter() - start
            # Scratch trains everything: freezing layers of random weights would only hurt it.
            start = time.perf_counter()
            scratch = train(
                TrainConfig(**common, **{**budget, "freeze": "none"}, weights="none"),
                root / f"scratch{epochs}",
            )
            scratch_seconds = time.perf_counter() - start
            rows.append(
                (
                    f"fine-tuned from base, {epochs} epochs",
                    "20/class",
                    tuned.accuracy_bps,
                    tuned_seconds,
                )
            )
            rows.append(
                (
                    f"from scratch, {epochs} epochs",
                    "20/class",
                    scratch.accuracy_bps,
                    scratch_seconds,
                )
            )
            tuned_pct, scratch_pct = (
                (tuned.accuracy_bps or 0) / 100,
                (scratch.accuracy_bps or 0) / 100,
            )
            met = tuned_pct >= 90 and tuned_pct - scratch_pct >= 20 and tuned_seconds <= 60
            summary.append(
                f"{epochs} epochs: fine-tuned - scratch {tuned_pct - scratch_pct:+.2f} points, "
                f"fine-tune {tuned_seconds:.1f} s (+ base {base_seconds:.1f} s once); "
                f"goal >= 90 %, >= +20 points, <= 60 s: {'met' if met else 'NOT met'}"
            )
    n_eval = tuned.card["datasets"]["eval"]["n"]
    lines = [
        f"Transfer: digits, {ARCH} ({STEM} stem), target 5-9 with 20 labelled images per class; "
        f"test accuracy on {n_eval} held-out images",
        f"{'run':<38} {'train set':>12} {'test acc':>9} {'seconds':>8}",
    ]
    for name, size, accuracy_bps, seconds in rows:
        lines.append(f"{name:<38} {size:>12} {(accuracy_bps or 0) / 100:>8.2f}% {seconds:>8.1f}")
    return lines + summary


def main() -> int:
    """Both tables; 1 if a goal is missed (a line says "NOT met")."""
    device = select_device("auto")
    print(f"machine: {describe_machine(device)}")
    print()
    lines = throughput_table(device)
    for line in lines:
        print(line, flush=True)
    print()
    for line in transfer_table(device):
        lines.append(line)
        print(line, flush=True)
    return 1 if any("NOT met" in line for line in lines) else 0


if __name__ == "__main__":
    raise SystemExit(main())
