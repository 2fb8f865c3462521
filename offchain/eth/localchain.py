"""A local anvil chain for the demo and the end-to-end tests.

anvil ships inside the npm package @foundry-rs/anvil (node_modules/.bin/anvil); the
process runs on a loopback port and is stopped when the context manager exits.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain.eth.build import PROJECT_ROOT
from offchain.eth.client import connect
from offchain.eth.errors import EthError, RPCUnavailableError
from offchain.eth.keys import DEV_MNEMONIC
from offchain.ports import free_port

CHAIN_ID = 1337  # brownie's development chain id, so deployments/1337.json is shared
START_TIMEOUT_S = 30.0
# anvil keeps recent block states in memory and moves older ones to a folder under
# ~/.foundry/anvil/tmp, which it never deletes, not even on a clean exit: one test run left
# 8 GB there (a state per block), and the disk filled within a day of runs. Memory-only
# history keeps the last 500 states (historical reads as far back as that) and writes nothing.
MEMORY_ONLY_HISTORY = ("--max-persisted-states", "0")


def anvil_path() -> str:
    # The platform package's binary itself rather than npm's node wrapper, so that signals
    # (stop, pause) reach the chain and not a wrapper process.
    for binary in sorted((PROJECT_ROOT / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil")):
        return str(binary)
    local = PROJECT_ROOT / "node_modules" / ".bin" / "anvil"
    if local.exists():
        return str(local)
    found = shutil.which("anvil")
    if found is None:
        raise EthError("anvil not found: run `make setup` (it installs @foundry-rs/anvil from npm)")
    return found


def stop_process(process: subprocess.Popen[Any], timeout_s: float = 10.0, group: bool = False) -> None:
    """SIGTERM, then SIGKILL if `process` has not exited within `timeout_s`; reaped either way.

    `group=True` signals the whole process group of a process started with
    `start_new_session=True`: a shell's children (`sh -c "offchain worker ..."`) and their
    own children stop with it instead of living on, re-parented to init.
    """

    def signal_all(sig: int) -> None:
        try:
            os.killpg(process.pid, sig) if group else process.send_signal(sig)
        except ProcessLookupError:
            pass

    if process.poll() is None or group:
        signal_all(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            signal_all(signal.SIGKILL)
            process.wait()
    if group:
        _wait_group_gone(process.pid, timeout_s)


def _wait_group_gone(pgid: int, timeout_s: float) -> None:
    """The group's other members may outlive its leader by a moment: wait, then SIGKILL them."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass
class LocalChain:
    url: str
    port: int
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        stop_process(self.process)


def start_anvil(
    port: int | None = None,
    accounts: int = 10,
    block_time: float | None = None,
    state_file: Path | None = None,
    log_file: Path | None = None,
    base_fee: int | None = None,
    no_mining: bool = False,
) -> LocalChain:
    """Start anvil on a loopback port and wait until it answers JSON-RPC."""
    port = port or free_port()
    cmd = [
        anvil_path(),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--chain-id",
        str(CHAIN_ID),
        "--accounts",
        str(accounts),
        "--mnemonic",
        DEV_MNEMONIC,
        "--silent",
        *MEMORY_ONLY_HISTORY,
    ]
    if block_time:
        cmd += ["--block-time", str(block_time)]
    if base_fee is not None:  # wei per gas of the first block (a public chain's is rarely 1 gwei)
        cmd += ["--block-base-fee-per-gas", str(base_fee)]
    if no_mining:  # automine off: blocks come from evm_mine only
        cmd += ["--no-mining"]
    if state_file is not None:  # loaded at start, written on a graceful stop
        cmd += ["--state", str(state_file)]
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    chain = LocalChain(url=f"http://127.0.0.1:{port}", port=port, process=process)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise EthError(f"anvil exited with code {process.returncode} on port {port}")
        try:
            connect(chain.url)
            return chain
        except RPCUnavailableError:
            if time.monotonic() > deadline:
                chain.stop()
                raise
            time.sleep(0.1)


@contextmanager
def local_chain(**kwargs: object) -> Iterator[LocalChain]:
    chain = start_anvil(**kwargs)  # type: ignore[arg-type]
    try:
        yield chain
    finally:
        chain.stop()
