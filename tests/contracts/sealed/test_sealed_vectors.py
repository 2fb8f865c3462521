"""The libraries against the known-answer vectors offchain/sealed is checked against
(tests/offchain/sealed/data/sealed_vectors.json; make_vectors.py beside it regenerates it)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "offchain" / "sealed"))  # sealed_vectors

from sealed_vectors import VECTORS, point, proof  # noqa: E402

KEY = bytes.fromhex(VECTORS["key"])


def _xy(p):
    return (p.x, p.y)


def test_the_chunk_decrypts_to_the_vector_on_chain(probe):
    cipher = bytes.fromhex(VECTORS["cipher"])

    assert bytes(probe.decryptChunk(KEY, VECTORS["index"], cipher)).hex() == VECTORS["plain"]


def test_leaves_commitment_and_branch_match_the_vectors_on_chain(probe):
    cipher, plain = bytes.fromhex(VECTORS["cipher"]), bytes.fromhex(VECTORS["plain"])

    assert bytes(probe.cipherLeaf(cipher)).hex() == VECTORS["cipher_leaf"]
    assert bytes(probe.plainLeaf(KEY, VECTORS["index"], plain)).hex() == VECTORS["plain_leaf"]
    assert bytes(probe.keyCommitment(KEY)).hex() == VECTORS["key_commitment"]
    leaf = bytes.fromhex(VECTORS["tree_leaves"][4])
    assert bytes(probe.rootOf(leaf, 4, VECTORS["branch_of_4"])).hex() == VECTORS["tree_root"]


def test_the_envelope_opens_and_the_proof_verifies_on_chain(probe):
    assert bytes(probe.openEnvelope(bytes.fromhex(VECTORS["envelope"]), _xy(point(VECTORS["shared"])))) == KEY
    assert probe.verifyShared(_xy(point(VECTORS["member_key"])), _xy(point(VECTORS["worker_point"])), proof().as_args())
