"""The market flow behind a provider that caps `eth_getLogs`, after 20,000 blocks of history
holding market events (issue 25): the roles reach the chain through the capped proxy, and
afterwards `offchain index`, `registry list` and the explorer's pages read it all.

Several minutes on 2 cores (anvil_mine slows as the chain grows: the history alone takes most
of it): far over the 60 s a test of `make test` may take, so `make test-history` runs it
(OFFCHAIN_HISTORY_TEST=1).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from capped_rpc import CappedRpc
from test_market_flow import SMALL
from web3 import Web3

from offchain.cli import main
from offchain.demo.committee import MAX_SEATS
from offchain.demo.report import Narrator
from offchain.demo.scenario import MIN_STAKE, REQUESTER, REWARD, Demo, DemoHooks
from offchain.eth.commitment import evaluation_seal, new_salt
from offchain.eth.job_terms import JobTerms
from offchain.eth.localchain import LocalChain, start_anvil

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("OFFCHAIN_HISTORY_TEST") != "1", reason="make test-history runs it"),
]

HISTORY_BLOCKS = 20_000
JOBS_IN_HISTORY = 20  # posted and cancelled, one every HISTORY_BLOCKS / JOBS_IN_HISTORY blocks
MINE_STEP = 200  # blocks an anvil_mine call adds
MINE_TIMEOUT_S = 120
RANGE_CAP = 1_000
# Below the finalize block's market logs (Finalized and one ValidatorSettled a seat), so that
# block is read per event; not below what one event of one contract emits in it (a seat each,
# MAX_SEATS at most): that would be the provider's hard cap (offchain/eth/logs.py). Real
# providers cap at 10,000 logs; 10 here refused the 15 seats' ValidatorSettled of one finalize.
RESULT_CAP = MAX_SEATS


class History(DemoHooks):
    """Roles behind the capped proxy; market events spread over HISTORY_BLOCKS after deploying."""

    def __init__(self) -> None:
        self.proxy: CappedRpc | None = None
        self.deployed_at = 0

    def rpc_url(self, chain: LocalChain) -> str:
        self.proxy = CappedRpc(chain.url, max_range=RANGE_CAP, max_results=RESULT_CAP)
        return self.proxy.url

    def after_deploy(self, demo: Demo) -> None:
        w3 = demo.client.w3
        self.deployed_at = w3.eth.block_number
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
        # anvil_mine slows as the chain grows (quadratic: 5,000 blocks ~20 s, 20,000 ~6 min):
        # a connection that waits for each step.
        miner = Web3(Web3.HTTPProvider(demo.chain.url, request_kwargs={"timeout": MINE_TIMEOUT_S}))
        try:
            base = b"\x42" * 32
            demo.registry.register(base, None, bytes(32), 0, "http://example.org/history-base")
            for _ in range(JOBS_IN_HISTORY):
                now = int(w3.eth.get_block("latest")["timestamp"])
                deadlines = (now + 3_600, now + 7_200, now + 10_800, now + 14_400)
                seal = evaluation_seal(b"\x03" * 32, new_salt())
                terms = JobTerms(
                    base_model=base, training_set=b"\x01" * 32, evaluation_seal=seal, spec=b"\x02" * 32,
                    min_score_bps=1000, deadlines=deadlines, min_stake=MIN_STAKE, committee_size=3, reward=REWARD,
                )  # fmt: skip
                job = demo.market.post_job(terms)
                demo.market.cancel_job(job)
                for _ in range(HISTORY_BLOCKS // JOBS_IN_HISTORY // MINE_STEP):
                    miner.provider.make_request("anvil_mine", [hex(MINE_STEP)])  # type: ignore[arg-type]
        finally:
            w3.provider.make_request("evm_setIntervalMining", [1])  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalChain]:
    chain = start_anvil(block_time=1, log_file=tmp_path_factory.mktemp("anvil") / "anvil.log")
    yield chain
    chain.stop()


@pytest.fixture(scope="module")
def finished(chain: LocalChain, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, History]]:
    hooks = History()
    config = replace(SMALL, hooks=hooks, sybils=0)  # the flow behind the cap; test_market_flow has the faults
    demo = Demo(chain, tmp_path_factory.mktemp("demo"), Narrator(), config)
    try:
        demo.run()
        yield demo, hooks
    finally:
        demo.stop_roles()
        if hooks.proxy is not None:
            hooks.proxy.close()


def test_the_job_is_won_behind_the_cap_after_the_history(finished: tuple[Demo, History]) -> None:
    demo, hooks = finished

    final = demo.market.finalized_event(demo.job_id)

    assert final is not None and final.winner is not None
    assert demo.job_id == JOBS_IN_HISTORY + 1
    assert demo.client.w3.eth.block_number - hooks.deployed_at >= HISTORY_BLOCKS
    assert hooks.proxy is not None and hooks.proxy.refusals > 0  # the roles met the cap and read around it


def test_the_index_and_the_explorer_read_it_all_behind_the_cap(
    finished: tuple[Demo, History], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from offchain.explorer.app import Sources, create_app

    demo, hooks = finished
    assert hooks.proxy is not None
    where = ["--rpc", hooks.proxy.url, "--deployments", str(demo.out / "deployments")]
    index = ["--index", str(tmp_path / "index.sqlite")]

    assert main(["index", "--once", "--confirmations", "0", *index, *where]) == 0
    assert hooks.proxy.block_refusals > 0  # the finalize block, over the cap: read per event
    capsys.readouterr()
    assert main(["registry", "list", "--json", *index, *where]) == 0
    models = json.loads(capsys.readouterr().out)
    app = create_app(Sources(hooks.proxy.url, demo.deployment, index=tmp_path / "index.sqlite"))
    pages = [f"/jobs/{demo.job_id}", "/jobs", f"/accounts/{demo.as_account(REQUESTER).address}"]
    answers = [app.test_client().get(page) for page in pages]

    assert len(models) == 3  # the history's base, the demo's base and the winner
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert "finalized" in answers[0].get_data(as_text=True)
    assert f"/jobs/{JOBS_IN_HISTORY}" in answers[1].get_data(as_text=True)
