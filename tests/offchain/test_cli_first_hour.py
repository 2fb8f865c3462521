"""What a new user meets in the first hour, without a chain: one-line errors, never a
traceback; a fast `--help`; `--version`; output piped into `head`."""

from __future__ import annotations

import argparse
import hashlib
import importlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from offchain.cli import COMMAND_MODULES, COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[2]
# Libraries that take seconds to import: `offchain --help` must import none of them.
HEAVY = {"web3", "eth_tester", "eth_account", "eth_abi", "torch", "torchvision", "numpy", "brownie", "requests"}


def run_offchain(*argv: str, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "offchain", *argv],
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )


def run_into_closed_pipe(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run with stdout a pipe whose reader has already left, as `| head` leaves it."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return run_offchain(*argv, stdout=write_end)
    finally:
        os.close(write_end)


def one_line_error(capsys: pytest.CaptureFixture[str], code: int) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("offchain: error: ") and err.count("\n") == 1, err
    return err


# --- the command line itself ------------------------------------------------------------


def _top_modules_after(*argv: str) -> tuple[set[str], str]:
    """The top-level modules a fresh interpreter has loaded after `offchain ARGV`, and its output."""
    probe = (
        "import sys\nfrom offchain.cli import main\n"
        f"try:\n    main({list(argv)!r})\nexcept SystemExit:\n    pass\n"
        "print('MODULES', ' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout
    return set(out.split("MODULES", 1)[1].split()), out


def test_help_imports_no_heavy_library() -> None:
    imported, out = _top_modules_after("--help")

    assert "registry" in out and "worker" in out  # every command is still listed
    assert imported & HEAVY == set()


def test_a_command_imports_only_its_own_module() -> None:
    imported, _ = _top_modules_after("ledger", "--help")

    assert imported & HEAVY == set()


def test_a_chain_command_does_not_load_the_in_process_evm() -> None:
    # eth-tester pulls in py-evm (half a second of every chain command's start); only
    # offchain.eth.client.in_process() needs it, and it loads it itself.
    imported, _ = _top_modules_after("job", "--help")

    assert "web3" in imported  # the probe reached the chain client
    assert not imported & {"eth_tester", "eth"}


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    from offchain import __version__

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])

    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"offchain {__version__}"


def test_the_command_table_matches_what_each_module_registers() -> None:
    registered: dict[str, str] = {}
    for module in COMMAND_MODULES:
        subparsers = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).register(subparsers)
        for action in subparsers._choices_actions:
            registered[action.dest] = action.help or ""

    assert registered == {name: help_text for name, (_, help_text) in COMMANDS.items()}


def test_an_unknown_command_is_one_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["jobs"])

    assert exit_.value.code == 2
    assert "invalid choice: 'jobs'" in capsys.readouterr().err


# --- output piped into head ---------------------------------------------------------------


def test_fingerprint_json_into_a_closed_pipe_exits_without_a_traceback(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    weights = tmp_path / "w.safetensors"
    save_file({f"layer{i}.weight": torch.zeros(3, 3) for i in range(50)}, str(weights))

    result = run_into_closed_pipe("fingerprint", "--json", str(weights))

    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
    assert result.returncode == 141


def test_ledger_status_into_a_closed_pipe_exits_without_a_traceback(tmp_path: Path) -> None:
    assert run_offchain("ledger", "init", "--datadir", str(tmp_path)).returncode == 0

    result = run_into_closed_pipe("ledger", "status", "--datadir", str(tmp_path))

    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
    assert result.returncode == 141


# --- artifacts ----------------------------------------------------------------------------


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_artifacts_get_creates_the_missing_output_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "data.bin"
    source.write_bytes(b"a data set")
    digest = hashlib.sha256(b"a data set").hexdigest()
    out = tmp_path / "dir" / "that" / "does" / "not" / "exist" / "x.npz"

    code = main(["artifacts", "get", str(source), "--sha256", digest, "--out", str(out), "--dir", str(tmp_path / "s")])

    assert code == 0, capsys.readouterr().err
    assert out.read_bytes() == b"a data set"


def test_artifacts_get_refuses_a_uri_hash_that_differs_from_sha256(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    assert main(["artifacts", "put", str(_file(tmp_path, "b", b"B")), "--dir", str(store)]) == 0
    capsys.readouterr()
    a, b = hashlib.sha256(b"A").hexdigest(), hashlib.sha256(b"B").hexdigest()
    out = tmp_path / "out.bin"

    code = main(["artifacts", "get", f"sha256:{a}", "--sha256", b, "--out", str(out), "--dir", str(store)])

    assert a in one_line_error(capsys, code)
    assert not out.exists()


def test_artifacts_serve_on_a_port_in_use_is_one_line(
    tmp_path: Path, busy_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["artifacts", "serve", "--port", str(busy_port), "--dir", str(tmp_path)])

    assert f"port {busy_port}" in one_line_error(capsys, code)


def test_ledger_serve_on_a_port_in_use_is_one_line(
    tmp_path: Path, busy_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["ledger", "serve", "--port", str(busy_port), "--datadir", str(tmp_path)])

    assert f"port {busy_port}" in one_line_error(capsys, code)


def _file(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


# --- keys ---------------------------------------------------------------------------------

KEY = "0x" + "4c" * 32


@pytest.mark.parametrize("index", ["99999999999", "-1"])
def test_an_out_of_range_dev_account_is_a_usage_error(index: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["withdraw", "--rpc", "http://127.0.0.1:9", "--dev-account", index])

    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--dev-account" in err and "from 0 to" in err


def test_key_env_holding_a_key_instead_of_a_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from offchain.eth.errors import InvalidInputError
    from offchain.eth.options import account_from_args

    args = argparse.Namespace(keystore=None, dev_account=None, key_env=KEY)

    with pytest.raises(InvalidInputError, match="name of an environment variable"):
        account_from_args(args, 1337)


def test_key_env_naming_an_unset_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from offchain.eth.errors import InvalidInputError
    from offchain.eth.options import account_from_args

    monkeypatch.delenv("MY_WORKER_KEY", raising=False)
    args = argparse.Namespace(keystore=None, dev_account=None, key_env="MY_WORKER_KEY")

    with pytest.raises(InvalidInputError, match="MY_WORKER_KEY is not set"):
        account_from_args(args, 1337)


def test_key_env_naming_a_set_variable_signs_with_its_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from eth_account import Account

    from offchain.eth.options import account_from_args

    monkeypatch.setenv("MY_WORKER_KEY", KEY)
    args = argparse.Namespace(keystore=None, dev_account=None, key_env="MY_WORKER_KEY")

    account = account_from_args(args, 1337)

    assert account is not None and account.address == Account.from_key(KEY).address


def test_the_default_key_variable_may_be_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    from offchain.eth.keys import KEY_ENV
    from offchain.eth.options import account_from_args

    monkeypatch.delenv(KEY_ENV, raising=False)
    args = argparse.Namespace(keystore=None, dev_account=None, key_env=KEY_ENV)

    assert account_from_args(args, 1337) is None  # the node's unlocked account


def test_a_missing_keystore_is_refused_before_the_password_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from offchain.eth import keys
    from offchain.eth.errors import InvalidInputError

    monkeypatch.delenv(keys.PASSWORD_ENV, raising=False)

    def no_prompt(prompt: str = "") -> str:
        raise EOFError  # what getpass does with no terminal

    monkeypatch.setattr(keys.getpass, "getpass", no_prompt)

    with pytest.raises(InvalidInputError, match="no keystore file at"):
        keys.load_keystore(tmp_path / "missing.json")


# --- data sets ----------------------------------------------------------------------------


def test_a_pickled_npz_is_refused_without_suggesting_allow_pickle(tmp_path: Path) -> None:
    import numpy as np

    from offchain.ml.data import load_dataset_npz
    from offchain.ml.errors import DatasetError

    path = tmp_path / "evil.npz"
    np.savez(path, images=np.array([{"a": 1}], dtype=object), labels=np.array([1]), classes=np.array(["a"]))

    with pytest.raises(DatasetError) as error:
        load_dataset_npz(path)

    assert "allow_pickle" not in str(error.value) and "pickle.load" not in str(error.value)
    assert "not a data set" in str(error.value)


def _without_help(parser: argparse.ArgumentParser, path: str) -> list[str]:
    """Every subcommand and argument under `parser` whose --help line would be blank."""
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helped = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                missing += [f"{path} {name}"] if not helped.get(name) else []
                missing += _without_help(sub, f"{path} {name}")
        elif action.help is None and not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    return missing


def test_every_command_and_argument_has_a_help_line() -> None:
    missing = []
    for name in COMMANDS:
        parser = build_parser(name)
        (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        missing += _without_help(commands.choices[name], f"offchain {name}")

    assert missing == []  # was 28, among them `job status --json` and `artifacts serve --port`


def test_the_worker_takes_its_appeal_deposit_limit_in_ether_and_refuses_a_bad_amount() -> None:
    from offchain.eth.errors import InvalidInputError
    from offchain.roles.worker import worker_options

    parser = build_parser("worker")
    limited = worker_options(parser.parse_args(["worker", "--max-appeal-deposit", "0.1ether"]))
    unlimited = worker_options(parser.parse_args(["worker"]))

    assert limited.max_appeal_deposit == 10**17  # the worker's log named this flag before it existed
    assert unlimited.max_appeal_deposit is None
    with pytest.raises(InvalidInputError):
        worker_options(parser.parse_args(["worker", "--max-appeal-deposit", "lots"]))
