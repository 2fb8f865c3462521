"""FixMatch-style consistency on the requester's unlabelled pool (Sohn et al. 2020, "FixMatch").

    strong, labels, kept = strong_targets(model, pool_batch, settings, weak, generator)
    loss = criterion(logits[:n], y) + unlabelled_loss(logits[n:], labels, kept, settings.weight)

With a recipe's `consistency` object (offchain.ml.config.Consistency), every optimizer step of a
self-training round adds, beside the round's supervised batch, `ratio` pool images per image of
that batch (offchain.ml.loop.train_one_epoch):

1. the model as it is at this step labels a weakly augmented view (the recipe's `augment`),
   without gradient: each image's most probable class, kept only where that probability reaches
   `threshold`;
2. the model then learns those labels on a strongly augmented view (`strong`, cutout included),
   in one forward pass with the supervised batch (as FixMatch: batch-norm sees both, and DDP one
   pass a step): cross-entropy averaged over the whole unlabelled batch (the images below the
   threshold count as zero), times `weight`.

The labels are redrawn at every step from the student itself, so a first-round teacher's mistakes
(offchain.ml.selftrain) bind the student only through the round's supervised batch, and a
confident student may overrule them on the rest of the pool. Which pool images a step sees comes
from the epoch's generator: a run is a pure function of its seed and thread count.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from offchain.ml import augment as aug
from offchain.ml.config import Consistency


@dataclass
class PoolTerm:
    """What an epoch's steps need for the unlabelled term, and what they report back."""

    images: torch.Tensor  # the pool, uint8 on the training device
    settings: Consistency
    kept: int = 0  # of the pool images the epoch's steps saw (this process's), how many reached the threshold
    seen: int = 0


def unlabelled_order(pool_size: int, steps: int, per_step: int, generator: torch.Generator) -> torch.Tensor:
    """Pool indices for an epoch's steps, `per_step` a step: shuffled passes over the pool, end to end."""
    device = generator.device
    passes = -(-steps * per_step // max(1, pool_size))
    order = torch.cat([torch.randperm(pool_size, device=device, generator=generator) for _ in range(passes)])
    return order[: steps * per_step].view(steps, per_step)


@torch.no_grad()
def weak_labels(model: nn.Module, images: torch.Tensor, threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(labels, kept): the model's most probable class of each (normalised) image, and whether its
    probability reaches `threshold`."""
    confidence, labels = torch.softmax(model(images).float(), 1).max(1)
    return labels, confidence >= threshold


def strong_targets(
    model: nn.Module,
    pool_batch: torch.Tensor,
    settings: Consistency,
    weak: tuple[str, ...],
    generator: torch.Generator,
    channels_last: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(strong view, labels, kept) of one step's unlabelled uint8 batch: the labels the model gives
    the weak view now, the images to learn them on. The model stays in its mode (in training,
    batch-norm normalises the weak view with its own statistics)."""
    weak_view = aug.normalize(aug.augment(pool_batch, weak, generator), channels_last)
    labels, kept = weak_labels(model, weak_view, settings.threshold)
    strong_view = aug.normalize(aug.augment(pool_batch, settings.augmentations, generator), channels_last)
    return strong_view, labels, kept


def unlabelled_loss(logits: torch.Tensor, labels: torch.Tensor, kept: torch.Tensor, weight: float) -> torch.Tensor:
    """FixMatch's L_u times its weight: cross-entropy on the kept images, averaged over all of them."""
    losses = nn.functional.cross_entropy(logits.float(), labels, reduction="none")
    return weight * (losses * kept).mean()
