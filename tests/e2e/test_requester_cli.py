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
from offchain.eth.deployments import load_deployment
from offchain.eth.exchange import ExchangeClient
from offchain.eth.keys import dev_private_key
from offchain.eth.localchain import LocalChain, start_anvil
from offchain.eth.market import MarketClient, deposit_of
from offchain.ml.data import export_dataset, load_data
from offchain.roles.seals import SealBook
from offchain.sealed.curve import base_mul


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


def post(chain: LocalChain, setup: dict[str, Path | str], spec: Path | str, *extra: str) -> int:
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
            *extra,
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


def test_a_sealed_post_registers_the_job_key_whose_secret_stays_in_the_seal_book(chain, setup, capsys) -> None:  # type: ignore[no-untyped-def]
    """`offchain job post --sealed`, as README.md shows it (issue 26): the job is sealed on chain,
    its job key registered for the requester, and the key's secret kept in the home's seal book,
    where the requester daemon opens the winner's delivered key with it."""
    assert post(chain, setup, setup["spec"], "--sealed") == 0
    printed = json.loads(capsys.readouterr().out)
    client = connect(chain.url, dev_private_key(1))
    market = MarketClient.of(client, load_deployment(client.chain_id, Path(setup["tmp"]) / "deployments"))
    book = SealBook(Path(setup["tmp"]) / "home" / "requester-seals.sqlite", client.chain_id, market.address)
    secret = book.job_key(printed["job_id"])
    book.close()

    assert printed["sealed"] is True and market.is_sealed(printed["job_id"])
    assert secret is not None
    assert ExchangeClient(market).job_key(printed["job_id"], client.address) == base_mul(secret)


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


# --- a question before money is spent, when a person is there to answer (issue 22) --------


class _Terminal:
    def isatty(self) -> bool:
        return True


def _job_count(chain: LocalChain, setup: dict[str, Path | str]) -> int:
    from offchain.eth.deployments import load_deployment
    from offchain.eth.market import MarketClient

    client = connect(chain.url)
    return MarketClient.of(client, load_deployment(client.chain_id, Path(setup["tmp"]) / "deployments")).job_count()


def test_post_at_a_terminal_asks_first_and_a_no_sends_nothing(chain, setup, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "n")
    before = _job_count(chain, setup)

    code = post(chain, setup, setup["spec"])

    assert code == 1 and len(asked) == 1 and "0.5 ETH" in asked[0], asked
    assert _job_count(chain, setup) == before


def test_post_with_yes_does_not_ask(chain, setup, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail(f"asked {prompt!r}"))
    before = _job_count(chain, setup)

    assert main([*_post_argv(setup), "--yes", *common(chain, setup)]) == 0
    assert _job_count(chain, setup) == before + 1


def test_post_dry_run_checks_everything_and_sends_nothing(chain, setup, capsys) -> None:  # type: ignore[no-untyped-def]
    before = _job_count(chain, setup)

    assert main([*_post_argv(setup), "--dry-run", *common(chain, setup)]) == 0

    assert "dry run" in capsys.readouterr().out
    assert _job_count(chain, setup) == before


def _post_argv(setup: dict[str, Path | str]) -> list[str]:
    files = [f"--{k}={setup[k]}" for k in ("base", "train", "eval", "spec")]
    return ["job", "post", *files, "--reward", "0.5ether", "--min-score-bps", "5000"]


def test_acting_commands_answer_in_json(chain, setup, capsys) -> None:  # type: ignore[no-untyped-def]
    assert post(chain, setup, setup["spec"]) == 0
    job_id = json.loads(capsys.readouterr().out)["job_id"]

    assert main(["job", "cancel", str(job_id), "--json", *common(chain, setup)]) == 0
    cancelled = json.loads(capsys.readouterr().out)
    assert main(["withdraw", "--json", *common(chain, setup)]) == 0
    withdrawn = json.loads(capsys.readouterr().out)

    assert cancelled["job_id"] == job_id and cancelled["block"] > 0
    assert withdrawn["withdrawn"] == 5 * 10**17 + deposit_of(5 * 10**17)  # the reward and its deposit, in wei
