"""DDP: one job on two gloo processes on the CPU."""

from __future__ import annotations

import multiprocessing.resource_tracker
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from offchain.ml.config import TrainConfig
from offchain.ml.fingerprint import fingerprint_dir
from offchain.ml.models import load_model
from offchain.ml.train import train


@pytest.fixture(autouse=True)
def stop_the_resource_tracker() -> Iterator[None]:
    """Spawning ranks starts multiprocessing's resource tracker, a helper process that lives as
    long as this one: stop it after the test, as the session's leak check expects."""
    yield
    multiprocessing.resource_tracker._resource_tracker._stop()  # type: ignore[attr-defined]


@pytest.mark.slow
def test_two_gloo_processes_train_one_model(tmp_path: Path, tiny_config: Callable[..., TrainConfig]) -> None:
    result = train(tiny_config(nproc=2, epochs=2), tmp_path)

    model, card = load_model(tmp_path)
    assert result.fingerprint == fingerprint_dir(tmp_path)
    assert card["config"]["nproc"] == 2
    assert [m.epoch for m in result.epochs] == [1, 2]
    assert result.epochs[0].images_per_second > 0
