"""A new user's first hour, part two (issue 22 item 6): bad input and daemons without a
terminal give one clear line at start, and `--once` exits when there is nothing to follow."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from offchain.cli import main
from offchain.eth.client import connect
from offchain.eth.deploy import deploy_all
from offchain.eth.keys import dev_private_key
from offchain.eth.localchain import LocalChain, start_anvil

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def chain() -> Iterator[LocalChain]:
    chain = start_anvil()
    yield chain
    chain.stop()


@pytest.fixture(scope="module")
def deployments(chain: LocalChain, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("deployments")
    deploy_all(connect(chain.url, dev_private_key(0)), folder)
    return folder


def one_line_error(capsys: pytest.CaptureFixture[str], code: int) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("offchain: error: ") and err.count("\n") == 1, err
    return err


def offchain(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command as a daemon runs it: no terminal on standard input."""
    return subprocess.run(
        [sys.executable, "-m", "offchain", *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_a_keystore_password_without_a_terminal_names_the_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OFFCHAIN_KEYSTORE_PASSWORD"}

    result = offchain("accounts", "new", str(tmp_path / "w.json"), env=env)

    assert result.returncode == 2, result.stderr
    assert result.stderr == "offchain: error: no terminal to ask on: set $OFFCHAIN_KEYSTORE_PASSWORD\n"


def test_a_wrong_keystore_password_says_so(
    chain: LocalChain,
    deployments: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    keystore = tmp_path / "w.json"
    monkeypatch.setenv("OFFCHAIN_KEYSTORE_PASSWORD", PASSWORD)
    assert main(["accounts", "new", str(keystore)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("OFFCHAIN_KEYSTORE_PASSWORD", "not it")

    code = main(["job", "list", "--rpc", chain.url, "--deployments", str(deployments), "--keystore", str(keystore)])

    assert f"wrong password for keystore {keystore}" in one_line_error(capsys, code)


def test_an_rpc_without_a_scheme_suggests_http(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["registry", "list", "--rpc", "127.0.0.1:9545"])

    assert "did you mean http://127.0.0.1:9545?" in one_line_error(capsys, code)


def test_artifacts_put_to_a_folder_named_as_server_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x").write_text("hi")

    code = main(["artifacts", "put", str(tmp_path / "x"), "--server", str(tmp_path)])

    assert "a folder is --dir" in one_line_error(capsys, code)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the machine without CUDA")
@pytest.mark.parametrize("role", ["worker", "validator"])
def test_a_role_asked_for_cuda_without_cuda_fails_at_start(
    role: str, chain: LocalChain, deployments: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [role, "--device", "cuda", "--once", "--rpc", chain.url, "--deployments", str(deployments)]

    code = main([*argv, "--dev-account", "3", "--home", str(tmp_path)])

    assert "CUDA is not available" in one_line_error(capsys, code)


# --- a phase-aware clock (issue 22 item 3: fixed warps skipped whole windows) -------------


def _post_job(chain: LocalChain, deployments: Path) -> int:
    from offchain.eth.deployments import load_deployment
    from offchain.eth.job_terms import JobTerms
    from offchain.eth.market import MarketClient
    from offchain.eth.registry import RegistryClient

    client = connect(chain.url, dev_private_key(1))
    deployment = load_deployment(client.chain_id, deployments)
    base = bytes([0xBA]) * 32
    registry = RegistryClient(client, deployment.contract("ModelRegistry").address)
    if not registry.is_registered(base):
        registry.register(base, None, bytes(32), 0, "http://example.org/base")
    market = MarketClient.of(client, deployment)
    now = client.w3.eth.get_block("latest")["timestamp"]
    day = 24 * 3600
    terms = JobTerms(
        base_model=base,
        training_set=bytes([1]) * 32,
        evaluation_seal=bytes([2]) * 32,
        spec=bytes([3]) * 32,
        min_score_bps=0,
        deadlines=(now + day, now + 2 * day, now + 3 * day, now + 4 * day),
        min_stake=10**17,
        committee_size=3,
        reward=10**18,
    )
    return market.post_job(terms)


@pytest.mark.parametrize("phase", ["revealing", "attesting", "settling", "finalizable"])
def test_warp_to_a_phase_lands_on_its_first_second(
    phase: str, chain: LocalChain, deployments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from offchain.eth.deployments import load_deployment
    from offchain.eth.market import MarketClient, Phase

    job_id = _post_job(chain, deployments)
    where = ["--rpc", chain.url, "--deployments", str(deployments)]

    assert main(["chain", "warp", "--to", str(job_id), phase, *where]) == 0

    client = connect(chain.url)
    market = MarketClient.of(client, load_deployment(client.chain_id, deployments))
    assert market.phase(job_id) == Phase[phase.upper()]
    assert f"job {job_id} is {phase}" in capsys.readouterr().out


def test_warp_to_a_phase_already_begun_is_refused(
    chain: LocalChain, deployments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = _post_job(chain, deployments)
    where = ["--rpc", chain.url, "--deployments", str(deployments)]
    assert main(["chain", "warp", "--to", str(job_id), "attesting", *where]) == 0
    capsys.readouterr()

    code = main(["chain", "warp", "--to", str(job_id), "revealing", *where])

    assert "already" in one_line_error(capsys, code)


def test_warp_wait_names_what_the_window_still_waits_for(
    chain: LocalChain, deployments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = _post_job(chain, deployments)
    where = ["--rpc", chain.url, "--deployments", str(deployments)]

    code = main(["chain", "warp", "--to", str(job_id), "revealing", "--wait", "--timeout", "0.2", *where])

    assert "still waits for a worker's commit" in one_line_error(capsys, code)


def test_finalize_after_someone_else_finalized_is_no_error(
    chain: LocalChain, deployments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = _post_job(chain, deployments)
    where = ["--rpc", chain.url, "--deployments", str(deployments)]
    assert main(["chain", "warp", "--to", str(job_id), "finalizable", *where]) == 0
    assert main(["job", "finalize", str(job_id), *where, "--dev-account", "7"]) == 0  # a daemon, say
    capsys.readouterr()

    code = main(["job", "finalize", str(job_id), *where])

    assert code == 0
    assert f"job {job_id} is already finalized" in capsys.readouterr().out


# --- docs and help (issue 22 item 8) -------------------------------------------------------


def test_artifacts_get_of_a_sha256_uri_needs_the_hash_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from offchain.artifacts.store import ArtifactStore

    (tmp_path / "x").write_text("hello")
    digest = ArtifactStore(tmp_path / "store").put_file(tmp_path / "x")

    code = main(
        ["artifacts", "get", f"sha256:{digest}", "--source", str(tmp_path / "store"), "--out", str(tmp_path / "y")]
    )

    assert code == 0 and (tmp_path / "y").read_text() == "hello"


def test_artifacts_get_of_a_url_without_a_hash_asks_for_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["artifacts", "get", "http://127.0.0.1:9/x", "--out", str(tmp_path / "y")])

    assert "give --sha256" in one_line_error(capsys, code)


def test_dataset_export_help_names_every_named_data_set(capsys: pytest.CaptureFixture[str]) -> None:
    from offchain.ml.data import NAMED_DATASETS

    with pytest.raises(SystemExit):
        main(["dataset", "export", "--help"])

    out = capsys.readouterr().out
    assert all(name in out for name in NAMED_DATASETS)


# --- a transaction that reverts once mined says why (issue 22 item 7) ----------------------


def _market_of(chain: LocalChain, deployments: Path, account: int) -> object:
    from offchain.eth.deployments import load_deployment

    client = connect(chain.url, dev_private_key(account))
    return client, client.contract(
        "TrainingMarket", load_deployment(client.chain_id, deployments).contract("TrainingMarket").address
    )


def test_a_mined_revert_is_decoded_by_replaying_it(chain: LocalChain, deployments: Path) -> None:
    from offchain.eth.errors import TransactionError

    client, market = _market_of(chain, deployments, 5)

    with pytest.raises(TransactionError, match="TrainingMarketUnknownJob"):
        client.transact(market.functions.cancelJob(99), gas=200_000)  # as if estimated before the chain moved


def test_a_mined_transaction_out_of_gas_says_so(chain: LocalChain, deployments: Path) -> None:
    from offchain.eth.errors import TransactionError

    client, market = _market_of(chain, deployments, 5)

    with pytest.raises(TransactionError, match="ran out of gas"):
        client.transact(market.functions.joinValidators(), value=10**18, gas=30_000)


# --- amounts one way everywhere (issue 22 item 7) -------------------------------------------


@pytest.fixture
def empty_market(tmp_path: Path) -> Iterator[tuple[LocalChain, Path]]:
    """A market with no job yet: `--once` roles exit as soon as they are set up."""
    chain = start_anvil()
    try:
        deploy_all(connect(chain.url, dev_private_key(0)), tmp_path / "deployments")
        yield chain, tmp_path / "deployments"
    finally:
        chain.stop()


@pytest.mark.parametrize("role", ["validator", "requester"])
def test_once_with_nothing_to_follow_exits(role: str, empty_market: tuple[LocalChain, Path], tmp_path: Path) -> None:
    chain, deployments = empty_market
    argv = [role, "--once", "--poll", "0.1", "--rpc", chain.url, "--deployments", str(deployments)]

    result = offchain(*argv, "--dev-account", "4", "--home", str(tmp_path))

    assert result.returncode == 0, result.stderr


def test_validator_bond_takes_the_same_amounts_as_the_reward(
    empty_market: tuple[LocalChain, Path], tmp_path: Path
) -> None:
    from offchain.eth.deployments import load_deployment
    from offchain.eth.market import MarketClient

    chain, deployments = empty_market
    argv = ["validator", "--once", "--bond", "1.5ether", "--poll", "0.1", "--device", "cpu"]
    result = offchain(
        *argv, "--rpc", chain.url, "--deployments", str(deployments), "--dev-account", "6", "--home", str(tmp_path)
    )

    assert result.returncode == 0, result.stderr
    assert "bond=1.5ETH" in result.stdout
    client = connect(chain.url)
    market = MarketClient.of(client, load_deployment(client.chain_id, deployments))
    assert market.validator(client.w3.eth.accounts[6]).bond == 15 * 10**17


def test_validator_dry_run_bonds_nothing(empty_market: tuple[LocalChain, Path], tmp_path: Path) -> None:
    from offchain.eth.deployments import load_deployment
    from offchain.eth.market import MarketClient

    chain, deployments = empty_market
    argv = ["validator", "--dry-run", "--bond", "2ether", "--device", "cpu", "--home", str(tmp_path)]
    result = offchain(*argv, "--rpc", chain.url, "--deployments", str(deployments), "--dev-account", "8")

    assert result.returncode == 0, result.stderr
    assert "dry run: would bond 2 ETH" in result.stdout
    client = connect(chain.url)
    assert not MarketClient.of(client, load_deployment(client.chain_id, deployments)).is_validator(
        client.w3.eth.accounts[8]
    )
