"""A worker on a new user's local chain: it sees the newest job without waiting for another
block, and it never stakes on a model below the job's minimum score."""

from __future__ import annotations

import json

import pytest
from basemodel import register_base_model

from offchain.cli import main
from offchain.eth.client import connect
from offchain.eth.deploy import deploy_all
from offchain.eth.keys import dev_private_key
from offchain.eth.localchain import start_anvil
from offchain.eth.market import MarketClient
from offchain.ml.data import export_dataset, load_data


@pytest.fixture(scope="module")
def worker_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A job that asks 100 %, and one `worker --once` run with the default options."""
    tmp = tmp_path_factory.mktemp("worker")
    chain = start_anvil()
    capture = pytest.MonkeyPatch()
    try:
        client = connect(chain.url, dev_private_key(0))
        deployment = deploy_all(client, tmp / "deployments")
        base = register_base_model(client, deployment, tmp / "base")
        train, _ = export_dataset(load_data("digits", "train", "5-9", per_class=2), tmp / "train.npz")
        evaluation, _ = export_dataset(load_data("digits", "test", "5-9", per_class=4), tmp / "eval.npz")
        (tmp / "spec.json").write_text(json.dumps({"arch": "resnet18", "epochs": 1, "batch_size": 10}))
        common = ["--rpc", chain.url, "--deployments", str(tmp / "deployments")]
        assert (
            main(
                [
                    "job",
                    "post",
                    "--base",
                    base,
                    "--train",
                    str(train),
                    "--eval",
                    str(evaluation),
                    "--spec",
                    str(tmp / "spec.json"),
                    "--reward",
                    "0.5ether",
                    "--min-score-bps",
                    "10000",
                    "--dev-account",
                    "1",
                    "--home",
                    str(tmp / "requester"),
                    *common,
                ]
            )
            == 0
        )
        log = tmp / "worker.log"
        with open(log, "w") as stream:
            capture.setattr("sys.stdout", stream)
            code = main(
                [
                    "worker",
                    "--once",
                    "--json",
                    "--device",
                    "cpu",
                    "--poll",
                    "0.2",
                    "--dev-account",
                    "2",
                    "--home",
                    str(tmp / "worker"),
                    "--source",
                    str(tmp / "requester" / "artifacts"),
                    *common,
                ]
            )
        capture.undo()
        market = MarketClient.of(client, deployment)
        return {
            "code": code,
            "log": [json.loads(line) for line in log.read_text().splitlines()],
            "submissions": market.submissions(1),
        }
    finally:
        capture.undo()
        chain.stop()


def test_the_worker_sees_the_newest_job_with_no_block_after_it(worker_run: dict[str, object]) -> None:
    events = [e["event"] for e in worker_run["log"]]  # type: ignore[attr-defined]

    assert worker_run["code"] == 0
    assert "job seen" in events and "job taken" in events, [e.get("reason") for e in worker_run["log"]]  # type: ignore[attr-defined]


def test_the_worker_does_not_commit_below_the_minimum_score(worker_run: dict[str, object]) -> None:
    [abandoned] = [e for e in worker_run["log"] if e["event"] == "job abandoned"]  # type: ignore[attr-defined]

    assert "below the job's minimum of 100.00 %" in abandoned["reason"]
    assert worker_run["submissions"] == []


def test_the_estimate_comes_from_the_measured_recipe(worker_run: dict[str, object]) -> None:
    [taken] = [e for e in worker_run["log"] if e["event"] == "job taken"]  # type: ignore[attr-defined]

    # 10 images x 1 epoch at the old constant 250 images/s with a 2x margin said 0 s.
    assert taken["estimate_s"] >= 1
