"""Issue 20 item 5: capture that costs more than it pays. Sybils drawn to a majority of a job's
seats (with 40 % of all bond) convict an honest worker, or pass junk; one appeal to the whole
bond (contracts/Appeals.sol) undoes the captured verdict and takes the captors' whole bonds.

Written first against the market without appeals: both attacks were strict xfails there (the
captured verdict stood, the Sybils kept their bonds)."""

from appeal_helpers import file_appeal, vote
from market_helpers import (
    MIN_BOND,
    MIN_STAKE,
    NO_WINNER,
    REWARD,
    claim_all,
    commit_scores,
    do_commit,
    do_reveal,
    draw,
    finalize,
    lens_of,
    post,
    reveal_eval,
    reveal_scores,
    seated,
    seats_held,
    to_attest,
    to_reveal,
    to_settle,
)
from test_attacks import _bonded

import pytest

V3 = "issue 20 item 5: no appeal yet"

DISHONEST, WON = 3, 5  # ITrainingMarket.Outcome


def _captured_job(market, requester, claims, sybils, tries=30):
    """Post jobs with `claims` {worker: score} until the Sybils hold a strict majority of the
    three seats (with 2 of 5 equal bonds, about one draw in three)."""
    for _ in range(tries):
        job_id, _ = post(market, requester)
        for worker, score in claims.items():
            do_commit(market, job_id, worker, score)
        to_reveal(market, job_id)
        for worker, score in claims.items():
            do_reveal(market, job_id, worker, score)
        reveal_eval(market, job_id, requester)
        draw(market, job_id, requester)
        if 2 * sum(seats_held(market, job_id, s) for s in sybils) > 3:
            return job_id
    raise AssertionError(f"{tries} draws and no Sybil majority")


def _attest(market, job_id, plans):
    """Each seated member in `plans` {member: scores} commits, then reveals."""
    seats = list(lens_of(market).committee(job_id))
    plans = {m: s for m, s in plans.items() if m.address in seats}
    to_attest(market, job_id)
    for m, scores in plans.items():
        commit_scores(market, job_id, m, scores)
    to_settle(market, job_id)
    for m, scores in plans.items():
        reveal_scores(market, job_id, m, scores)


@pytest.mark.xfail(reason=V3, strict=True)
def test_issue17_5_sybils_with_a_majority_of_seats_cannot_convict_an_honest_worker(
    market, accounts, requester, alice, validators
):
    sybils = _bonded(market, accounts, requester, 2)  # 2 ETH of 5: the requester's
    job_id = _captured_job(market, requester, {alice: 8000}, sybils)
    _attest(market, job_id, {v: [8000] for v in validators} | {s: [0] for s in sybils})
    assert lens_of(market).winnerOf(job_id) == NO_WINNER  # the committee convicts the honest worker

    file_appeal(market, job_id, alice, named=0b1)
    vote(market, job_id, {v: 0b0 for v in validators} | {s: 0b1 for s in sybils})
    finalize(market, job_id, requester)

    assert lens_of(market).submissions(job_id)[0]["outcome"] == WON
    assert claim_all(market, job_id)[alice] > MIN_STAKE + REWARD * 9 // 10  # stake + prize
    for s in seated(market, job_id, sybils):
        assert market.validator(s)["bond"] == 0  # a captor loses its whole bond
    assert all(market.validator(v)["bond"] == MIN_BOND for v in validators)


@pytest.mark.xfail(reason=V3, strict=True)
def test_issue17_5_sybils_with_a_majority_of_seats_cannot_pass_junk(
    market, accounts, requester, alice, carol, validators
):
    sybils = _bonded(market, accounts, requester, 2)  # carol's: its junk claims 9000, measures 1000
    job_id = _captured_job(market, requester, {alice: 8000, carol: 9000}, sybils)
    _attest(market, job_id, {v: [8000, 1000] for v in validators} | {s: [8000, 9000] for s in sybils})
    assert lens_of(market).winnerOf(job_id) == 1  # the junk wins the committee's verdict

    file_appeal(market, job_id, alice, named=0b10)
    vote(market, job_id, {v: 0b10 for v in validators} | {s: 0b00 for s in sybils})
    finalize(market, job_id, requester)

    outcomes = [s["outcome"] for s in lens_of(market).submissions(job_id)]
    assert outcomes == [WON, DISHONEST]
    paid = claim_all(market, job_id)
    assert paid[alice] > MIN_STAKE + REWARD * 9 // 10 and paid.get(carol, 0) == 0
    for s in seated(market, job_id, sybils):
        assert market.validator(s)["bond"] == 0
    assert all(market.validator(v)["bond"] == MIN_BOND for v in validators)
