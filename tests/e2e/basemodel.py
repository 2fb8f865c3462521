"""A registered base model whose weights can really be fetched: what `job post` checks.

An untrained ResNet-18 (no training: a second), saved as safetensors, registered under its
tensor fingerprint with a local-path URI.
"""

from __future__ import annotations

from pathlib import Path

from offchain.eth.client import Client
from offchain.eth.deployments import Deployment
from offchain.eth.registry import RegistryClient


def register_base_model(
    client: Client,
    deployment: Deployment,
    folder: Path,
    arch: str = "resnet18",
    stem: str = "imagenet",
    classes: int = 5,
) -> str:
    """Save a random `arch` with `stem` under `folder`, register it; return its 0x hash."""
    from offchain.ml.models import build_model, save_model

    model = build_model(arch, classes, stem)
    card = {"architecture": arch, "stem": stem, "classes": [str(i) for i in range(classes)]}
    fingerprint = save_model(model, folder, card)
    RegistryClient(client, deployment.contract("ModelRegistry").address).register(
        fingerprint, None, bytes(32), 0, str(folder / "model.safetensors")
    )
    return "0x" + fingerprint.hex()
