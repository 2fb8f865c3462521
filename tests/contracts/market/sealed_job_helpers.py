"""A sealed job on the real market (issue 26, stage two): the requester's job key, the
workers' seals and envelopes to the drawn committee, built with offchain/sealed."""

from __future__ import annotations

import os
from dataclasses import dataclass

from brownie import SealedExchange
from hashes import h
from market_helpers import (
    ATTEST_S,
    COMMIT_S,
    COMMITTEE,
    MIN_SCORE,
    MIN_STAKE,
    REVEAL_S,
    REWARD,
    SETTLE_S,
    TRAIN,
    deposit_of,
    eval_seal,
    lens_of,
    model_of,
    next_time,
)

from offchain.sealed.cipher import CHUNK_BYTES
from offchain.sealed.curve import KeyPair, new_key_pair, seal_envelope, shared_point
from offchain.sealed.dleq import prove
from offchain.sealed.keys import new_key
from offchain.sealed.seal import Sealed, seal_bytes

ZERO_ADDRESS = "0x" + "00" * 20


def exchange_of(market):
    """The SealedExchange the market created in its constructor (the lens names it)."""
    return SealedExchange.at(lens_of(market).sealedExchange())


def point_args(pair: KeyPair) -> tuple[int, int]:
    return (pair.public.x, pair.public.y)


def post_sealed(market, requester, register_key=True, committee=COMMITTEE, pooled=False, proof=None):
    """Register a job key for the id the post will take, then post a sealed job through
    postSealedCall: postJob's call, postPooledJob's when `pooled`, and with an anchor `proof`
    (of TRAIN) postJobWithProvenance's or postPooledAnchoredJob's. Returns (job id, the
    requester's job key pair, transaction)."""
    key = new_key_pair()
    if register_key:
        exchange_of(market).registerJobKey(market.jobCount() + 1, point_args(key), {"from": requester})
    now = next_time()
    terms = [
        h("base"),
        TRAIN,  # what the anchor proofs of conftest.py anchor
        eval_seal(),
        h("spec"),
        MIN_SCORE,
        [now + COMMIT_S, now + REVEAL_S, now + ATTEST_S, now + SETTLE_S],
        MIN_STAKE,
        committee,
    ]
    if proof is None:
        call = (market.postPooledJob if pooled else market.postJob).encode_input(*terms)
    else:
        call = (market.postPooledAnchoredJob if pooled else market.postJobWithProvenance).encode_input(*terms, proof)
    tx = market.postSealedCall(call, {"from": requester, "value": REWARD + deposit_of(REWARD)})
    return tx.return_value, key, tx


@dataclass
class SealedWork:
    key: bytes
    sealed: Sealed


def publish_seal(market, job_id, worker) -> SealedWork:
    """The worker seals random weights (three and a bit chunks) and publishes the seal."""
    key = new_key()
    sealed = seal_bytes(os.urandom(3 * CHUNK_BYTES + 200), key, bytes.fromhex(model_of(worker)[2:]))
    exchange_of(market).publishSeal(job_id, sealed.header.as_args(), {"from": worker})
    return SealedWork(key, sealed)


def register_members(market, members) -> dict[str, KeyPair]:
    """Each member registers its encryption key (at join, in the product)."""
    pairs = {}
    for m in members:
        pairs[m.address] = new_key_pair()
        exchange_of(market).registerEncryptionKey(point_args(pairs[m.address]), {"from": m})
    return pairs


@dataclass
class PostedEnvelopes:
    point: KeyPair
    recipients: list[str]
    envelopes: list[bytes]
    tx: object

    def proof_args(self) -> tuple:
        return ((self.point.public.x, self.point.public.y), self.recipients, self.envelopes)


def envelopes_to_committee(market, job_id, key: bytes, pairs: dict[str, KeyPair], wrong_for: str | None = None):
    """The key's envelope to each seat of the drawn committee, in seat order (an empty seat's
    is zero); `wrong_for`'s seats get a random key instead. Returns (point, recipients, envelopes)."""
    w = new_key_pair()
    recipients = list(lens_of(market).committee(job_id))
    envelopes = []
    for member in recipients:
        if member == ZERO_ADDRESS:
            envelopes.append(bytes(32))
            continue
        sent = new_key() if wrong_for is not None and member == wrong_for else key
        envelopes.append(seal_envelope(sent, shared_point(w.secret, pairs[member].public)))
    return w, recipients, envelopes


def post_envelopes(market, job_id, worker, work: SealedWork, pairs, wrong_for=None) -> PostedEnvelopes:
    w, recipients, envelopes = envelopes_to_committee(market, job_id, work.key, pairs, wrong_for)
    tx = exchange_of(market).postEnvelopes(job_id, (w.public.x, w.public.y), envelopes, {"from": worker})
    return PostedEnvelopes(w, recipients, envelopes, tx)


def prove_bad(market, job_id, worker, work: SealedWork, posted: PostedEnvelopes, member, pair: KeyPair):
    """`member` proves the envelope at its first seat bad."""
    seat = posted.recipients.index(member.address)
    return exchange_of(market).proveBadEnvelope(
        job_id,
        worker,
        work.sealed.header.as_args(),
        *posted.proof_args(),
        seat,
        point_args(pair),
        prove(pair.secret, posted.point.public).as_args(),
        {"from": member},
    )
