import brownie
from errors import err
from market_helpers import (
    MIN_BOND,
    at_time,
    do_commit,
    do_reveal,
    job_times,
    post,
    to_attest,
    to_reveal,
)


def _revealed(market, requester, worker, score=7000):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, worker, score)
    to_reveal(market, job_id)
    do_reveal(market, job_id, worker, score)
    return job_id


def test_attest_records_the_score_under_the_validator_seat(market, requester, alice, validators):
    job_id = _revealed(market, requester, alice)
    to_attest(market, job_id)

    market.attest(job_id, alice, 6950, {"from": validators[1]})

    assert [list(a) for a in market.attestations(job_id, alice)] == [[1, 6950]]


def test_attest_emits_attested(market, requester, alice, validators):
    job_id = _revealed(market, requester, alice)
    to_attest(market, job_id)

    tx = market.attest(job_id, alice, 6950, {"from": validators[2]})

    assert list(tx.events["Attested"].values()) == [job_id, alice, validators[2], 2, 6950]


def test_a_zero_score_attestation_counts(market, requester, alice, validators):
    job_id = _revealed(market, requester, alice)
    to_attest(market, job_id)

    market.attest(job_id, alice, 0, {"from": validators[0]})

    assert market.submissions(job_id)[0]["attestationCount"] == 1


def test_attestations_before_the_reveal_deadline_are_rejected(market, requester, alice, validators):
    job_id = _revealed(market, requester, alice)
    at_time(job_times(market, job_id)[1] - 1)

    with brownie.reverts(err("TrainingMarketNotAttesting", job_id)):
        market.attest(job_id, alice, 7000, {"from": validators[0]})


def test_attestations_at_the_attest_deadline_are_rejected(market, requester, alice, validators):
    job_id = _revealed(market, requester, alice)
    at_time(job_times(market, job_id)[2])

    with brownie.reverts(err("TrainingMarketNotAttesting", job_id)):
        market.attest(job_id, alice, 7000, {"from": validators[0]})


def test_non_validators_cannot_attest(market, requester, alice, mallory):
    job_id = _revealed(market, requester, alice)
    to_attest(market, job_id)

    with brownie.reverts(err("TrainingMarketNotValidator", mallory)):
        market.attest(job_id, alice, 7000, {"from": mallory})


def test_exiting_validators_cannot_attest(market, requester, alice, validators):
    job_id = _revealed(market, requester, alice)
    market.requestExit({"from": validators[0]})
    to_attest(market, job_id)

    with brownie.reverts(err("TrainingMarketNotValidator", validators[0])):
        market.attest(job_id, alice, 7000, {"from": validators[0]})


def test_the_requester_cannot_attest_even_as_a_validator(market, requester, alice):
    market.joinValidators({"from": requester, "value": MIN_BOND})
    job_id = _revealed(market, requester, alice)
    to_attest(market, job_id)

    with brownie.reverts(err("TrainingMarketRequesterCannotAttest", job_id, requester)):
        market.attest(job_id, alice, 7000, {"from": requester})


def test_a_worker_cannot_attest_its_own_submission(market, requester, validators):
    worker = validators[0]
    job_id = _revealed(market, requester, worker)
    to_attest(market, job_id)

    with brownie.reverts(err("TrainingMarketWorkerCannotAttest", job_id, worker)):
        market.attest(job_id, worker, 7000, {"from": worker})


def test_a_validator_attests_a_submission_once(market, requester, alice, validators):
    job_id = _revealed(market, requester, alice)
    to_attest(market, job_id)
    market.attest(job_id, alice, 7000, {"from": validators[0]})

    with brownie.reverts(err("TrainingMarketAlreadyAttested", job_id, alice, validators[0])):
        market.attest(job_id, alice, 6000, {"from": validators[0]})


def test_unrevealed_submissions_cannot_be_attested(market, requester, alice, bob, validators):
    job_id = _revealed(market, requester, alice)
    to_attest(market, job_id)

    with brownie.reverts(err("TrainingMarketNotRevealed", job_id, bob)):
        market.attest(job_id, bob, 7000, {"from": validators[0]})


def test_attested_scores_above_10000_bps_are_rejected(market, requester, alice, validators):
    job_id = _revealed(market, requester, alice)
    to_attest(market, job_id)

    with brownie.reverts(err("TrainingMarketBpsTooHigh", 10001)):
        market.attest(job_id, alice, 10001, {"from": validators[0]})


def test_attestations_on_unknown_jobs_are_rejected(market, alice, validators):
    with brownie.reverts(err("TrainingMarketUnknownJob", 3)):
        market.attest(3, alice, 7000, {"from": validators[0]})
