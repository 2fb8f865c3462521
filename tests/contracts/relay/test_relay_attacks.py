"""Attacks on the relay (issue 21), each seen succeeding on the relay before its guard:
a clock that `chain warp` moves, headers at or below the median time past, a branch too deep
to return from (the relay pinned for good), a cheap low-difficulty branch stored beside the
tip, and a negative version read as a large one."""

from dataclasses import replace

import brownie
import pytest
from brownie import chain as evm
from conftest import consensus
from errors import err
from ledger_helpers import solve
from relay_helpers import batch, h32, mine_headers

from offchain.ledger.block import BlockHeader
from offchain.ledger.params import DEVNET
from offchain.ledger.pow import bits_work, decode_bits
from offchain.ledger.validation import median_time_past

TX_GAS = 12_000_000  # the dev chain's block gas limit (brownie-config), inside the 30M a transaction
GENESIS = BlockHeader.from_hex(DEVNET.genesis_header_hex)


def _submit(relay, headers, sender, per_tx=200):
    """Submit `headers` in batches; returns the transactions."""
    txs = []
    for start in range(0, len(headers), per_tx):
        txs.append(relay.submitHeaders(batch(headers[start : start + per_tx]), {"from": sender, "gas_limit": TX_GAS}))
    return txs


def test_a_header_stamped_past_the_clocks_limit_is_rejected(deploy_devnet, admin):
    relay = deploy_devnet()
    limit = relay.clock() + DEVNET.max_future_seconds
    (early,) = mine_headers(DEVNET, [GENESIS], 1, spacing=limit - 60 - GENESIS.time)
    (late,) = mine_headers(DEVNET, [GENESIS], 1, spacing=limit + 60 - GENESIS.time, tag=1)

    relay.submitHeaders(batch([early]), {"from": admin})

    # The limit is the relay's clock in the transaction's own block, which may be a second or
    # two after the call that reads it here (a loaded machine): any of those is the same rule.
    limit = relay.clock() + DEVNET.max_future_seconds
    with pytest.raises(brownie.exceptions.VirtualMachineError) as reverted:
        relay.submitHeaders(batch([late]), {"from": admin})
    assert reverted.value.revert_msg in {err("LedgerRelayTimeTooNew", 0, late.time, limit + d) for d in range(3)}


def test_a_warp_of_the_evm_clock_does_not_move_the_relays(deploy_devnet, admin):
    relay = deploy_devnet()
    before = relay.clock()
    (ahead,) = mine_headers(DEVNET, [GENESIS], 1, spacing=before + 3600 - GENESIS.time)

    evm.sleep(7200)  # what `offchain chain warp 7200` does: block.timestamp two hours on
    evm.mine(1)

    assert relay.clock() <= before + 2 * 12  # two EVM blocks at 12 s: the relay trusts no more
    with brownie.reverts():
        relay.submitHeaders(batch([ahead]), {"from": admin})


def test_a_header_at_the_median_time_past_is_rejected(deploy_devnet, admin):
    relay = deploy_devnet()
    honest = mine_headers(DEVNET, [GENESIS], 11)  # heights 1..11, 2 s apart
    relay.submitHeaders(batch(honest), {"from": admin})
    median = median_time_past([h.time for h in [GENESIS, *honest]])
    (stale,) = mine_headers(DEVNET, [GENESIS, *honest], 1, spacing=median - honest[-1].time)

    with brownie.reverts(err("LedgerRelayTimeTooOld", 0, stale.time, median)):
        relay.submitHeaders(batch([stale]), {"from": admin})


def test_a_header_just_above_the_median_time_past_is_accepted(deploy_devnet, admin):
    relay = deploy_devnet()
    honest = mine_headers(DEVNET, [GENESIS], 11)
    relay.submitHeaders(batch(honest), {"from": admin})
    median = median_time_past([h.time for h in [GENESIS, *honest]])
    (late,) = mine_headers(DEVNET, [GENESIS, *honest], 1, spacing=median + 1 - honest[-1].time)

    relay.submitHeaders(batch([late]), {"from": admin})

    assert relay.bestTip()[1] == 12


def test_a_cheap_branch_from_genesis_is_refused_beside_an_expensive_tip(deploy_devnet, admin):
    relay = deploy_devnet()
    honest = mine_headers(DEVNET, [GENESIS], 50, spacing=1)  # five retargets, each ~2.2x harder
    relay.submitHeaders(batch(honest), {"from": admin})
    (cheap,) = mine_headers(DEVNET, [GENESIS], 1, tag=1)  # the limit's difficulty: 512 hashes

    with brownie.reverts(err("LedgerRelayWorkTooLow", 0, cheap.bits)):
        relay.submitHeaders(batch([cheap]), {"from": admin})


def test_a_branch_within_sixteen_times_the_tips_target_is_stored(deploy_devnet, admin):
    relay = deploy_devnet()
    honest = mine_headers(DEVNET, [GENESIS], 50, spacing=1)
    relay.submitHeaders(batch(honest), {"from": admin})
    parent = honest[29]  # height 30: three retargets below the tip
    assert decode_bits(parent.bits).target <= decode_bits(honest[-1].bits).target << 4

    side = mine_headers(DEVNET, [GENESIS, *honest[:30]], 1, spacing=1, tag=1)
    relay.submitHeaders(batch(side), {"from": admin})

    known, height = relay.heightOf(h32(side[0].hash))
    assert known and height == 31


def test_a_negative_version_is_below_every_floor(LedgerRelay, admin):
    relay = LedgerRelay.deploy(
        GENESIS.serialize(),
        0,
        bits_work(GENESIS.bits),
        GENESIS.time,
        consensus(DEVNET, min_version=2),
        1,
        {"from": admin},
    )
    (header,) = mine_headers(DEVNET, [GENESIS], 1)
    negative = solve(replace(header, version=0x80000002))  # int32: -2147483646, as Core reads it

    with brownie.reverts(err("LedgerRelayBadVersion", 0, 0x80000002)):
        relay.submitHeaders(batch([negative]), {"from": admin})


@pytest.mark.parametrize("depth", [1_200, 5_000])
def test_the_relay_returns_from_a_deep_attackers_branch(deploy_devnet, admin, depth):
    relay = deploy_devnet()
    base = mine_headers(DEVNET, [GENESIS], 20, spacing=3)  # 3 s: difficulty stays at the limit
    relay.submitHeaders(batch(base), {"from": admin})
    chain = [GENESIS, *base]
    attack = mine_headers(DEVNET, chain, depth, spacing=3, tag=1)
    _submit(relay, attack, admin, per_tx=200)
    assert relay.bestTip()[0] == h32(attack[-1].hash)  # the attacker's branch leads
    honest = mine_headers(DEVNET, chain, depth + 1, spacing=3, tag=2)
    honest, last = honest[:-1], honest[-1]

    txs = _submit(relay, honest, admin, per_tx=100)
    txs += _submit(relay, [last], admin)  # this header makes the honest branch heavier
    assert relay.reorganizing()[0]  # deeper than one transaction rewrites
    assert relay.confirmations(h32(base[0].hash)) == 0  # nothing is proven while it is pending
    assert relay.confirmationWork(h32(base[0].hash)) == 0
    with brownie.reverts(err("LedgerRelayReorganizing", relay.reorganizing()[1])):
        relay.submitHeaders(batch([last]), {"from": admin})
    while relay.reorganizing()[0]:
        txs.append(relay.resumeReorganization({"from": admin, "gas_limit": TX_GAS}))

    assert max(tx.gas_used for tx in txs) <= TX_GAS
    per_height = (txs[-2].gas_used - 21_000) / relay.REORG_STEP()  # a full step of resumeReorganization
    assert per_height <= 40_000  # bounded cost per block of depth
    tip, height, _ = relay.bestTip()
    assert (str(tip), int(height)) == (h32(last.hash), 20 + depth + 1)
    assert relay.confirmations(h32(attack[0].hash)) == 0
    assert relay.confirmations(h32(attack[-1].hash)) == 0
    assert relay.confirmations(h32(honest[0].hash)) == depth + 1
    assert relay.confirmations(h32(base[-1].hash)) == depth + 2
    assert txs[-1].events["ChainReorganized"]["forkHeight"] == 20
