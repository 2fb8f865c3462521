from __future__ import annotations

from pathlib import Path

import pytest

from offchain.eth.client import Client
from offchain.eth.deployments import Deployment, load_deployment
from offchain.eth.errors import TransactionError
from offchain.eth.registry import RegistryClient, UnknownModelError

BASE = bytes.fromhex("11" * 32)
CHILD = bytes.fromhex("22" * 32)
DATA = bytes.fromhex("33" * 32)


@pytest.fixture
def registry(client: Client, deployment: Deployment) -> RegistryClient:
    return RegistryClient(client, deployment.contract("ModelRegistry").address)


def test_deployment_is_written_and_read_back(client: Client, deployment: Deployment, tmp_path: Path) -> None:
    loaded = load_deployment(client.chain_id, tmp_path)

    assert loaded.contract("ModelRegistry") == deployment.contract("ModelRegistry")
    assert loaded.contract("ModelRegistry").block >= 1


def test_record_joins_storage_and_event(registry: RegistryClient, client: Client) -> None:
    registry.register(BASE, None, DATA, 8123, "sha256:abc")

    record = registry.record(BASE)

    assert record.model_hash == "0x" + "11" * 32
    assert record.parent_hash is None
    assert record.publisher == client.address
    assert (record.score_bps, record.job_id) == (8123, 0)
    assert (record.dataset_hash, record.uri) == ("0x" + "33" * 32, "sha256:abc")


def test_lineage_reads_back_to_the_root(registry: RegistryClient) -> None:
    registry.register(BASE, None, DATA, 5000, "a")
    registry.register(CHILD, BASE, DATA, 9000, "b")

    assert registry.lineage(CHILD) == ["0x" + "22" * 32, "0x" + "11" * 32]


def test_unknown_model_raises_a_clear_error(registry: RegistryClient) -> None:
    with pytest.raises(UnknownModelError, match="is not registered"):
        registry.record(CHILD)


def test_revert_is_reported_with_the_decoded_custom_error(registry: RegistryClient) -> None:
    with pytest.raises(TransactionError, match=r"ModelRegistryUnknownParent\(parentHash=0x1111"):
        registry.register(CHILD, BASE, DATA, 9000, "b")
