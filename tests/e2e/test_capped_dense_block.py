"""One block holding more market logs than a provider returns for one query (issue 25: the
history's finalize block of a 15-seat job held more than the proxy's 10-result cap, and every
reader gave up on it). Behind a proxy capped at RESULT_CAP results, every reader gets the
block's logs by asking per event, then per contract: MarketClient.events, the explorer's
market view, the indexer and the registry's list; in (block, logIndex) order, none twice. A
block over the cap for one event of one contract is the provider's hard limit: one clear
error naming the block, the filter and the cap.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from capped_rpc import CappedRpc
from eth_utils import event_abi_to_log_topic

from offchain.cli import main
from offchain.eth.client import Client, connect
from offchain.eth.deploy import deploy_all
from offchain.eth.deployments import Deployment
from offchain.eth.index_open import open_store
from offchain.eth.indexer import Indexer
from offchain.eth.keys import dev_private_key
from offchain.eth.localchain import LocalChain, start_anvil
from offchain.eth.logs import LogRangeError
from offchain.eth.market import MarketClient
from offchain.eth.registry import RegistryClient
from offchain.explorer.market_view import MarketView

RESULT_CAP = 3
TOP_UPS = RESULT_CAP  # the busy validator's top-ups: as many as one query may return
GAS = 1_000_000


@dataclass
class Dense:
    chain: LocalChain
    client: Client
    deployment: Deployment
    folder: Path  # its deployments/ folder
    proxy: CappedRpc
    block: int  # the dense block
    busy: str  # the validator that joined and topped up TOP_UPS times in it

    def rpc(self, method: str, *params: Any) -> Any:
        return self.client.w3.provider.make_request(method, list(params))["result"]  # type: ignore[arg-type]

    def in_one_block(self, sends: list[tuple[str, Any, int]]) -> int:
        """Mine `sends` (sender, contract function, value) into one block; its number."""
        self.rpc("evm_setAutomine", False)
        try:
            nonces: dict[str, int] = {}
            for sender, function, value in sends:
                nonce = nonces.setdefault(sender, self.client.w3.eth.get_transaction_count(sender))  # type: ignore[arg-type]
                function.transact({"from": sender, "value": value, "gas": GAS, "nonce": nonce})
                nonces[sender] = nonce + 1
            self.rpc("evm_mine")
        finally:
            self.rpc("evm_setAutomine", True)
        block = int(self.client.w3.eth.block_number)
        assert len(self.client.w3.eth.get_block(block)["transactions"]) == len(sends)
        return block

    def market(self) -> MarketClient:
        return MarketClient.of(connect(self.proxy.url), self.deployment)

    def registry_of(self, client: Client) -> RegistryClient:
        return RegistryClient(client, self.deployment.contract("ModelRegistry").address)


@pytest.fixture(scope="module")
def dense(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dense]:
    """A block with 2 ValidatorJoined, TOP_UPS BondToppedUp and RESULT_CAP ModelRegistered:
    over the cap for the market, for the busy validator's account and for the indexer, within
    it for each event alone."""
    chain = start_anvil()
    proxy = CappedRpc(chain.url, max_range=1_000, max_results=RESULT_CAP)
    try:
        client = connect(chain.url, dev_private_key(0))
        folder = tmp_path_factory.mktemp("deployments")
        deployment = deploy_all(client, folder, ledger_chain=None)
        world = Dense(chain, client, deployment, folder, proxy, 0, "")
        market = MarketClient.of(client, deployment).contract.functions
        registry = world.registry_of(client).contract.functions
        bond = MarketClient.of(client, deployment).min_bond()
        owner, busy, other = (str(a) for a in client.w3.eth.accounts[:3])
        sends: list[tuple[str, Any, int]] = [
            (busy, market.joinValidators(), bond),
            (other, market.joinValidators(), bond),
        ]
        sends += [(busy, market.topUpBond(), 1) for _ in range(TOP_UPS)]
        sends += [
            (owner, registry.register(bytes([i + 1]) * 32, bytes(32), bytes(32), 0, f"u{i}"), 0)
            for i in range(RESULT_CAP)
        ]
        world.block = world.in_one_block(sends)
        world.busy = busy
        yield world
    finally:
        proxy.close()
        chain.stop()


def _positions(logs: list[Any]) -> list[tuple[int, int]]:
    return [(_int(log["blockNumber"]), _int(log["logIndex"])) for log in logs]


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _in_order_once(positions: list[tuple[int, int]]) -> bool:
    return positions == sorted(set(positions))


def test_the_block_is_over_the_cap_for_one_query(dense: Dense) -> None:
    market = dense.deployment.contract("TrainingMarket").address

    answer = connect(dense.proxy.url).w3.provider.make_request(
        "eth_getLogs",  # type: ignore[arg-type]
        [{"address": market, "fromBlock": hex(dense.block), "toBlock": hex(dense.block)}],
    )

    assert f"more than {RESULT_CAP} results" in answer["error"]["message"]


def test_market_events_reads_the_dense_block(dense: Dense) -> None:
    events = dense.market().events(dense.block, dense.block)

    assert [type(e).__name__ for e in events] == ["ValidatorJoined"] * 2 + ["BondToppedUp"] * TOP_UPS
    assert _in_order_once([(e.block, e.log_index) for e in events])


def test_the_explorer_reads_the_dense_block(dense: Dense) -> None:
    deployed = dense.deployment.contract("TrainingMarket")
    lens = dense.deployment.contract("MarketLens").address
    view = MarketView(connect(dense.proxy.url), deployed.address, lens, deployed.block)

    every = view._all_events()
    account = view._account_events(dense.busy)

    assert len([e for e in every if e.block == dense.block]) == 2 + TOP_UPS
    assert [type(e).__name__ for e in account] == ["ValidatorJoined"] + ["BondToppedUp"] * TOP_UPS
    assert _in_order_once([(e.block, e.log_index) for e in every])
    assert _in_order_once([(e.block, e.log_index) for e in account])


def test_the_indexer_reads_the_dense_block(dense: Dense, tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "index.sqlite"))
    w3 = connect(dense.proxy.url).w3

    Indexer.for_deployment(w3, dense.deployment, store, 0).sync()
    logs = store.logs(list(store.addresses()), [], dense.block, dense.block)

    assert len(logs) == 2 + TOP_UPS + RESULT_CAP
    assert _in_order_once(_positions(logs))
    node = dense.client.w3  # the node itself, uncapped: every log of the block
    assert _positions(logs) == _positions(node.eth.get_logs({"blockHash": node.eth.get_block(dense.block)["hash"]}))


def test_registry_list_reads_the_dense_block(dense: Dense, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["registry", "list", "--json", "--rpc", dense.proxy.url, "--deployments", str(dense.folder)])

    assert code == 0, capsys.readouterr().err
    assert [m["uri"] for m in json.loads(capsys.readouterr().out)] == [f"u{i}" for i in range(RESULT_CAP)]


def test_one_event_of_one_contract_over_the_cap_is_one_clear_error(
    dense: Dense, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = dense.rpc("evm_snapshot")
    try:
        owner = str(dense.client.w3.eth.accounts[0])
        registry = dense.registry_of(dense.client).contract.functions
        registry_events = dense.registry_of(dense.client).contract.events
        models = [
            registry.register(bytes([0x80 + i]) * 32, bytes(32), bytes(32), 0, "x") for i in range(RESULT_CAP + 1)
        ]
        block = dense.in_one_block([(owner, function, 0) for function in models])
        address = dense.deployment.contract("ModelRegistry").address
        topic = "0x" + event_abi_to_log_topic(registry_events.ModelRegistered().abi).hex()

        with pytest.raises(LogRangeError) as raised:
            dense.registry_of(connect(dense.proxy.url)).models(block, 100)
        code = main(["registry", "list", "--rpc", dense.proxy.url, "--deployments", str(dense.folder)])
    finally:
        dense.rpc("evm_revert", snapshot)

    message = str(raised.value)
    assert f"block {block}" in message
    assert address.lower() in message.lower() and topic in message  # the filter: the contract and the event
    assert f"more than {RESULT_CAP} results" in message  # the provider's cap, in its words
    assert code == 2  # a user error: one line, no traceback
    assert f"block {block}" in capsys.readouterr().err
