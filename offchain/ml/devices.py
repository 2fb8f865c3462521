"""Where and how a run computes: device choice, autocast precision, memory format, seeding.

device = select_device("auto")                 # cuda:0 when present, else cpu
dtype = autocast_dtype(config, device)         # torch.bfloat16 or None (plain fp32)
images, labels = to_device(train_set, device)  # the whole set, uint8, on the device
"""

from __future__ import annotations

import os
import platform
import random
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from offchain.ml.errors import ConfigError

if TYPE_CHECKING:
    from offchain.ml.config import TrainConfig
    from offchain.ml.data import ImageSet

# cuBLAS reads this once, when it initialises: set it before anything touches CUDA, so that a
# deterministic run later in this process still gets deterministic cuBLAS kernels.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

# Measured on this project's 2-core CPU (benchmarks/ml_bench.py): at equal batch, bf16
# autocast trains ResNet-18 1.0-1.5x slower there (no native bf16 kernels for it), and
# channels_last makes no difference beyond the noise, so the CPU defaults to fp32, NCHW.
CPU_PRECISION = "fp32"


def select_device(name: str, local_rank: int = 0) -> torch.device:
    """auto: CUDA when present, else CPU. Under DDP each process takes cuda:local_rank."""
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ConfigError("device 'cuda' asked for but CUDA is not available; choose from: auto, cpu")
        if local_rank >= torch.cuda.device_count():
            raise ConfigError(
                f"process {local_rank} needs GPU {local_rank} but this machine has "
                f"{torch.cuda.device_count()}: use at most one process per GPU"
            )
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def autocast_dtype(config: TrainConfig, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for training, or None for plain fp32."""
    precision = config.precision
    bf16_ok = device.type != "cuda" or torch.cuda.is_bf16_supported()
    if precision == "auto":  # bf16 where the GPU has it (Ampere and later); fp16 would need loss scaling
        precision = "bf16" if device.type == "cuda" and bf16_ok else CPU_PRECISION if device.type == "cpu" else "fp32"
    if precision == "bf16" and not bf16_ok:
        raise ConfigError(f"precision 'bf16' asked for but {torch.cuda.get_device_name(device)} lacks it; choose fp32")
    return torch.bfloat16 if precision == "bf16" else None


def use_channels_last(config: TrainConfig, device: torch.device) -> bool:
    return device.type == "cuda" if config.channels_last is None else config.channels_last


def seed_everything(seed: int, deterministic: bool) -> None:
    """Seed Python, numpy and torch; with `deterministic`, insist on deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True)  # CUBLAS_WORKSPACE_CONFIG: set at import, above
        torch.backends.cudnn.benchmark = False
    else:
        torch.backends.cudnn.benchmark = True


def epoch_generator(seed: int, epoch: int, rank: int, device: torch.device) -> torch.Generator:
    """The generator for one epoch's shuffling and augmentation: a pure function of its args."""
    generator = torch.Generator(device=device)
    generator.manual_seed((seed * 1_000_003 + epoch) * 1_009 + rank)
    return generator


def to_device(data: ImageSet, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The whole set as uint8 images and int64 labels on `device` (GPU memory under CUDA)."""
    images = torch.from_numpy(np.ascontiguousarray(data.images))
    labels = torch.from_numpy(np.ascontiguousarray(data.labels))
    if device.type == "cuda":
        images, labels = images.pin_memory(), labels.pin_memory()
    return images.to(device, non_blocking=True), labels.to(device, non_blocking=True)


def versions() -> dict[str, str]:
    """The software a model was made with, for its card."""
    import torchvision

    return {
        "python": platform.python_version(),
        "torch": str(torch.__version__),
        "torchvision": str(torchvision.__version__),
        "numpy": np.__version__,
    }


def environment(device: torch.device) -> dict[str, Any]:
    """What decides a run's exact numbers besides its config: threads, torch, CPU and GPU kernels.

    Recorded in the model card and the checkpoint; resuming on a different one still works but
    is no longer bit-exact (float sums split across other threads or kernels round differently).
    """
    info: dict[str, Any] = {
        "threads": torch.get_num_threads(),
        "torch": str(torch.__version__),
        "cpu": platform.machine(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "device": device.type,
    }
    if device.type == "cuda":
        major, minor = torch.cuda.get_device_capability(device)
        info["gpu"] = torch.cuda.get_device_name(device)
        info["gpu_capability"] = f"{major}.{minor}"
        info["cuda"] = torch.version.cuda
    return info


def environment_differences(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """'key: saved -> current' for every recorded fact that changed."""
    return [
        f"{k}: {saved.get(k)!r} -> {current.get(k)!r}"
        for k in sorted(set(saved) | set(current))
        if saved.get(k) != current.get(k)
    ]
