"""Issue 20, the appeal's loose ends: abstaining after the draw paid the requester (the economics
benchmark's last profitable row). Its Sybils, drawn to a majority of the seats, stay silent: too
few seats attest for either side to be a strict majority, so the honest worker is Undecided (or,
below the quorum, Unverified), wins nothing, and the requester takes its reward back and the
revealed model. The appeal could not help: it rewrote only the seats that attested, so the
sheet stayed short of a majority and the verdict stood.

The guard (contracts/Appeals.sol, `_rewrite`): an overturned sheet holds the vote's score on
every drawn seat, absent ones too, so the vote decides a submission the committee left
Undecided or Unverified; each absent seat is still slashed as a missing attestation (its slash
share, not its whole bond: an honest member that was offline pays what it always paid). And the
validators' fee of a job whose verdict was overturned is burned when nobody earned it, never
refunded to the requester, who caused the overturn.

Written first against the market before the guard: the first two tests failed there (the
second on the refund: every seat of its one overturned sheet settles nothing, so nobody earned
the pool and the fee went back to the requester, the captors' side)."""

from appeal_helpers import file_appeal, vote
from market_helpers import (
    DEPOSIT,
    FEE_BPS,
    MIN_BOND,
    MIN_STAKE,
    REWARD,
    claim_all,
    finalize,
    lens_of,
    one_seat_each,
    seated,
    slashed_over,
)
from test_appeal import WON, _attest, _captured_job, _drawn_job
from test_attacks import _bonded

PRIZE = REWARD - REWARD * FEE_BPS // 10_000


def test_issue20_silent_requester_sybils_do_not_deny_an_honest_worker_its_prize(
    market, accounts, requester, alice, validators
):
    sybils = _bonded(market, accounts, requester, 2)  # 2 ETH of 5: the requester's
    job_id = _captured_job(market, requester, {alice: 8000}, sybils)
    _attest(market, job_id, {v: [8000] for v in validators})  # the Sybils stay silent
    assert lens_of(market).submissions(job_id)[0]["outcome"] != WON  # too few seats attested

    file_appeal(market, job_id, alice)
    vote(market, job_id, {v: 0b0 for v in validators} | {s: 0b1 for s in sybils})
    finalize(market, job_id, requester)

    assert lens_of(market).submissions(job_id)[0]["outcome"] == WON
    assert claim_all(market, job_id)[alice] == MIN_STAKE + PRIZE
    for s in seated(market, job_id, sybils):  # silent, not on a losing side: the missing slash
        held = list(lens_of(market).committee(job_id)).count(s.address)
        assert market.validator(s)["bond"] == MIN_BOND - slashed_over(held)


def test_issue20_a_requester_is_not_refunded_the_fee_of_a_verdict_it_had_overturned(
    market, accounts, requester, alice, validators
):
    sybils = _bonded(market, accounts, requester, 2)
    job_id = _captured_job(market, requester, {alice: 8000}, sybils)
    _attest(market, job_id, {v: [8000] for v in validators} | {s: [0] for s in sybils})  # a conviction
    file_appeal(market, job_id, alice)
    vote(market, job_id, {v: 0b0 for v in validators} | {s: 0b1 for s in sybils})
    pending = market.pendingOf(requester)

    finalize(market, job_id, requester)

    assert market.pendingOf(requester) - pending == DEPOSIT  # its deposit, not the unearned fee


def test_an_honest_member_offline_on_an_overturned_verdict_loses_only_its_missing_share(
    market, requester, alice, validators
):
    job_id = one_seat_each(market, lambda: _drawn_job(market, requester, {alice: 8000}))
    honest, captor, offline = seated(market, job_id, validators)
    _attest(market, job_id, {honest: [8000], captor: [0]})  # 1 of 3 each side: Undecided
    file_appeal(market, job_id, alice)
    vote(market, job_id, {honest: 0b0, offline: 0b0, captor: 0b1})

    finalize(market, job_id, requester)

    assert lens_of(market).submissions(job_id)[0]["outcome"] == WON
    assert market.validator(offline)["bond"] == MIN_BOND - slashed_over(1)  # what a silent seat always lost
    assert market.validator(captor)["bond"] == 0  # attested against the vote: its whole bond
    assert market.validator(honest)["bond"] == MIN_BOND
