"""ExchangeClient against an in-process EVM: a sealed job through the client, from the
requester's job key to the winner paid for its key, and a member's proof of a bad envelope."""

from __future__ import annotations

import os

import pytest

from offchain.eth.client import Client, in_process
from offchain.eth.commitment import attestation_seal, commitment, evaluation_seal, new_salt
from offchain.eth.deploy import ZERO_ADDRESS, market_config
from offchain.eth.exchange import ExchangeClient, State
from offchain.eth.job_terms import JobTerms
from offchain.eth.market import MarketClient, Outcome
from offchain.sealed.curve import new_key_pair
from offchain.sealed.keys import new_key
from offchain.sealed.seal import open_sealed, seal_bytes

ETH = 10**18
BASE, TRAIN, EVAL, SPEC = (bytes([i]) * 32 for i in (1, 2, 3, 4))
MODEL = bytes([9]) * 32
REWARD = 3 * ETH // 2
STAKE = ETH // 10
WINDOW = 60  # the market's minimum window: the exchange's delivery and dispute windows too


def _now(client: Client) -> int:
    return int(client.w3.eth.get_block("latest")["timestamp"])


def _travel(client: Client, t: int) -> None:
    client.w3.testing.timeTravel(t)
    client.w3.testing.mine(1)


@pytest.fixture(scope="module")
def world() -> dict:
    admin = in_process()
    registry, _ = admin.deploy("ModelRegistry", admin.address, ZERO_ADDRESS)
    admin.transact(registry.functions.register(BASE, b"\0" * 32, TRAIN, 5000, "file:///base"))
    contract, _ = admin.deploy("TrainingMarket", registry.address, market_config(min_window=WINDOW))
    admin.transact(registry.functions.grantRole(registry.functions.MARKET_ROLE().call(), contract.address))
    lens, _ = admin.deploy("MarketLens", contract.address)
    market = MarketClient(admin, contract.address, lens.address)
    requester, worker, *members = [admin.with_account(a) for a in admin.w3.eth.accounts[1:6]]
    pairs = {}
    for m in members:
        market.as_sender(m).join_validators(ETH)
        pairs[m.address] = new_key_pair()
        ExchangeClient(market.as_sender(m)).register_encryption_key(pairs[m.address].public)
    return {
        "admin": admin,
        "market": market,
        "requester": requester,
        "worker": worker,
        "members": members,
        "pairs": pairs,
    }


def _sealed_job(world: dict):
    """A sealed job with the worker's sealed submission revealed, the set open, the committee
    drawn and the envelopes posted; returns (job id, its times' origin, salts, key, sealed, job key)."""
    admin, market = world["admin"], world["market"]
    requester, worker = world["requester"], world["worker"]
    now = _now(admin)
    now += (-(now + 100)) % (WINDOW // 2)  # the draw's two calls in one epoch (test_market_client says why)
    job_key = new_key_pair()
    eval_salt = new_salt()
    terms = JobTerms(
        base_model=BASE, training_set=TRAIN, evaluation_seal=evaluation_seal(EVAL, eval_salt), spec=SPEC,
        min_score_bps=6000, deadlines=(now + 100, now + 200, now + 300, now + 400), min_stake=STAKE,
        committee_size=3, reward=REWARD,
    )  # fmt: skip
    job_id = ExchangeClient(market.as_sender(requester)).post_sealed_job(job_key, terms)
    salt = new_salt()
    market.as_sender(worker).commit(job_id, commitment(job_id, worker.address, MODEL, 7000, salt), STAKE)
    _travel(admin, now + 100)
    key = new_key()
    sealed = seal_bytes(os.urandom(2500), key, MODEL)
    ExchangeClient(market.as_sender(worker)).publish_seal(job_id, sealed.header)
    market.as_sender(worker).reveal(job_id, MODEL, 7000, salt, "file:///sealed")
    market.as_sender(requester).reveal_evaluation(job_id, EVAL, eval_salt, "file:///eval")
    market.as_sender(worker).draw_committee(job_id)
    ExchangeClient(market.as_sender(worker)).post_envelopes(job_id, key)
    return job_id, now, salt, key, sealed, job_key


def test_a_sealed_job_pays_its_winner_for_the_key_through_the_client(world: dict) -> None:
    admin, market, requester, worker = world["admin"], world["market"], world["requester"], world["worker"]
    job_id, now, salt, key, sealed, job_key = _sealed_job(world)
    seats = market.committee(job_id)
    seated = [m for m in world["members"] if m.address in seats]
    for m in seated:  # each member opens its envelope: the committed key
        assert (
            ExchangeClient(market.as_sender(m)).open_envelope(job_id, worker.address, world["pairs"][m.address]) == key
        )
    _travel(admin, now + 200)
    for m in seated:
        market.as_sender(m).commit_attestation(job_id, attestation_seal(job_id, m.address, [7000], salt))
    _travel(admin, now + 300)
    for m in seated:
        market.as_sender(m).reveal_attestation(job_id, [7000], salt)
    _travel(admin, now + 400)
    market.finalize(job_id)

    market.as_sender(worker).claim(job_id, 0)
    worker_exchange = ExchangeClient(market.as_sender(worker))
    opened = worker_exchange.exchange(job_id)
    worker_exchange.deliver_key(job_id, key)
    delivered = ExchangeClient(market.as_sender(requester)).open_delivery(job_id, job_key)
    _travel(admin, _now(admin) + WINDOW + 1)
    worker_exchange.claim(job_id)

    assert market.is_sealed(job_id)
    assert market.submissions(job_id)[0].outcome is Outcome.WON
    assert (opened.state, opened.worker, opened.deposit) == (State.AWAITING_KEY, worker.address, STAKE)
    assert delivered == key
    assert worker_exchange.seal(job_id, worker.address) == sealed.header  # as a member reads it
    assert open_sealed(sealed.header, sealed.artifact(), delivered) == open_sealed(
        sealed.header, sealed.artifact(), key
    )
    assert worker_exchange.pending(worker.address) == opened.prize + STAKE


def test_a_member_proves_a_bad_envelope_through_the_client(world: dict) -> None:
    market, worker = world["market"], world["worker"]
    job_id, _, _, _, sealed, _ = _sealed_job(world)
    member = next(m for m in world["members"] if m.address in market.committee(job_id))
    exchange = ExchangeClient(market.as_sender(member))
    assert exchange.open_envelope(job_id, worker.address, world["pairs"][member.address]) != b""

    with pytest.raises(Exception, match="SealedExchangeEnvelopeOpens"):
        exchange.prove_bad_envelope(job_id, worker.address, sealed.header, world["pairs"][member.address])
    assert not exchange.bad_envelope(job_id, worker.address)
