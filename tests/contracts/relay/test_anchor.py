"""verifyAnchor: a ledger anchor transaction, proven in a relayed devnet block, yields the payload
and the account the Python ledger recovers from its signature."""

import hashlib

import brownie
import pytest
from errors import err
from ledger_helpers import ALICE, ALICE_KEY, fund, make_block, min_fee
from relay_helpers import batch, h32

from offchain.ledger.chain import Chain
from offchain.ledger.merkle import merkle_branch
from offchain.ledger.params import DEVNET
from offchain.ledger.tx import KIND_ANCHOR, SECP256K1_N, Transaction, sign

ANCHORS = 5


@pytest.fixture(scope="module")
def anchored(tmp_path_factory):
    """A devnet block holding a coinbase and five anchors by Alice, with one block on top."""
    chain = Chain.open(tmp_path_factory.mktemp("ledger"), "devnet", create=True)
    funding = fund(chain, ALICE)  # the anchors pay the minimum fee from a matured coinbase
    fee = min_fee(chain)
    txs = [
        sign(
            Transaction(
                kind=KIND_ANCHOR, nonce=i, fee=fee, payload=hashlib.sha256(b"set %d" % i).digest(), tag=f"d{i}"
            ),
            ALICE_KEY,
            DEVNET.magic,
        )
        for i in range(ANCHORS)
    ]
    block = make_block(chain, txs=txs)
    chain.add_block(block)
    top = make_block(chain)
    chain.add_block(top)
    chain.close()
    return block, top, [b.header for b in funding]


@pytest.fixture
def relay(deploy_devnet, anchored, admin):
    contract = deploy_devnet(2)
    block, top, funding = anchored
    contract.submitHeaders(batch([*funding, block.header, top.header]), {"from": admin})
    return contract


def _proof(block, index):
    return h32(block.hash), index, [h32(h) for h in merkle_branch(block.txids(), index)]


def test_each_anchor_yields_its_payload_and_signer(relay, anchored):
    block, _, _ = anchored

    for index in range(1, ANCHORS + 1):
        tx = block.txs[index]
        assert relay.verifyAnchor(tx.serialize(), *_proof(block, index)) == (h32(tx.payload), "0x" + ALICE.hex())


def test_an_anchor_at_the_wrong_index_is_unproven(relay, anchored):
    block, _, _ = anchored
    raw = block.txs[1].serialize()

    with brownie.reverts(err("LedgerRelayUnproven", h32(block.txs[1].txid), h32(block.hash))):
        relay.verifyAnchor(raw, *_proof(block, 2))


def test_a_tampered_payload_is_unproven(relay, anchored):
    block, _, _ = anchored
    raw = bytearray(block.txs[1].serialize())
    raw[20] ^= 1  # inside the payload

    with brownie.reverts(
        err("LedgerRelayUnproven", h32(hashlib.sha256(hashlib.sha256(raw).digest()).digest()), h32(block.hash))
    ):
        relay.verifyAnchor(bytes(raw), *_proof(block, 1))


def test_an_anchor_without_enough_confirmations_is_unproven(deploy_devnet, anchored, admin):
    block, top, funding = anchored
    relay = deploy_devnet(3)
    relay.submitHeaders(batch([*funding, block.header, top.header]), {"from": admin})

    with brownie.reverts(err("LedgerRelayUnproven", h32(block.txs[1].txid), h32(block.hash))):
        relay.verifyAnchor(block.txs[1].serialize(), *_proof(block, 1))


def test_a_coinbase_is_not_an_anchor(relay, anchored):
    block, _, _ = anchored

    with brownie.reverts("LedgerRelayMalformedAnchor: "):
        relay.verifyAnchor(block.txs[0].serialize(), *_proof(block, 0))


def test_a_high_s_signature_is_malformed(relay, anchored):
    block, _, _ = anchored
    raw = bytearray(block.txs[1].serialize())
    s = int.from_bytes(raw[-33:-1], "big")
    raw[-33:-1] = (SECP256K1_N - s).to_bytes(32, "big")  # the malleable twin the ledger refuses
    raw[-1] ^= 1

    with brownie.reverts("LedgerRelayMalformedAnchor: "):
        relay.verifyAnchor(bytes(raw), *_proof(block, 1))


def test_a_tag_with_a_forbidden_character_is_malformed(relay, anchored):
    block, _, _ = anchored
    raw = bytearray(block.txs[1].serialize())
    raw[50] = ord(" ")

    with brownie.reverts("LedgerRelayMalformedAnchor: "):
        relay.verifyAnchor(bytes(raw), *_proof(block, 1))
