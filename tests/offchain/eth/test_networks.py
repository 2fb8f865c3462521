"""`--network NAME`: names from ~/.offchain/networks.toml first, then brownie's network-config.yaml."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from offchain.eth import networks
from offchain.eth.errors import InvalidInputError
from offchain.eth.options import add_connection_args, rpc_from_args

BROWNIE_CONFIG = """
live:
  - name: Ethereum
    networks:
      - name: Sepolia (Infura)
        chainid: 11155111
        id: sepolia
        host: https://sepolia.infura.io/v3/$WEB3_INFURA_PROJECT_ID
development:
  - name: Anvil
    id: anvil
    cmd: anvil
    host: http://127.0.0.1
    cmd_settings:
      port: 8545
"""


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    ours, brownies = tmp_path / "networks.toml", tmp_path / "network-config.yaml"
    monkeypatch.setenv(networks.NETWORKS_ENV, str(ours))
    monkeypatch.setattr(networks, "BROWNIE_NETWORKS", brownies)
    return ours, brownies


def test_a_name_of_ours_resolves_with_its_variables_read_from_the_environment(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, _ = files
    ours.write_text('[mine]\nrpc = "https://node.example/v1/${MY_KEY}/rpc"\n')
    monkeypatch.setenv("MY_KEY", "k123")

    assert networks.resolve("mine") == "https://node.example/v1/k123/rpc"


def test_an_unset_variable_is_named(files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    ours, _ = files
    ours.write_text('[mine]\nrpc = "https://node.example/$MY_KEY"\n')
    monkeypatch.delenv("MY_KEY", raising=False)

    with pytest.raises(InvalidInputError, match="needs the environment variable MY_KEY"):
        networks.resolve("mine")


def test_brownies_live_and_development_networks_are_known_by_id(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, brownies = files
    brownies.write_text(BROWNIE_CONFIG)
    monkeypatch.setenv("WEB3_INFURA_PROJECT_ID", "p1")

    assert networks.resolve("sepolia") == "https://sepolia.infura.io/v3/p1"
    assert networks.resolve("anvil") == "http://127.0.0.1:8545"


def test_our_file_wins_over_brownies_for_the_same_name(files: tuple[Path, Path]) -> None:
    ours, brownies = files
    brownies.write_text(BROWNIE_CONFIG)
    ours.write_text('[anvil]\nrpc = "http://127.0.0.1:9545"\n')

    assert networks.resolve("anvil") == "http://127.0.0.1:9545"
    assert [n.name for n in networks.known_networks()] == ["anvil", "sepolia"]


def test_an_unknown_name_lists_the_known_ones(files: tuple[Path, Path]) -> None:
    ours, _ = files
    ours.write_text('[one]\nrpc = "http://a"\n[two]\nrpc = "http://b"\n')

    with pytest.raises(InvalidInputError, match=r"no network named 'three' .*\(known: one, two\)"):
        networks.resolve("three")


@pytest.mark.parametrize(
    ("text", "message"),
    [("[mine\nrpc = 1", "not valid TOML"), ("[mine]\nurl = 'http://a'", r"\[mine\] needs rpc")],
)
def test_a_malformed_file_is_one_clear_error(files: tuple[Path, Path], text: str, message: str) -> None:
    ours, _ = files
    ours.write_text(text)

    with pytest.raises(InvalidInputError, match=message):
        networks.resolve("mine")


def test_an_oversized_file_is_refused_unread(files: tuple[Path, Path]) -> None:
    ours, _ = files
    ours.write_text("#" * (networks.MAX_FILE_BYTES + 1))

    with pytest.raises(InvalidInputError, match="not a networks file"):
        networks.known_networks()


def test_network_and_rpc_exclude_each_other_and_network_resolves(files: tuple[Path, Path]) -> None:
    ours, _ = files
    ours.write_text('[mine]\nrpc = "http://127.0.0.1:9999"\n')
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_connection_args(parser)

    assert rpc_from_args(parser.parse_args(["--network", "mine"])) == "http://127.0.0.1:9999"
    assert rpc_from_args(parser.parse_args(["--rpc", "http://x:1"])) == "http://x:1"
    assert rpc_from_args(parser.parse_args([])) is None
    with pytest.raises(argparse.ArgumentError, match="not allowed with argument"):
        parser.parse_args(["--network", "mine", "--rpc", "http://x:1"])
