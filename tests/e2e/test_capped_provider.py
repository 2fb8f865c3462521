"""Behind a provider that caps eth_getLogs (1,000 blocks, or a few results), with thousands
of blocks of history: the registry, the market's event reads, `job status` and the
explorer's reads still see everything (issue 25: they failed with the provider's error)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
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
from offchain.eth.index_sqlite import SqliteIndexStore
from offchain.eth.keys import dev_private_key
from offchain.eth.localchain import LocalChain, start_anvil, stop_process
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


# ----- through the event index (`offchain index`, then --index on the readers) -----------------
@pytest.fixture(scope="module")
def index(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("index") / "index.sqlite"
    argv = ["index", "--once", "--confirmations", "0", "--index", str(path)]
    assert main([*argv, "--rpc", world.proxy.url, "--deployments", str(world.deployments)]) == 0
    return path


def test_the_index_reads_the_history_in_bounded_ranges(world: World, index: Path) -> None:
    store = SqliteIndexStore(index)

    assert store.cursor == connect(world.chain.url).w3.eth.block_number
    assert len(store.logs(list(store.addresses()), [], 0, store.cursor)) > MODELS  # roles, models, the job


def test_registry_list_and_job_status_read_the_index_not_the_node(
    world: World, index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = world.proxy.queries
    where = ["--rpc", world.proxy.url, "--deployments", str(world.deployments), "--index", str(index)]

    listed = main(["registry", "list", "--json", *where])
    models = json.loads(capsys.readouterr().out)
    status = main(["job", "status", str(world.job_id), "--json", *where])

    assert (listed, status) == (0, 0)
    assert len(models) == MODELS
    assert json.loads(capsys.readouterr().out)[0]["job_id"] == world.job_id
    assert world.proxy.queries == before  # everything below the head came from the index


def test_the_explorer_reads_the_index_not_the_node(world: World, index: Path) -> None:
    from offchain.explorer.app import Explorer, Sources

    explorer = Explorer(Sources(rpc=world.proxy.url, deployment=world.deployment, index=index))
    before = world.proxy.queries

    rows, total = explorer.market.jobs(now=0)
    models = explorer.registry.models()

    assert total == 1 and rows[0].job_id == world.job_id
    assert len(models) == MODELS
    assert world.proxy.queries == before


def test_an_explorer_without_an_index_builds_one(world: World, tmp_path: Path) -> None:
    from offchain.explorer.background import own_index

    with own_index(world.proxy.url, world.deployment, tmp_path) as path:
        store = SqliteIndexStore(path)
        deadline = time.monotonic() + 30
        while store.cursor != connect(world.chain.url).w3.eth.block_number and time.monotonic() < deadline:
            time.sleep(0.2)

        assert store.cursor == connect(world.chain.url).w3.eth.block_number


def test_the_index_daemon_stops_cleanly_on_sigterm(world: World, tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "offchain", "index", "--confirmations", "0", "--poll", "0.2"]
    argv += ["--index", str(tmp_path / "index.sqlite"), "--rpc", world.proxy.url]
    daemon = subprocess.Popen([*argv, "--deployments", str(world.deployments)], stdout=subprocess.PIPE, text=True)
    try:
        assert daemon.stdout is not None
        assert "following" in daemon.stdout.readline()
        time.sleep(1.0)

        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=15)
    finally:
        stop_process(daemon)

    assert code == 0
    assert SqliteIndexStore(tmp_path / "index.sqlite").cursor is not None
