"""MarketClient against an in-process EVM (eth-tester + py-evm, Prague rules, so the
transient-storage reentrancy guard runs): one full job, views, events and errors."""

from __future__ import annotations

import pytest

from offchain.eth.client import Client, in_process
from offchain.eth.commitment import commitment, new_salt
from offchain.eth.errors import InvalidInputError, TransactionError
from offchain.eth.market import (
    Attested,
    Committed,
    Finalized,
    JobPosted,
    MarketClient,
    Outcome,
    Phase,
    Revealed,
    Withdrawn,
)

ETH = 10**18
BASE, TRAIN, EVAL, SPEC = (bytes([i]) * 32 for i in (1, 2, 3, 4))
MODEL = bytes([9]) * 32


def _now(client: Client) -> int:
    return int(client.w3.eth.get_block("latest")["timestamp"])


def _travel(client: Client, t: int) -> None:
    client.w3.testing.timeTravel(t)
    client.w3.testing.mine(1)


@pytest.fixture(scope="module")
def world() -> dict:
    admin = in_process()
    accounts = admin.w3.eth.accounts
    registry, _ = admin.deploy("ModelRegistry", admin.address)
    admin.transact(registry.functions.register(BASE, b"\0" * 32, TRAIN, 5000, "file:///base"))
    contract, receipt = admin.deploy("TrainingMarket", registry.address, ETH, 2, 100, 500)
    admin.transact(
        registry.functions.grantRole(registry.functions.MARKET_ROLE().call(), contract.address)
    )
    market = MarketClient(admin, contract.address)
    return {
        "admin": admin,
        "market": market,
        "registry": registry,
        "start": receipt["blockNumber"],
        "users": [admin.with_account(a) for a in accounts[1:6]],
    }


def test_a_full_job_through_the_client(world: dict) -> None:
    admin, market = world["admin"], world["market"]
    requester, worker, v1, v2, v3 = world["users"]
    for v in (v1, v2, v3):
        market.as_sender(v).join_validators(ETH)
    now = _now(admin)
    job_id = market.as_sender(requester).post_job(
        BASE, TRAIN, EVAL, SPEC, 6000, now + 100, now + 200, now + 300, ETH // 10, 2 * ETH
    )
    salt = new_salt()
    sealed = commitment(job_id, worker.address, MODEL, 7000, salt)
    assert sealed == market.commitment_of(job_id, worker.address, MODEL, 7000, salt)
    market.as_sender(worker).commit(job_id, sealed, ETH // 10)
    assert market.phase(job_id) is Phase.OPEN

    _travel(admin, now + 100)
    market.as_sender(worker).reveal(job_id, MODEL, 7000, salt, "file:///m")
    _travel(admin, now + 200)
    for v, score in ((v1, 7000), (v2, 7010), (v3, 6990)):
        market.as_sender(v).attest(job_id, worker.address, score)
    _travel(admin, now + 300)
    assert market.phase(job_id) is Phase.FINALIZABLE
    market.finalize(job_id)
    before = market.pending(worker.address)
    market.as_sender(worker).withdraw()

    job = market.job(job_id)
    assert (job.status.name, job.winner_index, job.requester) == ("FINALIZED", 0, requester.address)
    sub = market.submissions(job_id)[0]
    assert (sub.outcome, sub.verified_score_bps, sub.sealed_hash) == (Outcome.WON, 7000, MODEL)
    assert [a.score_bps for a in market.attestations(job_id, worker.address)] == [7000, 7010, 6990]
    fee_share = 2 * ETH * 500 // 10_000 // 3
    assert before == ETH // 10 + 2 * ETH - 3 * fee_share
    assert market.pending(v1.address) == fee_share
    assert market.worker_stats(worker.address).wins == 1
    assert world["registry"].functions.isRegistered(MODEL).call()

    events = market.events(world["start"])
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["ValidatorJoined"] * 3 + ["JobPosted", "Committed", "Revealed"] + [
        "Attested"
    ] * 3 + ["Finalized", "Withdrawn"]
    posted = next(e for e in events if isinstance(e, JobPosted))
    assert (posted.job_id, posted.evaluation_set, posted.reward) == (job_id, EVAL, 2 * ETH)
    assert next(e for e in events if isinstance(e, Committed)).commitment == sealed
    assert next(e for e in events if isinstance(e, Revealed)).uri == "file:///m"
    assert [e.seat for e in events if isinstance(e, Attested)] == [0, 1, 2]
    fin = next(e for e in events if isinstance(e, Finalized))
    assert (fin.winner, fin.model_hash, fin.payout) == (
        worker.address,
        MODEL,
        2 * ETH - 3 * fee_share,
    )
    assert next(e for e in events if isinstance(e, Withdrawn)).amount == before


def test_reverts_surface_as_errors(world: dict) -> None:
    # Against anvil, Client.transact reports the decoded TrainingMarket error; eth-tester
    # raises its own TransactionFailed from estimate_gas, which Client does not map yet.
    from eth_tester.exceptions import TransactionFailed

    with pytest.raises((TransactionError, TransactionFailed)):
        world["market"].as_sender(
            world["admin"].with_account(world["admin"].w3.eth.accounts[8])
        ).withdraw()


def test_role_helpers_find_submissions_attestations_and_events(world: dict) -> None:
    market = world["market"]
    requester, worker, v1, _, _ = world["users"]
    assert market.submission_of(1, worker.address).outcome is Outcome.WON
    assert market.submission_of(1, requester.address) is None
    assert market.has_attested(1, worker.address, v1.address)
    assert not market.has_attested(1, worker.address, requester.address)
    assert market.is_validator(v1.address) and not market.is_validator(requester.address)
    assert (market.quorum(), market.tolerance_bps(), market.fee_bps()) == (2, 100, 500)
    assert market.job_posted(1).spec == SPEC
    assert market.finalized_event(1).winner == worker.address
    assert [e.job_id for e in market.revealed_events(world["start"])] == [1]
    assert [e.job_id for e in market.job_posted_events(world["start"])] == [1]


def test_events_filter_by_name(world: dict) -> None:
    only = world["market"].events(world["start"], names=("JobPosted",))
    assert all(isinstance(e, JobPosted) for e in only)


def test_unknown_event_names_list_the_valid_ones(world: dict) -> None:
    with pytest.raises(InvalidInputError, match="valid: JobPosted"):
        world["market"].events(0, names=("Nope",))


def test_scores_are_validated_before_sending(world: dict) -> None:
    with pytest.raises(InvalidInputError):
        world["market"].attest(1, world["users"][1].address, 10_001)
