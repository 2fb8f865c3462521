"""Behind a provider that caps eth_getLogs (1,000 blocks, or a few results), with thousands
of blocks of history: the registry, the market's event reads, `job status` and the
explorer's reads still see everything (issue 25: they failed with the provider's error)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from basemodel import register_base_model
from capped_rpc import CappedRpc

from offchain.cli import main
from offchain.eth.client import connect
from offchain.eth.deploy import deploy_all
from offchain.eth.deployments import Deployment
from offchain.eth.keys import dev_private_key
from offchain.eth.localchain import LocalChain, start_anvil
from offchain.eth.market import MarketClient
from offchain.eth.registry import RegistryClient
from offchain.ml.data import export_dataset, load_data

HISTORY_BLOCKS = 3_000  # between the deployment and the job: three times the proxy's range cap
MODELS = 5
# anvil_mine slows with the count (1,000 blocks: 0.9 s idle, over the client's 10 s timeout
# on a loaded machine): small steps.
MINE_STEP = 200


@dataclass
class World:
    chain: LocalChain
    proxy: CappedRpc
    deployment: Deployment
    deployments: Path
    job_id: int


def mine(chain: LocalChain, blocks: int) -> None:
    w3 = connect(chain.url).w3
    for _ in range(blocks // MINE_STEP):
        w3.provider.make_request("anvil_mine", [hex(MINE_STEP)])  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("capped")
    chain = start_anvil()
    proxy = CappedRpc(chain.url, max_range=1_000, max_results=3)
    try:
        client = connect(chain.url, dev_private_key(0))
        deployment = deploy_all(client, tmp / "deployments")
        base = register_base_model(client, deployment, tmp / "base")
        registry = RegistryClient(client, deployment.contract("ModelRegistry").address)
        for i in range(MODELS - 1):  # more models in a few blocks than the proxy returns at once
            registry.register(bytes([i + 1]) * 32, None, bytes(32), 0, f"http://example.org/{i}")
        mine(chain, HISTORY_BLOCKS)
        train, _ = export_dataset(load_data("digits", "train", "5-9", per_class=2), tmp / "train.npz")
        evaluation, _ = export_dataset(load_data("digits", "test", "5-9", per_class=2), tmp / "eval.npz")
        (tmp / "spec.json").write_text(json.dumps({"arch": "resnet18", "epochs": 1, "batch_size": 10}))
        argv = ["job", "post", "--base", base, "--train", str(train), "--eval", str(evaluation)]
        argv += ["--spec", str(tmp / "spec.json"), "--reward", "0.5ether", "--min-score-bps", "1000"]
        argv += ["--dev-account", "1", "--home", str(tmp / "requester")]
        assert main([*argv, "--rpc", proxy.url, "--deployments", str(tmp / "deployments")]) == 0
        yield World(chain, proxy, deployment, tmp / "deployments", job_id=1)
    finally:
        proxy.close()
        chain.stop()


def test_registry_list_reads_every_model_behind_the_cap(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["registry", "list", "--json", "--rpc", world.proxy.url, "--deployments", str(world.deployments)])

    assert code == 0
    assert len(json.loads(capsys.readouterr().out)) == MODELS
    assert world.proxy.refusals > 0  # the cap was met, and read around


def test_the_market_finds_a_job_event_across_the_history(world: World) -> None:
    deployed = world.deployment.contract("TrainingMarket")
    market = MarketClient.of(connect(world.proxy.url), world.deployment)

    posted = market.job_posted(world.job_id)
    events = market.events(deployed.block)

    assert posted.job_id == world.job_id
    assert [type(e).__name__ for e in events] == ["JobPosted"]


def test_job_status_works_behind_the_cap(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["job", "status", str(world.job_id), "--json", "--rpc", world.proxy.url]

    code = main([*argv, "--deployments", str(world.deployments)])

    assert code == 0, capsys.readouterr().err
    assert [r["phase"] for r in json.loads(capsys.readouterr().out)] == ["open"]


def test_the_explorer_reads_the_market_behind_the_cap(world: World) -> None:
    from offchain.explorer.market_view import MarketView

    deployed = world.deployment.contract("TrainingMarket")
    lens = world.deployment.contract("MarketLens").address
    view = MarketView(connect(world.proxy.url), deployed.address, lens, deployed.block)

    assert [getattr(e, "job_id", None) for e in view._all_events()] == [world.job_id]
    assert len(view._job_events(world.job_id)) == 1
