"""A new user's first hour against a real local chain (anvil): reads that revert, an empty
wallet, a restarted chain, keystores, moving the clock, listing the registry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from basemodel import register_base_model

from offchain.cli import main
from offchain.eth.client import connect
from offchain.eth.deploy import deploy_all
from offchain.eth.deployments import DeployedContract, Deployment, load_deployment, save_deployment
from offchain.eth.keys import dev_private_key
from offchain.eth.localchain import LocalChain, start_anvil
from offchain.eth.registry import RegistryClient
from offchain.ml.data import export_dataset, load_data

BASE = "0x" + "ba" * 32
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def chain() -> Iterator[LocalChain]:
    chain = start_anvil()
    yield chain
    chain.stop()


@pytest.fixture
def deployments(chain: LocalChain, tmp_path: Path) -> Path:
    client = connect(chain.url, dev_private_key(0))
    deployment = deploy_all(client, tmp_path / "deployments")
    RegistryClient(client, deployment.contract("ModelRegistry").address).register(
        bytes.fromhex(BASE[2:]), None, bytes(32), 0, "http://example.org/base.safetensors"
    )
    return tmp_path / "deployments"


@pytest.fixture
def stale(chain: LocalChain, tmp_path: Path) -> Path:
    """A deployment record whose addresses hold no code: the chain was restarted."""
    empty = DeployedContract(address="0x" + "12" * 20, block=0, abi="build/contracts/X.json")
    record = Deployment(chain_id=1337, contracts={"ModelRegistry": empty, "TrainingMarket": empty})
    save_deployment(record, tmp_path / "stale")
    return tmp_path / "stale"


def one_line_error(capsys: pytest.CaptureFixture[str], code: int) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("offchain: error: ") and err.count("\n") == 1, err
    return err


def session(chain: LocalChain, deployments: Path, tmp_path: Path, account: str = "1") -> list[str]:
    return [
        "--rpc",
        chain.url,
        "--deployments",
        str(deployments),
        "--dev-account",
        account,
        "--home",
        str(tmp_path / "home"),
    ]


# --- reads decode custom errors -----------------------------------------------------------


def test_status_of_a_missing_job_names_the_contract_error(
    chain: LocalChain, deployments: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["job", "status", "99", *session(chain, deployments, tmp_path)])

    err = one_line_error(capsys, code)
    assert "no job 99" in err


def test_a_reverting_read_raises_the_decoded_custom_error(chain: LocalChain, deployments: Path) -> None:
    from offchain.eth.deployments import load_deployment
    from offchain.eth.errors import CallRevertedError
    from offchain.eth.market import MarketClient

    client = connect(chain.url)
    market = MarketClient.of(client, load_deployment(1337, deployments))

    with pytest.raises(CallRevertedError, match=r"job reverted: \w*Market\w+\(.*99"):
        market.job(99)


# --- no money -----------------------------------------------------------------------------


def test_posting_more_than_the_balance_is_one_line(
    chain: LocalChain, deployments: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train, _ = export_dataset(load_data("digits", "train", "5-9", per_class=2), tmp_path / "train.npz")
    evaluation, _ = export_dataset(load_data("digits", "test", "5-9", per_class=2), tmp_path / "eval.npz")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"arch": "resnet18", "epochs": 1}))

    client = connect(chain.url, dev_private_key(0))
    deployment = load_deployment(1337, deployments)
    base = register_base_model(client, deployment, tmp_path / "base")  # `job post` fetches it first

    code = main(
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
            str(spec),
            "--reward",
            "100000ether",
            "--min-score-bps",
            "5000",
            *session(chain, deployments, tmp_path),
        ]
    )

    assert "insufficient funds" in one_line_error(capsys, code)


# --- a restarted chain --------------------------------------------------------------------


def test_registry_on_a_stale_deployment_says_to_redeploy(
    chain: LocalChain, stale: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["registry", "show", BASE, "--rpc", chain.url, "--deployments", str(stale)])

    err = one_line_error(capsys, code)
    assert "no contract at 0x1212" in err and "chain 1337" in err and "restarted" in err
    # The remedy deploys to the user's chain: `make demo` deploys to an anvil of its own.
    assert "brownie run scripts/deploy.py" in err and "make demo" not in err


def test_a_worker_refuses_to_start_on_a_stale_deployment(
    chain: LocalChain, stale: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["worker", "--once", *session(chain, stale, tmp_path)])

    assert "no contract at" in one_line_error(capsys, code)


# --- keystores ----------------------------------------------------------------------------


def test_accounts_new_writes_a_keystore_a_role_can_sign_with(
    chain: LocalChain,
    deployments: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OFFCHAIN_KEYSTORE_PASSWORD", PASSWORD)
    keystore = tmp_path / "worker.json"

    assert main(["accounts", "new", str(keystore), "--json"]) == 0
    address = json.loads(capsys.readouterr().out)["address"]

    assert keystore.stat().st_mode & 0o777 == 0o600
    assert main(["accounts", "list", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"address": address, "keystore": str(keystore)}]
    assert (
        main(
            [
                "withdraw",
                "--rpc",
                chain.url,
                "--deployments",
                str(deployments),
                "--keystore",
                str(keystore),
                "--home",
                str(tmp_path / "home"),
            ]
        )
        == 0
    )
    assert address in capsys.readouterr().out


def test_accounts_new_never_overwrites_a_keystore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OFFCHAIN_KEYSTORE_PASSWORD", PASSWORD)
    keystore = tmp_path / "worker.json"
    keystore.write_text("{}")

    assert "never overwritten" in one_line_error(capsys, main(["accounts", "new", str(keystore)]))
    assert keystore.read_text() == "{}"


def test_accounts_import_and_balance_show_the_dev_account(
    chain: LocalChain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OFFCHAIN_KEYSTORE_PASSWORD", PASSWORD)
    monkeypatch.setenv("DEV3", dev_private_key(3))
    keystore = tmp_path / "dev3.json"

    assert main(["accounts", "import", str(keystore), "--key-env", "DEV3", "--json"]) == 0
    address = json.loads(capsys.readouterr().out)["address"]
    assert main(["accounts", "balance", str(keystore), "--rpc", chain.url, "--json"]) == 0
    by_file = json.loads(capsys.readouterr().out)
    assert main(["accounts", "balance", "--dev-account", "3", "--rpc", chain.url, "--json"]) == 0
    by_index = json.loads(capsys.readouterr().out)

    assert by_file == by_index
    assert by_file["address"] == address and by_file["wei"] > 0


# --- the clock ----------------------------------------------------------------------------


def test_chain_warp_moves_the_next_block_forward(chain: LocalChain, capsys: pytest.CaptureFixture[str]) -> None:
    before = connect(chain.url).w3.eth.get_block("latest")

    assert main(["chain", "warp", "3600", "--rpc", chain.url, "--json"]) == 0
    after = json.loads(capsys.readouterr().out)

    assert after["block"] == before["number"] + 1
    assert after["timestamp"] >= before["timestamp"] + 3600


def test_chain_mine_mines_that_many_blocks(chain: LocalChain, capsys: pytest.CaptureFixture[str]) -> None:
    before = connect(chain.url).w3.eth.block_number

    assert main(["chain", "mine", "5", "--rpc", chain.url, "--json"]) == 0

    assert json.loads(capsys.readouterr().out)["block"] == before + 5


# --- the registry -------------------------------------------------------------------------


def test_registry_list_shows_the_registered_base_model(
    chain: LocalChain, deployments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["registry", "list", "--rpc", chain.url, "--deployments", str(deployments), "--json"]) == 0

    [record] = json.loads(capsys.readouterr().out)
    assert record["model_hash"] == BASE and record["parent_hash"] is None


def test_a_named_network_reaches_the_chain_and_is_listed(
    chain: LocalChain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "networks.toml").write_text(f'[here]\nrpc = "{chain.url}"\n')
    monkeypatch.setenv("OFFCHAIN_NETWORKS", str(tmp_path / "networks.toml"))
    before = connect(chain.url).w3.eth.block_number

    assert main(["chain", "mine", "2", "--network", "here", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["block"] == before + 2

    assert main(["networks", "--json"]) == 0
    assert {"name": "here", "rpc": chain.url} in [
        {k: row[k] for k in ("name", "rpc")} for row in json.loads(capsys.readouterr().out)
    ]


def test_the_python_api_connects_by_url_or_name_and_signs_as_a_dev_account(
    chain: LocalChain, deployments: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from offchain.api import Market
    from offchain.eth.errors import InvalidInputError
    from offchain.eth.keys import account_from_key

    (tmp_path / "networks.toml").write_text(f'[here]\nrpc = "{chain.url}"\n')
    monkeypatch.setenv("OFFCHAIN_NETWORKS", str(tmp_path / "networks.toml"))
    by_url = Market.connect(chain.url, dev_account=3, deployments=deployments, home=tmp_path / "home")
    by_name = Market.connect(network="here", dev_account=3, deployments=deployments, home=tmp_path / "home")

    assert by_url.address == by_name.address == account_from_key(dev_private_key(3)).address
    assert by_url.pending() == 0 and by_url.withdraw() == 0
    with pytest.raises(InvalidInputError, match="no job 1 on this market"):
        by_name.job(1)
    with pytest.raises(InvalidInputError, match="rpc or network, not both"):
        Market.connect(chain.url, network="here")
    with pytest.raises(InvalidInputError, match="dev_account: only alone"):
        Market.connect(chain.url, dev_account=3, account=account_from_key(dev_private_key(4)))


def test_a_worker_without_a_key_says_whose_account_it_acts_as(
    chain: LocalChain, deployments: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 22 (the reviewer's item 3): without --dev-account a daemon silently acted as the
    # node's account 0, the README walkthrough's requester.
    where = ["--rpc", chain.url, "--deployments", str(deployments), "--home", str(tmp_path / "home")]

    assert main(["worker", "--once", "--max-jobs", "0", *where]) == 0
    err = capsys.readouterr().err
    assert main(["worker", "--once", "--max-jobs", "0", "--dev-account", "1", *where]) == 0

    assert "offchain: note: no key given" in err and connect(chain.url).address in err
    assert "no key given" not in capsys.readouterr().err
