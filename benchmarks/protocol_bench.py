"""Protocol overhead of one job outside training, on a local anvil chain.

    python -m benchmarks protocol

Measures what a worker spends on the market itself: from a JobPosted event being mined
to the worker's commit being mined (event polling, commitment, durable journal write,
the commit transaction), the reveal, and the withdraw, through the same code the worker
runs (EventPoller, Journal, MarketClient). Baseline, in the same run on the same chain: a
plain ether transfer sent and mined, so the ratio says how many "bare transactions" the
protocol costs. Goal (issue 6): at most 2 s in total per job.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from offchain.eth.client import Client, connect
from offchain.eth.commitment import commitment, new_salt
from offchain.eth.deploy import deploy_all
from offchain.eth.job_terms import JobTerms
from offchain.eth.keys import account_from_key, dev_private_key
from offchain.eth.localchain import local_chain
from offchain.eth.market import MarketClient
from offchain.eth.polling import EventPoller
from offchain.eth.registry import RegistryClient
from offchain.roles.journal import JobState, Journal

ROUNDS = 5
ETHER = 10**18
MODEL = bytes.fromhex("ab" * 32)
BASE = bytes.fromhex("ba" * 32)


def _as(client: Client, index: int) -> Client:
    return client.with_account(account_from_key(dev_private_key(index)))


def _warp(client: Client, seconds: int) -> None:
    client.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    client.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def one_job(client: Client, market: MarketClient, start_block: int, journal: Journal) -> dict[str, float]:
    requester = market.as_sender(_as(client, 1))
    worker = market.as_sender(_as(client, 2))
    validators = [market.as_sender(_as(client, i)) for i in (4, 5)]
    now = int(client.w3.eth.get_block("latest")["timestamp"])
    terms = JobTerms(
        base_model=BASE, training_set=MODEL, evaluation_seal=MODEL, spec=MODEL, min_score_bps=5000,
        deadlines=(now + 100, now + 200, now + 300, now + 400), min_stake=ETHER // 10, committee_size=3, reward=ETHER,
    )  # fmt: skip
    job_id = requester.post_job(terms)
    poller = EventPoller(worker.job_posted_events, key=lambda e: (e.tx_hash, e.log_index), start_block=start_block)
    timings: dict[str, float] = {}

    def see_and_commit() -> None:
        seen = [e for e in poller.poll(client.w3.eth.block_number) if e.job_id == job_id]
        assert seen, "the job was not seen"
        salt = new_salt()
        sealed = commitment(job_id, worker.client.address, MODEL, 9000, salt)
        journal.put(job_id, JobState.COMMITTING, salt=salt, commitment=sealed)
        worker.commit(job_id, sealed, ETHER // 10)
        journal.put(job_id, JobState.COMMITTED)
        timings["salt"] = int.from_bytes(salt, "big")  # kept for the reveal below

    timings["event seen -> commit mined"] = _timed(see_and_commit)
    salt = int(timings.pop("salt")).to_bytes(32, "big")
    _warp(client, 100)
    timings["reveal"] = _timed(lambda: worker.reveal(job_id, MODEL, 9000, salt, f"sha256:{'ab' * 32}"))
    _warp(client, 100)
    for validator in validators:
        validator.attest(job_id, worker.client.address, 9000)
    _warp(client, 100)
    requester.finalize(job_id)
    timings["withdraw"] = _timed(worker.withdraw)
    return timings


GOAL_SECONDS = 2.0


def main() -> int:
    with local_chain() as chain, tempfile.TemporaryDirectory() as tmp:
        client = connect(chain.url, dev_private_key(0))
        deployment = deploy_all(client, Path(tmp))
        market_address = deployment.contract("TrainingMarket").address
        RegistryClient(client, deployment.contract("ModelRegistry").address).register(BASE, None, MODEL, 0, "x")
        for index in (4, 5):
            MarketClient.of(_as(client, index), deployment).join_validators(ETHER)
        journal = Journal(Path(tmp) / "journal.sqlite", client.chain_id, market_address)
        start_block = client.w3.eth.block_number
        bare = [
            _timed(
                lambda: client.w3.eth.wait_for_transaction_receipt(
                    client.w3.eth.send_transaction({"from": client.address, "to": client.address, "value": 1})
                )
            )
            for _ in range(ROUNDS)
        ]
        rounds = [one_job(client, MarketClient.of(client, deployment), start_block, journal) for _ in range(ROUNDS)]
    bare_s = statistics.median(bare)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, anvil (automine)")
    print(f"{'step (median of ' + str(ROUNDS) + ' jobs)':<34} {'seconds':>9} {'x bare tx':>10}")
    print(f"{'baseline: bare transfer mined':<34} {bare_s:>9.4f} {1.0:>10.1f}")
    total = 0.0
    for step in rounds[0]:
        value = statistics.median(r[step] for r in rounds)
        total += value
        print(f"{step:<34} {value:>9.4f} {value / bare_s:>10.1f}")
    print(f"{'total per job (goal <= 2 s)':<34} {total:>9.4f} {total / bare_s:>10.1f}")
    met = total <= GOAL_SECONDS
    print(f"goal: <= {GOAL_SECONDS:g} s per job outside training: {'met' if met else 'NOT met'} ({total:.2f} s)")
    return 0 if met else 1
