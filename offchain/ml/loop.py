"""One epoch of training, as torchvision's references/classification shape it.

    loss_sum, correct, seen, seconds = train_one_epoch(model, criterion, optimizer, scheduler,
                                                       images, labels, epoch, config)

The data set sits whole on the device as uint8; each epoch shuffles and augments it with
generators seeded by (seed, epoch, rank), so a resumed run replays exactly the batches an
uninterrupted run would have seen. `lr_factor` is the schedule, a pure function of the step.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from offchain.ml import augment as aug
from offchain.ml.config import TrainConfig
from offchain.ml.consistency import PoolTerm, strong_targets, unlabelled_loss, unlabelled_order
from offchain.ml.devices import autocast_dtype, epoch_generator, use_channels_last
from offchain.ml.evaluation import batches


@dataclass(frozen=True)
class EpochMetrics:
    """One epoch's numbers, as written to metrics.json."""

    epoch: int
    lr: float  # learning rate of the first group at the end of the epoch
    train_loss: float
    train_accuracy_bps: int
    eval_loss: float | None
    eval_accuracy_bps: int | None
    seconds: float  # training time of the epoch, without evaluation
    images_per_second: float
    pool_kept_bps: int | None = None  # with consistency: share of the pool images seen that reached the threshold


def lr_factor(step: int, total_steps: int, warmup_steps: int, config: TrainConfig, steps_per_epoch: int) -> float:
    """Factor on the base learning rates at optimizer step `step` (pure, as nanoGPT's get_lr)."""
    # 1) linear warm-up from 0 to 1
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    # 2) then the schedule, over the steps that remain
    if config.schedule == "constant":
        return 1.0
    if config.schedule == "step":
        return float(config.gamma ** (step // (config.step_epochs * steps_per_epoch)))
    # 3) cosine from 1 down to 0 at the last step
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def training_batches(n: int, batch_size: int) -> list[slice]:
    """Like `batches`, but a last batch of one image joins the one before: batch-norm cannot
    train on a single image once the feature map is 1x1."""
    parts = list(batches(n, batch_size))
    if len(parts) > 1 and parts[-1].stop - parts[-1].start == 1:
        parts[-2:] = [slice(parts[-2].start, parts[-1].stop)]
    return parts


def train_one_epoch(
    model: nn.Module,
    criterion: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    images: torch.Tensor,
    labels: torch.Tensor,
    epoch: int,
    config: TrainConfig,
    rank: int = 0,
    world: int = 1,
    frozen: list[nn.Module] | None = None,
    show_progress: bool = False,
    after_step: Callable[[], None] | None = None,
    unlabelled: PoolTerm | None = None,
) -> tuple[float, int, int, float]:
    """One pass over this rank's shard; return (loss sum, correct, images, seconds) of the supervised batches.

    `after_step` runs after every optimizer step (the weights' moving average, offchain.ml.train).
    `unlabelled` adds FixMatch's term to every step, and counts what it kept (offchain.ml.consistency)."""
    device = images.device
    model.train()
    for module in frozen or []:
        module.eval()  # frozen batch-norm keeps its running statistics
    generator = epoch_generator(config.seed, epoch, 0, device)
    order = torch.randperm(len(labels), device=device, generator=generator)
    per_rank = len(labels) // world
    order = order[rank : per_rank * world : world]  # every rank the same number of steps
    local_batch = config.batch_size // world
    rank_generator = epoch_generator(config.seed, epoch, rank + 1, device)
    dtype = autocast_dtype(config, device)
    channels_last = use_channels_last(config, device)
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.int64)
    start = time.perf_counter()
    steps = training_batches(len(order), local_batch)
    if unlabelled is not None:
        pool, settings = unlabelled.images, unlabelled.settings
        kept_sum = torch.zeros((), device=device, dtype=torch.int64)
        # a stream of its own (ranks use 1..world): without consistency the other streams are unchanged
        pool_generator = epoch_generator(config.seed, epoch, world + 1 + rank, device)
        pool_order = unlabelled_order(len(pool), len(steps), settings.ratio * local_batch, pool_generator)
    for step, part in enumerate(_progress(steps, f"epoch {epoch + 1}", show_progress)):
        index = order[part]
        x = aug.normalize(aug.augment(images[index], config.augmentations, rank_generator), channels_last)
        y = labels[index]
        with torch.autocast(device.type, dtype) if dtype else contextlib.nullcontext():
            if unlabelled is None:
                logits = model(x)
                loss = objective = criterion(logits, y)
            else:
                strong, pseudo, kept = strong_targets(
                    model, pool[pool_order[step]], settings, config.augmentations, pool_generator, channels_last
                )
                both = model(torch.cat([x, strong]))
                logits = both[: len(y)]
                loss = criterion(logits, y)  # reported: the supervised loss, as without consistency
                objective = loss + unlabelled_loss(both[len(y) :], pseudo, kept, settings.weight)
                kept_sum += kept.sum()
        optimizer.zero_grad(set_to_none=True)
        objective.backward()
        optimizer.step()
        scheduler.step()
        if after_step is not None:
            after_step()
        loss_sum += loss.detach().float() * len(y)
        correct += (logits.detach().argmax(1) == y).sum()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    if unlabelled is not None:
        unlabelled.kept, unlabelled.seen = int(kept_sum), pool_order.numel()
    return float(loss_sum), int(correct), len(order), seconds


@torch.no_grad()
def precise_bn(model: nn.Module, images: torch.Tensor, batch_size: int, channels_last: bool = False) -> int:
    """Re-estimate the running statistics of every trainable batch-norm layer ("precise BN").

    After a few hundred steps the running averages lag behind the weights; here they become the
    plain average of the batch statistics over `images` (un-augmented training images: no labels,
    no evaluation data). Frozen layers keep theirs. Returns the number of layers re-estimated.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    layers = [m for m in norms if m.weight is not None and m.weight.requires_grad]
    if not layers or len(images) < 2:
        return 0
    modes = [m.training for m in norms]
    momenta = [m.momentum for m in layers]
    for norm in norms:
        norm.train(norm in layers)  # frozen layers normalise with, and keep, their statistics
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None  # cumulative average over the batches below
    for part in training_batches(len(images), batch_size):
        model(aug.normalize(images[part], channels_last))
    for layer, momentum in zip(layers, momenta, strict=True):
        layer.momentum = momentum
    for norm, mode in zip(norms, modes, strict=True):
        norm.train(mode)
    return len(layers)


def all_reduce_sums(loss_sum: float, correct: int, seen: int, device: torch.device) -> tuple[float, int, int]:
    """The epoch's sums over every rank (under DDP)."""
    totals = torch.tensor([loss_sum, float(correct), float(seen)], dtype=torch.float64, device=device)
    torch.distributed.all_reduce(totals)
    return float(totals[0]), int(totals[1]), int(totals[2])


def _progress(items: list[slice], desc: str, show: bool) -> Any:
    if not show:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, leave=False, unit="batch", file=sys.stderr, position=1)
