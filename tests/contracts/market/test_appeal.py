"""Issue 20 item 5: capture that costs more than it pays. Sybils drawn to a majority of a job's
seats (with 40 % of all bond) convict an honest worker, or pass junk; one appeal to the whole
bond (contracts/Appeals.sol) undoes the captured verdict and takes the captors' whole bonds.

Written first against the market without appeals: both attacks were strict xfails there (the
captured verdict stood, the Sybils kept their bonds)."""

import brownie
from appeal_helpers import appeals_of, file_appeal, members_now, vote, vote_salt, vote_seal, windows
from errors import err
from hashes import ZERO
from market_helpers import (
    MIN_BOND,
    MIN_STAKE,
    NO_WINNER,
    REWARD,
    SLASH_BPS,
    claim_all,
    commit_scores,
    do_commit,
    do_reveal,
    draw,
    finalize,
    lens_of,
    one_seat_each,
    post,
    reveal_eval,
    reveal_scores,
    seated,
    seats_held,
    sleep_until,
    to_attest,
    to_reveal,
    to_settle,
)
from test_attacks import _bonded

DISHONEST, WON, BELOW_MINIMUM = 3, 5, 7  # ITrainingMarket.Outcome


def _captured_job(market, requester, claims, sybils, tries=30):
    """Post jobs with `claims` {worker: score} until the Sybils hold a strict majority of the
    three seats (with 2 of 5 equal bonds, about one draw in three)."""
    for _ in range(tries):
        job_id = _drawn_job(market, requester, claims)
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


def test_issue17_5_sybils_with_a_majority_of_seats_cannot_convict_an_honest_worker(
    market, accounts, requester, alice, validators
):
    sybils = _bonded(market, accounts, requester, 2)  # 2 ETH of 5: the requester's
    job_id = _captured_job(market, requester, {alice: 8000}, sybils)
    _attest(market, job_id, {v: [8000] for v in validators} | {s: [0] for s in sybils})
    assert lens_of(market).winnerOf(job_id) == NO_WINNER  # the committee convicts the honest worker

    file_appeal(market, job_id, alice)
    vote(market, job_id, {v: 0b0 for v in validators} | {s: 0b1 for s in sybils})
    finalize(market, job_id, requester)

    assert lens_of(market).submissions(job_id)[0]["outcome"] == WON
    assert claim_all(market, job_id)[alice] > MIN_STAKE + REWARD * 9 // 10  # stake + prize
    for s in seated(market, job_id, sybils):
        assert market.validator(s)["bond"] == 0  # a captor loses its whole bond
    assert all(market.validator(v)["bond"] == MIN_BOND for v in validators)


def test_issue17_5_sybils_with_a_majority_of_seats_cannot_pass_junk(
    market, accounts, requester, alice, carol, validators
):
    sybils = _bonded(market, accounts, requester, 2)  # carol's: its junk claims 9000, measures 1000
    job_id = _captured_job(market, requester, {alice: 8000, carol: 9000}, sybils)
    _attest(market, job_id, {v: [8000, 1000] for v in validators} | {s: [8000, 9000] for s in sybils})
    assert lens_of(market).winnerOf(job_id) == 1  # the junk wins the committee's verdict

    file_appeal(market, job_id, alice)
    vote(market, job_id, {v: 0b10 for v in validators} | {s: 0b00 for s in sybils})
    finalize(market, job_id, requester)

    outcomes = [s["outcome"] for s in lens_of(market).submissions(job_id)]
    assert outcomes == [WON, DISHONEST]
    paid = claim_all(market, job_id)
    assert paid[alice] > MIN_STAKE + REWARD * 9 // 10 and paid.get(carol, 0) == 0
    for s in seated(market, job_id, sybils):
        assert market.validator(s)["bond"] == 0
    assert all(market.validator(v)["bond"] == MIN_BOND for v in validators)


def test_issue17_5_sybils_with_a_majority_of_seats_cannot_lift_junk_with_a_modest_claim(
    market, accounts, requester, alice, carol, validators
):
    sybils = _bonded(market, accounts, requester, 2)  # carol's junk claims 1000, what it measures: honest
    job_id = _captured_job(market, requester, {alice: 8000, carol: 1000}, sybils)
    _attest(market, job_id, {v: [8000, 1000] for v in validators} | {s: [8000, 9500] for s in sybils})
    assert lens_of(market).winnerOf(job_id) == 1  # verified 9500: the junk wins the committee's verdict

    file_appeal(market, job_id, alice)
    vote(market, job_id, {v: 0b10 << 16 for v in validators} | {s: 0 for s in sybils})  # its score is inflated
    finalize(market, job_id, requester)

    subs = lens_of(market).submissions(job_id)
    assert [s["outcome"] for s in subs] == [WON, BELOW_MINIMUM] and subs[1]["verifiedScoreBps"] == 1000
    for s in seated(market, job_id, sybils):
        assert market.validator(s)["bond"] == 0
    assert all(market.validator(v)["bond"] == MIN_BOND for v in validators)


# ----- the protocol's rules, one behaviour each (a plain three-member market) -----


def _appealed(market, requester, alice, validators, scores=(8000, 8000, 8000)):
    """A job whose three members attest `scores` on alice's 8000, appealed by alice."""
    job_id = one_seat_each(market, lambda: _drawn_job(market, requester, {alice: 8000}))
    _attest(market, job_id, {v: [s] for v, s in zip(seated(market, job_id, validators), scores, strict=False)})
    file_appeal(market, job_id, alice)
    return job_id


def _drawn_job(market, requester, claims):
    job_id, _ = post(market, requester)
    for worker, score in claims.items():
        do_commit(market, job_id, worker, score)
    to_reveal(market, job_id)
    for worker, score in claims.items():
        do_reveal(market, job_id, worker, score)
    reveal_eval(market, job_id, requester)
    draw(market, job_id, requester)
    return job_id


def test_an_upheld_verdict_pays_the_deposit_to_the_voters_by_bond(market, requester, alice, validators):
    job_id = _appealed(market, requester, alice, validators)
    appeals = appeals_of(market)

    vote(market, job_id, {v: 0b0 for v in validators})
    tx = finalize(market, job_id, requester)

    assert tx.events["AppealRuled"]["overturned"] is False
    paid = [appeals.collect(job_id, {"from": v}).events["AppealPaid"]["amount"] for v in validators]
    assert paid == [MIN_STAKE // 3] * 3  # equal bonds, equal shares; the dust stays
    assert all(market.validator(v)["bond"] == MIN_BOND for v in validators)
    with brownie.reverts(err("AppealsNothingOwed", job_id, alice.address)):
        appeals.collect(job_id, {"from": alice})


def test_an_overturned_verdict_refunds_the_appellant_and_pays_it_half_the_captors_bonds(
    market, accounts, requester, alice, validators
):
    sybils = _bonded(market, accounts, requester, 2)
    job_id = _captured_job(market, requester, {alice: 8000}, sybils)
    _attest(market, job_id, {v: [8000] for v in validators} | {s: [0] for s in sybils})
    file_appeal(market, job_id, alice)
    vote(market, job_id, {v: 0b0 for v in validators} | {s: 0b1 for s in sybils})
    captors = seated(market, job_id, sybils)
    pending = market.pendingOf(alice)

    tx = finalize(market, job_id, requester)

    assert tx.events["AppealRuled"]["overturned"] is True
    assert market.pendingOf(alice) - pending == len(captors) * MIN_BOND // 2
    assert appeals_of(market).collect(job_id, {"from": alice}).events["AppealPaid"]["amount"] == MIN_STAKE


def test_finalize_waits_for_the_vote(market, requester, alice, validators):
    job_id = _appealed(market, requester, alice, validators)
    _, settle, _, reveal_until = windows(market, job_id)
    sleep_until(settle)

    with brownie.reverts(err("AppealsVoteOpen", job_id, reveal_until)):
        market.finalize(job_id, ZERO, "", {"from": requester})


def test_attestation_reveals_close_at_the_middle_of_the_settle_window(market, requester, alice, validators):
    job_id = one_seat_each(market, lambda: _drawn_job(market, requester, {alice: 8000}))
    member = seated(market, job_id, validators)[0]
    to_attest(market, job_id)
    commit_scores(market, job_id, member, [8000])
    sleep_until(windows(market, job_id)[0])

    with brownie.reverts(err("TrainingMarketNotSettling", job_id)):
        reveal_scores(market, job_id, member, [8000])


def test_one_appeal_per_job_with_at_least_the_minimum_stake_in_its_window(market, requester, alice, bob, validators):
    job_id = one_seat_each(market, lambda: _drawn_job(market, requester, {alice: 8000}))
    appeals, members = appeals_of(market), members_now(market)
    to_settle(market, job_id)

    with brownie.reverts(err("AppealsNotAppealing", job_id)):  # the reveals are not closed yet
        appeals.fileAppeal(job_id, members, {"from": alice, "value": MIN_STAKE})
    sleep_until(windows(market, job_id)[0])
    with brownie.reverts(err("AppealsDepositTooLow", job_id, MIN_STAKE - 1, MIN_STAKE)):
        appeals.fileAppeal(job_id, members, {"from": alice, "value": MIN_STAKE - 1})
    with brownie.reverts(err("AppealsWrongMembers", job_id, members + 1)):  # a leaf that does not exist
        appeals.fileAppeal(job_id, members + 1, {"from": alice, "value": MIN_STAKE})
    appeals.fileAppeal(job_id, members - 1, {"from": alice, "value": MIN_STAKE})  # a leaf left out is counted
    assert appeals.appealOf(job_id)["members"] == members
    with brownie.reverts(err("AppealsAlreadyFiled", job_id)):
        appeals.fileAppeal(job_id, members, {"from": bob, "value": MIN_STAKE})


def test_the_requester_the_workers_and_later_joiners_cannot_vote(market, accounts, requester, alice, validators):
    job_id = _appealed(market, requester, alice, validators)
    appeals = appeals_of(market)
    [late] = _bonded(market, accounts, requester, 1)

    for account in (requester, alice, late):
        assert not appeals.eligible(job_id, account)
        with brownie.reverts(err("AppealsNotEligible", job_id, account.address)):
            appeals.commitVote(job_id, vote_seal(job_id, account, 0), {"from": account})
    assert all(appeals.eligible(job_id, v) for v in validators)


def test_a_vote_is_sealed_until_the_commits_close_and_counted_once(market, requester, alice, validators):
    job_id = _appealed(market, requester, alice, validators)
    appeals, voter = appeals_of(market), validators[0]
    appeals.commitVote(job_id, vote_seal(job_id, voter, 0b1), {"from": voter})

    with brownie.reverts(err("AppealsAlreadyVoted", job_id, voter.address)):
        appeals.commitVote(job_id, vote_seal(job_id, voter, 0b0), {"from": voter})
    with brownie.reverts(err("AppealsNotVoting", job_id)):  # no reveal while others still commit
        appeals.revealVote(job_id, 0b1, vote_salt(voter), {"from": voter})
    sleep_until(windows(market, job_id)[2])
    with brownie.reverts(err("AppealsVoteMismatch", job_id, voter.address)):
        appeals.revealVote(job_id, 0b0, vote_salt(voter), {"from": voter})
    appeals.revealVote(job_id, 0b1, vote_salt(voter), {"from": voter})
    with brownie.reverts(err("AppealsVoteMismatch", job_id, voter.address)):
        appeals.revealVote(job_id, 0b1, vote_salt(voter), {"from": voter})
    assert tuple(appeals.tallyOf(job_id, 0)) == (MIN_BOND // 10**9, MIN_BOND // 10**9)


def test_an_eligible_member_that_does_not_vote_is_slashed_as_a_silent_seat(market, requester, alice, validators):
    job_id = _appealed(market, requester, alice, validators)
    appeals = appeals_of(market)
    absent = validators[2]
    vote(market, job_id, {v: 0b0 for v in validators[:2]})

    tx = appeals.slashAbsent(job_id, absent, {"from": alice})

    assert "AbsentVoterSlashed" in tx.events
    assert market.validator(absent)["bond"] == MIN_BOND - MIN_BOND * SLASH_BPS // 10_000
    with brownie.reverts(err("AppealsAlreadyVoted", job_id, absent.address)):
        appeals.slashAbsent(job_id, absent, {"from": alice})
    with brownie.reverts(err("AppealsAlreadyVoted", job_id, validators[0].address)):
        appeals.slashAbsent(job_id, validators[0], {"from": alice})


def test_only_the_market_rules_and_only_its_appeals_slash(market, requester, alice):
    appeals = appeals_of(market)

    with brownie.reverts(err("AppealsNotMarket", alice.address)):
        appeals.rule(1, True, 0, {"from": alice})
    with brownie.reverts(err("TrainingMarketNotAppeals", alice.address)):
        market.slashNonVotingMember(requester, 1, {"from": alice})
    assert appeals.market() == market.address
