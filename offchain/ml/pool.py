"""One labelled pool, split into training and evaluation sets by a seed nobody knows at post.

A requester that chooses its evaluation set can make it hostile (mislabelled, or shifted away
from the training set) and convict honest workers, whose claims come from a held-out part of
the training set (issue 20). A pooled job takes that choice away: the requester commits at
post to every shard of one labelled pool, and a seed that does not exist yet (the hash of a
block after the post) decides which shards are the evaluation set. Whatever the requester put
in a shard lands in training as often as in evaluation, so an honest worker's held-out shards
and the evaluation shards are exchangeable: the same expected accuracy.

The bytes, so another implementation can check them:

- A **shard** is a data set artifact (`ImageSet.to_npz_bytes`'s zip) with a fourth member,
  `salt.npy`: 32 random bytes (uint8), so the shard's SHA-256, public at post, says nothing
  about its images. `load_dataset_npz` reads it as an ordinary data set.
- The **manifest** is the JSON object `{"classes": [...], "evaluation_shards": E, "format":
  "offchain-pool/1", "seed_delay": K, "shard_images": S, "shards": ["<hex sha256>", ...]}`,
  keys sorted, separators `,` and `:`, UTF-8. Its SHA-256 is the job's training-set hash on
  chain. Every shard holds S or S + 1 images: a shard far larger than the others would
  weigh more than one draw's worth in whichever set it lands (workers and members check).
- The **seed** is `sha256(hash of block (post block + K) || manifest sha256)` (32 + 32 bytes).
- The **split**: shard i's rank key is `sha256(seed || i as 4 bytes big-endian)`; the E shards
  with the smallest keys are the evaluation set, the others the training set.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from offchain.ml.data import ZIP_EPOCH, ImageSet
from offchain.ml.errors import DatasetError

POOL_FORMAT = "offchain-pool/1"
SALT_BYTES = 32
MIN_SEED_DELAY = 1  # the seed block comes after the post's block: its hash is unknown at post
MAX_SHARDS = 4096  # a manifest of 4,096 hashes is 270 kB
EVALUATION_SHARE = 0.2  # of the shards, unless the requester asks for another share


class PoolError(DatasetError):
    """A pool manifest, its shards or its split is malformed or does not match."""


@dataclass(frozen=True)
class PoolManifest:
    """What the requester commits to at post: every shard's hash, and how the split is drawn."""

    classes: tuple[str, ...]
    shards: tuple[str, ...]  # hex SHA-256 of each shard artifact, in pool order
    evaluation_shards: int  # how many shards the seed draws into the evaluation set
    seed_delay: int  # blocks from the post's block to the seed block
    shard_images: int  # every shard holds this many images or one more

    def to_bytes(self) -> bytes:
        body = {
            "classes": list(self.classes),
            "evaluation_shards": self.evaluation_shards,
            "format": POOL_FORMAT,
            "seed_delay": self.seed_delay,
            "shard_images": self.shard_images,
            "shards": list(self.shards),
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def sha256(self) -> bytes:
        return hashlib.sha256(self.to_bytes()).digest()


@dataclass(frozen=True)
class PoolSplit:
    training: tuple[int, ...]  # shard indices, ascending
    evaluation: tuple[int, ...]


def validate_manifest(manifest: PoolManifest) -> None:
    """Raise PoolError unless both sides of every split are non-empty and the fields are sane."""
    n = len(manifest.shards)
    if not 2 <= n <= MAX_SHARDS:
        raise PoolError(f"a pool needs 2 to {MAX_SHARDS} shards, got {n}")
    if not 1 <= manifest.evaluation_shards < n:
        raise PoolError(f"evaluation_shards must lie in [1, {n - 1}], got {manifest.evaluation_shards}")
    if manifest.seed_delay < MIN_SEED_DELAY:
        raise PoolError(f"seed_delay must be at least {MIN_SEED_DELAY} block, got {manifest.seed_delay}")
    if len(set(manifest.shards)) != n or any(len(bytes.fromhex(h)) != 32 for h in manifest.shards):
        raise PoolError("shards must be distinct hex SHA-256 digests")
    if not manifest.classes:
        raise PoolError("a pool needs at least one class")
    if manifest.shard_images < 1:
        raise PoolError(f"shard_images must be at least 1, got {manifest.shard_images}")


def parse_manifest(raw: bytes) -> PoolManifest | None:
    """The manifest in `raw`, or None when `raw` is not one (a plain data set: an unpooled job).
    Raises PoolError for a pool manifest that is malformed."""
    if not raw.lstrip().startswith(b"{"):
        return None  # an .npz (a zip) or anything else: not a pool
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(body, dict) or body.get("format") != POOL_FORMAT:
        return None
    try:
        manifest = PoolManifest(
            classes=tuple(str(c) for c in body["classes"]),
            shards=tuple(str(h) for h in body["shards"]),
            evaluation_shards=int(body["evaluation_shards"]),
            seed_delay=int(body["seed_delay"]),
            shard_images=int(body["shard_images"]),
        )
        validate_manifest(manifest)
    except (KeyError, TypeError, ValueError) as exc:
        raise PoolError(f"malformed pool manifest: {exc}") from None
    return manifest


def shard_bytes(data: ImageSet, salt: bytes) -> bytes:
    """The shard artifact: `data`'s canonical zip with the salt as a fourth member."""
    if len(salt) != SALT_BYTES:
        raise PoolError(f"a shard's salt is {SALT_BYTES} bytes, got {len(salt)}")
    buffer = io.BytesIO(data.to_npz_bytes())
    member = io.BytesIO()
    np.lib.format.write_array(member, np.frombuffer(salt, dtype=np.uint8), version=(1, 0), allow_pickle=False)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_STORED) as archive:
        info = zipfile.ZipInfo("salt.npy", date_time=ZIP_EPOCH)
        info.create_system = 3  # as the data set's members: the byte is part of the hash
        info.external_attr = 0o644 << 16
        archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def form_pool(
    data: ImageSet,
    shards: int,
    evaluation_share: float = EVALUATION_SHARE,
    seed_delay: int = MIN_SEED_DELAY,
    rng: np.random.Generator | None = None,
) -> tuple[PoolManifest, list[bytes]]:
    """Deal `data` at random into `shards` shards of near-equal size; return the manifest and
    each shard's artifact bytes. The shuffle keeps a shard from being one class or one source."""
    if not 2 <= shards <= min(MAX_SHARDS, len(data)):
        raise PoolError(f"cannot deal {len(data)} images into {shards} shards: need 2 to {min(MAX_SHARDS, len(data))}")
    rng = rng or np.random.default_rng()
    order = rng.permutation(len(data))
    files = []
    for part in np.array_split(order, shards):
        part.sort()
        files.append(shard_bytes(ImageSet(data.images[part], data.labels[part], data.classes), os.urandom(SALT_BYTES)))
    evaluation = min(shards - 1, max(1, round(shards * evaluation_share)))
    hashes = tuple(hashlib.sha256(f).hexdigest() for f in files)
    manifest = PoolManifest(data.classes, hashes, evaluation, seed_delay, len(data) // shards)
    validate_manifest(manifest)
    return manifest, files


def split_seed(block_hash: bytes, manifest_sha256: bytes) -> bytes:
    """The split's seed: the seed block's hash bound to this pool."""
    return hashlib.sha256(block_hash + manifest_sha256).digest()


def split(manifest: PoolManifest, seed: bytes) -> PoolSplit:
    """Which shards are training and which evaluation, for `seed` (the module docstring's rule)."""
    keys = sorted(range(len(manifest.shards)), key=lambda i: hashlib.sha256(seed + i.to_bytes(4, "big")).digest())
    evaluation = tuple(sorted(keys[: manifest.evaluation_shards]))
    training = tuple(sorted(keys[manifest.evaluation_shards :]))
    return PoolSplit(training, evaluation)


def merge(manifest: PoolManifest, shards: Sequence[ImageSet]) -> tuple[ImageSet, np.ndarray]:
    """One data set of `shards` (in the given order) and each image's position among them (its
    group: a worker holds out whole shards, as the split draws whole shards)."""
    if not shards:
        raise PoolError("no shards to merge")
    for shard in shards:
        if shard.classes != manifest.classes:
            raise PoolError(f"a shard's classes {list(shard.classes)} differ from the pool's {list(manifest.classes)}")
        if not manifest.shard_images <= len(shard) <= manifest.shard_images + 1:
            raise PoolError(f"a shard holds {len(shard)} images; the pool's hold {manifest.shard_images} or one more")
        if shard.images.shape[1:] != shards[0].images.shape[1:]:
            raise PoolError(f"a shard's images are {shard.images.shape[1:]}, another's {shards[0].images.shape[1:]}")
    images = np.concatenate([s.images for s in shards])
    labels = np.concatenate([s.labels for s in shards])
    groups = np.concatenate([np.full(len(s), i, dtype=np.int64) for i, s in enumerate(shards)])
    return ImageSet(images, labels, manifest.classes), groups
