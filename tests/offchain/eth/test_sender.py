"""Writes on a real network (issue 25): against anvil with automine off (a block every half
second, mined by the fixture), a transaction outbid by a base-fee spike is replaced with
bumped EIP-1559 fees until it is included, an offer the node refuses as under the base fee is
raised at once, and a role's nonces keep counting when the node's count lags behind its own
transactions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from web3.middleware import Web3Middleware

from offchain.eth.client import Client, connect
from offchain.eth.keys import dev_private_key
from offchain.eth.localchain import LocalChain, start_anvil
from offchain.eth.sender import FeePolicy

BASE_FEE = 100 * 10**9  # wei per gas of the first block
SPIKE = 10  # the base fee jumps tenfold right after the first offer (about twice the base fee)
MINE_EVERY_S = 0.5
ZERO = "0x" + "00" * 20


@dataclass
class Chain:
    anvil: LocalChain
    mining: threading.Lock  # held while a test acts between two blocks


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    """anvil with automine off and a block every MINE_EVERY_S, mined by this fixture."""
    anvil = start_anvil(base_fee=BASE_FEE, no_mining=True)
    mining, stop = threading.Lock(), threading.Event()
    w3 = connect(anvil.url).w3

    def miner() -> None:
        while not stop.wait(MINE_EVERY_S):
            with mining:
                w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    thread = threading.Thread(target=miner, daemon=True)
    thread.start()
    try:
        yield Chain(anvil, mining)
    finally:
        stop.set()
        thread.join()
        anvil.stop()


def spike_after_first_offer(chain: Chain, spiked: dict[str, int]) -> type[Web3Middleware]:
    """A congestion spike: right after the first transaction is sent, before the next block,
    the base fee jumps SPIKE-fold, past the offer; `spiked` gets the base fee it jumped from."""

    class Spike(Web3Middleware):
        def wrap_make_request(self, make_request: Any) -> Any:
            def middleware(method: Any, params: Any) -> Any:
                if method != "eth_sendRawTransaction" or spiked:
                    return make_request(method, params)
                with chain.mining:
                    answer = make_request(method, params)
                    latest = make_request("eth_getBlockByNumber", ["latest", False])["result"]
                    spiked["from"] = int(latest["baseFeePerGas"], 16)
                    make_request("anvil_setNextBlockBaseFeePerGas", [hex(spiked["from"] * SPIKE)])
                return answer

            return middleware

    return Spike


class LaggingCount(Web3Middleware):
    """A load-balanced provider whose backend is a block behind: one transaction short."""

    def response_processor(self, method: Any, response: Any) -> Any:
        if method == "eth_getTransactionCount" and "result" in response:
            return {**response, "result": hex(max(0, int(response["result"], 16) - 1))}
        return response


def deploy_registry(client: Client) -> dict[str, Any]:
    _, receipt = client.deploy("ModelRegistry", client.address, ZERO)
    return dict(receipt)


def test_a_transaction_outbid_by_the_base_fee_is_replaced_until_included(chain: Chain) -> None:
    client = connect(chain.anvil.url, dev_private_key(3))
    bumps: list[str] = []
    client.fees = FeePolicy(inclusion_timeout_s=2.0, bump=SPIKE, on_bump=bumps.append)
    nonce = client.w3.eth.get_transaction_count(client.address)
    spiked: dict[str, int] = {}
    client.w3.middleware_onion.inject(spike_after_first_offer(chain, spiked), name="spike", layer=0)

    receipt = deploy_registry(client)

    assert receipt["status"] == 1
    assert len(bumps) == 1  # the first offer (twice the base fee before the spike) never made it
    assert "0x" + bytes(receipt["transactionHash"]).hex() == "0x" + bumps[0].removeprefix("0x")
    assert client.w3.eth.get_transaction(receipt["transactionHash"])["nonce"] == nonce  # its replacement
    assert receipt["effectiveGasPrice"] > 2 * spiked["from"]


def test_nonces_keep_counting_when_the_node_lags(chain: Chain) -> None:
    client = connect(chain.anvil.url, dev_private_key(4))
    deploy_registry(client)
    client.w3.middleware_onion.inject(LaggingCount, name="lagging", layer=0)

    receipt = deploy_registry(client)

    assert receipt["status"] == 1


def test_an_offer_the_node_refuses_as_under_the_base_fee_is_raised_at_once(chain: Chain) -> None:
    client = connect(chain.anvil.url, dev_private_key(5))
    bumps: list[str] = []
    client.fees = FeePolicy(base_fee_multiplier=0.5, bump=4.0, on_bump=bumps.append)

    receipt = deploy_registry(client)

    assert receipt["status"] == 1 and len(bumps) == 1
