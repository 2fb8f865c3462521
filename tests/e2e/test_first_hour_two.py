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


@pytest.mark.parametrize("role", ["validator", "requester"])
def test_once_with_nothing_to_follow_exits(role: str, chain: LocalChain, deployments: Path, tmp_path: Path) -> None:
    argv = [role, "--once", "--poll", "0.1", "--rpc", chain.url, "--deployments", str(deployments)]

    result = offchain(*argv, "--dev-account", "4", "--home", str(tmp_path))

    assert result.returncode == 0, result.stderr
