import brownie
from errors import err
from hashes import ZERO, h
from market_helpers import (
    MIN_BOND,
    MIN_STAKE,
    QUORUM,
    REWARD,
    at_time,
    do_commit,
    job_times,
    model_of,
    post,
    run_job,
    sleep_until,
    to_finalize,
)

FEE = REWARD * 500 // 10_000
OUTCOME = {"Pending": 0, "Unrevealed": 1, "Unverified": 2, "Dishonest": 3, "Honest": 4, "Won": 5}


def test_an_honest_claim_wins_and_is_paid_reward_less_fee_plus_dust(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 7000}, {alice: [7000, 6990, 7010]})

    market.finalize(job_id, {"from": requester})

    share = FEE // 3
    assert market.pendingOf(alice) == MIN_STAKE + REWARD - 3 * share  # 2 wei of dust included
    assert [market.pendingOf(v) for v in validators] == [share] * 3


def test_finalized_event_reports_the_settlement(market, requester, alice, bob, validators):
    job_id = run_job(
        market,
        requester,
        validators,
        {alice: 7000, bob: 9000},
        {alice: [7000, 7000, 7000], bob: [6000, 6000, 6000]},
    )

    tx = market.finalize(job_id, {"from": requester})

    assert list(tx.events["Finalized"].values()) == [
        job_id,
        alice,
        model_of(alice),
        7000,
        REWARD - FEE + FEE % 3 - 0,
        FEE - FEE % 3,
        MIN_STAKE,
        0,
    ]


def test_a_dishonest_claim_is_slashed_to_the_requester(market, requester, alice, bob, validators):
    job_id = run_job(
        market,
        requester,
        validators,
        {alice: 7000, bob: 9000},
        {alice: [7000, 7000, 7000], bob: [6000, 6050, 5990]},
    )

    market.finalize(job_id, {"from": requester})

    assert market.pendingOf(requester) == MIN_STAKE
    assert market.pendingOf(bob) == 0
    assert list(market.workerStats(bob)) == [0, 1]


def test_a_claim_exactly_at_the_tolerance_is_honest(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 7100}, {alice: [7000, 7000, 7000]})

    market.finalize(job_id, {"from": requester})

    assert market.submissions(job_id)[0]["outcome"] == OUTCOME["Won"]


def test_a_claim_one_bps_beyond_the_tolerance_is_dishonest(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 7101}, {alice: [7000, 7000, 7000]})

    market.finalize(job_id, {"from": requester})

    assert market.submissions(job_id)[0]["outcome"] == OUTCOME["Dishonest"]


def test_unrevealed_commits_are_slashed(market, requester, alice, validators):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 7000)
    to_finalize(market, job_id)

    market.finalize(job_id, {"from": requester})

    assert market.pendingOf(requester) == REWARD + MIN_STAKE
    assert market.submissions(job_id)[0]["outcome"] == OUTCOME["Unrevealed"]


def test_submissions_below_quorum_get_their_stake_back_and_cannot_win(market, requester, alice, bob, validators):
    job_id = run_job(
        market,
        requester,
        validators,
        {alice: 9500, bob: 7000},
        {alice: [9500, None, None], bob: [7000, 7000, None]},
    )

    market.finalize(job_id, {"from": requester})

    assert market.pendingOf(alice) == MIN_STAKE
    assert market.submissions(job_id)[0]["outcome"] == OUTCOME["Unverified"]
    assert market.submissions(job_id)[1]["outcome"] == OUTCOME["Won"]


def test_the_highest_verified_score_wins(market, requester, alice, bob, validators):
    job_id = run_job(
        market,
        requester,
        validators,
        {alice: 7000, bob: 7500},
        {alice: [7000] * 3, bob: [7500] * 3},
    )

    tx = market.finalize(job_id, {"from": requester})

    assert tx.events["Finalized"]["winner"] == bob


def test_ties_go_to_the_earliest_commit(market, requester, alice, bob, validators):
    job_id = run_job(
        market,
        requester,
        validators,
        {bob: 7000, alice: 7000},
        {alice: [7000] * 3, bob: [7000] * 3},
    )

    tx = market.finalize(job_id, {"from": requester})

    assert tx.events["Finalized"]["winner"] == bob


def test_verified_scores_below_the_minimum_do_not_win(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 5000}, {alice: [5000] * 3})

    tx = market.finalize(job_id, {"from": requester})

    assert list(tx.events["Finalized"].values()) == [job_id, ZERO_ADDR, ZERO, 0, 0, 0, 0, REWARD]
    assert market.pendingOf(requester) == REWARD
    assert market.pendingOf(alice) == MIN_STAKE


def test_a_job_without_submissions_refunds_the_requester(market, requester):
    job_id, _ = post(market, requester)
    to_finalize(market, job_id)

    market.finalize(job_id, {"from": requester})

    assert market.pendingOf(requester) == REWARD


def test_the_winner_is_registered_as_a_child_of_the_base_model(market, market_registry, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 7000}, {alice: [7000, 7050, 7100]})

    tx = market.finalize(job_id, {"from": requester})

    record = market_registry.recordOf(model_of(alice))
    assert list(record) == [h("base"), market, 7050, job_id, tx.block_number]
    assert tx.events["ModelRegistered"]["datasetHash"] == h("train")


def test_an_already_registered_model_does_not_block_finalize(
    market, market_registry, requester, alice, mallory, validators
):
    job_id = run_job(market, requester, validators, {alice: 7000}, {alice: [7000] * 3})
    market_registry.register(model_of(alice), h("base"), h("x"), 1, "", {"from": mallory})

    tx = market.finalize(job_id, {"from": requester})

    assert tx.events["Finalized"]["winner"] == alice
    assert "ModelRegistered" not in tx.events


def test_only_validators_near_the_median_share_the_fee(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 7000}, {alice: [7000, 7000, 6000]})

    market.finalize(job_id, {"from": requester})

    assert [market.pendingOf(v) for v in validators] == [FEE // 2, FEE // 2, 0]


def test_an_even_count_median_far_from_every_attestation_leaves_the_fee_with_the_winner(
    TrainingMarket, market_registry, admin, requester, alice, validators
):
    strict = TrainingMarket.deploy(market_registry, MIN_BOND, QUORUM, 0, 500, {"from": admin})
    market_registry.grantRole(market_registry.MARKET_ROLE(), strict, {"from": admin})
    for v in validators[:2]:
        strict.joinValidators({"from": v, "value": MIN_BOND})
    job_id = run_job(strict, requester, validators, {alice: 7001}, {alice: [7000, 7002]})

    strict.finalize(job_id, {"from": requester})

    assert strict.pendingOf(alice) == MIN_STAKE + REWARD
    assert strict.pendingOf(validators[0]) == 0


def test_a_validator_that_left_before_finalize_forfeits_its_share_to_the_winner(
    market, requester, alice, validators, mallory
):
    job_id = run_job(market, requester, validators, {alice: 7000}, {alice: [7000] * 3})
    exit_tx = market.requestExit({"from": validators[0]})
    sleep_until(exit_tx.events["ValidatorExitRequested"]["unlocksAt"])
    market.withdrawBond({"from": validators[0]})
    market.joinValidators({"from": mallory, "value": MIN_BOND})  # takes seat 0

    market.finalize(job_id, {"from": requester})

    share = FEE // 3
    assert market.pendingOf(mallory) == 0
    assert market.pendingOf(validators[0]) == 0
    assert market.pendingOf(alice) == MIN_STAKE + REWARD - 2 * share


def test_winner_stats_count_the_win(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 7000}, {alice: [7000] * 3})

    market.finalize(job_id, {"from": requester})

    assert list(market.workerStats(alice)) == [1, 0]


def test_finalize_before_the_attest_deadline_is_rejected(market, requester):
    job_id, _ = post(market, requester)
    deadline = job_times(market, job_id)[2]
    at_time(deadline - 1)

    with brownie.reverts(err("TrainingMarketTooEarly", job_id, deadline)):
        market.finalize(job_id, {"from": requester})


def test_finalize_at_the_attest_deadline_is_accepted(market, requester):
    job_id, _ = post(market, requester)
    at_time(job_times(market, job_id)[2])

    tx = market.finalize(job_id, {"from": requester})

    assert "Finalized" in tx.events


def test_a_job_is_finalized_once(market, requester, alice):
    job_id, _ = post(market, requester)
    to_finalize(market, job_id)
    market.finalize(job_id, {"from": alice})

    with brownie.reverts(err("TrainingMarketJobClosed", job_id)):
        market.finalize(job_id, {"from": alice})


def test_a_cancelled_job_cannot_be_finalized(market, requester):
    job_id, _ = post(market, requester)
    market.cancelJob(job_id, {"from": requester})
    to_finalize(market, job_id)

    with brownie.reverts(err("TrainingMarketJobClosed", job_id)):
        market.finalize(job_id, {"from": requester})


def test_unknown_jobs_cannot_be_finalized(market, requester):
    with brownie.reverts(err("TrainingMarketUnknownJob", 77)):
        market.finalize(77, {"from": requester})


ZERO_ADDR = "0x" + "00" * 20
