"""Encryption keys, seals, envelopes, and a member's proof of a bad envelope."""

import brownie
from brownie import SealedMarketStub
from errors import err
from sealed_helpers import (
    JOB,
    envelopes_for,
    member_proof,
    point_args,
    proof_for_a_made_up_point,
    publish,
    register,
    sealed_submission,
)

from offchain.sealed.curve import Point, new_key_pair
from offchain.sealed.digests import envelopes_digest, seal_digest
from offchain.sealed.dleq import prove


def _setup(exchange, worker, members, wrong_for=None):
    """A published seal, each member's key registered, and the worker's envelopes posted to
    the market's committee (the members, in seat order)."""
    market = exchange.market()
    SealedMarketStub.at(market).setCommittee(members, {"from": worker})
    submission = sealed_submission()
    publish(exchange, worker, submission)
    pairs = {m.address: register(exchange, m) for m in members}
    env = envelopes_for(submission.key, {a: p.public for a, p in pairs.items()}, wrong_for=wrong_for)
    exchange.postEnvelopes(JOB, *env.post_args(), {"from": worker})
    return submission, pairs, env


def test_a_registered_key_is_known_by_its_address(exchange, alice):
    pair = new_key_pair()

    tx = exchange.registerEncryptionKey(point_args(pair.public), {"from": alice})

    assert exchange.encryptionKeyOf(alice).lower() == "0x" + pair.public.key_id().hex()
    assert tx.events["EncryptionKeyRegistered"]["x"] == pair.public.x


def test_a_point_off_the_curve_is_refused(exchange, alice):
    pair = new_key_pair()

    with brownie.reverts(err("SealedExchangeInvalidPoint", pair.public.x, pair.public.y ^ 1)):
        exchange.registerEncryptionKey((pair.public.x, pair.public.y ^ 1), {"from": alice})


def test_a_key_is_registered_once(exchange, alice):
    register(exchange, alice)

    with brownie.reverts(err("SealedExchangeKeyAlreadyRegistered", alice)):
        register(exchange, alice)


def test_a_seal_is_stored_as_its_digest_and_published_once(exchange, worker):
    submission = sealed_submission()

    publish(exchange, worker, submission)

    assert bytes(exchange.sealOf(JOB, worker)) == seal_digest(submission.header)
    with brownie.reverts(err("SealedExchangeSealAlreadyPublished", JOB, worker)):
        publish(exchange, worker, submission)


def test_envelopes_need_a_seal(exchange, worker, members):
    env = envelopes_for(b"\x01" * 32, {m.address: new_key_pair().public for m in members})

    with brownie.reverts(err("SealedExchangeInvalidSeal", JOB, worker)):
        exchange.postEnvelopes(JOB, *env.post_args(), {"from": worker})


def test_envelopes_are_stored_as_their_digest(exchange, worker, members):
    _, _, env = _setup(exchange, worker, members)

    assert exchange.envelopesPosted(JOB, worker)
    assert not exchange.badEnvelope(JOB, worker)
    assert bytes(exchange.envelopesOf(JOB, worker)) == envelopes_digest(env.point.public, env.recipients, env.envelopes)


def test_a_member_handed_a_bad_envelope_proves_it(exchange, worker, members):
    bad = members[1]
    submission, pairs, env = _setup(exchange, worker, members, wrong_for=bad.address)

    tx = exchange.proveBadEnvelope(
        JOB,
        worker,
        submission.header.as_args(),
        *env.args(),
        1,
        point_args(pairs[bad.address].public),
        member_proof(pairs[bad.address], env),
        {"from": bad},
    )

    assert tx.events["BadEnvelopeProven"]["member"] == bad
    assert exchange.badEnvelope(JOB, worker)
    assert SealedMarketStub.at(exchange.market()).flagged(JOB, worker)  # the market was told
    assert not exchange.envelopesPosted(JOB, worker)


def test_a_member_cannot_prove_a_good_envelope_bad(exchange, worker, members):
    honest_worker_member = members[0]
    submission, pairs, env = _setup(exchange, worker, members)

    with brownie.reverts(err("SealedExchangeEnvelopeOpens", JOB, worker)):
        exchange.proveBadEnvelope(
            JOB,
            worker,
            submission.header.as_args(),
            *env.args(),
            0,
            point_args(pairs[honest_worker_member.address].public),
            member_proof(pairs[honest_worker_member.address], env),
            {"from": honest_worker_member},
        )


def test_a_member_cannot_fake_a_bad_envelope_with_a_shared_point_it_made_up(exchange, worker, members):
    # The attack: a member that wants the worker forfeited (or to dodge its attestation) shows
    # a point S' of its own making, under which the good envelope opens to garbage, with a
    # proof made for another secret.
    liar = members[2]
    submission, pairs, env = _setup(exchange, worker, members)
    other = new_key_pair()
    fake = prove(other.secret, env.point.public).as_args()

    with brownie.reverts(err("SealedExchangeInvalidProof", JOB)):
        exchange.proveBadEnvelope(
            JOB,
            worker,
            submission.header.as_args(),
            *env.args(),
            2,
            point_args(pairs[liar.address].public),
            fake,
            {"from": liar},
        )
    assert not exchange.badEnvelope(JOB, worker)


def test_a_member_cannot_fake_a_bad_envelope_even_answering_the_challenge_with_its_secret(exchange, worker, members):
    # The member knows its secret, so it answers the challenge for any made-up point S'; only
    # the check that t W = s W + c S' refuses it.
    liar = members[2]
    submission, pairs, env = _setup(exchange, worker, members)
    fake = proof_for_a_made_up_point(pairs[liar.address].secret, env.point.public, new_key_pair().public)

    with brownie.reverts(err("SealedExchangeInvalidProof", JOB)):
        exchange.proveBadEnvelope(
            JOB,
            worker,
            submission.header.as_args(),
            *env.args(),
            2,
            point_args(pairs[liar.address].public),
            fake,
            {"from": liar},
        )


def test_a_member_cannot_prove_with_a_key_it_did_not_register(exchange, worker, members):
    # Registering X but proving with another key Y (whose secret opens the envelope to garbage).
    liar = members[2]
    submission, _, env = _setup(exchange, worker, members)
    other = new_key_pair()

    with brownie.reverts(err("SealedExchangeNoEncryptionKey", liar)):
        exchange.proveBadEnvelope(
            JOB,
            worker,
            submission.header.as_args(),
            *env.args(),
            2,
            point_args(other.public),
            prove(other.secret, env.point.public).as_args(),
            {"from": liar},
        )


def test_only_the_envelopes_recipient_can_prove_it_bad(exchange, worker, members, alice):
    submission, pairs, env = _setup(exchange, worker, members, wrong_for=members[1].address)

    with brownie.reverts(err("SealedExchangeNotRecipient", JOB, alice)):
        exchange.proveBadEnvelope(
            JOB,
            worker,
            submission.header.as_args(),
            *env.args(),
            1,
            point_args(pairs[members[1].address].public),
            member_proof(pairs[members[1].address], env),
            {"from": alice},
        )


def test_a_proof_against_other_envelopes_than_the_posted_ones_is_refused(exchange, worker, members):
    submission, pairs, env = _setup(exchange, worker, members)
    member = members[0]
    altered = list(env.envelopes)
    altered[0] = bytes(32)

    with brownie.reverts(err("SealedExchangeBadEnvelopes", JOB, worker)):
        exchange.proveBadEnvelope(
            JOB,
            worker,
            submission.header.as_args(),
            point_args(env.point.public),
            env.recipients,
            altered,
            0,
            point_args(pairs[member.address].public),
            member_proof(pairs[member.address], env),
            {"from": member},
        )


def test_a_proof_against_another_seal_is_refused(exchange, worker, members):
    # A seal whose key commitment the good envelope does not match would make it look bad.
    _, pairs, env = _setup(exchange, worker, members)
    member = members[0]
    other = sealed_submission()

    with brownie.reverts(err("SealedExchangeInvalidSeal", JOB, worker)):
        exchange.proveBadEnvelope(
            JOB,
            worker,
            other.header.as_args(),
            *env.args(),
            0,
            point_args(pairs[member.address].public),
            member_proof(pairs[member.address], env),
            {"from": member},
        )


def test_a_worker_point_off_the_curve_is_refused_at_posting(exchange, market, worker, members):
    market.setCommittee(members, {"from": worker})
    submission = sealed_submission()
    publish(exchange, worker, submission)
    env = envelopes_for(submission.key, {m.address: new_key_pair().public for m in members})
    bad = Point(env.point.public.x, env.point.public.y ^ 1)

    with brownie.reverts(err("SealedExchangeInvalidPoint", bad.x, bad.y)):
        exchange.postEnvelopes(JOB, (bad.x, bad.y), env.envelopes, {"from": worker})
