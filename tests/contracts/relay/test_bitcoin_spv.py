"""verifyTx on the real SPV proof of transaction 74d6d6dc... at index 26 of block 592920."""

import pytest
from relay_helpers import h32

from offchain.ledger.block import BlockHeader
from offchain.ledger.hashing import hex_to_hash


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
def relay_at(deploy_bitcoin, spv):
    def deploy(confirmations=1):
        header = BlockHeader.from_hex(spv["header"])
        # The period start matters only at the retarget at 594432, which these tests never reach.
        case = {"checkpoint": {"hex": spv["header"], "height": spv["height"]}, "period_start": {"hex": spv["header"]}}
        return deploy_bitcoin(case, period_start_time=header.time, confirmations=confirmations)

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
