"""The event index against anvil: it follows the deployment's contracts from their deployment
block, resumes from its saved cursor, trusts only blocks `confirmations` deep, rewinds when a
stored block's hash no longer matches the chain, and answers the clients' log queries below
its cursor without asking the node (issue 25). Every test runs on both engines: a SQLite file
and a database on a PostgreSQL server started once for the module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from eth_utils import event_abi_to_log_topic

from offchain.eth.client import Client, connect
from offchain.eth.deploy import deploy_all
from offchain.eth.deployments import Deployment
from offchain.eth.index_middleware import attach_index
from offchain.eth.index_open import open_store
from offchain.eth.index_store import IndexStore
from offchain.eth.indexer import Indexer
from offchain.eth.keys import dev_private_key
from offchain.eth.localchain import LocalChain, start_anvil
from offchain.eth.registry import RegistryClient
from offchain.ports import free_port

if TYPE_CHECKING:
    from tests.offchain.eth.conftest import PostgresServer


@dataclass
class Chain:
    anvil: LocalChain
    client: Client
    deployment: Deployment
    folder: Path  # its deployments/ folder

    @property
    def registry(self) -> RegistryClient:
        return RegistryClient(self.client, self.deployment.contract("ModelRegistry").address)

    def rpc(self, method: str, *params: Any) -> Any:
        return self.client.w3.provider.make_request(method, list(params))["result"]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def module_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    anvil = start_anvil()
    try:
        client = connect(anvil.url, dev_private_key(0))
        folder = tmp_path_factory.mktemp("deployments")
        deployment = deploy_all(client, folder, ledger_chain=None)
        yield Chain(anvil, client, deployment, folder)
    finally:
        anvil.stop()


@pytest.fixture
def chain(module_chain: Chain) -> Iterator[Chain]:
    """The module's chain, put back as it was after each test (anvil's snapshots)."""
    snapshot = module_chain.rpc("evm_snapshot")
    yield module_chain
    module_chain.rpc("evm_revert", snapshot)


@pytest.fixture(params=["sqlite", "postgresql"])
def index_at(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's index lives: a new SQLite file, or a new database on the module's server."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_database"))
    return str(tmp_path / "index.sqlite")


def register(chain: Chain, n: int) -> None:
    chain.registry.register(bytes([n]) * 32, None, bytes(32), 0, f"http://example.org/{n}")


def indexer(chain: Chain, where: str, confirmations: int = 0) -> Indexer:
    return Indexer.for_deployment(chain.client.w3, chain.deployment, open_store(where), confirmations)


def stored_uris(store: IndexStore, chain: Chain) -> list[str]:
    event = chain.registry.contract.events.ModelRegistered()
    topic = "0x" + event_abi_to_log_topic(event.abi).hex()
    logs = store.logs([chain.registry.address], [topic], 0, 10**9)
    return [str(event.process_log(log)["args"]["uri"]) for log in logs]


def count_log_queries(client: Client) -> list[tuple[int, int]]:
    """The block ranges of the eth_getLogs requests that reach the node from now on."""
    seen: list[tuple[int, int]] = []
    provider = client.w3.provider
    forward = provider.make_request

    def counting(method: Any, params: Any) -> Any:
        if method == "eth_getLogs":
            seen.append((int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16)))
        return forward(method, params)

    provider.make_request = counting  # type: ignore[method-assign]
    return seen


def test_the_index_starts_at_the_deployment_block(chain: Chain, index_at: str) -> None:
    register(chain, 1)
    index = indexer(chain, index_at)

    index.sync()

    first = min(c.block for c in chain.deployment.contracts.values())
    assert index.store.start == first
    assert index.store.cursor == chain.client.w3.eth.block_number
    assert stored_uris(index.store, chain) == ["http://example.org/1"]


def test_a_restart_resumes_from_the_saved_cursor(chain: Chain, index_at: str) -> None:
    register(chain, 1)
    indexer(chain, index_at).sync()
    cursor = chain.client.w3.eth.block_number
    register(chain, 2)
    queries = count_log_queries(chain.client)

    restarted = indexer(chain, index_at)  # a new process: only the index is shared
    restarted.sync()

    assert queries and min(start for start, _ in queries) == cursor + 1
    assert stored_uris(restarted.store, chain) == ["http://example.org/1", "http://example.org/2"]


def test_blocks_within_the_confirmation_depth_are_not_stored(chain: Chain, index_at: str) -> None:
    register(chain, 1)
    register(chain, 2)
    index = indexer(chain, index_at, confirmations=1)

    index.sync()

    assert index.store.cursor == chain.client.w3.eth.block_number - 1
    assert stored_uris(index.store, chain) == ["http://example.org/1"]


def test_a_reorganisation_rewinds_the_index(chain: Chain, index_at: str) -> None:
    fork_point = chain.rpc("evm_snapshot")
    register(chain, 1)  # on the branch that will be dropped
    index = indexer(chain, index_at)
    index.sync()
    chain.rpc("evm_revert", fork_point)
    register(chain, 2)  # the same height, another block
    chain.rpc("anvil_mine", "0x2")

    index.sync()

    assert stored_uris(index.store, chain) == ["http://example.org/2"]
    assert index.store.cursor == chain.client.w3.eth.block_number


def test_the_clients_read_below_the_cursor_from_the_index(chain: Chain, index_at: str) -> None:
    register(chain, 1)
    register(chain, 2)
    index = indexer(chain, index_at)
    start = index.store.start or 0
    cursor = index.sync()
    register(chain, 3)  # past the cursor: read from the node
    reader = connect(chain.anvil.url)
    attach_index(reader.w3, open_store(index_at))
    queries = count_log_queries(reader)
    registry = RegistryClient(reader, chain.registry.address)

    models = registry.models(start, 100)

    assert [m.uri for m in models] == [f"http://example.org/{n}" for n in (1, 2, 3)]
    assert queries == [(cursor + 1, chain.client.w3.eth.block_number)]


def test_readers_see_only_what_the_writer_committed_and_do_not_wait(chain: Chain, index_at: str) -> None:
    register(chain, 1)
    index = indexer(chain, index_at)
    cursor = index.sync()
    reader, writer = open_store(index_at), open_store(index_at)

    with writer._lock, writer._write():  # a writer's transaction, held open
        writer._run("UPDATE meta SET value = ? WHERE key = 'cursor'", (str(cursor + 1),))
        during = reader.cursor, len(stored_uris(reader, chain))
    after = reader.cursor

    assert during == (cursor, 1)
    assert after == cursor + 1


def test_an_index_of_other_contracts_is_refused(chain: Chain, index_at: str) -> None:
    from offchain.eth.index_store import IndexMismatchError

    index = indexer(chain, index_at)
    index.sync()
    only_registry = {"ModelRegistry": chain.deployment.contract("ModelRegistry")}
    other = Deployment(chain_id=chain.deployment.chain_id, contracts=only_registry)

    with pytest.raises(IndexMismatchError):
        Indexer.for_deployment(chain.client.w3, other, open_store(index_at), 0)


def test_offchain_index_and_the_readers_take_a_postgresql_url(
    chain: Chain, postgres_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from offchain.cli import main

    register(chain, 1)
    where = ["--rpc", chain.anvil.url, "--deployments", str(chain.folder), "--index", postgres_database]

    indexed = main(["index", "--once", "--confirmations", "0", *where])
    said = capsys.readouterr().out
    listed = main(["registry", "list", "--json", *where])

    assert (indexed, listed) == (0, 0)
    assert f"into {postgres_database} " in said
    assert [m["uri"] for m in json.loads(capsys.readouterr().out)] == ["http://example.org/1"]
    assert open_store(postgres_database).cursor == chain.client.w3.eth.block_number


def test_the_index_rides_out_a_restart_of_its_database_server(
    chain: Chain, postgres_server: PostgresServer, postgres_database: str
) -> None:
    from offchain.eth.index_postgres import IndexUnavailableError

    register(chain, 1)
    index = indexer(chain, postgres_database)
    index.sync()
    postgres_server.restart()
    register(chain, 2)

    with pytest.raises(IndexUnavailableError):  # the lost connection: one failed sync (follow() retries)
        index.sync()
    index.sync()

    assert stored_uris(index.store, chain) == ["http://example.org/1", "http://example.org/2"]


def test_an_unreachable_database_is_one_line_without_its_password() -> None:
    from offchain.eth.index_postgres import IndexUnavailableError

    with pytest.raises(IndexUnavailableError, match="cannot reach the index database") as raised:
        open_store(f"postgresql://indexer:s3cret@127.0.0.1:{free_port()}/index")

    assert "s3cret" not in str(raised.value)
