"""offchain/sealed against the known-answer vectors (tests/contracts/sealed checks the contract
against the same file)."""

from __future__ import annotations

from sealed_vectors import VECTORS, point, proof

from offchain.sealed import merkle
from offchain.sealed.cipher import xor_chunk
from offchain.sealed.curve import open_envelope
from offchain.sealed.dleq import verify
from offchain.sealed.keys import key_commitment

KEY = bytes.fromhex(VECTORS["key"])


def test_the_chunk_encrypts_to_the_vector() -> None:
    assert xor_chunk(KEY, VECTORS["index"], bytes.fromhex(VECTORS["plain"])).hex() == VECTORS["cipher"]


def test_leaves_commitment_and_tree_match_the_vectors() -> None:
    cipher, plain = bytes.fromhex(VECTORS["cipher"]), bytes.fromhex(VECTORS["plain"])
    assert merkle.cipher_leaf(cipher).hex() == VECTORS["cipher_leaf"]
    assert merkle.plain_leaf(KEY, VECTORS["index"], plain).hex() == VECTORS["plain_leaf"]
    assert key_commitment(KEY).hex() == VECTORS["key_commitment"]
    leaves = [bytes.fromhex(leaf) for leaf in VECTORS["tree_leaves"]]
    assert merkle.root(leaves).hex() == VECTORS["tree_root"]
    assert [n.hex() for n in merkle.branch(merkle.levels(leaves), 4)] == VECTORS["branch_of_4"]


def test_the_envelope_opens_and_the_proof_verifies() -> None:
    assert open_envelope(bytes.fromhex(VECTORS["envelope"]), point(VECTORS["shared"])) == KEY
    assert verify(point(VECTORS["member_key"]), point(VECTORS["worker_point"]), proof())
