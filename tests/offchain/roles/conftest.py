"""One job on an in-process EVM, with its artifacts in a store folder: the roles' steps
are driven one at a time (no processes, no anvil), so each state can be checked."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from offchain.artifacts.store import ArtifactStore
from offchain.eth.client import Client, in_process
from offchain.eth.commitment import evaluation_seal
from offchain.eth.deploy import deploy_all
from offchain.eth.deployments import Deployment
from offchain.eth.job_terms import JobTerms
from offchain.eth.market import MarketClient
from offchain.eth.registry import RegistryClient
from offchain.roles.rolelog import RoleLog
from offchain.roles.session import Session

ETH = 10**18
WINDOW_S = 3600
EVAL_SALT = bytes([7]) * 32
# A spec without "stem": workers and validators must agree on the ML config's default.
SPEC: dict[str, Any] = {"arch": "resnet18", "epochs": 1, "batch_size": 10, "lr": 0.01, "augment": ""}


@dataclass
class World:
    client: Client  # the deployer, who also registers the base model
    deployment: Deployment
    store: Path  # the artifact source every role reads from
    base_hash: bytes
    hashes: dict[str, str]  # train, eval, spec -> hex SHA-256
    tmp: Path

    def session(self, account: int, name: str) -> Session:
        client = self.client.with_account(self.client.w3.eth.accounts[account])
        return Session(
            client=client,
            deployment=self.deployment,
            market=MarketClient.of(client, self.deployment),
            registry=RegistryClient(client, self.deployment.contract("ModelRegistry").address),
            home=self.tmp / name,
            sources=[str(self.store)],
        )

    def post_job(self, spec: dict[str, Any] | None = None, min_score_bps: int = 0) -> int:
        spec_path = self.tmp / "spec.json"
        spec_path.write_text(json.dumps(SPEC if spec is None else spec))
        spec_digest = ArtifactStore(self.store).put_file(spec_path)
        requester = self.session(1, "requester")
        terms = self.terms(requester, self.hashes["train"], self.hashes["eval"], spec_digest, min_score_bps)
        return requester.market.post_job(terms)

    def post_pooled_job(self, shards: int = 10, pooled: bool = True) -> int:
        """A pooled job (issue 20) over the training and evaluation images together: the
        requester's `job post --pool` steps, its shards left in its own home's store until
        `serve_shards` copies some to the roles' source. `pooled=False`: the manifest posted
        through plain postJob (no seed block on chain binds the requester to the split)."""
        from offchain.roles.pool_post import form_and_store

        spec_path = self.tmp / "spec.json"
        spec_path.write_text(json.dumps(SPEC))
        spec_digest = ArtifactStore(self.store).put_file(spec_path)
        requester = self.session(1, "requester")
        manifest_path, digest = form_and_store(requester, self.pool_file(), shards)
        ArtifactStore(self.store).put_file(manifest_path)  # published at post
        self.hashes["pool"] = digest
        return requester.market.post_job(self.terms(requester, digest, digest, spec_digest, pooled=pooled))

    def terms(
        self, requester: Session, train: str, evaluation: str, spec: str, min_score_bps: int = 0, pooled: bool = False
    ) -> JobTerms:
        """The tests' job on these artifacts (hex SHA-256 each), its evaluation set sealed with
        EVAL_SALT, each window WINDOW_S long from now."""
        now = requester.chain_time()
        return JobTerms(
            base_model=self.base_hash,
            training_set=bytes.fromhex(train),
            evaluation_seal=evaluation_seal(bytes.fromhex(evaluation), EVAL_SALT),
            spec=bytes.fromhex(spec),
            min_score_bps=min_score_bps,
            deadlines=(now + WINDOW_S, now + 2 * WINDOW_S, now + 3 * WINDOW_S, now + 4 * WINDOW_S),
            min_stake=ETH // 10,
            committee_size=3,
            reward=ETH,
            pooled=pooled,
        )

    def pool_file(self) -> Path:
        """The training and evaluation images as one labelled pool (.npz)."""
        import numpy as np

        from offchain.ml.data import ImageSet, export_dataset, load_dataset_npz

        both = [load_dataset_npz(self.store / self.hashes[name]) for name in ("train", "eval")]
        images, labels = (np.concatenate([getattr(d, k) for d in both]) for k in ("images", "labels"))
        path, _ = export_dataset(ImageSet(images, labels, both[0].classes), self.tmp / "pool.npz")
        return path

    def serve_shards(self, indices: tuple[int, ...]) -> None:
        """The requester publishes these shards of the pool (to the roles' source)."""
        from offchain.ml.pool import parse_manifest

        manifest = parse_manifest((self.store / self.hashes["pool"]).read_bytes())
        assert manifest is not None
        home = self.session(1, "requester").cache
        for i in indices:
            ArtifactStore(self.store).put_file(home.get(manifest.shards[i]))

    def reveal_evaluation(self, job_id: int) -> None:
        """The requester opens the evaluation set (call in the reveal window)."""
        self.session(1, "requester").market.reveal_evaluation(job_id, bytes.fromhex(self.hashes["eval"]), EVAL_SALT, "")

    def travel_past(self, deadline_index: int, job_id: int) -> None:
        """Move the clock past the job's commit (0), reveal (1), attest (2) or settle (3) deadline."""
        job = MarketClient.of(self.client, self.deployment).job(job_id)
        deadline = (job.commit_deadline, job.reveal_deadline, job.attest_deadline, job.settle_deadline)[deadline_index]
        self.travel_to(deadline + 1)

    def travel_to(self, timestamp: int) -> None:
        """Move the clock to `timestamp` (an appeal's windows are not the job's deadlines)."""
        self.client.w3.testing.timeTravel(timestamp)
        self.client.w3.testing.mine(1)


@pytest.fixture(scope="session")
def base_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny base trained on digits 0-4 with the ML config's default stem. Once a session (a
    training each for twelve modules before; every world only reads and registers it)."""
    from offchain.ml.config import TrainConfig
    from offchain.ml.train import train

    out = tmp_path_factory.mktemp("base")
    config = TrainConfig(
        dataset="digits", classes="0-4", per_class=4, eval_dataset="none", epochs=1, batch_size=10, device="cpu"
    )
    train(config, out, quiet=True)
    return out


@pytest.fixture
def world(tmp_path: Path, base_model: Path) -> World:
    from offchain.ml.data import export_dataset, load_data
    from offchain.ml.fingerprint import fingerprint_file

    client = in_process()
    deployment = deploy_all(client, tmp_path / "deployments", ledger_chain=None)  # no relay: ~1 s less in py-evm
    store = tmp_path / "store"
    artifacts = ArtifactStore(store)
    hashes = {}
    for name, data in {
        "train": load_data("digits", "train", "5-9", per_class=4),
        "eval": load_data("digits", "test", "5-9", per_class=10),
    }.items():
        path, digest = export_dataset(data, tmp_path / f"{name}.npz")
        artifacts.put_file(path)
        hashes[name] = digest
    weights = base_model / "model.safetensors"
    base_hash = fingerprint_file(weights)
    digest = artifacts.put_file(weights)
    registry = RegistryClient(client, deployment.contract("ModelRegistry").address)
    registry.register(base_hash, None, bytes(32), 0, f"sha256:{digest}")
    return World(client, deployment, store, base_hash, hashes, tmp_path)


@pytest.fixture
def quiet_log() -> RoleLog:
    import io

    return RoleLog("test", stream=io.StringIO())
