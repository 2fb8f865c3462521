import brownie
from errors import err
from hashes import ZERO_ADDRESS, h
from market_helpers import (
    DEPOSIT,
    FORFEIT,
    MIN_BOND,
    MIN_STAKE,
    REWARD,
    SLASH_BPS,
    URI,
    at_time,
    claim_all,
    do_commit,
    do_reveal,
    finalize,
    job_times,
    lens_of,
    model_of,
    post,
    run_job,
    seats_held,
    slashed_over,
    to_finalize,
    to_reveal,
)

FEE = REWARD * 500 // 10_000
SLASH = MIN_BOND * SLASH_BPS // 10_000
OUTCOME = {"Pending": 0, "Unrevealed": 1, "Unverified": 2, "Dishonest": 3, "Honest": 4, "Won": 5, "Forfeited": 6}


def test_an_honest_claim_wins_the_reward_less_the_validator_fee(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 7000}, {alice: [7000, 6990, 7010]})

    finalize(market, job_id, requester)

    assert claim_all(market, job_id) == {alice.address: MIN_STAKE + REWARD - FEE}
    held = [seats_held(market, job_id, v) for v in validators]  # seats by bond: 3 in all
    assert [market.pendingOf(v) for v in validators] == [k * (FEE // 3) for k in held]  # paid per seat
    assert market.pendingOf(requester) == DEPOSIT  # its deposit back: the job was no failure of its
    assert market.pendingOf(ZERO_ADDRESS) == FEE % 3  # the division dust is burned


def test_finalized_event_reports_the_settlement(market, requester, alice, bob, validators):
    job_id = run_job(market, requester, validators, {alice: 7000, bob: 9000}, {alice: [7000] * 3, bob: [6000] * 3})

    tx = finalize(market, job_id, requester)

    assert list(tx.events["Finalized"].values()) == [
        job_id,
        alice,
        model_of(alice),
        7000,
        REWARD - FEE,
        FEE - FEE % 6,
        0,
        DEPOSIT,  # the requester's deposit back
        MIN_STAKE + FEE % 6,  # burned: bob's slashed stake and the division dust
    ]


def test_a_dishonest_claim_is_slashed_and_burned(market, requester, alice, bob, validators):
    job_id = run_job(
        market, requester, validators, {alice: 7000, bob: 9000}, {alice: [7000] * 3, bob: [6000, 6050, 5990]}
    )

    finalize(market, job_id, requester)

    assert claim_all(market, job_id)[bob.address] == 0
    assert market.pendingOf(requester) == DEPOSIT  # its deposit; the slashed stake never (issue 20)
    assert market.pendingOf(ZERO_ADDRESS) == MIN_STAKE + FEE % 6
    assert lens_of(market).submissions(job_id)[1]["outcome"] == OUTCOME["Dishonest"]


def test_a_claim_exactly_at_the_tolerance_is_honest(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 7100}, {alice: [7000, 7000, 7000]})

    finalize(market, job_id, requester)

    assert lens_of(market).submissions(job_id)[0]["outcome"] == OUTCOME["Won"]


def test_a_claim_one_bps_beyond_the_tolerance_is_dishonest(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 7101}, {alice: [7000, 7000, 7000]})

    finalize(market, job_id, requester)

    assert lens_of(market).submissions(job_id)[0]["outcome"] == OUTCOME["Dishonest"]


def test_unrevealed_commits_are_slashed(market, requester, alice, bob, validators):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 7000)
    to_finalize(market, job_id)

    finalize(market, job_id, requester)

    assert market.pendingOf(requester) == REWARD + DEPOSIT  # its reward and deposit back; the slashed stake is burned
    assert market.pendingOf(ZERO_ADDRESS) == MIN_STAKE
    assert lens_of(market).submissions(job_id)[0]["outcome"] == OUTCOME["Unrevealed"]


def test_submissions_below_quorum_pay_the_forfeit_and_cannot_win(market, requester, alice, bob, validators):
    job_id = run_job(
        market,
        requester,
        validators,
        {alice: 9500, bob: 7000},
        {alice: [9500, None, None], bob: [7000, None, None]},
        one_seat=True,  # one attesting seat: below the quorum of 2
    )

    tx = finalize(market, job_id, requester)

    subs = lens_of(market).submissions(job_id)
    assert (subs[0]["outcome"], subs[1]["outcome"]) == (OUTCOME["Unverified"], OUTCOME["Unverified"])
    assert tx.events["Finalized"]["winner"] == "0x" + "00" * 20
    assert claim_all(market, job_id) == {alice.address: MIN_STAKE - FORFEIT, bob.address: MIN_STAKE - FORFEIT}


def test_a_silent_committee_member_is_slashed_per_missing_attestation(market, requester, alice, bob, validators):
    job_id = run_job(
        market, requester, validators, {alice: 7000, bob: 7000}, {alice: [7000, 7000, None], bob: [7000, 7000, None]}
    )

    finalize(market, job_id, requester)

    held = seats_held(market, job_id, validators[2])  # seats by bond: 0 to 3 seats, each slashed twice
    assert market.validator(validators[2])["bond"] == MIN_BOND - slashed_over(held, bad=2)
    assert market.pendingOf(validators[2]) == 0


def test_an_even_count_settles_on_the_lower_median(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 7000}, {alice: [7000, 8000, None]}, one_seat=True)

    finalize(market, job_id, requester)

    assert lens_of(market).submissions(job_id)[0]["verifiedScoreBps"] == 7000


def test_the_highest_verified_score_wins(market, requester, alice, bob, validators):
    job_id = run_job(market, requester, validators, {alice: 7000, bob: 7500}, {})

    tx = finalize(market, job_id, requester)

    assert tx.events["Finalized"]["winner"] == bob


def test_ties_go_to_the_earliest_commit(market, requester, alice, bob, validators):
    job_id = run_job(market, requester, validators, {bob: 7000, alice: 7000}, {})

    tx = finalize(market, job_id, requester)

    assert tx.events["Finalized"]["winner"] == bob


def test_verified_scores_below_the_minimum_pay_the_forfeit_and_refund_the_reward(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 5000}, {})

    tx = finalize(market, job_id, requester)

    assert tx.events["Finalized"]["winner"] == "0x" + "00" * 20
    assert claim_all(market, job_id) == {alice.address: MIN_STAKE - FORFEIT}
    assert market.pendingOf(requester) == REWARD - FEE + DEPOSIT  # the forfeit and the dust are burned
    assert market.pendingOf(ZERO_ADDRESS) == FORFEIT + FEE % 3


def test_a_job_without_submissions_refunds_the_requester(market, requester):
    job_id, _ = post(market, requester)
    to_finalize(market, job_id)

    tx = finalize(market, job_id, requester)

    assert tx.events["Finalized"]["refund"] == REWARD + DEPOSIT
    assert market.pendingOf(requester) == REWARD + DEPOSIT


def test_an_unrevealed_evaluation_set_forfeits_the_reward_to_revealed_workers(
    market, requester, alice, bob, validators
):
    job_id = run_job(market, requester, validators, {alice: 7000, bob: 8000}, {}, reveal_eval_set=False)

    finalize(market, job_id, requester)

    assert claim_all(market, job_id) == {alice.address: MIN_STAKE + REWARD // 2, bob.address: MIN_STAKE + REWARD // 2}
    assert lens_of(market).submissions(job_id)[0]["outcome"] == OUTCOME["Forfeited"]
    assert market.pendingOf(requester) == 0


def test_finalize_before_the_settle_deadline_is_rejected(market, requester):
    job_id, _ = post(market, requester)
    settle = job_times(market, job_id)[3]
    at_time(settle - 1)

    with brownie.reverts(err("TrainingMarketTooEarly", job_id, settle)):
        market.finalize(job_id, h("x"), "", {"from": requester})


def test_finalize_at_the_settle_deadline_is_accepted(market, requester):
    job_id, _ = post(market, requester)
    at_time(job_times(market, job_id)[3])

    finalize(market, job_id, requester)

    assert lens_of(market).phase(job_id) == 7  # Finalized


def test_a_job_is_finalized_once(market, requester):
    job_id, _ = post(market, requester)
    to_finalize(market, job_id)
    finalize(market, job_id, requester)

    with brownie.reverts(err("TrainingMarketJobClosed", job_id)):
        finalize(market, job_id, requester)


def test_unknown_jobs_cannot_be_finalized(market, requester):
    with brownie.reverts(err("TrainingMarketUnknownJob", 9)):
        market.finalize(9, h("x"), "", {"from": requester})


def test_a_cancelled_job_cannot_be_finalized(market, requester):
    job_id, _ = post(market, requester)
    market.cancelJob(job_id, {"from": requester})
    to_finalize(market, job_id)

    with brownie.reverts(err("TrainingMarketJobClosed", job_id)):
        market.finalize(job_id, h("x"), "", {"from": requester})


def test_finalize_needs_the_winners_revealed_uri(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 7000}, {})

    with brownie.reverts(err("TrainingMarketWrongResult", job_id, alice)):
        finalize(market, job_id, requester, uri="http://elsewhere")


def test_the_winner_is_registered_as_a_child_of_the_base_model(market, market_registry, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 7000}, {})

    tx = finalize(market, job_id, requester)

    record = market_registry.recordOf(model_of(alice))
    assert (record["parentHash"], record["publisher"], record["scoreBps"], record["jobId"]) == (
        h("base"), alice, 7000, job_id,
    )  # fmt: skip
    assert tx.events["ModelRegistered"]["uri"] == URI


def test_a_claim_is_paid_once_and_only_to_its_worker(market, requester, alice, bob, validators):
    job_id = run_job(market, requester, validators, {alice: 7000}, {})
    finalize(market, job_id, requester)

    with brownie.reverts(err("TrainingMarketNotYourSubmission", job_id, 0, bob)):
        market.claim(job_id, 0, {"from": bob})
    market.claim(job_id, 0, {"from": alice})
    with brownie.reverts(err("TrainingMarketNothingToWithdraw", alice)):
        market.claim(job_id, 0, {"from": alice})


def test_claims_wait_for_finalize(market, requester, alice):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 7000)
    to_reveal(market, job_id)
    do_reveal(market, job_id, alice, 7000)

    with brownie.reverts(err("TrainingMarketNotFinalized", job_id)):
        market.claim(job_id, 0, {"from": alice})


def test_an_exiting_member_still_attests_and_is_paid(market, requester, alice, validators):
    market.requestExit({"from": validators[0]})  # after the draw it would still hold its seat
    job_id = run_job(market, requester, validators, {alice: 7000}, {})

    finalize(market, job_id, requester)

    assert validators[0].address not in lens_of(market).committee(job_id)  # no longer drawn


def test_a_conservative_claim_below_the_median_is_honest(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 6500}, {alice: [7000, 7000, 7000]})

    finalize(market, job_id, requester)

    sub = lens_of(market).submissions(job_id)[0]
    assert (sub["outcome"], sub["verifiedScoreBps"]) == (OUTCOME["Won"], 7000)


def test_each_seat_s_settlement_is_emitted_and_adds_up_to_the_totals(market, requester, alice, bob, validators):
    job_id = run_job(
        market, requester, validators, {alice: 9000, bob: 7000}, {alice: [7000, 7000, 9000], bob: [7000] * 3}
    )
    bonds = {v.address: market.validator(v)["bond"] for v in validators}
    committee = list(lens_of(market).committee(job_id))

    tx = finalize(market, job_id, requester)

    events = list(tx.events["ValidatorSettled"])  # one a seat: seats by bond, a member may hold several
    assert [e["validator"] for e in events] == [a for a in committee if int(a, 16)]
    for v in validators:
        mine = [e for e in events if e["validator"] == v.address]
        assert all(e["jobId"] == job_id and committee[e["seat"]] == v.address for e in mine)
        assert sum(e["slashed"] for e in mine) == bonds[v.address] - market.validator(v)["bond"]
        assert sum(e["paid"] for e in mine) == market.pendingOf(v)
    if committee.count(validators[2].address) < 2:  # the honest two hold the majority: medians 7000
        for e in events:
            lazy = e["validator"] == validators[2].address
            assert (e["good"], e["bad"]) == ((1, 1) if lazy else (2, 0))
    seats = {e["seat"]: e for e in events}
    final = tx.events["Finalized"]
    assert sum(e["paid"] for e in seats.values()) == final["validatorPay"]
    assert sum(e["slashed"] for e in seats.values()) == final["validatorSlashed"]
