"""ECDH envelopes and the shared-secret proof, in Python (the contract is compared in
tests/contracts/sealed/test_differential.py)."""

from __future__ import annotations

import dataclasses

from offchain.sealed.curve import N, Point, new_key_pair, open_envelope, seal_envelope, shared_point
from offchain.sealed.dleq import prove, verify
from offchain.sealed.keys import new_key


def test_both_ends_of_ecdh_find_the_same_point_and_the_envelope_opens() -> None:
    member, worker, key = new_key_pair(), new_key_pair(), new_key()

    envelope = seal_envelope(key, shared_point(worker.secret, member.public))

    assert open_envelope(envelope, shared_point(member.secret, worker.public)) == key


def test_another_members_secret_does_not_open_the_envelope() -> None:
    member, other, worker, key = new_key_pair(), new_key_pair(), new_key_pair(), new_key()

    envelope = seal_envelope(key, shared_point(worker.secret, member.public))

    assert open_envelope(envelope, shared_point(other.secret, worker.public)) != key


def test_an_honest_proof_verifies() -> None:
    member, worker = new_key_pair(), new_key_pair()

    proof = prove(member.secret, worker.public)

    assert proof.shared == shared_point(worker.secret, member.public)
    assert verify(member.public, worker.public, proof)


def test_a_proof_for_another_shared_point_fails() -> None:
    member, worker, liar = new_key_pair(), new_key_pair(), new_key_pair()
    proof = prove(member.secret, worker.public)

    forged = dataclasses.replace(proof, shared=shared_point(liar.secret, worker.public))

    assert not verify(member.public, worker.public, forged)


def test_a_proof_made_with_another_secret_fails_for_the_registered_key() -> None:
    member, worker, liar = new_key_pair(), new_key_pair(), new_key_pair()

    proof = prove(liar.secret, worker.public)

    assert not verify(member.public, worker.public, proof)


def test_a_changed_response_fails() -> None:
    member, worker = new_key_pair(), new_key_pair()
    proof = prove(member.secret, worker.public)

    assert not verify(member.public, worker.public, dataclasses.replace(proof, s=(proof.s + 1) % N))
    assert not verify(member.public, worker.public, dataclasses.replace(proof, tw=Point(proof.tw.x, proof.tw.y ^ 1)))
