"""Issue 20, the appeal's loose ends: a captured "unavailable" majority is not appealable
(docs/market.md, Appeals, "What it does not cover"). Captors holding a majority of the seats
attest a served evaluation set unavailable; finalize takes the requester's-failure path before
any verdict, so the appeal's vote has nothing to overturn.

What it costs the honest side, in this test's numbers (R = REWARD = 10 ETH, fee 5 % of R,
stakes 1 ETH; two revealed workers: alice's honest 8000 and carol's junk claiming 9000 that
measures 1000; carol's Sybils hold 2 of 3 seats): honestly judged, alice wins the prize
R - 0.05 R = 9.5 ETH plus her stake, carol's over-claim is convicted (her stake slashed), the
requester gets the model for R. Captured as unavailable: the pot R is split between the revealed
workers, alice gets R / 2 = 5 ETH (4.5 ETH less, measured: 6 ETH with her stake), carol gets
5 ETH and her stake back (6.0 ETH more than her conviction), the requester pays R for no model,
the captors lose nothing (a majority attesting unavailable is nobody's slash, its members'
seats are released) and the appellant's deposit comes back. So any share of the bond that
captures a 3-seat committee (40 % does about one draw in three) earns a junk submission R / 2,
for free, and the appeal cannot stop it.

The guard (the vote's lane for the set, contracts/Appeals.sol `UNSERVED`, `_served`): a member
that cannot fetch the opened set, or finds it does not match its seal, votes bit 32 (UNSERVED)
alone; unless a strict majority of the bond that voted sets it, the set counts as served. Then a
committee majority that attested it unavailable is overruled: finalize judges the job instead of
forfeiting it (bit 255 of `verdictOf`'s `lost`), the vote decides each submission (its ruled
sheet fills every drawn seat, the captors' silent lanes too), and the seats that attested the
set unavailable lose their whole bond, as any seat on an overturned verdict's losing side.

Written first as a strict xfail on the market without the vote's lane (it forfeited the job)."""

from appeal_helpers import appeals_of, file_appeal, vote
from market_helpers import (
    DEPOSIT,
    MIN_BOND,
    MIN_STAKE,
    REWARD,
    claim_all,
    commit_scores,
    finalize,
    reveal_scores,
    seated,
    to_attest,
    to_settle,
)
from test_appeal import _attest, _captured_job, _drawn_job
from test_attacks import _bonded


def test_issue20_a_captured_unavailable_majority_is_undone_by_an_appeal(
    market, accounts, requester, alice, carol, validators
):
    sybils = _bonded(market, accounts, carol, 2)  # carol's: her junk claims 9000, measures 1000
    job_id = _captured_job(market, requester, {alice: 8000, carol: 9000}, sybils)
    to_attest(market, job_id)
    for s in seated(market, job_id, sybils):
        market.attestUnavailable(job_id, {"from": s})
    honest = seated(market, job_id, validators)
    for v in honest:
        commit_scores(market, job_id, v, [8000, 1000])
    to_settle(market, job_id)
    for v in honest:
        reveal_scores(market, job_id, v, [8000, 1000])
    file_appeal(market, job_id, alice)
    unserved = appeals_of(market).UNSERVED()
    vote(market, job_id, {v: 0b10 for v in validators} | {s: unserved for s in sybils})

    finalize(market, job_id, requester)

    paid = claim_all(market, job_id)
    assert paid[alice] > MIN_STAKE + REWARD * 9 // 10  # today: MIN_STAKE + REWARD / 2
    assert paid.get(carol, 0) == 0  # before: her stake + REWARD / 2
    for s in seated(market, job_id, sybils):
        assert market.validator(s)["bond"] == 0  # attested a served set unavailable: the whole bond
    assert all(market.validator(v)["bond"] == MIN_BOND for v in validators)


def test_a_set_the_vote_says_was_not_served_still_forfeits_and_slashes_nobody(market, requester, alice, validators):
    job_id = _drawn_job(market, requester, {alice: 8000})  # every seat an honest member's
    to_attest(market, job_id)
    for v in seated(market, job_id, validators):  # the requester withheld its set
        market.attestUnavailable(job_id, {"from": v})
    to_settle(market, job_id)
    file_appeal(market, job_id, requester)  # the requester appeals, hoping the vote lets it judge
    unserved = appeals_of(market).UNSERVED()
    vote(market, job_id, {v: unserved for v in validators})
    pending = market.pendingOf(requester)

    tx = finalize(market, job_id, requester)

    assert tx.events["Finalized"]["burned"] >= DEPOSIT  # the requester's failure: its deposit burned
    assert market.pendingOf(requester) == pending
    assert claim_all(market, job_id)[alice] == MIN_STAKE + REWARD  # the sole revealed worker's share
    assert all(market.validator(v)["bond"] == MIN_BOND for v in validators)


def test_issue20_a_withheld_set_scored_by_captors_is_the_requesters_failure_on_appeal(
    market, accounts, requester, alice, validators
):
    sybils = _bonded(market, accounts, requester, 2)  # the requester's: 2 ETH of 5
    job_id = _captured_job(market, requester, {alice: 8000}, sybils)  # its set is never served
    to_attest(market, job_id)
    for v in seated(market, job_id, validators):  # the honest minority cannot fetch it
        market.attestUnavailable(job_id, {"from": v})
    for s in seated(market, job_id, sybils):  # the Sybils score a set nobody else could get
        commit_scores(market, job_id, s, [0])
    to_settle(market, job_id)
    for s in seated(market, job_id, sybils):
        reveal_scores(market, job_id, s, [0])
    file_appeal(market, job_id, alice)
    unserved = appeals_of(market).UNSERVED()
    vote(market, job_id, {v: unserved for v in validators} | {s: 0b1 for s in sybils})
    pending = market.pendingOf(requester)

    tx = finalize(market, job_id, requester)

    assert tx.events["Finalized"]["burned"] >= DEPOSIT  # the requester's failure: its deposit burned
    assert market.pendingOf(requester) == pending
    assert claim_all(market, job_id)[alice] == MIN_STAKE + REWARD  # before: 0, convicted
    assert all(market.validator(v)["bond"] == MIN_BOND for v in validators)  # before: slashed as missing


def test_bond_voting_unserved_abstains_on_the_submissions(market, accounts, requester, alice, carol, validators):
    # Carol's three Sybils (3 of 6 equal bonds) hold the committee and pass her junk; alice
    # appeals. The three honest members vote her an over-claimer (3 bonds), two Sybils vote her
    # fine (2), one votes UNSERVED (1: a minority, so the set counts as served). UNSERVED
    # abstains on the submissions: 3 of the 5 bonds that voted on them convict her. Counted in
    # the total instead, 3 of 6 is no strict majority and the captured verdict would stand.
    sybils = _bonded(market, accounts, carol, 3)
    job_id = _captured_job(market, requester, {alice: 8000, carol: 9000}, sybils)
    plans = {v: [8000, 1000] for v in validators} | {s: [8000, 9000] for s in sybils}
    _attest(market, job_id, plans)
    file_appeal(market, job_id, alice)
    unserved = appeals_of(market).UNSERVED()
    vote(market, job_id, {v: 0b10 for v in validators} | {sybils[0]: 0, sybils[1]: 0, sybils[2]: unserved})

    finalize(market, job_id, requester)

    assert claim_all(market, job_id).get(carol, 0) == 0  # convicted by the vote
