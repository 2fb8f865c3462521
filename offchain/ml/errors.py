"""The exception family of the fine-tuning engine: one root, one subclass per kind of problem."""

from __future__ import annotations

from collections.abc import Iterable

from offchain.errors import OffchainError


class MLError(OffchainError):
    """Root of every error `offchain.ml` raises on purpose; the CLI prints it on one line."""


class ConfigError(MLError):
    """A training configuration or spec is invalid (unknown key, bad value, bad choice)."""


class DatasetError(MLError):
    """A data set is unknown, missing, corrupt or does not match what was asked for."""


class WeightsError(MLError):
    """A weights file is missing, corrupt, or does not fit the architecture."""


class CheckpointError(MLError):
    """A checkpoint cannot be resumed (corrupt, or made with another configuration)."""


def choice_error(kind: str, value: object, choices: Iterable[str], cls: type[MLError] = ConfigError) -> MLError:
    """Build the one-line error for a value outside a fixed set: it names every valid choice."""
    return cls(f"unknown {kind} {value!r}; choose from: {', '.join(choices)}")


def validate_choice(kind: str, value: str, choices: Iterable[str], cls: type[MLError] = ConfigError) -> None:
    """Raise `cls` naming the valid choices unless `value` is one of `choices`."""
    choices = tuple(choices)
    if value not in choices:
        raise choice_error(kind, value, choices, cls)
