"""MarketLens: the judged views over the market's raw reads, judged with the same Judgment
library finalize and claim use (so what it shows is what the market does)."""

import brownie
from errors import err
from market_helpers import (
    FORFEIT,
    MIN_SCORE,
    MIN_STAKE,
    REWARD,
    claim_all,
    do_commit,
    finalize,
    lens_of,
    post,
    run_job,
    to_finalize,
)

FEE_BPS = 500


def test_the_lens_reads_its_market(market, lens):
    assert lens.market() == market


def test_a_submission_index_past_the_count_reverts(market, requester, alice):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 7000)

    with brownie.reverts(err("TrainingMarketNoSubmission", job_id, 1)):
        market.submissionAt(job_id, 1)


def test_the_raw_submission_is_what_was_committed(market, requester, alice):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 7000)

    record = market.submissionAt(job_id, 0)

    assert (record["worker"], record["stake"], record["sheet"]) == (alice, MIN_STAKE, 0)


def test_a_score_at_the_minimum_reaches_it_and_one_below_does_not(market, lens, requester):
    job_id, _ = post(market, requester)

    assert (lens.reachesMinimum(job_id, MIN_SCORE), lens.reachesMinimum(job_id, MIN_SCORE - 1)) == (True, False)


def test_phases_are_read_for_many_jobs_at_once(market, lens, requester):
    first, _ = post(market, requester)
    second, _ = post(market, requester)
    to_finalize(market, first)

    # One second apart: the first is finalizable (6), the second still settling (3).
    assert list(lens.phases([first, second])) == [lens.phase(first), lens.phase(second)] == [6, 3]


def test_an_honest_submission_below_the_minimum_is_judged_below_minimum(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: MIN_SCORE - 1000}, {})
    finalize(market, job_id, requester)

    sub = lens_of(market).submissions(job_id)[0]

    assert (sub["outcome"], sub["payout"]) == (7, MIN_STAKE - FORFEIT)  # Outcome.BelowMinimum


def test_the_settlement_pays_what_claim_paid_after_the_claims(market, requester, alice, bob, validators):
    job_id = run_job(market, requester, validators, {alice: 7000, bob: MIN_SCORE - 1000}, {})
    finalize(market, job_id, requester)
    before = [s["payout"] for s in lens_of(market).submissions(job_id)]
    paid = claim_all(market, job_id)

    judged, totals = lens_of(market).settlementOf(job_id, [MIN_STAKE, MIN_STAKE], REWARD)

    assert [j["stakeReturned"] + j["share"] for j in judged] == before == [paid[alice], paid[bob]]
    assert (judged[0]["outcome"], judged[1]["outcome"], judged[1]["stakeLost"]) == (5, 7, FORFEIT)
    assert (totals["stakesSlashed"], totals["forfeits"], totals["validatorFee"]) == (
        0,
        FORFEIT,
        REWARD * FEE_BPS // 10_000,
    )


def test_the_settlement_needs_one_stake_per_submission(market, lens, requester, alice):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 7000)

    with brownie.reverts(err("MarketLensWrongStakeCount", job_id, 0, 1)):
        lens.settlementOf(job_id, [], REWARD)


def test_every_seat_within_tolerance_is_marked_near(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 7000}, {alice: [7000, 7050, 7500]}, one_seat=True)
    finalize(market, job_id, requester)

    judged, _ = lens_of(market).settlementOf(job_id, [MIN_STAKE], REWARD)
    near = judged[0]["nearSeats"]
    seats = list(lens_of(market).committee(job_id))

    assert sorted(bool(near >> s & 1) for s in range(len(seats))) == [False, True, True]
