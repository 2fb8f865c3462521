"""A pooled job's split as every role reads it from the chain (offchain.ml.pool has the rules).

The job's training-set hash names the pool manifest; the seed block is the one the market
recorded when the job was posted pooled (JobPooled: the post's block plus the contract's
SEED_DELAY, the manifest's `seed_delay`). A manifest posted through plain postJob has no such
record: its requester could walk away from the split for free and post again (docs/market.md,
"Re-rolling the split"), so workers refuse it (`require_pooled`); members still split it at the
post's block plus the manifest's delay. The split is read off-chain from the node's block hash, so the
EVM's 256-block `blockhash` horizon does not apply: a validator opening the split days later
reads the same hash (every node keeps headers).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from offchain.errors import OffchainError
from offchain.eth.market import JobPosted
from offchain.eth.polling import with_retries
from offchain.roles.session import Session

if TYPE_CHECKING:  # numpy stays out of `offchain --help`
    from offchain.ml.pool import PoolManifest, PoolSplit


class SplitNotDrawnError(OffchainError):
    """The seed block of a pooled job is not mined yet: its split does not exist."""


def pool_of(session: Session, job: JobPosted) -> PoolManifest | None:
    """The job's pool manifest, or None for an unpooled job (its training set is a data set)."""
    from offchain.ml.pool import parse_manifest

    return parse_manifest(session.fetch(job.training_set).read_bytes())


class NotPostedPooledError(OffchainError):
    """A pool manifest posted as a plain job: nothing on chain binds its requester to the split."""


def seed_block(session: Session, job: JobPosted, manifest: PoolManifest) -> int:
    recorded = session.market.pooled_seed_block(job.job_id)
    return recorded if recorded is not None else job.block + manifest.seed_delay


def require_pooled(session: Session, job: JobPosted) -> None:
    """Raise NotPostedPooledError unless `job` was posted pooled (postPooledJob)."""
    if session.market.pooled_seed_block(job.job_id) is None:
        raise NotPostedPooledError(
            f"job {job.job_id} names a pool but was not posted pooled: its requester may re-roll the split for free"
        )


def split_of(session: Session, job: JobPosted, manifest: PoolManifest) -> PoolSplit:
    """The job's split; SplitNotDrawnError while its seed block is not mined."""
    from offchain.ml.pool import split, split_seed

    number = seed_block(session, job, manifest)
    if session.head() < number:
        raise SplitNotDrawnError(f"the split is drawn at block {number}; the chain is at {session.head()}")
    block = with_retries(lambda: session.client.w3.eth.get_block(number), "read the seed block")
    return split(manifest, split_seed(bytes(block["hash"]), job.training_set))


def gather(session: Session, manifest: PoolManifest, indices: tuple[int, ...], out: Path) -> tuple[Path, list[int]]:
    """Fetch the shards `indices` (each checked against its hash in the manifest), merge them
    into one data set at `out`; return it and each image's shard index. Raises the artifact
    client's ArtifactNotFoundError or HashMismatchError for a shard that is not served, and
    DatasetError for shards that do not load, or that would not fit this machine's memory
    together (each alone may)."""
    from offchain.ml.data import export_dataset, load_dataset_npz
    from offchain.ml.memory import require_loadable_size
    from offchain.ml.pool import merge

    paths = [session.fetch(bytes.fromhex(manifest.shards[i])) for i in indices]
    require_loadable_size(*paths, copies=2)  # the shards and their merge: each fits, not all of them
    shards = [load_dataset_npz(path) for path in paths]
    data, groups = merge(manifest, shards)
    path, _ = export_dataset(data, out)
    return path, [indices[g] for g in groups.tolist()]
