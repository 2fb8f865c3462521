"""The relayer against a real local chain (anvil) and a ledger node over HTTP: it follows a
3-block ledger reorganisation while running, resumes after kill -9 between batches, and waits
out a ledger node outage and an RPC outage."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from offchain.eth.client import connect
from offchain.eth.deploy import RelayConsensus, deploy_relay
from offchain.eth.keys import dev_private_key
from offchain.eth.localchain import LocalChain, start_anvil
from offchain.eth.relay import RelayClient
from offchain.ledger.block import Block, BlockHeader
from offchain.ledger.chain import Chain
from offchain.ledger.node import Node
from offchain.ledger.params import DEVNET
from offchain.ledger.pow import bits_work
from offchain.roles.relayer import Relayer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "offchain" / "ledger"))
from ledger_helpers import make_block  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
GENESIS = BlockHeader.from_hex(DEVNET.genesis_header_hex)
RELAYER_KEY = dev_private_key(3)
WAIT_S = 60.0


@pytest.fixture(scope="module")
def anvil() -> Iterator[LocalChain]:
    chain = start_anvil()
    yield chain
    chain.stop()


@pytest.fixture
def relay(anvil: LocalChain, tmp_path: Path) -> RelayClient:
    client = connect(anvil.url, dev_private_key(0))
    deployment = deploy_relay(
        client,
        GENESIS.serialize(),
        0,
        bits_work(GENESIS.bits),
        GENESIS.time,
        RelayConsensus(
            DEVNET.retarget_interval,
            DEVNET.target_timespan,
            DEVNET.pow_limit,
            DEVNET.magic,
            DEVNET.max_timewarp_seconds,
        ),
        1,
        tmp_path / "deployments",
    )
    return RelayClient(connect(anvil.url, RELAYER_KEY), deployment.contract("LedgerRelay").address)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[tuple[Chain, Node]]:
    chain = Chain.open(tmp_path / "ledger", "devnet", create=True)
    node = Node(chain).start()
    yield chain, node
    node.stop()
    chain.close()


def _mine(chain: Chain, count: int, parent: Any = None, tag: int = 0) -> list[Block]:
    blocks = []
    for _ in range(count):
        block = make_block(chain, parent, extra_nonce=tag)
        chain.add_block(block)
        parent = chain.get(block.hash)
        blocks.append(block)
    for block in blocks:  # bodies that could not win on arrival kept only their headers: offer them again
        if not chain.get(block.hash).has_data:
            chain.add_block(block)
    return blocks


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _in_step(relay: RelayClient, chain: Chain) -> bool:
    with chain.lock:
        tip = chain.tip()
    return relay.best_tip().hash == tip.hash[::-1].hex()


def test_the_relayer_follows_a_three_block_reorg_while_running(relay, ledger) -> None:  # type: ignore[no-untyped-def]
    chain, node = ledger
    stop = threading.Event()
    relayer = Relayer(relay, node.url, GENESIS.hash_hex, batch=4, log=lambda *a, **k: None)
    thread = threading.Thread(target=relayer.run, kwargs={"stop": stop, "poll_s": 0.1}, daemon=True)
    thread.start()
    try:
        old = _mine(chain, 6)
        _until(lambda: _in_step(relay, chain), "the relay to reach height 6")

        new = _mine(chain, 4, chain.get(old[2].hash), tag=1)  # replaces heights 4-6, one more on top
        assert chain.tip().hash == new[-1].hash
        _until(lambda: _in_step(relay, chain), "the relay to follow the reorganisation")
    finally:
        stop.set()
        thread.join(timeout=10)

    assert relay.best_tip().height == 7
    assert [relay.confirmations(b.hash[::-1].hex()) for b in old[3:]] == [0, 0, 0]
    assert relay.confirmations(old[2].hash[::-1].hex()) == 5


def _start_relayer(anvil: LocalChain, node: Node, deployments: Path, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, OFFCHAIN_PRIVATE_KEY=RELAYER_KEY, PYTHONPATH=str(ROOT))
    cmd = [
        sys.executable,
        "-m",
        "offchain",
        "relay",
        "--ledger",
        node.url,
        "--rpc",
        anvil.url,
        "--deployments",
        str(deployments),
        "--batch",
        "2",
        "--poll",
        "0.1",
    ]
    return subprocess.Popen(cmd, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)  # noqa: SIM115


def test_a_relayer_killed_between_batches_resumes_from_the_contract(anvil, relay, ledger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    chain, node = ledger
    _mine(chain, 24)
    first = _start_relayer(anvil, node, tmp_path / "deployments", tmp_path / "relayer.log")
    try:
        _until(lambda: relay.best_tip().height >= 6, "the first batches")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    stopped_at = relay.best_tip().height
    assert 6 <= stopped_at < 24  # killed mid-way through the 12 batches

    second = _start_relayer(anvil, node, tmp_path / "deployments", tmp_path / "relayer.log")
    try:
        _until(lambda: _in_step(relay, chain), "the restarted relayer to catch up")
    finally:
        second.terminate()
        second.wait(timeout=10)

    assert relay.best_tip().height == 24


def test_the_relayer_waits_out_a_ledger_node_outage(relay, tmp_path) -> None:  # type: ignore[no-untyped-def]
    chain = Chain.open(tmp_path / "outage", "devnet", create=True)
    node = Node(chain).start()
    port = int(node.url.rsplit(":", 1)[1])
    logged: list[str] = []
    relayer = Relayer(relay, node.url, GENESIS.hash_hex, batch=4, log=lambda event, **_: logged.append(event))
    stop = threading.Event()
    thread = threading.Thread(target=relayer.run, kwargs={"stop": stop, "poll_s": 0.1}, daemon=True)
    thread.start()
    try:
        _mine(chain, 3)
        _until(lambda: _in_step(relay, chain), "the relay to reach height 3")
        node.stop()
        _mine(chain, 3)
        _until(lambda: "outage" in logged, "the outage to be noticed")
        node = Node(chain, port=port).start()  # back on the same address
        _until(lambda: _in_step(relay, chain), "the relay to catch up after the outage")
    finally:
        stop.set()
        thread.join(timeout=10)
        node.stop()
        chain.close()

    assert relay.best_tip().height == 6


def test_deploy_one_round_and_status_from_the_command_line(anvil, ledger, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from offchain.cli import main

    chain, node = ledger
    where = ["--rpc", anvil.url, "--deployments", str(tmp_path / "cli-deployments")]
    assert main(["relay", "deploy", "--confirmations", "1", *where]) == 0
    _mine(chain, 3)

    assert main(["relay", "--once", "--ledger", node.url, *where]) == 0
    assert "submitted" in capsys.readouterr().out
    assert main(["relay", "status", "--ledger", node.url, "--json", *where]) == 0
    info = json.loads(capsys.readouterr().out)
    assert main(["relay", "status", "--ledger", node.url, *where]) == 0
    text = capsys.readouterr().out
    assert main(["relay", "status", "--ledger", "http://127.0.0.1:1", *where]) == 0
    offline = capsys.readouterr().out

    assert info["relay"]["height"] == info["ledger"]["height"] == 3 and info["same_tip"]
    assert "in step" in text and info["relay"]["hash"] in text
    assert "unreachable" in offline


def test_the_relayer_waits_out_an_rpc_outage(anvil, relay, ledger) -> None:  # type: ignore[no-untyped-def]
    from netproxy import TcpRelay

    chain, node = ledger
    proxy = TcpRelay(anvil.port)
    through_proxy = RelayClient(connect(proxy.url, RELAYER_KEY), relay.contract.address)
    logged: list[str] = []
    relayer = Relayer(through_proxy, node.url, GENESIS.hash_hex, batch=4, log=lambda event, **_: logged.append(event))
    stop = threading.Event()
    thread = threading.Thread(target=relayer.run, kwargs={"stop": stop, "poll_s": 0.1}, daemon=True)
    thread.start()
    try:
        _mine(chain, 3)
        _until(lambda: _in_step(relay, chain), "the relay to reach height 3")
        cut = threading.Thread(target=proxy.outage, args=(4.0,), daemon=True)
        cut.start()
        _until(lambda: not proxy.up, "the proxy to cut the RPC")
        _mine(chain, 3)  # only now: headers the relayer must send while the RPC is down
        _until(lambda: "outage" in logged, "the RPC outage to be noticed")
        cut.join()
        _until(lambda: _in_step(relay, chain), "the relay to catch up after the outage")
    finally:
        stop.set()
        thread.join(timeout=10)

    assert relay.best_tip().height == 6


class _StoppedClock:
    """The relay as on `make chain` (anvil mining only on transactions): its clock, the EVM's,
    stands at the genesis header's time while the ledger's blocks are stamped after it."""

    def __init__(self, relay: RelayClient) -> None:
        self._relay = relay

    def __getattr__(self, name: str) -> Any:
        return getattr(self._relay, name)

    def time_limit(self) -> int:
        return GENESIS.time


def test_a_relay_whose_clock_stands_still_gets_one_hint_to_mine_an_evm_block(relay, ledger) -> None:  # type: ignore[no-untyped-def]
    chain, node = ledger
    _mine(chain, 2)
    logged: list[tuple[str, dict[str, Any]]] = []
    stopped: Any = _StoppedClock(relay)
    relayer = Relayer(stopped, node.url, GENESIS.hash_hex, log=lambda event, **fields: logged.append((event, fields)))

    assert relayer.sync_once() == 0 and relayer.sync_once() == 0

    assert [event for event, _ in logged] == ["waiting", "hint", "waiting"]  # the hint once, not every round
    assert "offchain chain mine 1" in logged[1][1]["reason"] and "--block-time" in logged[1][1]["reason"]
