"""The checkpoint a run writes after each epoch, and what resuming from it checks.

save_checkpoint(out_dir / CHECKPOINT_FILE, state)     # atomic: old or new, never half
state = load_checkpoint(out_dir / CHECKPOINT_FILE, config)  # CheckpointError on mismatch
"""

from __future__ import annotations

import os
import pickle
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from offchain.ml.config import RESUME_FREE_KEYS, TrainConfig
from offchain.ml.errors import CheckpointError

CHECKPOINT_FILE = "checkpoint.pt"


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write atomically: a crash leaves either the old checkpoint or the new one."""
    temporary = path.with_name(path.name + ".tmp")
    torch.save(state, temporary)
    os.replace(temporary, path)


def load_checkpoint(path: Path, config: TrainConfig) -> dict[str, Any]:
    """Load a checkpoint made with the same config (except RESUME_FREE_KEYS)."""
    try:
        # weights_only: tensors and plain values only; anything else (code to run) is refused.
        state: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:  # what weights_only raises for anything but data
        reason = str(exc).rsplit("WeightsUnpickler error: ", 1)[-1].splitlines()[0]
        raise CheckpointError(
            f"refused checkpoint {path}: it holds more than tensors and plain values ({reason}); "
            "delete it or use another output folder"
        ) from None
    except Exception as exc:  # torch.load raises many types for damaged or refused files
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from exc
    saved, wanted = state.get("config", {}), config.to_dict()
    for key in sorted(set(saved) | set(wanted)):
        if key not in RESUME_FREE_KEYS and saved.get(key) != wanted.get(key):
            raise CheckpointError(
                f"{path} was made with {key}={saved.get(key)!r}, this run has "
                f"{key}={wanted.get(key)!r}; use another output folder or delete the checkpoint"
            )
    return state


def rng_states(device: torch.device | None = None) -> dict[str, Any]:
    """The global RNG states, as tensors and plain values (the CUDA one of this process's GPU only,
    so that a checkpoint resumes on a machine with another number of GPUs)."""
    state: Any = np.random.get_state(legacy=True)  # ("MT19937", keys, pos, has_gauss, gauss)
    name, keys, position, has_gauss, gauss = state
    states: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": (str(name), torch.from_numpy(keys.astype(np.int64)), int(position), int(has_gauss), float(gauss)),
        "torch": torch.get_rng_state(),
    }
    if device is not None and device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(device)
    return states


def set_rng_states(states: dict[str, Any], device: torch.device | None = None) -> None:
    random.setstate(states["python"])
    name, keys, position, has_gauss, gauss = states["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), position, has_gauss, gauss))
    torch.set_rng_state(states["torch"])
    if "cuda" in states and device is not None and device.type == "cuda":
        torch.cuda.set_rng_state(states["cuda"], device)
