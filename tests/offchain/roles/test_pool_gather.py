"""Gathering a pooled job's shards: each shard is the requester's, and so is their number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from offchain.artifacts.store import ArtifactStore
from offchain.ml.data import ImageSet, export_dataset
from offchain.ml.errors import DatasetError
from offchain.ml.pool import PoolManifest
from offchain.roles.pool import gather


class _Session:
    """Serves a store's artifacts, as Session.fetch does (only what gather calls)."""

    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    def fetch(self, digest: bytes) -> Path:
        return self.store.get(digest.hex())


def test_shards_that_each_fit_but_together_unpack_past_half_the_memory_are_refused_before_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each shard passed the loader's bound on its own; a manifest may name 4,096 of them (zeros
    # compress a thousandfold), and gather held them all and their merge: the worker, before its
    # memory check, or the validator, was killed.
    store = ArtifactStore(tmp_path / "store")
    shards = []
    for i in range(3):
        images = np.full((20, 3, 28, 28), i, dtype=np.uint8)  # 47,040 bytes of pixels a shard
        path, _ = export_dataset(ImageSet(images, np.arange(20) % 2, ("a", "b")), tmp_path / f"{i}.npz")
        shards.append(store.put_file(path))
    manifest = PoolManifest(("a", "b"), tuple(shards), evaluation_shards=1, seed_delay=1, shard_images=20)
    monkeypatch.setattr("offchain.ml.memory.ram_bytes", lambda: 400_000)  # one shard fits in half of it

    with pytest.raises(DatasetError, match="unpack to .* over the 200000"):
        gather(_Session(store), manifest, (0, 1, 2), tmp_path / "merged.npz")  # type: ignore[arg-type]

    assert len(gather(_Session(store), manifest, (0,), tmp_path / "one.npz")[1]) == 20  # type: ignore[arg-type]
