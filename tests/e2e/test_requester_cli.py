"""The requester's commands against a real local chain: post, status, finalize, withdraw."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from basemodel import register_base_model

from offchain.artifacts.store import sha256_file
from offchain.cli import main
from offchain.eth.client import connect
from offchain.eth.deploy import deploy_all
from offchain.eth.keys import dev_private_key
from offchain.eth.localchain import LocalChain, start_anvil
from offchain.ml.data import export_dataset, load_data


@pytest.fixture(scope="module")
def chain() -> Iterator[LocalChain]:
    chain = start_anvil()
    yield chain
    chain.stop()


@pytest.fixture
def setup(chain: LocalChain, tmp_path: Path) -> dict[str, Path | str]:
    client = connect(chain.url, dev_private_key(0))
    deployment = deploy_all(client, tmp_path / "deployments")
    base = register_base_model(client, deployment, tmp_path / "base")  # `job post` fetches and checks it
    train, _ = export_dataset(load_data("digits", "train", "5-9", per_class=2), tmp_path / "train.npz")
    evaluation, _ = export_dataset(load_data("digits", "test", "5-9", per_class=2), tmp_path / "eval.npz")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"arch": "resnet18", "epochs": 1}))
    return {"train": train, "eval": evaluation, "spec": spec, "tmp": tmp_path, "base": base}


def common(chain: LocalChain, setup: dict[str, Path | str]) -> list[str]:
    tmp = Path(setup["tmp"])
    return [
        "--rpc",
        chain.url,
        "--deployments",
        str(tmp / "deployments"),
        "--dev-account",
        "1",
        "--home",
        str(tmp / "home"),
    ]


def post(chain: LocalChain, setup: dict[str, Path | str], spec: Path | str) -> int:
    return main(
        [
            "job",
            "post",
            "--base",
            str(setup["base"]),
            "--train",
            str(setup["train"]),
            "--eval",
            str(setup["eval"]),
            "--spec",
            str(spec),
            "--reward",
            "0.5ether",
            "--min-score-bps",
            "5000",
            "--json",
            *common(chain, setup),
        ]
    )


def test_post_prints_the_job_and_status_shows_it_open(chain, setup, capsys) -> None:  # type: ignore[no-untyped-def]
    assert post(chain, setup, setup["spec"]) == 0
    job_id = json.loads(capsys.readouterr().out)["job_id"]

    assert main(["job", "status", str(job_id), "--json", *common(chain, setup)]) == 0
    [job] = json.loads(capsys.readouterr().out)

    assert job["phase"] == "open"
    assert job["reward"] == 5 * 10**17
    assert job["submissions"] == []


def test_a_spec_with_data_keys_is_refused_before_any_transaction(chain, setup, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = Path(setup["tmp"]) / "bad.json"
    bad.write_text(json.dumps({"dataset": "cifar10"}))

    assert post(chain, setup, bad) == 2
    err = capsys.readouterr().err

    assert err.count("\n") == 1
    assert "dataset" in err and "not recipe keys" in err


def test_finalize_before_the_deadline_names_the_contract_error(chain, setup, capsys) -> None:  # type: ignore[no-untyped-def]
    post(chain, setup, setup["spec"])
    job_id = json.loads(capsys.readouterr().out)["job_id"]

    assert main(["job", "finalize", str(job_id), *common(chain, setup)]) == 2

    assert "TrainingMarketTooEarly" in capsys.readouterr().err


def test_withdraw_with_nothing_owed_says_so(chain, setup, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["withdraw", *common(chain, setup)]) == 0

    assert "nothing to withdraw" in capsys.readouterr().out


def test_an_unreachable_rpc_is_one_line_and_a_non_zero_exit(setup, capsys) -> None:  # type: ignore[no-untyped-def]
    tmp = Path(setup["tmp"])

    assert main(["job", "status", "--rpc", "http://127.0.0.1:9", "--deployments", str(tmp / "deployments")]) == 2

    assert "cannot reach the Ethereum RPC" in capsys.readouterr().err


def test_the_evaluation_set_stays_sealed_until_reveal_eval_opens_it(chain, setup, capsys) -> None:  # type: ignore[no-untyped-def]
    from web3 import Web3

    from offchain.demo.scenario import warp_to
    from offchain.eth.market import MarketClient
    from offchain.roles.session import open_session

    assert post(chain, setup, setup["spec"]) == 0
    posted = json.loads(capsys.readouterr().out)
    job_id = posted["job_id"]
    assert "evaluation_set" not in posted  # only the seal is public
    assert main(["job", "reveal-eval", str(job_id), *common(chain, setup)]) == 1  # commits still open

    w3 = Web3(Web3.HTTPProvider(chain.url))
    market: MarketClient = open_session(_session_args(chain, setup)).market
    warp_to(w3, market.job(job_id).commit_deadline)
    assert main(["job", "reveal-eval", str(job_id), *common(chain, setup)]) == 0

    opened = market.evaluation_revealed(job_id)
    assert opened is not None
    assert opened.evaluation_set.hex() == sha256_file(Path(setup["eval"]))


def _session_args(chain: LocalChain, setup: dict[str, Path | str]):  # type: ignore[no-untyped-def]
    import argparse

    from offchain.roles.session import add_session_args

    parser = argparse.ArgumentParser()
    add_session_args(parser)
    return parser.parse_args(common(chain, setup))
