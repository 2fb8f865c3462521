"""verifyTx on the real SPV proof of transaction 74d6d6dc... at index 26 of block 592920."""

import brownie
import pytest
from relay_helpers import h32

from offchain.ledger.block import BlockHeader
from offchain.ledger.hashing import hex_to_hash
from offchain.ledger.merkle import branch_root


@pytest.fixture(scope="module")
def spv(vectors):
    return vectors["spv_592920"]


@pytest.fixture(scope="module")
def proof_args(spv):
    return [
        h32(hex_to_hash(spv["txid"])),
        h32(hex_to_hash(spv["block_hash"])),
        spv["index"],
        [h32(hex_to_hash(h)) for h in spv["branch"]],
    ]


@pytest.fixture(scope="module")
def relay_at(deploy_bitcoin, spv, admin):
    def deploy(confirmations=1, depth_proven=True):
        header = BlockHeader.from_hex(spv["header"])
        # The period start matters only at the retarget at 594432, which these tests never reach.
        case = {"checkpoint": {"hex": spv["header"], "height": spv["height"]}, "period_start": {"hex": spv["header"]}}
        relay = deploy_bitcoin(case, period_start_time=header.time, confirmations=confirmations)
        if depth_proven:
            _prove_depth(relay, spv, admin)
        return relay

    return deploy


def test_the_real_proof_verifies(relay_at, proof_args):
    relay = relay_at()

    assert relay.verifyTx(*proof_args)


def test_a_wrong_index_is_rejected(relay_at, proof_args):
    relay = relay_at()

    for index in (25, 27, 26 + 4096, 26 | 1 << 12):
        assert not relay.verifyTx(proof_args[0], proof_args[1], index, proof_args[3])


def test_a_tampered_branch_is_rejected(relay_at, proof_args):
    relay = relay_at()
    branch = proof_args[3]

    for level in range(len(branch)):
        tampered = list(branch)
        tampered[level] = "0x" + bytes([int(branch[level][2:4], 16) ^ 1]).hex() + branch[level][4:]
        assert not relay.verifyTx(proof_args[0], proof_args[1], proof_args[2], tampered)
    assert not relay.verifyTx(proof_args[0], proof_args[1], proof_args[2], branch[:-1])


def test_a_different_txid_is_rejected(relay_at, proof_args):
    relay = relay_at()

    assert not relay.verifyTx(h32(bytes(32)), *proof_args[1:])


def test_a_block_without_enough_confirmations_is_rejected(relay_at, proof_args):
    relay = relay_at(confirmations=2)

    assert not relay.verifyTx(*proof_args)


def _inner_node(spv, levels):
    """The Merkle node `levels` above the transaction, its index at that level and the rest of
    its branch: what an attacker presents as a "transaction" (issue 21, hole 7)."""
    branch = [hex_to_hash(h) for h in spv["branch"]]
    index = spv["index"]
    node = branch_root(hex_to_hash(spv["txid"]), index % (1 << levels), branch[:levels])
    return node, index >> levels, branch[levels:]


def _prove_depth(relay, spv, admin):
    branch = [h32(hex_to_hash(h)) for h in spv["branch"]]
    return relay.proveMerkleDepth(
        bytes.fromhex(spv["tx"]), h32(hex_to_hash(spv["block_hash"])), spv["index"], branch, {"from": admin}
    )


def test_a_proof_verifies_only_once_the_blocks_depth_is_proven(relay_at, proof_args, spv, admin):
    relay = relay_at(depth_proven=False)
    assert not relay.verifyTx(*proof_args)

    tx = _prove_depth(relay, spv, admin)

    assert relay.verifyTx(*proof_args)
    assert list(relay.merkleDepth(proof_args[1])) == [True, 12]
    assert tx.events["MerkleDepthProven"]["blockHash"] == proof_args[1]
    assert tx.events["MerkleDepthProven"]["depth"] == 12


def test_an_inner_node_posing_as_a_transaction_is_refused(relay_at, spv):
    relay = relay_at()
    block = h32(hex_to_hash(spv["block_hash"]))

    for levels in range(1, 13):
        node, index, rest = _inner_node(spv, levels)
        assert not relay.verifyTx(h32(node), block, index, [h32(h) for h in rest])


def test_an_inner_nodes_64_byte_preimage_cannot_prove_a_shorter_depth(relay_at, spv, admin):
    relay = relay_at(depth_proven=False)
    branch = [hex_to_hash(h) for h in spv["branch"]]
    index = spv["index"]
    # Level 1 of the tree: the transaction's node and its sibling, 64 bytes that hash to their parent.
    pair = branch[0] + hex_to_hash(spv["txid"]) if index & 1 else hex_to_hash(spv["txid"]) + branch[0]

    with brownie.reverts():
        relay.proveMerkleDepth(
            pair, h32(hex_to_hash(spv["block_hash"])), index >> 1, [h32(h) for h in branch[1:]], {"from": admin}
        )

    assert list(relay.merkleDepth(h32(hex_to_hash(spv["block_hash"])))) == [False, 0]


def test_a_depth_proof_with_a_wrong_branch_reverts(relay_at, spv, admin):
    relay = relay_at(depth_proven=False)
    branch = [h32(hex_to_hash(h)) for h in spv["branch"]]

    with brownie.reverts():
        relay.proveMerkleDepth(
            bytes.fromhex(spv["tx"]), h32(hex_to_hash(spv["block_hash"])), spv["index"], branch[:-1], {"from": admin}
        )
