"""The checkpoint a run writes after each epoch, and what resuming from it checks.

save_checkpoint(out_dir / CHECKPOINT_FILE, state)     # atomic: old or new, never half
state = load_checkpoint(out_dir / CHECKPOINT_FILE, config)  # CheckpointError on mismatch
"""

from __future__ import annotations

import os
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
        # Our own file: it holds the config dict, RNG states and numpy arrays besides tensors.
        state: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch.load raises many types for damaged files
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from exc
    saved, wanted = state.get("config", {}), config.to_dict()
    for key in sorted(set(saved) | set(wanted)):
        if key not in RESUME_FREE_KEYS and saved.get(key) != wanted.get(key):
            raise CheckpointError(
                f"{path} was made with {key}={saved.get(key)!r}, this run has "
                f"{key}={wanted.get(key)!r}; use another output folder or delete the checkpoint"
            )
    return state


def rng_states() -> dict[str, Any]:
    states = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
