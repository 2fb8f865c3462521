"""The job spec: a JSON artifact naming the recipe a job's workers train with.

    {"arch": "resnet18", "stem": "small", "epochs": 8, "lr": 0.01, "head_lr": 0.05,
     "schedule": "cosine", "metric": "accuracy"}

Its keys are the recipe keys of the ML engine's TrainConfig (offchain.ml.config.RECIPE_KEYS),
and what it leaves out takes TrainConfig's defaults, for the worker and the validator alike. Where the data, the initial
weights and the hardware come from is not the requester's business: the worker sets those
(the job's training set, the base model, its own device), so a spec that names them is
rejected instead of silently overridden.

One key names data: `"unlabelled": "<hex SHA-256>"`, a data set artifact (.npz) of the target
task's images whose labels are ignored, which the recipe's self-training rounds (`pseudo_rounds`)
use (offchain.ml.selftrain; issue 23: they lift the workers' default fine-tune by 7 to 19
points). Unlabelled images cost the requester nothing to collect, and the hash in the spec,
itself hashed on chain, binds every worker to the same images.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offchain.artifacts.client import FetchLimits
from offchain.errors import OffchainError
from offchain.ml.config import TrainConfig
from offchain.ml.errors import ConfigError

if TYPE_CHECKING:
    from offchain.ml.data import ImageSet

MAX_SPEC_BYTES = 64 * 1024
SPEC_LIMITS = FetchLimits(max_bytes=MAX_SPEC_BYTES)  # a fetch stops at the first byte past it
UNLABELLED_KEY = "unlabelled"
# Bounds what one job makes a worker hold in memory (50,000 images at 3x32x32 are 150 MB);
# the worker's time estimate, which counts the pool, bounds the rest.
MAX_UNLABELLED_IMAGES = 50_000
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
    unlabelled: bytes | None = None  # SHA-256 of the requester's unlabelled images, if the job has them


def spec_from_recipe(recipe: Mapping[str, Any]) -> JobSpec:
    """Check a recipe against the ML engine's TrainConfig (RECIPE_KEYS, types, choices)."""
    training = {k: v for k, v in recipe.items() if k != UNLABELLED_KEY}
    try:
        config = TrainConfig.from_spec(training, recipe_only=True)
    except ConfigError as exc:
        raise SpecError(str(exc)) from None
    unlabelled = None
    if UNLABELLED_KEY in recipe:
        unlabelled = _sha256_field(recipe[UNLABELLED_KEY])
        if config.pseudo_rounds < 1:
            raise SpecError(
                'the spec names unlabelled images but no self-training round reads them: set "pseudo_rounds"'
            )
    return JobSpec(dict(recipe), config, unlabelled)


def _sha256_field(value: Any) -> bytes:
    # A full match, not bytes.fromhex alone: it skips spaces, and 64 characters gave 21 bytes.
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", value):
        raise SpecError(f'"{UNLABELLED_KEY}" must be the 64 hex digits of a SHA-256, got {value!r}')
    return bytes.fromhex(value)


def check_unlabelled(path: Path, train_path: Path) -> ImageSet:
    """The unlabelled images in `path`; raises SpecError unless they are a data set of at most
    MAX_UNLABELLED_IMAGES images of the training set's shape."""
    import numpy as np

    from offchain.ml.data import load_dataset_npz
    from offchain.ml.errors import DatasetError
    from offchain.ml.memory import unpacked_bytes

    try:
        train = load_dataset_npz(train_path)
        # Before loading: a small compressed archive may unpack to any size.
        limit = MAX_UNLABELLED_IMAGES * (int(np.prod(train.images.shape[1:])) + 8) + 2**20
        if (unpacked := unpacked_bytes(path)) > limit:
            raise SpecError(f"unlabelled images: {unpacked} bytes unpacked; at most {limit} for this job's image shape")
        pool = load_dataset_npz(path)
    except DatasetError as exc:
        raise SpecError(f"unlabelled images: {exc}") from None
    if not 1 <= len(pool) <= MAX_UNLABELLED_IMAGES:
        raise SpecError(f"unlabelled images: {len(pool)}; a job may carry 1 to {MAX_UNLABELLED_IMAGES}")
    if pool.images.shape[1:] != train.images.shape[1:]:
        raise SpecError(
            f"unlabelled images are {list(pool.images.shape[1:])}, the training images {list(train.images.shape[1:])}"
        )
    return pool


def parse_spec(raw: bytes) -> JobSpec:
    """The spec artifact's bytes, parsed and checked; raises SpecError naming the problem."""
    return spec_from_recipe(_json_object(raw))


def _json_object(raw: bytes) -> dict[str, Any]:
    """The spec artifact's JSON object (bounded in size); SpecError for anything else."""
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(f"spec is {len(raw)} bytes; at most {MAX_SPEC_BYTES}")
    try:
        recipe = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(f"spec is not valid JSON: {exc}") from None
    if not isinstance(recipe, dict):
        raise SpecError(f"spec must be a JSON object, got {type(recipe).__name__}")
    return recipe


def model_fields(raw: bytes) -> tuple[str, str]:
    """The spec's architecture and stem: all a validator needs to load the weights it scores.
    Read leniently (a key that a later version adds is ignored), so that a validator older than
    its committee's workers does not score every submission 0; SpecError for what cannot load."""
    from offchain.ml.models import ARCHITECTURES, STEMS

    recipe = _json_object(raw)
    arch, stem = recipe.get("arch", TrainConfig.arch), recipe.get("stem", TrainConfig.stem)
    if arch not in ARCHITECTURES or stem not in STEMS:
        raise SpecError(f"spec's arch {arch!r} or stem {stem!r} is not one of {ARCHITECTURES} / {STEMS}")
    return arch, stem


def load_spec(path: Path) -> JobSpec:
    try:
        return parse_spec(path.read_bytes())
    except OSError as exc:
        raise SpecError(f"cannot read spec {path}: {exc}") from None


def estimate_training_seconds(spec: JobSpec, train_images: int, images_per_second: float) -> float:
    """Seconds one run of `spec` should take at `images_per_second`, with a 2x safety margin."""
    return 2.0 * spec.config.epochs * train_images / max(images_per_second, 1e-6)
