"""A pretrained base, trained once and reused: the cache is keyed by its recipe and its data.

    base_dir = cached_base(TrainConfig(**SOURCE_TASK_RECIPE), "runs/cache")   # trains if absent

The key is SHA-256 over the canonical JSON of the config (minus the keys that do not change the
numbers, RESUME_FREE_KEYS) and the SHA-256 of the training set's `.npz` artifact: another recipe
or other data give another folder, never a stale model.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from offchain.ml.config import RESUME_FREE_KEYS, TrainConfig
from offchain.ml.data import load_data
from offchain.ml.fingerprint import fingerprint_dir
from offchain.ml.loop import EpochMetrics
from offchain.ml.models import CARD_FILE, read_card

# Config keys added after bases were cached, with their defaults: a base that leaves one at its
# default keeps the key it had before the key existed (no cached base retrains for nothing).
KEYS_ADDED_LATER = {"pseudo_teacher": "model", "reinit": "none", "early_lr": None, "ema": 0.0, "consistency": None}


def base_key(config: TrainConfig) -> str:
    """Hex SHA-256 naming the model that `config` trains (recipe and data, not the device)."""
    # Where the data live and how they were picked (a path or a name, classes, per_class, seed)
    # are not part of the key: the hash of the images and labels they give is.
    skip = (*RESUME_FREE_KEYS, "dataset", "classes", "per_class", "data_seed", "data_dir", "download")
    recipe = {k: v for k, v in config.to_dict().items() if k not in skip}
    for key, default in KEYS_ADDED_LATER.items():
        if recipe.get(key) == default:  # at its default a later key trains what the older keys did
            del recipe[key]
    data = load_data(
        config.dataset,
        "train",
        config.classes,
        config.per_class,
        data_dir=config.data_dir,
        image_size=config.image_size,
        seed=config.data_seed,
    )
    payload = json.dumps({"recipe": recipe, "train_sha256": data.sha256()}, sort_keys=True).encode()
    return hashlib.sha256(payload).hexdigest()


def cached_base(
    config: TrainConfig,
    cache_root: str | os.PathLike[str],
    quiet: bool = True,
    on_epoch_end: Callable[[EpochMetrics], None] | None = None,
) -> tuple[Path, bool]:
    """The model folder for `config` under cache_root, trained now unless cached; (folder, was cached)."""
    from offchain.ml.train import train

    folder = Path(cache_root) / f"base-{base_key(config)[:16]}"
    if (folder / CARD_FILE).is_file():
        if read_card(folder).get("fingerprint") == fingerprint_dir(folder).hex():
            return folder, True
        shutil.rmtree(folder)  # weights edited, or an older fingerprint format: train it again
    train(config, folder, quiet=quiet, on_epoch_end=on_epoch_end)  # resumes a half-trained one
    return folder, False
