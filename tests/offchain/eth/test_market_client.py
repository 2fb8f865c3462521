"""MarketClient against an in-process EVM (eth-tester + py-evm, Prague rules, so the
transient-storage reentrancy guard runs): one full job, views, events and errors."""

from __future__ import annotations

import pytest

from offchain.eth.client import Client, in_process
from offchain.eth.commitment import attestation_seal, commitment, evaluation_seal, new_salt
from offchain.eth.deploy import ZERO_ADDRESS, market_config
from offchain.eth.errors import InvalidInputError, TransactionError
from offchain.eth.job_terms import JobTerms
from offchain.eth.market import MarketClient, Outcome, Phase
from offchain.eth.market_events import (
    AttestationRevealed,
    Claimed,
    Committed,
    CommitteeDrawn,
    EvaluationRevealed,
    EvaluationUnavailable,
    Finalized,
    JobPosted,
    Revealed,
)

ETH = 10**18
BASE, TRAIN, EVAL, SPEC = (bytes([i]) * 32 for i in (1, 2, 3, 4))
MODEL = bytes([9]) * 32
REWARD = 3 * ETH // 2  # at most 15 minimum stakes of ETH // 10 (issue 20 item 6)


def _now(client: Client) -> int:
    return int(client.w3.eth.get_block("latest")["timestamp"])


def _epoch_aligned_now(client: Client) -> int:
    """A `now` for a job's deadlines (now + 100, ...) whose revealing window opens at the start of
    an epoch (half the market's minimum window of 60 s): the draw's two calls then fall in one
    epoch, where one that crossed into the next would fix a new seed block instead of drawing."""
    now = _now(client)
    return now + (-(now + 100)) % (60 // 2)


def _terms(seal: bytes, now: int) -> JobTerms:
    """The module's job, sealed with `seal`, its windows 100 s each from `now`."""
    return JobTerms(
        base_model=BASE, training_set=TRAIN, evaluation_seal=seal, spec=SPEC, min_score_bps=6000,
        deadlines=(now + 100, now + 200, now + 300, now + 400), min_stake=ETH // 10, committee_size=3, reward=REWARD,
    )  # fmt: skip


def _travel(client: Client, t: int) -> None:
    client.w3.testing.timeTravel(t)
    client.w3.testing.mine(1)


@pytest.fixture(scope="module")
def world() -> dict:
    admin = in_process()
    accounts = admin.w3.eth.accounts
    registry, _ = admin.deploy("ModelRegistry", admin.address, ZERO_ADDRESS)  # anchoring off
    admin.transact(registry.functions.register(BASE, b"\0" * 32, TRAIN, 5000, "file:///base"))
    contract, receipt = admin.deploy("TrainingMarket", registry.address, market_config(min_window=60))
    admin.transact(registry.functions.grantRole(registry.functions.MARKET_ROLE().call(), contract.address))
    lens, _ = admin.deploy("MarketLens", contract.address)
    market = MarketClient(admin, contract.address, lens.address)
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
    now = _epoch_aligned_now(admin)
    eval_salt = new_salt()
    job_id = market.as_sender(requester).post_job(_terms(evaluation_seal(EVAL, eval_salt), now))
    salt = new_salt()
    sealed = commitment(job_id, worker.address, MODEL, 7000, salt)
    market.as_sender(worker).commit(job_id, sealed, ETH // 10)
    assert market.phase(job_id) is Phase.OPEN

    _travel(admin, now + 100)
    market.as_sender(worker).reveal(job_id, MODEL, 7000, salt, "file:///m")
    market.as_sender(requester).reveal_evaluation(job_id, EVAL, eval_salt, "file:///eval")
    market.as_sender(worker).draw_committee(job_id)
    seats = market.committee(job_id)  # seats by bond: three seats among the three, any one may hold several
    assert len(seats) == 3 and set(seats) <= {v.address for v in (v1, v2, v3)}
    _travel(admin, now + 200)
    scores = [(v, score) for v, score in ((v1, 7000), (v2, 7010), (v3, 6990)) if v.address in seats]
    by_seat = sorted(dict((v.address, score) for v, score in scores)[a] for a in seats)
    for v, score in scores:
        market.as_sender(v).commit_attestation(job_id, attestation_seal(job_id, v.address, [score], salt))
    _travel(admin, now + 300)
    for v, score in scores:
        market.as_sender(v).reveal_attestation(job_id, [score], salt)
    _travel(admin, now + 400)
    assert market.phase(job_id) is Phase.FINALIZABLE
    market.finalize(job_id)
    index, sub = market.submission_of(job_id, worker.address)
    market.as_sender(worker).claim(job_id, index)
    paid = scores[0][0]  # a seated member: every seat within tolerance of 7000 is paid
    market.as_sender(paid).withdraw()

    job = market.job(job_id)
    assert (job.status.name, job.winner_index, job.requester, job.evaluation) == (
        "FINALIZED",
        0,
        requester.address,
        EVAL,
    )
    assert (sub.outcome, sub.verified_score_bps, sub.payout) == (
        Outcome.WON,
        by_seat[1],  # the lower median of the three seats' scores
        ETH // 10 + REWARD - REWARD * 500 // 10_000,
    )
    assert world["registry"].functions.isRegistered(MODEL).call()
    assert not market.is_sealed(job_id)  # posted with postJob: unsealed
    assert market.validator(v1.address).leaf == 0

    events = market.events(world["start"])
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["ValidatorJoined"] * 3 + [
        "JobPosted",
        "Committed",
        "Revealed",
        "EvaluationRevealed",
        "CommitteeSeedBlockSet",  # the draw's first call fixes the seed block, the second draws
        "CommitteeDrawn",
    ] + ["AttestationCommitted"] * len(scores) + ["AttestationRevealed"] * len(scores) + ["ValidatorSettled"] * 3 + [
        "Finalized",
        "Claimed",
        "Withdrawn",
    ]
    posted = next(e for e in events if isinstance(e, JobPosted))
    assert (posted.job_id, posted.evaluation_seal, posted.settle_deadline, posted.reward) == (
        job_id, evaluation_seal(EVAL, eval_salt), now + 400, REWARD,
    )  # fmt: skip
    assert next(e for e in events if isinstance(e, Committed)).commitment == sealed
    assert next(e for e in events if isinstance(e, Revealed)).uri == "file:///m"
    assert next(e for e in events if isinstance(e, EvaluationRevealed)).evaluation_set == EVAL
    assert len(next(e for e in events if isinstance(e, CommitteeDrawn)).seats) == 3
    assert sorted(e.scores for e in events if isinstance(e, AttestationRevealed)) == sorted((s,) for _, s in scores)
    fin = next(e for e in events if isinstance(e, Finalized))
    assert (fin.winner, fin.model_hash, fin.prize) == (worker.address, MODEL, REWARD - REWARD * 500 // 10_000)
    assert next(e for e in events if isinstance(e, Claimed)).amount == sub.payout


def test_reverts_surface_as_errors(world: dict) -> None:
    # Against anvil, Client.transact reports the decoded TrainingMarket error; eth-tester
    # raises its own TransactionFailed from estimate_gas, which Client does not map yet.
    from eth_tester.exceptions import TransactionFailed

    with pytest.raises((TransactionError, TransactionFailed)):
        world["market"].as_sender(world["admin"].with_account(world["admin"].w3.eth.accounts[8])).withdraw()


def test_role_helpers_find_submissions_and_events(world: dict) -> None:
    market = world["market"]
    requester, worker, v1, _, _ = world["users"]
    assert market.submission_of(1, requester.address) is None
    assert market.is_validator(v1.address) and not market.is_validator(requester.address)
    assert market.market_config().quorum == 2
    assert market.config()["max_submissions"] == 16
    assert market.job_posted(1).spec == SPEC
    assert market.finalized_event(1).winner == worker.address
    assert market.evaluation_revealed(1).uri == "file:///eval"
    assert market.attestation_seal(1, market.committee(1)[0]) == b"\0" * 31 + b"\1"  # a seated member revealed
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
        world["market"].reveal_attestation(1, [10_001], b"\0" * 32)


def test_an_evaluation_set_attested_unavailable_is_decoded(world: dict) -> None:
    # Last in this module: it posts a second job on the shared chain.
    admin, market = world["admin"], world["market"]
    requester, worker, v1, v2, v3 = world["users"]
    for v in (v1, v2, v3):
        if market.validator(v.address).leaf is None:
            market.as_sender(v).join_validators(ETH)
    now = _epoch_aligned_now(admin)
    eval_salt = new_salt()
    job_id = market.as_sender(requester).post_job(_terms(evaluation_seal(EVAL, eval_salt), now))
    salt = new_salt()
    market.as_sender(worker).commit(job_id, commitment(job_id, worker.address, bytes([7]) * 32, 7000, salt), ETH // 10)
    _travel(admin, now + 100)
    market.as_sender(requester).reveal_evaluation(job_id, EVAL, eval_salt, "file:///eval")
    market.as_sender(worker).draw_committee(job_id)
    _travel(admin, now + 200)
    member = next(v for v in (v1, v2, v3) if v.address in market.committee(job_id))  # seats by bond: any of the three

    receipt = market.as_sender(member).attest_unavailable(job_id)

    found = market.events_of(job_id, "EvaluationUnavailable")
    assert found == [
        EvaluationUnavailable(receipt["blockNumber"], found[0].tx_hash, found[0].log_index, job_id, member.address)
    ]
    assert found[0] in market.events(receipt["blockNumber"])  # every event kind, decoded
