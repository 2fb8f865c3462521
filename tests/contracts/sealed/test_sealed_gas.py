"""Gas of every SealedExchange call, from receipts, against issue 26's goals; written to
benchmarks/gas_sealed.md. Same compiler settings as tests/contracts/market/test_gas.py."""

import os
import random
import secrets
from pathlib import Path

import pytest
from brownie import accounts
from conftest import DISPUTE_WINDOW
from gas_table import write_gas_table
from sealed_helpers import (
    JOB,
    big_forged_seal,
    deliver,
    envelopes_for,
    member_proof,
    open_exchange,
    point_args,
    publish,
    sealed_submission,
    sleep,
)

from offchain.sealed.curve import new_key_pair
from offchain.sealed.dleq import prove
from offchain.sealed.keys import new_key

TABLE = Path(__file__).resolve().parents[3] / "benchmarks" / "gas_sealed.md"
SEATS = 15  # Committee.MAX_SEATS: the most envelopes a worker posts, and the longest list a proof carries
RESNET18_CHUNKS = 44_000  # a ResNet-18's 45 MB of float32 weights in 1 KiB chunks: a 16-level tree

# Issue 26's goals, and the arithmetic that says where each call lands under it (cold slot read
# 2,100; clean update 2,900; fresh slot 22,100; ecrecover 3,000; calldata 16 a non-zero byte):
# - deliverKey: 21,000 + ~2,300 calldata (164 bytes) + the exchange's slot 0 and delivery word,
#   each read and updated (2 x 5,000) + the event (LOG3 with 3 words, ~2,300) + the on-curve
#   check and one keccak: ~36,500 of 60,000. The open wrote the delivery word (the requester's
#   key id), so delivery updates it instead of paying a fresh slot.
# - proveBadEnvelope (15 seats): 21,000 + ~25,000 calldata (two 15-long lists, the seal, the
#   points and the proof: ~1,900 bytes) + 3 ecrecovers (9,000) + 3 cold reads (6,300) + one
#   update (2,900) + hashing the lists, the curve checks and the event (~12,000): ~76,000, + the
#   market's window and flag: here the stub's (a cold account 2,600, the job's decoding and a
#   fresh slot for the flag, ~30,000), 107,807 measured of 150,000; the market's own flag is an
#   update of the sheet (tests/contracts/market/test_gas.py measures the proof through it).
# - disputeKey: 21,000 + ~11,000 calldata + 3 ecrecovers (9,000) + the exchange's 4 slots and
#   the seal cold (10,500) + the state update (2,900) + two fresh balances, the requester's and
#   the burned one (44,200) + the event and the curve checks (~5,000): ~104,000 of 300,000.
# - disputeChunk at 16 levels: 21,000 + ~38,000 calldata (the 1 KiB chunk, 32 siblings, the
#   seal) + 32 keystream and 32 node keccaks and the leaves (~8,000) + the same reads and
#   writes as disputeKey (~57,600): ~125,000 of 300,000; each doubling of the file adds a level
#   to both branches (~1,200).
GOALS = {
    "deliverKey": 60_000,
    "proveBadEnvelope, 15 seats": 150_000,
    "disputeKey": 300_000,
    "disputeChunk, 44,000 chunks (16 levels)": 300_000,
}
ROWS: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def seeded_randomness():
    """Keys, points and proofs from a seeded generator: a zero byte of calldata costs 4 gas
    where others cost 16, so random ones moved the table by a few hundred gas from run to run."""
    rng = random.Random(26)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "urandom", rng.randbytes)
        patch.setattr(secrets, "token_bytes", rng.randbytes)
        patch.setattr(secrets, "randbelow", rng.randrange)
        yield


@pytest.fixture(scope="module", autouse=True)
def table(seeded_randomness):
    yield
    if len(ROWS) < 10:  # a partial run (-k) must not overwrite the kept table
        return
    lines = [
        "# SealedExchange gas (from receipts)",
        "",
        "Measured by `tests/contracts/sealed/test_sealed_gas.py` on anvil (cancun), solc 0.8.28, the",
        "optimizer at 200 runs, IR pipeline. Goals from issue 26; the test asserts them. Keys, points",
        "and proofs come from a seeded generator (random ones move a row by a few hundred gas: a",
        "zero byte of calldata costs 4 gas where others cost 16).",
    ]
    write_gas_table(TABLE, lines, ROWS, GOALS)


def _record(name, gas):
    ROWS[name] = gas
    goal = GOALS.get(name)
    assert goal is None or gas <= goal, f"{name}: {gas:,} > {goal:,}"


@pytest.fixture(scope="module")
def seated():
    """Fifteen seats: accounts with registered keys (brownie's ten plus five fresh ones)."""
    return [accounts[i] for i in range(10)] + [accounts.add() for _ in range(SEATS - 10)]


def test_key_registrations(exchange, alice, requester):
    pair = new_key_pair()
    _record("registerEncryptionKey", exchange.registerEncryptionKey(point_args(pair.public), {"from": alice}).gas_used)
    _record("registerJobKey", exchange.registerJobKey(JOB, point_args(pair.public), {"from": requester}).gas_used)


def test_seal_and_envelopes(exchange, market, worker):
    submission = sealed_submission()
    _record("publishSeal", publish(exchange, worker, submission).gas_used)
    env = envelopes_for(submission.key, {accounts[i].address: new_key_pair().public for i in range(10)})
    market.setCommittee(env.recipients + [f"0x{i:040x}" for i in range(1, SEATS - 9)], {"from": worker})
    envelopes = env.envelopes + [new_key() for _ in range(SEATS - 10)]
    tx = exchange.postEnvelopes(JOB, point_args(env.point.public), envelopes, {"from": worker})
    # The stub's committee reads are cheaper than the market's (tests/contracts/market/test_sealed_jobs.py
    # measures the market's): 15 validatorAt calls, the job and the committee words.
    _record("postEnvelopes, 15 seats (stub market)", tx.gas_used)


def test_a_bad_envelope_proof(exchange, market, worker, seated):
    submission = sealed_submission()
    publish(exchange, worker, submission)
    pairs = {a.address: new_key_pair() for a in seated}
    for account in seated:
        if account.balance() == 0:  # the five fresh accounts
            accounts[0].transfer(account, 10**18)
        exchange.registerEncryptionKey(point_args(pairs[account.address].public), {"from": account})
    victim = seated[-1]  # the last seat: the longest walk over the lists
    env = envelopes_for(submission.key, {a: p.public for a, p in pairs.items()}, wrong_for=victim.address)
    market.setCommittee(env.recipients, {"from": worker})
    exchange.postEnvelopes(JOB, *env.post_args(), {"from": worker})

    tx = exchange.proveBadEnvelope(
        JOB,
        worker,
        submission.header.as_args(),
        *env.args(),
        SEATS - 1,
        point_args(pairs[victim.address].public),
        member_proof(pairs[victim.address], env),
        {"from": victim},
    )

    _record("proveBadEnvelope, 15 seats", tx.gas_used)


def _opened(exchange, market, worker, requester, header=None):
    submission = sealed_submission()
    if header is None:
        publish(exchange, worker, submission)
    else:
        exchange.publishSeal(JOB, header.as_args(), {"from": worker})
    job_key = new_key_pair()
    exchange.registerJobKey(JOB, point_args(job_key.public), {"from": requester})
    tx = open_exchange(exchange, market, worker, requester)
    return submission, job_key, tx


def test_open_deliver_claim(exchange, market, worker, requester):
    submission, job_key, tx = _opened(exchange, market, worker, requester)
    # Through the stub market's openOn: its call with the value (a cold account, 9,000) on top.
    _record("openExchange (through the stub market)", tx.gas_used)
    _record("deliverKey", deliver(exchange, worker, job_key.public, submission.key).tx.gas_used)
    sleep(DISPUTE_WINDOW + 1)
    _record("claim", exchange.claim(JOB, {"from": worker}).gas_used)
    _record("withdraw", exchange.withdraw({"from": worker}).gas_used)


def test_a_key_dispute(exchange, market, worker, requester):
    submission, job_key, _ = _opened(exchange, market, worker, requester)
    delivery = deliver(exchange, worker, job_key.public, new_key())

    tx = exchange.disputeKey(
        JOB,
        submission.header.as_args(),
        point_args(job_key.public),
        point_args(delivery.point.public),
        delivery.envelope,
        prove(job_key.secret, delivery.point.public).as_args(),
        {"from": requester},
    )

    _record("disputeKey", tx.gas_used)


def test_a_chunk_dispute_at_resnet18_depth(exchange, market, worker, requester):
    key, header, proof = big_forged_seal(RESNET18_CHUNKS, RESNET18_CHUNKS - 2)
    _, job_key, _ = _opened(exchange, market, worker, requester, header)
    deliver(exchange, worker, job_key.public, key)

    tx = exchange.disputeChunk(JOB, header.as_args(), key, proof.as_args(), {"from": requester})

    assert len(proof.cipher_branch) == 16
    _record("disputeChunk, 44,000 chunks (16 levels)", tx.gas_used)
