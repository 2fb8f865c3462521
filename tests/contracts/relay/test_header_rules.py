"""Header rules the relay shares with the ledger beyond work and bits: BIP94's time-warp limit
(the devnet's) and a version floor."""

import brownie
import pytest
from conftest import consensus
from errors import err
from ledger_helpers import make_block
from relay_helpers import batch

from offchain.ledger.block import BlockHeader
from offchain.ledger.chain import Chain
from offchain.ledger.errors import TimeTooOld
from offchain.ledger.params import DEVNET
from offchain.ledger.pow import bits_work


@pytest.fixture
def chain(tmp_path):
    ledger = Chain.open(tmp_path / "ledger", "devnet", create=True)
    yield ledger
    ledger.close()


def test_a_period_start_stamped_below_its_parent_is_a_time_warp(deploy_devnet, chain, admin):
    relay = deploy_devnet()
    blocks = []
    for _ in range(9):
        blocks.append(make_block(chain))
        chain.add_block(blocks[-1])
    relay.submitHeaders(batch([b.header for b in blocks]), {"from": admin})
    parent = chain.tip()
    warp = make_block(chain, parent, spacing=-(DEVNET.max_timewarp_seconds + 1))  # height 10 starts a period

    with pytest.raises(TimeTooOld):
        chain.add_block(warp)
    with brownie.reverts(err("LedgerRelayTimeWarp", 0, warp.header.time, parent.header.time)):
        relay.submitHeaders(batch([warp.header]), {"from": admin})


def test_a_period_start_within_the_limit_is_accepted(deploy_devnet, chain, admin):
    relay = deploy_devnet()
    blocks = []
    for _ in range(9):
        blocks.append(make_block(chain))
        chain.add_block(blocks[-1])
    blocks.append(make_block(chain, spacing=-DEVNET.max_timewarp_seconds))
    chain.add_block(blocks[-1])

    relay.submitHeaders(batch([b.header for b in blocks]), {"from": admin})

    assert relay.bestTip()[1] == 10 == chain.tip().height


def test_a_header_below_the_version_floor_is_rejected(LedgerRelay, chain, admin):
    genesis = BlockHeader.from_hex(DEVNET.genesis_header_hex)
    relay = LedgerRelay.deploy(
        genesis.serialize(),
        0,
        bits_work(genesis.bits),
        genesis.time,
        consensus(DEVNET, min_version=2),
        1,
        {"from": admin},
    )
    block = make_block(chain)  # devnet headers are version 1

    with brownie.reverts(err("LedgerRelayBadVersion", 0, 1)):
        relay.submitHeaders(batch([block.header]), {"from": admin})
