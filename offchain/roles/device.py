"""The role's `--device`, checked when the role starts rather than when its first job needs it."""

from __future__ import annotations

DEVICES = ("auto", "cpu", "cuda")


def check_device(name: str) -> str:
    """The device `name` resolves to here ("cpu", "cuda:0"; "auto" picks one); raises ConfigError
    for an unknown device, or for cuda on a machine whose torch sees none."""
    from offchain.ml.devices import select_device  # torch: imported only by the roles that train
    from offchain.ml.errors import validate_choice

    validate_choice("device", name, DEVICES)
    return str(select_device(name))
