"""Shared fixtures: tiny configs and one tiny trained model, so the suite stays fast on 2 cores."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offchain.ml.config import TrainConfig

# 5 classes x 4 images, one epoch of 2 batches: enough to exercise every code path.
TINY: dict[str, Any] = dict(
    dataset="digits",
    classes="0-4",
    per_class=4,
    eval_dataset="none",
    epochs=1,
    batch_size=10,
    lr=0.01,
    device="cpu",
)


def make_tiny_config(**overrides: Any) -> TrainConfig:
    """A TrainConfig that trains in about a second on a CPU."""
    return TrainConfig(**{**TINY, **overrides})


@pytest.fixture
def tiny_config() -> Callable[..., TrainConfig]:
    """make_tiny_config, as a fixture: tiny_config(epochs=2)."""
    return make_tiny_config


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model folder from a tiny run, shared by the tests that only read it."""
    from offchain.ml.train import train

    out = tmp_path_factory.mktemp("model")
    train(make_tiny_config(), out)
    return out
