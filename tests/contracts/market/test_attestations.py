"""Committee draw, sealed attestations and their reveal."""

import brownie
from errors import err
from market_helpers import (
    attestation_seal,
    commit_scores,
    do_commit,
    do_reveal,
    draw,
    job_times,
    lens_of,
    one_seat_each,
    post,
    reveal_eval,
    reveal_scores,
    salt_of,
    sleep_until,
    to_attest,
    to_reveal,
    to_settle,
)


def _drawn(market, requester, worker, score=7000, evaluate=True):
    """A job past its draw whose three seats are the three validators, one each (these tests
    name a member's seat; the draw's odds are test_attacks_v3.py's)."""

    def drawn_job():
        job_id, _ = post(market, requester)
        do_commit(market, job_id, worker, score)
        to_reveal(market, job_id)
        do_reveal(market, job_id, worker, score)
        if evaluate:
            reveal_eval(market, job_id, requester)
        draw(market, job_id, worker)
        return job_id

    return one_seat_each(market, drawn_job)


def test_the_draw_seats_validators_only(market, requester, alice, validators):
    job_id, _ = post(market, requester)
    to_reveal(market, job_id)
    draw(market, job_id, alice)

    seats = list(lens_of(market).committee(job_id))  # seats by bond: a member may hold several
    assert all(int(a, 16) for a in seats) and set(seats) <= {v.address for v in validators}


def test_the_committee_is_drawn_once(market, requester, alice):
    job_id = _drawn(market, requester, alice)

    with brownie.reverts(err("TrainingMarketAlreadyDrawn", job_id)):
        market.drawCommittee(job_id, {"from": alice})


def test_the_committee_cannot_be_drawn_while_commits_are_open(market, requester):
    job_id, _ = post(market, requester)

    with brownie.reverts(err("TrainingMarketNotRevealing", job_id)):
        market.drawCommittee(job_id, {"from": requester})


def test_the_draw_event_names_the_seats(market, requester, alice):
    job_id, _ = post(market, requester)
    to_reveal(market, job_id)

    tx = draw(market, job_id, alice)

    assert list(tx.events["CommitteeDrawn"]["seats"]) == list(lens_of(market).committee(job_id))


def test_a_member_commits_a_seal(market, requester, alice, validators):
    job_id = _drawn(market, requester, alice)
    to_attest(market, job_id)

    tx = commit_scores(market, job_id, validators[0], [6950])

    seal = attestation_seal(job_id, validators[0], [6950])
    assert list(tx.events["AttestationCommitted"].values()) == [job_id, validators[0], seal]
    stored = int(market.attestationSeal(job_id, validators[0]).hex(), 16)
    seats = [a for a in lens_of(market).committee(job_id)].index(validators[0].address)
    assert stored == (int(seal, 16) & ~0xFFFF) | (1 << seats)  # the seal, with the seat bitmap


def test_the_python_seal_equals_the_contracts(market, alice):
    assert lens_of(market).attestationSealOf(7, alice, [1, 10_000], salt_of(alice)) == attestation_seal(
        7, alice, [1, 10_000]
    )


def test_a_member_commits_once(market, requester, alice, validators):
    job_id = _drawn(market, requester, alice)
    to_attest(market, job_id)
    commit_scores(market, job_id, validators[0], [6950])

    with brownie.reverts(err("TrainingMarketAttestationAlreadyCommitted", job_id, validators[0])):
        commit_scores(market, job_id, validators[0], [7000])


def test_no_attestation_before_the_evaluation_set_is_revealed(market, requester, alice, validators):
    job_id = _drawn(market, requester, alice, evaluate=False)
    to_attest(market, job_id)

    with brownie.reverts(err("TrainingMarketEvaluationNotRevealed", job_id)):
        commit_scores(market, job_id, validators[0], [7000])


def test_attestation_commits_outside_their_window_are_rejected(market, requester, alice, validators):
    job_id = _drawn(market, requester, alice)

    with brownie.reverts(err("TrainingMarketNotAttesting", job_id)):
        commit_scores(market, job_id, validators[0], [7000])
    to_settle(market, job_id)
    with brownie.reverts(err("TrainingMarketNotAttesting", job_id)):
        commit_scores(market, job_id, validators[0], [7000])


def test_a_reveal_writes_the_score_to_the_members_lane(market, requester, alice, validators):
    job_id = _drawn(market, requester, alice)
    to_attest(market, job_id)
    commit_scores(market, job_id, validators[1], [6950])
    to_settle(market, job_id)

    tx = reveal_scores(market, job_id, validators[1], [6950])

    ev = tx.events["AttestationRevealed"]
    assert (ev["jobId"], ev["validator"], list(ev["scores"])) == (job_id, validators[1], [6950])
    sub = lens_of(market).submissions(job_id)[0]
    assert (sub["attestationCount"], sub["verifiedScoreBps"]) == (1, 6950)
    assert market.attestationSeal(job_id, validators[1]) == "0x" + "00" * 31 + "01"


def test_a_reveal_must_match_the_seal(market, requester, alice, validators):
    job_id = _drawn(market, requester, alice)
    to_attest(market, job_id)
    commit_scores(market, job_id, validators[1], [6950])
    to_settle(market, job_id)

    with brownie.reverts(err("TrainingMarketAttestationMismatch", job_id, validators[1])):
        reveal_scores(market, job_id, validators[1], [9000])


def test_a_copied_seal_does_not_reveal_for_the_copier(market, requester, alice, validators):
    job_id = _drawn(market, requester, alice)
    to_attest(market, job_id)
    commit_scores(market, job_id, validators[0], [6950])
    market.commitAttestation(job_id, attestation_seal(job_id, validators[0], [6950]), {"from": validators[1]})
    to_settle(market, job_id)

    with brownie.reverts(err("TrainingMarketAttestationMismatch", job_id, validators[1])):
        market.revealAttestation(job_id, [6950], salt_of(validators[0]), {"from": validators[1]})


def test_a_reveal_needs_one_score_per_submission(market, requester, alice, validators):
    job_id = _drawn(market, requester, alice)
    to_attest(market, job_id)
    market.commitAttestation(job_id, attestation_seal(job_id, validators[0], [1, 2]), {"from": validators[0]})
    to_settle(market, job_id)

    with brownie.reverts(err("TrainingMarketWrongScoreCount", job_id, 2, 1)):
        reveal_scores(market, job_id, validators[0], [1, 2])


def test_scores_above_10000_bps_are_rejected(market, requester, alice, validators):
    job_id = _drawn(market, requester, alice)
    to_attest(market, job_id)
    commit_scores(market, job_id, validators[0], [10_001])
    to_settle(market, job_id)

    with brownie.reverts(err("TrainingMarketBpsTooHigh", 10_001)):
        reveal_scores(market, job_id, validators[0], [10_001])


def test_a_reveal_after_the_settle_deadline_is_rejected(market, requester, alice, validators):
    job_id = _drawn(market, requester, alice)
    to_attest(market, job_id)
    commit_scores(market, job_id, validators[0], [7000])
    sleep_until(job_times(market, job_id)[3])

    with brownie.reverts(err("TrainingMarketNotSettling", job_id)):
        reveal_scores(market, job_id, validators[0], [7000])


# Found by `make test-long`: a job cancelled after its committee was drawn took attestations.
def test_a_cancelled_job_takes_no_attestation(market, requester, validators):
    job_id, _ = post(market, requester)
    to_reveal(market, job_id)
    reveal_eval(market, job_id, requester)
    draw(market, job_id, requester)
    market.cancelJob(job_id, {"from": requester})  # nobody committed: the requester may cancel
    to_attest(market, job_id)
    member = next(v for v in validators if v.address in lens_of(market).committee(job_id))

    with brownie.reverts(err("TrainingMarketJobClosed", job_id)):
        commit_scores(market, job_id, member, [])


def test_a_job_cancelled_after_an_attestation_commit_takes_no_reveal(market, requester, validators):
    job_id, _ = post(market, requester)
    to_reveal(market, job_id)
    reveal_eval(market, job_id, requester)
    draw(market, job_id, requester)
    to_attest(market, job_id)
    member = next(v for v in validators if v.address in lens_of(market).committee(job_id))
    commit_scores(market, job_id, member, [])
    market.cancelJob(job_id, {"from": requester})
    to_settle(market, job_id)

    with brownie.reverts(err("TrainingMarketJobClosed", job_id)):
        reveal_scores(market, job_id, member, [])
