"""Issue 20, the appeal's loose ends: bond added after an appeal's filing does not count in its
vote. Captors that see the filing (in the mempool or in its block) and top their bonds up past
the honest bond would otherwise outvote it with money that was never at stake when they captured
the committee, and get it back after the unbonding delay.

Written first against Appeals counting each voter's bond at its reveal: the topped-up captors
upheld the conviction and kept their bonds."""

import brownie
from appeal_helpers import appeals_of, file_appeal, vote
from market_helpers import MIN_BOND, finalize, lens_of, seated
from test_appeal import WON, _attest, _captured_job
from test_attacks import _bonded

TOP_UP = 2 * MIN_BOND  # each of the two captors: 2 x 3 ETH against the honest 3 ETH


def test_issue20_bond_topped_up_after_the_filing_does_not_outvote_the_honest_bond(
    market, accounts, requester, alice, validators
):
    sybils = _bonded(market, accounts, requester, 2)  # 2 ETH of 5: the requester's
    job_id = _captured_job(market, requester, {alice: 8000}, sybils)
    _attest(market, job_id, {v: [8000] for v in validators} | {s: [0] for s in sybils})
    file_appeal(market, job_id, alice)
    for s in sybils:  # seen the filing: now 6 ETH against 3
        requester.transfer(s, TOP_UP)
        market.topUpBond({"from": s, "value": TOP_UP})

    vote(market, job_id, {v: 0b0 for v in validators} | {s: 0b1 for s in sybils})
    tx = finalize(market, job_id, requester)

    assert tx.events["AppealRuled"]["overturned"] is True
    assert lens_of(market).submissions(job_id)[0]["outcome"] == WON
    for s in seated(market, job_id, sybils):
        assert market.validator(s)["bond"] == 0  # the whole bond, top-up included


def _topped_up_voter(market, accounts, requester, alice, validators):
    """A captured job, appealed; then validators[0] tops its bond up by MIN_BOND and votes alone."""
    sybils = _bonded(market, accounts, requester, 2)
    job_id = _captured_job(market, requester, {alice: 8000}, sybils)
    _attest(market, job_id, {v: [8000] for v in validators} | {s: [0] for s in sybils})
    file_appeal(market, job_id, alice)
    market.topUpBond({"from": validators[0], "value": MIN_BOND})
    vote(market, job_id, {validators[0]: 0b0})
    return job_id


def test_a_member_that_tops_up_during_the_vote_votes_with_its_bond_at_the_filing(
    market, accounts, requester, alice, validators
):
    brownie.chain.sleep(market.UNBONDING_DELAY())  # its join is long past: its growths start afresh

    job_id = _topped_up_voter(market, accounts, requester, alice, validators)

    assert tuple(appeals_of(market).tallyOf(job_id, 0)) == (0, MIN_BOND // 10**9)


def test_a_member_that_joined_within_the_unbonding_delay_and_tops_up_during_the_vote_weighs_nothing(
    market, accounts, requester, alice, validators
):
    job_id = _topped_up_voter(market, accounts, requester, alice, validators)

    # A join grows a bond from zero, and a growth within the delay continues the one before.
    assert tuple(appeals_of(market).tallyOf(job_id, 0)) == (0, 0)
