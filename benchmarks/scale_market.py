"""The scale benchmark's market on anvil: validators, a probe account's two jobs, a crowd's jobs,
a committee drawn among all the validators, and empty history blocks (issue 25).

Setup goes by JSON-RPC batches of eth_sendTransaction with automine off, PER_BLOCK transactions
to a block (evm_mine): no signing, one round trip a batch. The crowd posts from a dev account;
each validator is its own address, impersonated (anvil_impersonateAccount) and funded
(anvil_setBalance), so the set holds VALIDATORS distinct members as on a real network.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import requests
from web3 import Web3

from offchain.eth.client import Client, connect
from offchain.eth.commitment import evaluation_seal
from offchain.eth.deploy import MIN_BOND, deploy_all
from offchain.eth.deployments import Deployment
from offchain.eth.job_terms import JobTerms
from offchain.eth.localchain import LocalChain, start_anvil
from offchain.eth.market import MarketClient, deposit_of
from offchain.eth.registry import RegistryClient

JOBS_PER_BLOCK = 100  # postJob uses ~200k gas: 100 fit anvil's 30M block gas limit
JOINS_PER_BLOCK = 80  # a join first in its epoch costs up to ~210k gas (fresh sum-tree slots)
POST_GAS = 290_000  # above postJob's use (asserted on the crowd's own post), so none runs out
JOIN_GAS = 350_000  # above joinValidators' worst case
MINE_STEP = 1_000  # anvil_mine slows with the count (10,000 blocks take 95 s): mine in steps
WINDOW_S = 60  # the probe's job windows (the deployment's minimum)
CROWD_WINDOW_S = 86_400  # the crowd's jobs stay open until the worker's start-up is timed
COMMITTEE = 3
REWARD = 10**9  # wei: small, 10,000 of them fit a dev account
MIN_STAKE = 10**15
BASE = b"\x01" * 32
HTTP_TIMEOUT_S = 120.0
VALIDATOR_PREFIX = 0xBE << 152  # validator i is the address 0xbe000...(i + 1): no key, impersonated


@dataclass
class Market:
    chain: LocalChain
    client: Client
    deployment: Deployment
    folder: Path
    jobs: int
    validators: int
    probe: str  # the account whose page is timed: two jobs of its own
    probe_job: int  # its finalized job, with a committee drawn among every validator
    committee: list[str]
    draw_gas: int  # the drawing call's gas, among `validators` members
    setup_s: float


def validator_address(i: int) -> str:
    return Web3.to_checksum_address(f"0x{VALIDATOR_PREFIX + i + 1:040x}")


def rpc(url: str, calls: list[tuple[str, list[Any]]]) -> list[Any]:
    """One JSON-RPC batch; raises on any error in it."""
    body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    answers = sorted(requests.post(url, json=body, timeout=HTTP_TIMEOUT_S).json(), key=lambda a: a["id"])
    errors = [a["error"] for a in answers if "error" in a]
    if errors:
        raise RuntimeError(f"{len(errors)} of {len(calls)} calls failed, first: {errors[0]}")
    return [a["result"] for a in answers]


def _deadlines(now: int, window: int) -> tuple[int, int, int, int]:
    return (now + 2 * window, now + 3 * window, now + 4 * window, now + 5 * window)


def _now(client: Client) -> int:
    return int(client.w3.eth.get_block("latest")["timestamp"])


def warp(client: Client, seconds: int) -> None:
    client.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    client.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def build_market(jobs: int, validators: int, folder: Path, history: int = 0) -> Market:
    """Anvil with the contracts, `history` empty blocks, `validators` members, the probe's two
    jobs, then `jobs` of the crowd; the probe's job then has its committee drawn among all
    members and is finalized. The empty blocks come first: anvil mines a block in about 1 ms
    on a small state, but took 50 ms a block with 2,000 jobs' state (measured with its state
    history kept in memory only) and over 120 s for 880 blocks with 10,000 jobs'."""
    start = time.monotonic()
    chain = start_anvil(accounts=3)
    try:
        client = connect(chain.url)
        deployment = deploy_all(client, folder, min_window=WINDOW_S, ledger_chain=None)
        RegistryClient(client, deployment.contract("ModelRegistry").address).register(BASE, None, bytes(32), 0, "x")
        for done in range(0, history, MINE_STEP):
            rpc(chain.url, [("anvil_mine", [hex(min(MINE_STEP, history - done))])])
        market = MarketClient.of(client, deployment)
        _join_many(chain.url, market, validators)
        assert market.total_weight() == validators * (MIN_BOND // 10**9), "a validator's join was dropped"
        probe_address, crowd = client.w3.eth.accounts[1], client.w3.eth.accounts[2]
        probe = market.as_sender(client.with_account(probe_address))
        terms = JobTerms(
            base_model=BASE,
            training_set=b"\x04" * 32,
            evaluation_seal=evaluation_seal(b"\x02" * 32, b"\x03" * 32),
            spec=b"\x05" * 32,
            min_score_bps=0,
            deadlines=_deadlines(_now(client), WINDOW_S),
            min_stake=MIN_STAKE,
            committee_size=COMMITTEE,
            reward=REWARD,
        )
        probe_job = probe.post_job(terms)
        probe.cancel_job(probe.post_job(replace(terms, deadlines=_deadlines(_now(client), WINDOW_S))))
        name, args = market.post_call(replace(terms, deadlines=_deadlines(_now(client), CROWD_WINDOW_S)))
        post = market.contract.functions[name](*args)._encode_transaction_data()
        value = REWARD + deposit_of(REWARD)  # the reward and the requester's deposit
        used = client.w3.eth.estimate_gas({"from": crowd, "to": market.address, "data": post, "value": value})
        assert used < POST_GAS, f"postJob uses {used} gas: raise POST_GAS"
        tx = {"from": crowd, "to": market.address, "data": post, "value": hex(value), "gas": hex(POST_GAS)}
        _send_many(chain.url, [tx] * jobs, JOBS_PER_BLOCK, first_nonce=client.w3.eth.get_transaction_count(crowd))
        assert market.job_count() == jobs + 2, f"{market.job_count()} jobs on chain, {jobs + 2} sent"
        warp(client, 2 * WINDOW_S)  # the probe's commit window closed: its committee can be drawn
        draw_gas = int(market.draw_committee(probe_job)["gasUsed"])
        committee = market.committee(probe_job)
        warp(client, 4 * WINDOW_S)
        market.finalize(probe_job)
    except BaseException:
        chain.stop()
        raise
    elapsed = time.monotonic() - start
    return Market(
        chain, client, deployment, folder, jobs, validators, probe_address, probe_job, committee, draw_gas, elapsed
    )


def _join_many(url: str, market: MarketClient, count: int) -> None:
    members = [validator_address(i) for i in range(count)]
    bond = hex(MIN_BOND)
    for first in range(0, count, JOINS_PER_BLOCK):
        batch = members[first : first + JOINS_PER_BLOCK]
        rpc(url, [("anvil_setBalance", [a, hex(2 * MIN_BOND)]) for a in batch])
        rpc(url, [("anvil_impersonateAccount", [a]) for a in batch])
    join = market.contract.functions.joinValidators()._encode_transaction_data()
    txs = [{"from": a, "to": market.address, "data": join, "value": bond, "gas": hex(JOIN_GAS)} for a in members]
    _send_many(url, txs, JOINS_PER_BLOCK, first_nonce=None)


def _send_many(url: str, txs: list[dict[str, Any]], per_block: int, first_nonce: int | None) -> None:
    """Send `txs`, `per_block` to a block; `first_nonce`: the one sender's next nonce (else each
    transaction is its sender's first)."""
    rpc(url, [("evm_setAutomine", [False])])
    try:
        for first in range(0, len(txs), per_block):
            batch = txs[first : first + per_block]
            if first_nonce is not None:
                batch = [{**tx, "nonce": hex(first_nonce + first + i)} for i, tx in enumerate(batch)]
            rpc(url, [("eth_sendTransaction", [tx]) for tx in batch])
            rpc(url, [("evm_mine", [])])
    finally:
        rpc(url, [("evm_setAutomine", [True])])
    (pending,) = rpc(url, [("txpool_status", [])])
    assert int(pending["pending"], 16) == 0, f"{int(pending['pending'], 16)} transactions left unmined"
