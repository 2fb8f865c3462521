"""A sealed submission in the states the tests need, built with offchain/sealed (the product's
own code), and the calls that move it on chain."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from brownie import accounts, chain

from offchain.sealed import merkle
from offchain.sealed.cipher import CHUNK_BYTES, chunk_count, xor_chunk
from offchain.sealed.curve import KeyPair, N, Point, base_mul, mul, new_key_pair, seal_envelope, shared_point
from offchain.sealed.dleq import SharedSecretProof, challenge, prove
from offchain.sealed.evidence import ChunkEvidence, evidence_at
from offchain.sealed.keys import key_commitment, new_key
from offchain.sealed.seal import Sealed, SealHeader, seal_bytes

JOB = 7
MODEL_HASH = bytes.fromhex("ab" * 32)
PRIZE = 10**18
DEPOSIT = 10**17


def point_args(point: Point) -> tuple[int, int]:
    return (point.x, point.y)


@dataclass
class Submission:
    key: bytes
    sealed: Sealed

    @property
    def header(self) -> SealHeader:
        return self.sealed.header


def sealed_submission(size: int = 3 * CHUNK_BYTES + 200) -> Submission:
    key = new_key()
    return Submission(key, seal_bytes(os.urandom(size), key, MODEL_HASH))


def forged_submission(size: int = 3 * CHUNK_BYTES + 200, bad_chunk: int = 1) -> Submission:
    """A cheating worker's seal: both roots hash correctly but chunk `bad_chunk` of the
    ciphertext opens (under the committed key) to other bytes than the committed leaf's."""
    key = new_key()
    plaintext = os.urandom(size)
    honest = seal_bytes(plaintext, key, MODEL_HASH)
    other = bytearray(plaintext)
    other[bad_chunk * CHUNK_BYTES] ^= 0xFF
    forged = seal_bytes(bytes(other), key, MODEL_HASH)
    header = SealHeader(MODEL_HASH, forged.header.cipher_root, honest.header.plain_root, key_commitment(key), size)
    return Submission(key, Sealed(header, forged.ciphertext, honest.plain_leaves))


def publish(exchange, worker, submission: Submission, job: int = JOB):
    return exchange.publishSeal(job, submission.header.as_args(), {"from": worker})


def register(exchange, account) -> KeyPair:
    pair = new_key_pair()
    exchange.registerEncryptionKey(point_args(pair.public), {"from": account})
    return pair


@dataclass
class Envelopes:
    point: KeyPair  # the worker's fresh W = w G
    recipients: list[str]
    envelopes: list[bytes]

    def args(self) -> tuple:
        """The envelope list as a proof names it (the committee's seats as recipients)."""
        return (point_args(self.point.public), self.recipients, self.envelopes)

    def post_args(self) -> tuple:
        """postEnvelopes' arguments: the recipients are the market's committee."""
        return (point_args(self.point.public), self.envelopes)


def envelopes_for(key: bytes, members_keys: dict[str, Point], wrong_for: str | None = None) -> Envelopes:
    """The key's envelope to each member; `wrong_for` gets a random key instead."""
    w = new_key_pair()
    envelopes = [
        seal_envelope(new_key() if member == wrong_for else key, shared_point(w.secret, public))
        for member, public in members_keys.items()
    ]
    return Envelopes(w, list(members_keys), envelopes)


def member_proof(member_pair: KeyPair, envelopes: Envelopes):
    """The member's proof of the shared point of its key and the worker's point."""
    return prove(member_pair.secret, envelopes.point.public).as_args()


def proof_for_a_made_up_point(secret: int, other: Point, fake: Point):
    """The strongest forgery of a holder of `secret`: a proof that S = `fake` (not secret*other)
    passing every check but the sum's. It knows its secret, so it can answer any challenge for
    t G; what it cannot make is a t W equal to s W + c S for a wrong S. Here A is whatever it
    likes (a fresh point), and P = s W, Q = c S are honest multiples, so only A = P + Q fails."""
    public = base_mul(secret)
    k = secrets.randbelow(N - 1) + 1
    tw = new_key_pair().public
    c = challenge(public, other, fake, base_mul(k).key_id(), tw.key_id())
    s = (k - c * secret) % N
    return SharedSecretProof(fake, c, s, mul(other, s), mul(fake, c), tw).as_args()


def open_exchange(
    exchange, market, worker, requester, job: int = JOB, deposit: int = DEPOSIT, value: int = PRIZE + DEPOSIT
):
    """The market (a stub) opens the exchange, as its claim does for a sealed job's winner."""
    return market.openOn(exchange, job, worker, requester, deposit, {"from": accounts[0], "value": value})


@dataclass
class Delivery:
    point: KeyPair
    envelope: bytes
    tx: object


def deliver(exchange, worker, requester_public: Point, key: bytes, job: int = JOB) -> Delivery:
    w = new_key_pair()
    envelope = seal_envelope(key, shared_point(w.secret, requester_public))
    tx = exchange.deliverKey(job, point_args(w.public), envelope, {"from": worker})
    return Delivery(w, envelope, tx)


def evidence(submission: Submission, index: int) -> ChunkEvidence:
    return evidence_at(submission.header, submission.sealed.artifact(), index)


def sleep(seconds: int) -> None:
    chain.sleep(seconds)
    chain.mine()


def big_forged_seal(chunks: int, index: int):
    """A seal over `chunks` chunks (a ResNet-18's 45 MB is 44,000) whose chunk `index` does not
    open to its committed leaf: only that chunk is real, the other leaves are random (the trees
    are what a worker could commit), so the gas of a dispute at full depth can be measured."""
    key = new_key()
    cipher_chunk = os.urandom(CHUNK_BYTES)
    cipher_leaves = [os.urandom(32) for _ in range(chunks)]
    plain_leaves = [os.urandom(32) for _ in range(chunks)]
    cipher_leaves[index] = merkle.cipher_leaf(cipher_chunk)
    assert merkle.plain_leaf(key, index, xor_chunk(key, index, cipher_chunk)) != plain_leaves[index]
    cipher_tree, plain_tree = merkle.levels(cipher_leaves), merkle.levels(plain_leaves)
    size = chunks * CHUNK_BYTES
    assert chunk_count(size) == chunks
    header = SealHeader(MODEL_HASH, cipher_tree[-1][0], plain_tree[-1][0], key_commitment(key), size)
    proof = ChunkEvidence(
        index, cipher_chunk, merkle.branch(cipher_tree, index), plain_leaves[index], merkle.branch(plain_tree, index)
    )
    return key, header, proof
