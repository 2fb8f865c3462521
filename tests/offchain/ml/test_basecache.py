"""The cached base's key: a config key added later must not retrain every cached base (issue 23)."""

from __future__ import annotations

from offchain.ml.basecache import base_key
from offchain.ml.config import SOURCE_TASK_RECIPE, TrainConfig

# base_key of SOURCE_TASK_RECIPE before `pseudo_teacher` existed (commit 22b6262).
DIGITS_BASE_KEY = "cf7c894dc41f2b277b36084259d32bba2b175b7def436743970bc03703f9633b"


def test_a_key_added_later_at_its_default_keeps_the_cached_base() -> None:
    assert base_key(TrainConfig(**SOURCE_TASK_RECIPE)) == DIGITS_BASE_KEY


def test_a_key_added_later_off_its_default_names_another_base() -> None:
    assert base_key(TrainConfig(**SOURCE_TASK_RECIPE, pseudo_teacher="pixels")) != DIGITS_BASE_KEY
