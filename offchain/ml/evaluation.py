"""Scoring a model: what validators attest and what each epoch reports.

    score = evaluate_model("runs/job7", "eval.npz", expected_sha256=h)  # EvalResult
    score.accuracy_bps, score.loss, score.n

On a CPU the same model and data give the same numbers on every call (fp32, fixed batches,
deterministic kernels).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from offchain.ml import augment as aug
from offchain.ml.data import ImageSet, load_data, load_dataset_npz
from offchain.ml.devices import select_device, to_device
from offchain.ml.errors import DatasetError
from offchain.ml.models import load_model


@dataclass(frozen=True)
class EvalResult:
    """A model's score on a data set: what validators attest."""

    accuracy_bps: int  # floor(10000 * correct / n)
    loss: float  # mean cross-entropy
    n: int
    confusion: tuple[tuple[int, ...], ...] = ()  # confusion[true class][predicted class]: image counts

    def per_class_accuracy_bps(self) -> list[int]:
        """floor(10000 * correct / n) for each true class (0 for a class without images)."""
        return [row[i] * 10_000 // max(1, sum(row)) for i, row in enumerate(self.confusion)]


def batches(n: int, batch_size: int) -> Iterator[slice]:
    """Consecutive slices of at most batch_size covering range(n)."""
    for start in range(0, n, batch_size):
        yield slice(start, min(n, start + batch_size))


@torch.no_grad()
def evaluate(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int = 500,
    channels_last: bool = False,
) -> EvalResult:
    """Accuracy (basis points), mean cross-entropy and the confusion matrix, in fp32 and fixed
    batches: on a CPU the same model and data give the same numbers every time.
    `channels_last`: the memory format the model was put in (its input gets the same one)."""
    model.eval()
    loss_sum, correct = 0.0, 0
    confusion: torch.Tensor | None = None
    for part in batches(len(labels), batch_size):
        x = aug.normalize(images[part], channels_last)
        logits = model(x).float()
        loss_sum += float(F.cross_entropy(logits, labels[part], reduction="sum"))
        predicted = logits.argmax(1)
        correct += int((predicted == labels[part]).sum())
        k = logits.shape[1]
        counts = torch.bincount(labels[part] * k + predicted, minlength=k * k).reshape(k, k).cpu()
        confusion = counts if confusion is None else confusion + counts
    n = len(labels)
    if n == 0 or confusion is None:
        raise DatasetError("cannot evaluate on an empty data set")
    return EvalResult(
        accuracy_bps=correct * 10_000 // n,
        loss=loss_sum / n,
        n=n,
        confusion=tuple(tuple(int(c) for c in row) for row in confusion.tolist()),
    )


def evaluate_model(
    model_dir: str | os.PathLike[str],
    dataset: str | ImageSet,
    device: str = "cpu",
    *,
    split: str = "test",
    classes: str | None = None,
    expected_sha256: str | None = None,
    data_dir: str = "data",
    batch_size: int = 500,
) -> EvalResult:
    """Score a model folder on a data set (a .npz artifact, a name, a folder or an ImageSet).

    What validators call. On a CPU the result is the same on every call. With
    `expected_sha256`, a `.npz` whose hash differs is refused before use.
    """
    model, card = load_model(model_dir)
    if isinstance(dataset, ImageSet):
        data = dataset
    elif expected_sha256 is not None:
        data = load_dataset_npz(dataset, expected_sha256)
    else:
        data = load_data(dataset, split, classes, data_dir=data_dir, image_size=card.get("image_size", 32))
    if list(data.classes) != list(card["classes"]):
        raise DatasetError(f"data set classes {list(data.classes)} differ from the model's {card['classes']}")
    torch_device = select_device(device)
    model.to(torch_device)
    with deterministic(torch_device.type == "cpu"):
        return evaluate(model, *to_device(data, torch_device), batch_size)


@contextlib.contextmanager
def deterministic(enabled: bool) -> Iterator[None]:
    """Deterministic kernels inside the block (if `enabled`), the caller's setting after it."""
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(enabled or before)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before)
