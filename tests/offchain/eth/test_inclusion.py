"""The inclusion delay a connection measures on anvil in interval mining (`anvil --block-time`),
and the windows it names as too short (issue 25)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from offchain.eth.client import Client, connect
from offchain.eth.inclusion import DELAYS, SAFE_MULTIPLE
from offchain.eth.localchain import LocalChain, start_anvil

BLOCK_S = 2
ZERO = "0x" + "00" * 20


@pytest.fixture(scope="module")
def chain() -> Iterator[LocalChain]:
    chain = start_anvil(block_time=BLOCK_S)
    yield chain
    chain.stop()


def _right_after_a_block(client: Client) -> None:
    """Wait for a new block: a transaction sent now waits about a whole block for the next."""
    head = client.w3.eth.block_number
    while client.w3.eth.block_number == head:
        time.sleep(0.02)


def test_a_connection_measures_the_block_interval_and_names_the_windows_too_short_for_it(chain: LocalChain) -> None:
    client = connect(chain.url)
    assert DELAYS.measured(client.w3) is None
    assert DELAYS.short_windows(client.w3, {"commit window": 1}) == []  # nothing measured, nothing named

    _right_after_a_block(client)
    registry, _ = client.deploy("ModelRegistry", client.address, ZERO)
    _right_after_a_block(client)
    client.transact(registry.functions.register(b"\x01" * 32, bytes(32), bytes(32), 0, "x"))

    delay = DELAYS.measured(client.w3)
    assert delay is not None and BLOCK_S / 2 < delay < 3 * BLOCK_S
    short = DELAYS.short_windows(client.w3, {"commit window": SAFE_MULTIPLE * BLOCK_S / 2, "reveal window": 600})
    assert len(short) == 1 and short[0].startswith(f"the commit window ({SAFE_MULTIPLE * BLOCK_S // 2} s) is shorter")
