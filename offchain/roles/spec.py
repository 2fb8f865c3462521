"""The job spec: a JSON artifact naming the recipe a job's workers train with.

    {"arch": "resnet18", "stem": "small", "epochs": 8, "lr": 0.01, "head_lr": 0.05,
     "schedule": "cosine", "metric": "accuracy"}

Its keys are the recipe keys of the ML engine's TrainConfig. Where the data, the initial
weights and the hardware come from is not the requester's business: the worker sets those
(the job's training set, the base model, its own device), so a spec that names them is
rejected instead of silently overridden.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from offchain.errors import OffchainError

# Keys a spec may set: what is trained, and how.
RECIPE_KEYS = frozenset(
    {
        "arch",
        "stem",
        "freeze",
        "epochs",
        "batch_size",
        "lr",
        "head_lr",
        "momentum",
        "weight_decay",
        "schedule",
        "warmup_epochs",
        "step_epochs",
        "gamma",
        "label_smoothing",
        "augment",
        "metric",
        "seed",
        "image_size",
    }
)
MAX_SPEC_BYTES = 64 * 1024
# A conservative CPU throughput (images/s, ResNet-18 at 32x32) for deadline estimates when
# the worker has not measured its own.
DEFAULT_IMAGES_PER_SECOND = 250.0


class SpecError(OffchainError):
    """The spec artifact is malformed or asks for something unsupported."""


def parse_spec(raw: bytes) -> dict[str, Any]:
    """The spec as a dict; raises SpecError naming the problem."""
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(f"spec is {len(raw)} bytes; at most {MAX_SPEC_BYTES}")
    try:
        spec = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(f"spec is not valid JSON: {exc}") from None
    if not isinstance(spec, dict):
        raise SpecError(f"spec must be a JSON object, got {type(spec).__name__}")
    unknown = sorted(set(spec) - RECIPE_KEYS)
    if unknown:
        raise SpecError(f"spec keys {', '.join(unknown)} are not recipe keys; valid: {', '.join(sorted(RECIPE_KEYS))}")
    return spec


def load_spec(path: Path) -> dict[str, Any]:
    try:
        return parse_spec(path.read_bytes())
    except OSError as exc:
        raise SpecError(f"cannot read spec {path}: {exc}") from None


def estimate_training_seconds(spec: dict[str, Any], train_images: int, images_per_second: float) -> float:
    """Seconds one run of `spec` should take at `images_per_second`, with a 2x safety margin."""
    epochs = int(spec.get("epochs", 10))
    return 2.0 * epochs * train_images / max(images_per_second, 1e-6)
