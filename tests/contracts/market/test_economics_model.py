"""The economics benchmark's model of the market (benchmarks/market_model.py) against the
contract: each scenario runs on chain, and the model's credits (requester, burned, each
worker's claim, each member's pay and slash) must equal the chain's to the wei; the model's
draw must seat whom drawCommittee seats. So `python -m benchmarks economics` cannot drift
from the rules it prices."""

import pytest
from appeal_helpers import file_appeal, vote
from hashes import ZERO_ADDRESS
from market_helpers import (
    COMMITTEE,
    DEPOSIT,
    FEE_BPS,
    FORFEIT_BPS,
    MIN_BOND,
    MIN_SCORE,
    MIN_STAKE,
    QUORUM,
    REWARD,
    SLASH_BPS,
    TOLERANCE_BPS,
    attesting,
    claim_all,
    commit_scores,
    do_commit,
    do_reveal,
    draw,
    finalize,
    lens_of,
    one_seat_each,
    post,
    reveal_scores,
    run_job,
    slashed_over,
    to_finalize,
    to_reveal,
    to_settle,
)
from test_appeal import _attest, _drawn_job
from test_attacks import _bonded, _fresh

from benchmarks.market_model import UNAVAILABLE, Params, Seat, Submission, draw_exact, settle


def _params(committee=COMMITTEE):
    return Params(
        REWARD, MIN_STAKE, MIN_SCORE, committee, MIN_BOND, QUORUM, TOLERANCE_BPS, FEE_BPS, SLASH_BPS, FORFEIT_BPS
    )


def _seated(market, job_id):
    return [a for a in lens_of(market).committee(job_id) if a != ZERO_ADDRESS]


def _chain(market, job_id, requester, workers, members):
    """Finalize and claim; every party's credit from this job, read from the chain."""
    watched = [requester.address, ZERO_ADDRESS, *members]
    pending = {a: market.pendingOf(a) for a in watched}
    bonds = {a: market.validator(a)["bond"] for a in members}
    finalize(market, job_id, requester)
    claims = claim_all(market, job_id)
    return {
        "requester": market.pendingOf(requester) - pending[requester.address],
        "burned": market.pendingOf(ZERO_ADDRESS) - pending[ZERO_ADDRESS],
        "claims": {w.address: claims.get(w.address, 0) for w in workers},
        "pay": {a: market.pendingOf(a) - pending[a] for a in members},
        "slashed": {a: bonds[a] - market.validator(a)["bond"] for a in members},
    }


def _model(p, submissions, seats, evaluation_revealed, workers, members):
    s = settle(p, submissions, seats, evaluation_revealed)
    return {
        "requester": s.requester,
        "burned": s.burned,
        "claims": {w.address: s.claims.get(w.address, 0) for w in workers},
        "pay": {a: s.pay.get(a, 0) for a in members},
        "slashed": {a: s.slashed.get(a, 0) for a in members},
    }


def _run_and_compare(market, requester, validators, claims, attested, committee=COMMITTEE):
    """run_job's scenario settled on chain and by the model; returns the model's credits."""
    job_id = run_job(market, requester, validators, claims, attested, committee=committee)
    members = _seated(market, job_id)
    plans = {}
    for k, v in enumerate(validators):
        scores = tuple(attested.get(w, [c] * len(validators))[k] for w, c in claims.items())
        plans[v.address] = None if None in scores else scores  # run_job: a None silences the member
    seats = [Seat(a, market.validator(a)["bond"], plans[a]) for a in members]
    submissions = [Submission(w.address, MIN_STAKE, c) for w, c in claims.items()]
    expected = _model(_params(committee), submissions, seats, True, list(claims), members)

    assert _chain(market, job_id, requester, list(claims), members) == expected
    return expected


def test_an_honest_job_pays_as_the_model_says(market, requester, alice, bob, validators):
    credits = _run_and_compare(market, requester, validators, {alice: 8000, bob: 7000}, {})

    assert credits["claims"][alice.address] == MIN_STAKE + REWARD - REWARD * FEE_BPS // 10_000


def test_an_over_claimer_is_slashed_as_the_model_says(market, requester, alice, bob, validators):
    credits = _run_and_compare(market, requester, validators, {alice: 8000, bob: 9000}, {bob: [7000] * 3})

    assert credits["claims"][bob.address] == 0


def test_a_captured_majority_convicts_and_slashes_as_the_model_says(market, requester, alice, validators):
    credits = _run_and_compare(market, requester, validators, {alice: 8000}, {alice: [8000, 0, 0]})

    seats = list(lens_of(market).committee(market.jobCount()))
    honest = seats.count(validators[0].address)  # seats by bond: 0 to 3 of the 3 seats
    assert credits["slashed"].get(validators[0].address, 0) == (slashed_over(honest) if honest < 2 else 0)
    if honest < 2:  # the economics' "majority" attack: the captors hold a strict majority
        assert credits["requester"] == REWARD - REWARD * FEE_BPS // 10_000 + DEPOSIT  # no winner: its own money


def test_a_silent_member_settles_as_the_model_says(market, requester, alice, validators):
    credits = _run_and_compare(market, requester, validators, {alice: 8000}, {alice: [8000, 8000, None]})

    held = list(lens_of(market).committee(market.jobCount())).count(validators[2].address)
    assert credits["slashed"].get(validators[2].address, 0) == slashed_over(held)


def test_attestations_short_of_a_majority_settle_undecided_as_the_model_says(
    market, accounts, requester, alice, validators
):
    more = _bonded(market, accounts, requester, 2)  # 5 seats, 2 attest: quorum, no strict majority

    credits = _run_and_compare(
        market, requester, [*validators, *more], {alice: 8000}, {alice: [8000, 8000, None, None, None]}, committee=5
    )

    seats = list(lens_of(market).committee(market.jobCount()))
    attesting = seats.count(validators[0].address) + seats.count(validators[1].address)
    won = MIN_STAKE + REWARD - REWARD * FEE_BPS // 10_000  # seats by bond: the two may hold 3 of 5
    below_quorum = MIN_STAKE - MIN_STAKE * FORFEIT_BPS // 10_000  # verified by nobody: the forfeit
    expected = won if 2 * attesting > 5 else MIN_STAKE if attesting >= QUORUM else below_quorum
    assert credits["claims"][alice.address] == expected  # MIN_STAKE: Undecided, the stake back, no prize


def test_junk_lifted_by_a_majority_settles_as_the_model_says(market, requester, alice, bob, validators):
    credits = _run_and_compare(
        market, requester, validators, {alice: 8000, bob: 0}, {alice: [8000] * 3, bob: [1000, 10_000, 10_000]}
    )

    seats = list(lens_of(market).committee(market.jobCount()))
    lifting = seats.count(validators[1].address) + seats.count(validators[2].address)
    if lifting >= 2:  # seats by bond: the two liars hold a strict majority of the 3 seats
        assert credits["claims"][bob.address] > MIN_STAKE  # the junk won: the worker's "majority" attack
    else:
        assert credits["claims"][bob.address] == MIN_STAKE - MIN_STAKE * FORFEIT_BPS // 10_000  # below the minimum


def test_half_the_bond_against_the_other_half_settles_as_the_model_says(market, accounts, requester, alice, validators):
    sybils = _bonded(market, accounts, requester, 3)

    credits = _run_and_compare(
        market, requester, [*validators, *sybils], {alice: 8000}, {alice: [8000] * 3 + [0] * 3}, committee=15
    )

    # Seats by bond fill all 15 seats: one side holds a strict majority, never a tie of seats.
    seats = list(lens_of(market).committee(market.jobCount()))
    honest_seats = sum(seats.count(v.address) for v in validators)
    won = MIN_STAKE + REWARD - REWARD * FEE_BPS // 10_000
    assert credits["claims"][alice.address] == (won if 2 * honest_seats > 15 else 0)


def test_attesting_unavailable_settles_as_the_model_says(market, requester, alice, validators):
    job_id = attesting(market, requester, alice, 8000)
    members = _seated(market, job_id)
    seated = [v for v in validators if v.address in members]  # seats by bond: some may hold several
    for v in seated[:-1]:
        market.attestUnavailable(job_id, {"from": v})
    commit_scores(market, job_id, seated[-1], [8000])
    to_settle(market, job_id)
    reveal_scores(market, job_id, seated[-1], [8000])
    to_finalize(market, job_id)
    plans = {v.address: UNAVAILABLE for v in seated[:-1]} | {seated[-1].address: (8000,)}
    seats = [Seat(a, MIN_BOND, plans[a]) for a in members]

    expected = _model(_params(), [Submission(alice.address, MIN_STAKE, 8000)], seats, True, [alice], members)

    assert _chain(market, job_id, requester, [alice], members) == expected


def test_sybil_workers_share_an_unopened_sets_forfeit_as_the_model_says(market, accounts, requester, alice, bob):
    sybils = _fresh(accounts, requester, 3)
    job_id, _ = post(market, requester)
    for w in (alice, bob, *sybils):
        do_commit(market, job_id, w, 8000)
    to_reveal(market, job_id)
    for w in (alice, *sybils):  # bob never reveals; the requester never opens its set
        do_reveal(market, job_id, w, 8000)
    draw(market, job_id, requester)
    to_finalize(market, job_id)
    workers = [alice, bob, *sybils]
    submissions = [Submission(w.address, MIN_STAKE, None if w == bob else 8000) for w in workers]

    expected = _model(_params(), submissions, [], False, workers, [])

    assert _chain(market, job_id, requester, workers, []) == expected
    assert sum(expected["claims"][s.address] for s in sybils) == 3 * (MIN_STAKE + (REWARD + MIN_STAKE) // 4)


@pytest.mark.parametrize("committee", [3, 5])
def test_the_models_draw_seats_whom_the_contract_seats(market, accounts, requester, alice, committee):
    others = _fresh(accounts, requester, 4, each=8 * MIN_BOND)
    for i, a in enumerate(others):
        market.joinValidators({"from": a, "value": (i + 1) * MIN_BOND + i * 10**9})  # unequal bonds
    market.joinValidators({"from": requester, "value": 5 * MIN_BOND})  # drawn, never seated
    market.requestExit({"from": others[0]})  # its leaf weighs nothing now
    job_id, _ = post(market, requester, committee=committee)
    do_commit(market, job_id, alice, 8000)
    to_reveal(market, job_id)

    tx = draw(market, job_id, alice)

    owners, weights = [], []
    for leaf in range(8):  # the fixture's 3 members, 4 others, the requester
        owner = market.validatorAt(leaf)
        record = market.validator(owner)
        owners.append(owner)
        weights.append(0 if record["unlocksAt"] or record["bond"] < MIN_BOND else record["bond"] // 10**9)
    seed = tx.events["CommitteeDrawn"]["seed"]
    assert list(tx.events["CommitteeDrawn"]["seats"]) == draw_exact(
        seed, weights, owners, {requester.address, alice.address}, committee
    )


def _appealed_and_compare(market, requester, alice, validators, attested, votes):
    """A one-submission job (alice claims 8000, each member seated once) whose members attest
    `attested` {member: score, absent: silent}, appealed by alice and voted `votes` {member: vote}
    (a strict majority of the bond measuring 8000); the model's credits against the chain's."""
    job_id = one_seat_each(market, lambda: _drawn_job(market, requester, {alice: 8000}))
    _attest(market, job_id, {v: [score] for v, score in attested.items()})
    file_appeal(market, job_id, alice)
    vote(market, job_id, votes)
    members = _seated(market, job_id)
    plans = {v.address: (attested[v],) if v in attested else None for v in validators}
    seats = [Seat(a, MIN_BOND, plans[a]) for a in members]  # in seat order
    appellant = market.pendingOf(alice)
    expected = settle(_params(), [Submission(alice.address, MIN_STAKE, 8000)], seats, True, appeal=(8000,))

    chain = _chain(market, job_id, requester, [alice], members)

    assert chain == _model_of(expected, [alice], members)
    assert market.pendingOf(alice) - appellant == expected.appellant
    return expected


def _model_of(s, workers, members):
    return {
        "requester": s.requester,
        "burned": s.burned,
        "claims": {w.address: s.claims.get(w.address, 0) for w in workers},
        "pay": {a: s.pay.get(a, 0) for a in members},
        "slashed": {a: s.slashed.get(a, 0) for a in members},
    }


def test_silent_seats_decided_by_an_appeal_settle_as_the_model_says(market, requester, alice, validators):
    honest, *silent = validators

    credits = _appealed_and_compare(market, requester, alice, validators, {honest: 8000}, {v: 0 for v in validators})

    assert credits.winner == 0 and credits.requester == DEPOSIT  # the abstainers' verdict decided, no fee back
    assert all(credits.slashed[s.address] == slashed_over(1) for s in silent)  # missing, not whole bonds


def test_a_captor_and_an_absent_seat_of_an_overturned_verdict_settle_as_the_model_says(
    market, requester, alice, validators
):
    honest, captor, offline = validators

    credits = _appealed_and_compare(
        market, requester, alice, validators, {honest: 8000, captor: 0}, {honest: 0, captor: 1, offline: 0}
    )

    assert credits.winner == 0 and credits.slashed[captor.address] == MIN_BOND  # its whole bond
    assert credits.slashed[offline.address] == slashed_over(1)  # a missing attestation's share
    assert credits.appellant == MIN_BOND // 2  # half the captor's bond
