"""The relay under Bitcoin's parameters, on real mainnet headers (data/bitcoin_relay_vectors.json,
each vector also checked by the Python ledger in tests/offchain/relay/test_relay_vectors.py)."""

import brownie
import pytest
from errors import err
from relay_helpers import batch, h32

from offchain.ledger.block import BlockHeader
from offchain.ledger.params import BITCOIN
from offchain.ledger.pow import calculate_next_bits


def _hash(hex_header):
    return BlockHeader.from_hex(hex_header).hash


def _tip(relay):
    tip, height, _ = relay.bestTip()
    return str(tip), int(height)


def test_relay_accepts_the_headers_across_the_retarget_at_554400(deploy_bitcoin, vectors, admin):
    case = vectors["retarget_554400"]
    relay = deploy_bitcoin(case)

    tx = relay.submitHeaders(batch(case["headers"]), {"from": admin})

    assert _tip(relay) == (h32(_hash(case["headers"][-1])), 554408)
    assert tx.events["HeadersAdded"]["count"] == 18


def test_confirmations_count_from_the_tip(deploy_bitcoin, vectors, admin):
    case = vectors["retarget_554400"]
    relay = deploy_bitcoin(case)

    relay.submitHeaders(batch(case["headers"]), {"from": admin})

    assert relay.confirmations(h32(_hash(case["headers"][-1]))) == 1
    assert relay.confirmations(h32(_hash(case["checkpoint"]["hex"]))) == 19
    assert relay.confirmations(h32(bytes(32))) == 0


def test_a_wrong_period_start_is_rejected_at_the_retarget(deploy_bitcoin, vectors, admin):
    case = vectors["retarget_554400"]
    start = BlockHeader.from_hex(case["checkpoint"]["hex"]).time  # 554390's time, not 552384's
    relay = deploy_bitcoin(case, period_start_time=start)

    parent = BlockHeader.from_hex(case["headers"][8])  # 554399, the last block of the period
    wrong = calculate_next_bits(parent.bits, start, parent.time, BITCOIN.target_timespan, BITCOIN.pow_limit)

    with brownie.reverts(err("LedgerRelayUnexpectedBits", 9, 0x17371EF4, wrong)):
        relay.submitHeaders(batch(case["headers"]), {"from": admin})


@pytest.mark.parametrize("name", ["retarget_554400", "fork_437478"])
def test_every_single_bit_flip_of_every_header_is_rejected(deploy_bitcoin, vectors, probe, admin, name):
    case = vectors[name]
    relay = deploy_bitcoin(case)

    for header in case["headers"]:
        raw = bytes.fromhex(header)
        assert relay.submitHeaders.call(raw, {"from": admin}) == []  # the unflipped header is accepted
        assert probe.acceptedFlips.call(relay, raw) == 0
        relay.submitHeaders(raw, {"from": admin})


def test_a_gap_in_a_batch_is_a_broken_link(deploy_bitcoin, vectors, admin):
    case = vectors["retarget_554400"]
    relay = deploy_bitcoin(case)

    with brownie.reverts(err("LedgerRelayBrokenLink", 1)):
        relay.submitHeaders(batch(case["headers"][0:1] + case["headers"][2:3]), {"from": admin})


def test_a_header_with_an_unknown_parent_is_rejected(deploy_bitcoin, vectors, admin):
    case = vectors["retarget_554400"]
    relay = deploy_bitcoin(case)
    parent = BlockHeader.from_hex(case["headers"][1]).prev_hash

    with brownie.reverts(err("LedgerRelayUnknownParent", h32(parent))):
        relay.submitHeaders(batch(case["headers"][1:3]), {"from": admin})


def test_a_batch_that_is_not_whole_headers_is_rejected(deploy_bitcoin, vectors, admin):
    relay = deploy_bitcoin(vectors["retarget_554400"])

    with brownie.reverts(err("LedgerRelayBadLength", 79)):
        relay.submitHeaders(bytes(79), {"from": admin})


def test_the_relay_follows_the_heavier_branch_past_the_stale_block_437478(deploy_bitcoin, vectors, admin):
    case = vectors["fork_437478"]
    main, stale = case["headers"], case["stale"]["hex"]
    relay = deploy_bitcoin(case)
    relay.submitHeaders(batch(main[:11]), {"from": admin})  # 437467..437477, across the retarget at 437472

    relay.submitHeaders(batch([stale]), {"from": admin})  # seen first: the tip
    relay.submitHeaders(batch([main[11]]), {"from": admin})  # equal work: stays a side block
    assert relay.bestTip()[0] == h32(_hash(stale))
    assert relay.confirmations(h32(_hash(main[11]))) == 0
    tx = relay.submitHeaders(batch([main[12]]), {"from": admin})  # 437479 makes the real branch heavier

    assert _tip(relay) == (h32(_hash(main[12])), 437479)
    event = tx.events["ChainReorganized"]
    assert (str(event["oldTip"]), str(event["newTip"]), int(event["forkHeight"])) == (
        h32(_hash(stale)),
        h32(_hash(main[12])),
        437477,
    )
    assert relay.confirmations(h32(_hash(main[11]))) == 2
    assert relay.confirmations(h32(_hash(stale))) == 0


def test_resubmitted_headers_change_nothing(deploy_bitcoin, vectors, admin):
    case = vectors["fork_437478"]
    relay = deploy_bitcoin(case)
    relay.submitHeaders(batch(case["headers"][:5]), {"from": admin})

    relay.submitHeaders(batch(case["headers"][:5]), {"from": admin})

    assert _tip(relay) == (h32(_hash(case["headers"][4])), 437471)
