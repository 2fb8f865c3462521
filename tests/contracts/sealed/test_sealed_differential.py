"""SealedCipher and SealedCurve against offchain/sealed, bit for bit, on random inputs."""

import dataclasses
import os
import random

from offchain.sealed import merkle
from offchain.sealed.cipher import xor_chunk
from offchain.sealed.curve import N, P, Point, new_key_pair, open_envelope, shared_point
from offchain.sealed.dleq import prove
from offchain.sealed.keys import key_commitment


def test_a_chunk_decrypts_on_chain_as_off_chain_at_every_length(probe):
    key = os.urandom(32)
    for length in (1, 5, 31, 32, 33, 64, 500, 1023, 1024):
        chunk = os.urandom(length)
        index = random.randrange(50_000)

        assert bytes(probe.decryptChunk(key, index, chunk)) == xor_chunk(key, index, chunk), length


def test_leaves_and_the_key_commitment_match(probe):
    key, chunk = os.urandom(32), os.urandom(777)

    assert bytes(probe.cipherLeaf(chunk)) == merkle.cipher_leaf(chunk)
    assert bytes(probe.plainLeaf(key, 41, chunk)) == merkle.plain_leaf(key, 41, chunk)
    assert bytes(probe.keyCommitment(key)) == key_commitment(key)


def test_every_branch_of_small_trees_leads_to_the_same_root(probe):
    for n in (1, 2, 3, 5, 8, 11):
        leaves = [os.urandom(32) for _ in range(n)]
        tree = merkle.levels(leaves)
        assert probe.depth(n) == merkle.depth(n)
        for i in range(n):
            assert bytes(probe.rootOf(leaves[i], i, merkle.branch(tree, i))) == tree[-1][0], (n, i)


def test_key_ids_are_the_points_addresses(probe):
    pair = new_key_pair()

    assert probe.id((pair.public.x, pair.public.y)).lower() == "0x" + pair.public.key_id().hex()


def test_usable_points_are_exactly_the_ones_offchain_accepts(probe):
    pair = new_key_pair().public
    cases = [pair, Point(pair.x, pair.y ^ 1), Point(0, 0), Point(pair.x, P - pair.y), Point(P, pair.y)]
    for point in cases:
        assert probe.usable((point.x, point.y)) == point.usable(), point


def test_an_envelope_opens_on_chain_as_off_chain(probe):
    shared, envelope = new_key_pair().public, os.urandom(32)

    assert bytes(probe.openEnvelope(envelope, (shared.x, shared.y))) == open_envelope(envelope, shared)


def test_honest_shared_secret_proofs_verify_on_chain(probe):
    for _ in range(5):
        member, worker = new_key_pair(), new_key_pair()
        proof = prove(member.secret, worker.public)

        assert proof.shared == shared_point(worker.secret, member.public)
        assert probe.verifyShared(_xy(member.public), _xy(worker.public), proof.as_args())


def test_a_proof_of_another_point_or_with_another_secret_fails_on_chain(probe):
    member, worker, liar = new_key_pair(), new_key_pair(), new_key_pair()
    proof = prove(member.secret, worker.public)
    forged_shared = dataclasses.replace(proof, shared=shared_point(liar.secret, worker.public))
    liars_proof = prove(liar.secret, worker.public)

    assert not probe.verifyShared(_xy(member.public), _xy(worker.public), forged_shared.as_args())
    assert not probe.verifyShared(_xy(member.public), _xy(worker.public), liars_proof.as_args())


def test_every_altered_field_of_a_proof_fails_on_chain(probe):
    member, worker = new_key_pair(), new_key_pair()
    proof = prove(member.secret, worker.public)
    other = new_key_pair().public
    altered = [
        dataclasses.replace(proof, c=(proof.c + 1) % N),
        dataclasses.replace(proof, s=(proof.s + 1) % N),
        dataclasses.replace(proof, sw=other),
        dataclasses.replace(proof, cs=other),
        dataclasses.replace(proof, tw=other),
        dataclasses.replace(proof, tw=Point(proof.tw.x, P - proof.tw.y)),  # -A: the line check's sign
        dataclasses.replace(proof, tw=proof.sw),  # a repeated x
    ]
    for forged in altered:
        assert not probe.verifyShared(_xy(member.public), _xy(worker.public), forged.as_args()), forged


def _xy(point: Point) -> tuple[int, int]:
    return (point.x, point.y)
