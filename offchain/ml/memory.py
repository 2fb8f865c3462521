"""What a training run holds in memory, measured on the recipe's own model, and how much a
machine can give it.

A job's recipe and data are the requester's: a batch of 50,000 images, or images of
4096x4096, would make the worker's process allocate until the kernel kills it, and with it
every job it has staked on. So a worker measures what one image of a batch costs (the
tensors the forward pass saves for the backward pass, on two blank images) before it loads
or trains anything, and refuses a job that would not fit.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from offchain.ml.errors import DatasetError

if TYPE_CHECKING:
    from offchain.ml.config import TrainConfig

MEMORY_SHARE = 0.5  # of the machine's (or the GPU's) memory, for one training run by default
OPTIMIZER_COPIES = 3  # weights, gradients and SGD's momentum
DATA_COPIES = 2  # the arrays numpy loads, and the tensors the run trains from
# The backward pass's own buffers beside what the forward pass saved: one step of resnet18 grew
# the process by 1.3x the saved tensors at 128x128 (batch 100), 1.1x at 64x64 (batch 200).
BACKWARD_PEAK = 1.5


@dataclass(frozen=True)
class StepMemory:
    fixed_bytes: int  # the model's weights, gradients and momentum
    bytes_per_image: int  # what the forward pass keeps for the backward pass, per image

    def step_bytes(self, batch: int) -> int:
        return self.fixed_bytes + self.bytes_per_image * batch


def measure_step_memory(config: TrainConfig, image_size: int, num_classes: int) -> StepMemory:
    """The training-step memory of `config`'s model on images of `image_size` squared (the
    models see three channels, as in training), counted on the CPU: each storage the autograd
    graph saves is counted once, the parameters apart (they are the fixed part)."""
    import torch

    from offchain.ml.models import build_model, freeze

    model = build_model(config.arch, num_classes, config.stem)
    freeze(model, config.freeze)
    parameters = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in parameters:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    model.train()  # batch norm in training mode needs more than one image: two, halved below
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(torch.zeros((2, 3, image_size, image_size)))
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    return StepMemory(OPTIMIZER_COPIES * weights, int(BACKWARD_PEAK * sum(saved.values()) / 2))


def largest_batch(config: TrainConfig, train_images: int, unlabelled_images: int = 0) -> int:
    """The most images one training step of `config` takes: a labelled batch, or with
    unlabelled images a self-training batch and, with consistency on, `ratio` pool images per
    image beside it in the same forward pass."""
    batch = min(config.batch_size, train_images)
    if unlabelled_images and config.pseudo_rounds:
        ratio = consistency.ratio if (consistency := config.consistency_settings) else 0
        batch = max(batch, min(config.pseudo_batch_size, train_images + unlabelled_images) * (1 + ratio))
    return batch


def ram_bytes() -> int:
    """This machine's physical memory."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def machine_memory_bytes(device: str) -> int:
    """The memory a run on `device` computes in: the GPU's where "auto" or "cuda" finds one
    (as offchain.ml.devices chooses: not imported here, it imports the data module), else the
    machine's RAM."""
    import torch

    if device != "cpu" and torch.cuda.is_available():
        return int(torch.cuda.get_device_properties(0).total_memory)
    return ram_bytes()


def default_budget_bytes(device: str) -> int:
    return int(MEMORY_SHARE * machine_memory_bytes(device))


def require_loadable_size(*paths: str | os.PathLike[str]) -> None:
    """Raise DatasetError when the archives at `paths` unpack together past MEMORY_SHARE of
    this machine's memory: numpy would allocate it all (a data set is the poster's, and a
    small file may declare any size)."""
    limit = int(MEMORY_SHARE * ram_bytes())
    if (size := sum(unpacked_bytes(path) for path in paths)) > limit:
        named = f"{paths[0]} unpacks" if len(paths) == 1 else f"{len(paths)} archives ({paths[0]}, ...) unpack"
        raise DatasetError(f"{named} to {size} bytes: over the {limit} a data set may take on this machine")


def unpacked_bytes(path: str | os.PathLike[str]) -> int:
    """What the arrays of the .npz at `path` unpack to, read from its zip directory alone:
    a small compressed file may unpack to any size, so this is read before numpy loads it."""
    try:
        with zipfile.ZipFile(Path(path)) as archive:
            return sum(member.file_size for member in archive.infolist())
    except (OSError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{path} is not a data set (an .npz of images, labels and classes): {exc}") from None
