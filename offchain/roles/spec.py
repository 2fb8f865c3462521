"""The job spec: a JSON artifact naming the recipe a job's workers train with.

    {"arch": "resnet18", "stem": "small", "epochs": 8, "lr": 0.01, "head_lr": 0.05,
     "schedule": "cosine", "metric": "accuracy"}

Its keys are the recipe keys of the ML engine's TrainConfig (offchain.ml.config.RECIPE_KEYS),
and what it leaves out takes TrainConfig's defaults, for the worker and the validator alike. Where the data, the initial
weights and the hardware come from is not the requester's business: the worker sets those
(the job's training set, the base model, its own device), so a spec that names them is
rejected instead of silently overridden.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain.errors import OffchainError
from offchain.ml.config import TrainConfig
from offchain.ml.errors import ConfigError

MAX_SPEC_BYTES = 64 * 1024
# A conservative CPU throughput (images/s, ResNet-18 at 32x32) for deadline estimates when
# the worker has not measured its own.
DEFAULT_IMAGES_PER_SECOND = 250.0


class SpecError(OffchainError):
    """The spec artifact is malformed or asks for something unsupported."""


@dataclass(frozen=True)
class JobSpec:
    """A parsed spec: the recipe as posted, and the training config it means."""

    recipe: dict[str, Any]  # the JSON object as posted (kept as-is in the worker's journal)
    config: TrainConfig  # the recipe over the ML engine's defaults: what worker and validator build


def spec_from_recipe(recipe: Mapping[str, Any]) -> JobSpec:
    """Check a recipe against the ML engine's TrainConfig (RECIPE_KEYS, types, choices)."""
    try:
        config = TrainConfig.from_spec(recipe, recipe_only=True)
    except ConfigError as exc:
        raise SpecError(str(exc)) from None
    return JobSpec(dict(recipe), config)


def parse_spec(raw: bytes) -> JobSpec:
    """The spec artifact's bytes, parsed and checked; raises SpecError naming the problem."""
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(f"spec is {len(raw)} bytes; at most {MAX_SPEC_BYTES}")
    try:
        recipe = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(f"spec is not valid JSON: {exc}") from None
    if not isinstance(recipe, dict):
        raise SpecError(f"spec must be a JSON object, got {type(recipe).__name__}")
    return spec_from_recipe(recipe)


def load_spec(path: Path) -> JobSpec:
    try:
        return parse_spec(path.read_bytes())
    except OSError as exc:
        raise SpecError(f"cannot read spec {path}: {exc}") from None


def estimate_training_seconds(spec: JobSpec, train_images: int, images_per_second: float) -> float:
    """Seconds one run of `spec` should take at `images_per_second`, with a 2x safety margin."""
    return 2.0 * spec.config.epochs * train_images / max(images_per_second, 1e-6)
