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


def batches(n: int, batch_size: int) -> Iterator[slice]:
    """Consecutive slices of at most batch_size covering range(n)."""
    for start in range(0, n, batch_size):
        yield slice(start, min(n, start + batch_size))


@torch.no_grad()
def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 500) -> EvalResult:
    """Accuracy (basis points) and mean cross-entropy, in fp32 and fixed batches: on a CPU the
    same model and data give the same numbers every time."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for part in batches(len(labels), batch_size):
        x = aug.normalize(images[part])
        logits = model(x).float()
        loss_sum += float(F.cross_entropy(logits, labels[part], reduction="sum"))
        correct += int((logits.argmax(1) == labels[part]).sum())
    n = len(labels)
    if n == 0:
        raise DatasetError("cannot evaluate on an empty data set")
    return EvalResult(accuracy_bps=correct * 10_000 // n, loss=loss_sum / n, n=n)


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
