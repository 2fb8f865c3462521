"""The committee draw's race on a chain that mines every second, as the demo's: a member whose
draw meets another member's seed block still draws (the demo logged "4 drawCommittee calls
drew no committee" when every retry fell in that one block)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from offchain.eth.client import Client, connect
from offchain.eth.commitment import evaluation_seal, new_salt
from offchain.eth.deploy import ZERO_ADDRESS, market_config
from offchain.eth.job_terms import JobTerms
from offchain.eth.localchain import LocalChain, start_anvil
from offchain.eth.market import MarketClient

ETH = 10**18
BASE = b"\x01" * 32
BLOCK_S = 1


@pytest.fixture(scope="module")
def chain() -> Iterator[LocalChain]:
    chain = start_anvil()  # mines on each transaction while the test sets up
    yield chain
    chain.stop()


def test_a_draw_sent_while_another_members_seed_block_is_pending_still_draws(chain: LocalChain) -> None:
    admin = connect(chain.url)
    users = [admin.with_account(a) for a in admin.w3.eth.accounts[1:5]]
    requester, first, second, third = users
    registry, _ = admin.deploy("ModelRegistry", admin.address, ZERO_ADDRESS)
    admin.transact(registry.functions.register(BASE, bytes(32), b"\x02" * 32, 5000, "file:///base"))
    contract, _ = admin.deploy("TrainingMarket", registry.address, market_config(min_window=60))
    lens, _ = admin.deploy("MarketLens", contract.address)
    market = MarketClient(admin, contract.address, lens.address)
    for v in (first, second, third):
        market.as_sender(v).join_validators(ETH)
    now = int(admin.w3.eth.get_block("latest")["timestamp"])
    terms = JobTerms(
        base_model=BASE, training_set=b"\x02" * 32, evaluation_seal=evaluation_seal(b"\x03" * 32, new_salt()),
        spec=b"\x04" * 32, min_score_bps=6000, deadlines=(now + 100, now + 200, now + 300, now + 400),
        min_stake=ETH // 10, committee_size=3, reward=ETH,
    )  # fmt: skip
    job_id = market.as_sender(requester).post_job(terms)
    admin.w3.provider.make_request("evm_increaseTime", [120])
    admin.w3.provider.make_request("evm_setIntervalMining", [BLOCK_S])  # from now on, as the demo's chain

    # The first member's call fixes the seed block; it is still in the mempool when the second
    # member's draw starts, so every estimate until it is mined runs in that very block.
    _next_block(admin)
    pending = contract.functions.drawCommittee(job_id).transact({"from": first.address, "gas": 2_000_000})
    market.as_sender(second).draw_committee(job_id)

    assert admin.w3.eth.wait_for_transaction_receipt(pending)["status"] == 1
    assert market.is_drawn(job_id)
    assert len(market.committee(job_id)) == 3


def _next_block(client: Client) -> None:
    head = client.w3.eth.block_number
    while client.w3.eth.block_number == head:
        time.sleep(0.05)
