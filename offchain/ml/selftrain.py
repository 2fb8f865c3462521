"""Self-training on the requester's unlabelled images: pseudo-labels after the labelled epochs.

    index, labels = pseudo_labels(model, pool_images, per_class=150, num_classes=5)
    images, targets = with_pseudo_labels(train_images, train_labels, pool_images[index], labels)

A job may carry an unlabelled-images artifact (TrainConfig.unlabelled_dataset): images of the
target task without their labels, which cost the requester nothing to collect. After the
labelled epochs, each of `pseudo_rounds` rounds (Lee 2013, "Pseudo-Label") does:

1. the best model so far on validation labels the pool (eval mode, fp32, fixed batches);
2. per class, in turn, the `pseudo_per_class` images with the highest probability of that class
   join the training set with that label, no image twice: every class gets the same number,
   so a class the model under-predicts cannot vanish (the collapse a plain confidence threshold
   allows, which FixMatch's distribution alignment also guards against);
3. the labelled images, repeated to at least a quarter of the set, and the pseudo-labelled ones
   train for `pseudo_epochs` epochs at batch `pseudo_batch_size`, the learning rates on a
   schedule of their own (`segment_factor`).

The validation split picks the best epoch over every round, so a round that hurts is not kept.
Everything is a pure function of the model and the images: a resumed run redoes it exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from offchain.ml import augment as aug
from offchain.ml.config import TrainConfig
from offchain.ml.evaluation import batches

TEACHER_ROUNDS = 3  # the pixel teacher's own self-training fits
TEACHER_C = 1.0  # its inverse regularisation (pixel logistic regression's middle value)
# The feature teacher's pixels are scaled by this beside its standardised features: 1,024 pixels
# in [0, 1] and 512 features of unit variance weigh about alike (issue 23's MNIST pilot).
PIXEL_WEIGHT = 10.0


@torch.no_grad()
def pseudo_labels(
    model: nn.Module,
    images: torch.Tensor,
    per_class: int,
    num_classes: int,
    batch_size: int = 500,
    channels_last: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(pool indices, labels): per class, the `per_class` images surest to be of it, no image twice."""
    model.eval()
    parts = [model(aug.normalize(images[p], channels_last)).float() for p in batches(len(images), batch_size)]
    return balanced_pick(torch.softmax(torch.cat(parts), 1), per_class)


def balanced_pick(probabilities: torch.Tensor, per_class: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(pool indices, labels): per class in turn, the `per_class` rows most probable for it, no row twice."""
    num_classes = probabilities.shape[1]
    taken = torch.zeros(len(probabilities), dtype=torch.bool, device=probabilities.device)
    index, labels = [], []
    for label in range(num_classes):
        score = probabilities[:, label].masked_fill(taken, -1.0)
        # stable: ties go to the lower index, on every machine
        order = torch.sort(score, descending=True, stable=True).indices[:per_class]
        order = order[score[order] >= 0]
        taken[order] = True
        index.append(order)
        labels.append(torch.full_like(order, label))
    return torch.cat(index), torch.cat(labels)


def pixel_teacher(
    images: torch.Tensor, labels: torch.Tensor, pool: torch.Tensor, num_classes: int, rounds: int = TEACHER_ROUNDS
) -> torch.Tensor:
    """The pool's class probabilities from logistic regression on the pixels, self-trained.

    On 5 labelled images a class the network labels the pool worse than a linear model on the
    raw pixels does (runs/pilot in issue 23: 67 % against 82 % on held-out training images), so
    the first round may take its labels from this teacher instead.
    """

    def flat(x: torch.Tensor) -> Any:
        return x[:, 0].reshape(len(x), -1).double().cpu().numpy() / 255.0

    u = flat(pool)
    model = self_trained_logistic_regression(flat(images), labels.cpu().numpy(), u, num_classes, TEACHER_C, rounds)
    return torch.from_numpy(model.predict_proba(u)).float().to(pool.device)


@torch.no_grad()
def early_features(model: nn.Module, images: torch.Tensor, batch_size: int = 500, channels_last: bool = False) -> Any:
    """A torchvision ResNet's layer2 output, average-pooled to 2x2: 512 values an image (float64).

    The last block's features are specific to the base's classes (logistic regression on them
    trails the pixels on MNIST 5-9), while layer2's still carry strokes (92 % against 87 % at 20
    labels a class: issue 23's pilot)."""
    model.eval()
    parts = []
    for p in batches(len(images), batch_size):
        h = aug.normalize(images[p], channels_last)
        h = model.maxpool(model.relu(model.bn1(model.conv1(h))))  # type: ignore[operator]
        h = model.layer2(model.layer1(h))  # type: ignore[operator]
        parts.append(torch.nn.functional.adaptive_avg_pool2d(h.float(), 2).flatten(1).cpu())
    return torch.cat(parts).double().numpy()


def feature_teacher(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    pool: torch.Tensor,
    num_classes: int,
    batch_size: int = 500,
    channels_last: bool = False,
    pixel_weight: float = PIXEL_WEIGHT,
) -> torch.Tensor:
    """The pool's class probabilities from the pixel teacher's self-trained logistic regression
    on the pixels (scaled by `pixel_weight`; 0: the features alone) and the model's early
    features side by side (standardised on the labelled images and the pool).

    From the base these features carry over where its last ones do not; from random weights
    (scratch) they add little to the pixels. MNIST 0-4 -> 5-9 pilot at 5 labels a class, held-out
    accuracy of the teacher: 84.4 % with the base's features, 81.8 % with random ones, 81.1 %
    for the pixels alone."""
    from sklearn.preprocessing import StandardScaler

    def flat(x: torch.Tensor) -> Any:
        return x[:, 0].reshape(len(x), -1).double().cpu().numpy() / 255.0

    f_labelled = early_features(model, images, batch_size, channels_last)
    f_pool = early_features(model, pool, batch_size, channels_last)
    scaler = StandardScaler().fit(np.concatenate([f_labelled, f_pool]))
    x, u = scaler.transform(f_labelled), scaler.transform(f_pool)
    if pixel_weight:
        x = np.concatenate([pixel_weight * flat(images), x], axis=1)
        u = np.concatenate([pixel_weight * flat(pool), u], axis=1)
    fitted = self_trained_logistic_regression(x, labels.cpu().numpy(), u, num_classes, TEACHER_C, TEACHER_ROUNDS)
    return torch.from_numpy(fitted.predict_proba(u)).float().to(pool.device)


def self_trained_logistic_regression(x: Any, y: Any, u: Any, num_classes: int, c: float, rounds: int) -> Any:
    """Logistic regression (scikit-learn) on rows `x` labelled `y`, self-trained on the rows `u`.

    Each of `rounds` refits adds a larger balanced share of `u` with the previous fit's labels (a
    quarter, a half, ...): the pixel teacher, and the benchmark's baseline given the same pool.
    """
    from sklearn.linear_model import LogisticRegression

    fit_x, fit_y = x, y
    for step in range(rounds + 1):
        model = LogisticRegression(C=c, max_iter=5000).fit(fit_x, fit_y)
        if step == rounds:
            return model
        share = len(u) * (step + 1) // ((rounds + 1) * num_classes)
        index, pseudo = balanced_pick(torch.from_numpy(model.predict_proba(u)).float(), share)
        fit_x, fit_y = np.concatenate([x, u[index.numpy()]]), np.concatenate([y, pseudo.numpy()])
    raise AssertionError("unreachable: the loop returns at step == rounds")


def with_pseudo_labels(
    images: torch.Tensor, labels: torch.Tensor, pseudo_images: torch.Tensor, pseudo_targets: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The labelled images (repeated to at least a quarter of the result) and the pseudo-labelled ones."""
    repeat = max(1, -(-len(pseudo_targets) // (3 * max(1, len(labels)))))
    return (
        torch.cat([images.repeat(repeat, 1, 1, 1), pseudo_images]),
        torch.cat([labels.repeat(repeat), pseudo_targets]),
    )


def pseudo_set_size(config: TrainConfig, n_labelled: int, num_classes: int, pool_size: int) -> int:
    """How many images a self-training epoch sees (the schedule needs it before the labels exist)."""
    pseudo = min(pool_size, config.pseudo_per_class * num_classes)
    repeat = max(1, -(-pseudo // (3 * max(1, n_labelled))))
    return repeat * n_labelled + pseudo


def segment_factor(
    step: int, segments: Sequence[tuple[int, int, int]], factor: Callable[[int, int, int, int], float]
) -> float:
    """The schedule factor at global `step` when the run is segments of (steps, warm-up steps,
    steps per epoch), each on a schedule of its own: `factor(local step, steps, warm-up, per epoch)`
    (offchain.ml.loop.lr_factor)."""
    for steps, warmup, per_epoch in segments:
        if step < steps:
            return factor(step, steps, warmup, per_epoch)
        step -= steps
    steps, warmup, per_epoch = segments[-1]
    return factor(steps, steps, warmup, per_epoch)
