"""Reorganisations on the devnet relay, each checked against the Python ledger's own choice."""

import pytest
from ledger_helpers import make_block
from relay_helpers import batch, deliver, h32

from offchain.ledger.chain import Chain


@pytest.fixture
def chain(tmp_path):
    ledger = Chain.open(tmp_path / "ledger", "devnet", create=True)
    yield ledger
    ledger.close()


def _branch(chain, parent, count, spacing=2, tag=0):
    blocks = []
    for _ in range(count):
        block = make_block(chain, parent, spacing=spacing, extra_nonce=tag)
        chain.add_block(block)
        parent = chain.get(block.hash)
        blocks.append(block)
    deliver(chain, blocks)
    return blocks


def _tip(relay):
    tip, height, _ = relay.bestTip()
    return str(tip), int(height)


def test_a_three_block_reorg_moves_the_tip_and_the_confirmations(deploy_devnet, chain, admin):
    relay = deploy_devnet()
    old = _branch(chain, chain.tip(), 5)
    relay.submitHeaders(batch([b.header for b in old]), {"from": admin})
    new = _branch(chain, chain.get(old[1].hash), 4, tag=1)  # forks below the last 3 blocks

    tx = relay.submitHeaders(batch([b.header for b in new]), {"from": admin})

    assert chain.tip().hash == new[-1].hash
    assert _tip(relay) == (h32(new[-1].hash), 6)
    assert int(tx.events["ChainReorganized"]["forkHeight"]) == 2
    assert [relay.confirmations(h32(b.hash)) for b in old] == [6, 5, 0, 0, 0]
    for block in (old[2], new[0]):
        relay.proveMerkleDepth(block.txs[0].serialize(), h32(block.hash), 0, [], {"from": admin})
    assert not relay.verifyTx(h32(old[2].txs[0].txid), h32(old[2].hash), 0, [])
    assert relay.verifyTx(h32(new[0].txs[0].txid), h32(new[0].hash), 0, [])


def test_a_shorter_branch_with_more_work_wins(deploy_devnet, chain, admin):
    relay = deploy_devnet()
    genesis = chain.tip()
    slow = _branch(chain, genesis, 14, spacing=6)  # difficulty stays at the limit
    relay.submitHeaders(batch([b.header for b in slow]), {"from": admin})
    fast = _branch(chain, genesis, 12, spacing=1, tag=1)  # the retarget at 10 makes blocks harder

    relay.submitHeaders(batch([b.header for b in fast]), {"from": admin})

    assert chain.tip().hash == fast[-1].hash and chain.tip().height == 12
    assert _tip(relay) == (h32(fast[-1].hash), 12)
    assert relay.confirmations(h32(slow[-1].hash)) == 0  # heights 13 and 14 left the main chain
    assert relay.bestTip()[2] == chain.tip().chain_work


def test_the_relay_can_return_to_a_branch_it_left(deploy_devnet, chain, admin):
    relay = deploy_devnet()
    a = _branch(chain, chain.tip(), 3)
    relay.submitHeaders(batch([b.header for b in a]), {"from": admin})
    b = _branch(chain, chain.get(a[0].hash), 3, tag=1)
    relay.submitHeaders(batch([x.header for x in b]), {"from": admin})
    assert _tip(relay) == (h32(b[-1].hash), 4)

    more = _branch(chain, chain.get(a[-1].hash), 2, tag=2)  # a's old blocks now carry links
    relay.submitHeaders(batch([x.header for x in more]), {"from": admin})

    assert chain.tip().hash == more[-1].hash
    assert _tip(relay) == (h32(more[-1].hash), 5)
    assert [relay.confirmations(h32(x.hash)) for x in a + more] == [5, 4, 3, 2, 1]
    assert [relay.confirmations(h32(x.hash)) for x in b] == [0, 0, 0]


def test_a_side_branch_with_equal_work_does_not_move_the_tip(deploy_devnet, chain, admin):
    relay = deploy_devnet()
    a = _branch(chain, chain.tip(), 3)
    relay.submitHeaders(batch([x.header for x in a]), {"from": admin})
    b = _branch(chain, chain.get(a[0].hash), 2, tag=1)

    tx = relay.submitHeaders(batch([x.header for x in b]), {"from": admin})

    assert chain.tip().hash == a[-1].hash
    assert _tip(relay) == (h32(a[-1].hash), 3)
    assert "ChainReorganized" not in tx.events


def test_confirmations_in_work_follow_the_ledgers_chain_work(deploy_devnet, chain, admin):
    relay = deploy_devnet()
    old = _branch(chain, chain.tip(), 30, spacing=1)  # 1 s: difficulty rises at the retarget
    relay.submitHeaders(batch([b.header for b in old]), {"from": admin})
    tip = chain.tip()

    for block in (old[0], old[12], old[-1]):
        below = chain.get(block.header.prev_hash).chain_work
        assert relay.confirmationWork(h32(block.hash)) == tip.chain_work - below

    new = _branch(chain, chain.get(old[9].hash), 30, spacing=1, tag=1)
    relay.submitHeaders(batch([b.header for b in new]), {"from": admin})
    assert chain.tip().hash == new[-1].hash
    assert relay.confirmationWork(h32(old[-1].hash)) == 0  # off the main chain: no work above it
    below = chain.get(old[9].hash).chain_work
    assert relay.confirmationWork(h32(new[0].hash)) == chain.tip().chain_work - below
