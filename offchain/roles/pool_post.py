"""The requester's side of a pooled job (issue 20): form the pool, publish its seeded split.

`job post --pool DATA.npz` deals the labelled pool into salted shards, keeps them in the local
store and publishes only the manifest (every shard's hash): it is the job's training-set hash,
and the evaluation seal seals it too. Once the seed block is mined, the requester (its daemon,
or `job post` itself when the block comes while it runs) publishes the seeded training
shards; once commits close, `job reveal-eval` opens the seal (the manifest's hash) and
publishes the evaluation shards.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from offchain.errors import OffchainError
from offchain.eth.market import JobPosted
from offchain.roles.pool import pool_of, split_of
from offchain.roles.session import Session

if TYPE_CHECKING:
    from offchain.ml.pool import PoolManifest

POOL_SHARDS = 1000  # the default: see docs/market.md "A hostile evaluation set" for the arithmetic


def form_and_store(
    session: Session, pool: Path, shards: int, evaluation_share: float | None = None
) -> tuple[Path, str]:
    """Deal the data set at `pool` into shards kept in the local store; write the manifest
    beside the seal book; return its path and hex SHA-256 (the job's training-set hash)."""
    from offchain.ml.data import load_dataset_npz
    from offchain.ml.pool import EVALUATION_SHARE, form_pool

    share = EVALUATION_SHARE if evaluation_share is None else evaluation_share
    data = load_dataset_npz(pool)
    manifest, files = form_pool(data, min(shards, len(data)), share)  # a small pool: one image a shard
    for shard in files:
        session.cache.put_bytes(shard)  # private until the split says where each one goes
    digest = manifest.sha256().hex()
    path = session.home / "requester" / "pools" / f"{digest}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(manifest.to_bytes())
    session.cache.put_file(path)
    return path, digest


def publish_shards(session: Session, job: JobPosted, part: str, server: str | None) -> tuple[int, ...]:
    """Upload the seeded `part` ("training" or "evaluation") of `job`'s pool to `server`
    (without one they stay in the local store, which the roles may read); return the shard
    indices. Raises SplitNotDrawnError before the seed block, and the artifact store's
    ArtifactNotFoundError when this home does not hold the shards."""
    from offchain.artifacts.client import upload

    manifest = _pool(session, job)
    drawn = split_of(session, job, manifest)
    indices = drawn.training if part == "training" else drawn.evaluation
    for i in indices:
        path = session.cache.get(manifest.shards[i])
        if server:
            upload(server, path)
    return indices


def _pool(session: Session, job: JobPosted) -> PoolManifest:
    manifest = pool_of(session, job)
    if manifest is None:
        raise OffchainError(f"job {job.job_id} is not pooled: it has no shards to publish")
    return manifest
