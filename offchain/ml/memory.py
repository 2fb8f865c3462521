"""What a training run holds in memory, measured on the recipe's own model, and how much a
machine can give it.

A job's recipe and data are the requester's: a batch of 50,000 images, or images of
4096x4096, would make the worker's process allocate until the kernel kills it, and with it
every job it has staked on. So a worker measures the run's largest moments before it loads
or trains anything, and refuses a job that would not fit: one training step (forward and
backward, frozen blocks included: their forward pass still runs on the whole batch) and one
evaluation batch. It runs the model on the meta device, where tensors have shapes and no
storage, so measuring a step of any size allocates nothing, and counts the bytes of the tensors
alive at once at the worst moment.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offchain.ml.errors import DatasetError

if TYPE_CHECKING:
    import torch

    from offchain.ml.config import TrainConfig

MEMORY_SHARE = 0.5  # of the machine's (or the GPU's) memory, for one training run by default
OPTIMIZER_COPIES = 3  # weights, gradients and SGD's momentum
DATA_COPIES = 2  # the arrays numpy loads, and the tensors the run trains from
# What the process grows by beyond the tensors the meta device counts (the allocator's slack,
# the CPU kernels' own buffers): a real step grew it by 1.25x-1.48x the counted peak (resnet18
# and resnet50, either stem, frozen or not, 64x64, batch 50-200), an evaluation batch by 1.0x
# (tests/offchain/ml/test_memory.py measures one of each kind).
UNCOUNTED = 1.5
# Round 1's teachers other than the model itself (offchain.ml.selftrain) fit logistic regression
# in float64 on one channel of every labelled and pool image, the feature teachers beside 512
# early features an image: the process grew by 10.8x the images' bytes with the pixels teacher,
# 16.3x with the features teacher (20,000 pool images of 3x32x32).
TEACHER_COPIES = 20
TEACHER_FEATURE_BYTES = 4 * 512 * 8  # an image's features in float64: computed, standardised, joined, fitted


def teacher_bytes(config: TrainConfig, images: int, image_bytes: int) -> int:
    """What round 1's teacher holds beside the data for `images` (labelled and pool) of
    `image_bytes` each; 0 when the model labels the pool itself."""
    if not config.pseudo_rounds or config.pseudo_teacher == "model":
        return 0
    return images * (TEACHER_COPIES * image_bytes + TEACHER_FEATURE_BYTES)


def step_bytes(config: TrainConfig, image_size: int, num_classes: int, batch: int) -> int:
    """What one training step of `config`'s model on `batch` images of `image_size` squared
    holds at its peak, the model's weights, gradients and momentum included."""
    import torch

    model = _meta_model(config, num_classes)
    batch = max(batch, 2)  # batch norm in training mode refuses one image (at 1x1 maps)
    labels = torch.zeros((batch,), dtype=torch.long, device="meta")

    def step() -> None:
        images = torch.zeros((batch, 3, image_size, image_size), device="meta")  # the float batch
        torch.nn.functional.cross_entropy(model(images), labels).backward()

    return _fixed_bytes(model) + int(UNCOUNTED * peak_bytes(step))


def eval_bytes(config: TrainConfig, image_size: int, num_classes: int, batch: int) -> int:
    """What evaluating (or pseudo-labelling) `batch` images at once holds at its peak."""
    import torch

    model = _meta_model(config, num_classes).eval()

    @torch.no_grad()
    def forward() -> None:
        model(torch.zeros((batch, 3, image_size, image_size), device="meta"))

    return _fixed_bytes(model) + int(UNCOUNTED * peak_bytes(forward))


def largest_fitting_batch(config: TrainConfig, image_size: int, num_classes: int, budget: int, most: int) -> int:
    """The most images, up to `most`, that one evaluation batch may take within `budget` bytes
    (its peak grows by the same bytes with each image); 0 when not even one fits."""
    one = eval_bytes(config, image_size, num_classes, 1)
    per_image = max(1, eval_bytes(config, image_size, num_classes, 2) - one)
    return 0 if budget < one else min(most, (budget - one) // per_image + 1)


def _meta_model(config: TrainConfig, num_classes: int) -> torch.nn.Module:
    import torch

    from offchain.ml.models import build_model, freeze

    with torch.device("meta"):
        model = build_model(config.arch, num_classes, config.stem)
    for module in freeze(model, config.freeze):
        module.eval()  # as the run keeps them
    return model


def _fixed_bytes(model: torch.nn.Module) -> int:
    return OPTIMIZER_COPIES * sum(p.numel() * p.element_size() for p in model.parameters())


def peak_bytes(run: Callable[[], Any]) -> int:
    """The most bytes of tensors that `run` made and held at once (each storage counted once,
    until its last reference goes; tensors made before the call are not counted)."""
    import torch
    from torch.multiprocessing.reductions import StorageWeakRef
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    live: dict[int, tuple[StorageWeakRef, int]] = {}
    peak = 0

    class Counting(TorchDispatchMode):
        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            nonlocal peak
            out = func(*args, **(kwargs or {}))
            for tensor in tree_leaves(out):
                if isinstance(tensor, torch.Tensor):
                    storage = tensor.untyped_storage()
                    live.setdefault(storage._cdata, (StorageWeakRef(storage), storage.nbytes()))
            for key in [key for key, (ref, _) in live.items() if ref.expired()]:
                del live[key]
            peak = max(peak, sum(size for _, size in live.values()))
            return out

    with Counting():
        run()
    return peak


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


def require_loadable_size(*paths: str | os.PathLike[str], copies: int = 1) -> None:
    """Raise DatasetError when the archives at `paths`, held together `copies` times, unpack
    past MEMORY_SHARE of this machine's memory: numpy would allocate it all (a data set is the
    poster's, and a small file may declare any size)."""
    limit = int(MEMORY_SHARE * ram_bytes())
    if (size := copies * sum(unpacked_bytes(path) for path in paths)) > limit:
        what = (
            f"{paths[0]} unpacks"
            if len(paths) == 1 and copies == 1
            else f"{len(paths)} data sets held {copies}x unpack"
        )
        raise DatasetError(f"{what} to {size} bytes: over the {limit} a data set may take on this machine")


def unpacked_bytes(path: str | os.PathLike[str]) -> int:
    """What the arrays of the .npz at `path` unpack to, read from its zip directory alone:
    a small compressed file may unpack to any size, so this is read before numpy loads it."""
    try:
        with zipfile.ZipFile(Path(path)) as archive:
            return sum(member.file_size for member in archive.infolist())
    except (OSError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{path} is not a data set (an .npz of images, labels and classes): {exc}") from None
