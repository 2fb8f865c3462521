import brownie
from errors import err
from hashes import ZERO, h
from market_helpers import (
    URI,
    at_time,
    do_commit,
    do_reveal,
    job_times,
    lens_of,
    model_of,
    post,
    salt_of,
    sealed,
    to_reveal,
)


def _committed(market, requester, worker, score=7000):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, worker, score)
    return job_id


def test_reveal_emits_everything_a_validator_needs(market, requester, alice):
    job_id = _committed(market, requester, alice)
    to_reveal(market, job_id)

    tx = do_reveal(market, job_id, alice, 7000)

    assert list(tx.events["Revealed"].values()) == [job_id, alice, model_of(alice), 7000, URI]


def test_reveal_replaces_the_commitment_with_the_result_hash(market, requester, alice):
    job_id = _committed(market, requester, alice)
    to_reveal(market, job_id)

    do_reveal(market, job_id, alice, 7000)

    sub = lens_of(market).submissions(job_id)[0]
    assert (sub["sealedHash"], sub["revealed"], sub["claimedScoreBps"]) == (
        lens_of(market).resultHashOf(model_of(alice), URI),
        True,
        7000,
    )


def test_a_zero_score_claim_is_revealed_as_zero(market, requester, alice):
    job_id = _committed(market, requester, alice, score=0)
    to_reveal(market, job_id)

    do_reveal(market, job_id, alice, 0)

    assert lens_of(market).submissions(job_id)[0]["revealed"] is True
    assert lens_of(market).submissions(job_id)[0]["claimedScoreBps"] == 0


def test_reveals_before_the_commit_deadline_are_rejected(market, requester, alice):
    job_id = _committed(market, requester, alice)
    at_time(job_times(market, job_id)[0] - 1)

    with brownie.reverts(err("TrainingMarketNotRevealing", job_id)):
        do_reveal(market, job_id, alice, 7000)


def test_reveals_at_the_commit_deadline_are_accepted(market, requester, alice):
    job_id = _committed(market, requester, alice)
    at_time(job_times(market, job_id)[0])

    tx = do_reveal(market, job_id, alice, 7000)

    assert "Revealed" in tx.events


def test_reveals_at_the_reveal_deadline_are_rejected(market, requester, alice):
    job_id = _committed(market, requester, alice)
    at_time(job_times(market, job_id)[1])

    with brownie.reverts(err("TrainingMarketNotRevealing", job_id)):
        do_reveal(market, job_id, alice, 7000)


def test_a_wrong_salt_does_not_match_the_commitment(market, requester, alice):
    job_id = _committed(market, requester, alice)
    to_reveal(market, job_id)

    with brownie.reverts(err("TrainingMarketCommitmentMismatch", job_id, alice)):
        market.reveal(job_id, model_of(alice), 7000, h("wrong"), URI, {"from": alice})


def test_a_different_score_does_not_match_the_commitment(market, requester, alice):
    job_id = _committed(market, requester, alice)
    to_reveal(market, job_id)

    with brownie.reverts(err("TrainingMarketCommitmentMismatch", job_id, alice)):
        market.reveal(job_id, model_of(alice), 7001, salt_of(alice), URI, {"from": alice})


def test_only_committed_workers_can_reveal(market, requester, alice, bob):
    job_id = _committed(market, requester, alice)
    to_reveal(market, job_id)

    with brownie.reverts(err("TrainingMarketNotCommitted", job_id, bob)):
        market.reveal(job_id, model_of(bob), 7000, salt_of(bob), URI, {"from": bob})


def test_a_submission_is_revealed_once(market, requester, alice):
    job_id = _committed(market, requester, alice)
    to_reveal(market, job_id)
    do_reveal(market, job_id, alice, 7000)

    with brownie.reverts(err("TrainingMarketAlreadyRevealed", job_id, alice)):
        do_reveal(market, job_id, alice, 7000)


def test_a_zero_model_hash_is_rejected(market, requester, alice):
    job_id, _ = post(market, requester)
    market.commit(job_id, sealed(job_id, alice, 7000, model=ZERO), {"from": alice, "value": 10**18})
    to_reveal(market, job_id)

    with brownie.reverts(err("TrainingMarketZeroHash")):
        market.reveal(job_id, ZERO, 7000, salt_of(alice), URI, {"from": alice})


def test_a_claim_above_10000_bps_is_rejected(market, requester, alice):
    job_id = _committed(market, requester, alice)
    to_reveal(market, job_id)

    with brownie.reverts(err("TrainingMarketBpsTooHigh", 10001)):
        market.reveal(job_id, model_of(alice), 10001, salt_of(alice), URI, {"from": alice})


def test_reveals_on_unknown_jobs_are_rejected(market, alice):
    with brownie.reverts(err("TrainingMarketUnknownJob", 5)):
        do_reveal(market, 5, alice, 7000)


# Finalize passes the winner's URI again (hashed, copied to the registry and logged there):
# a URI that a reveal can just afford would make finalize cost more than any block holds,
# locking every stake and the reward. Reviewer's finding; the cap keeps finalize bounded.
def test_a_uri_longer_than_the_cap_is_rejected(market, requester, alice):
    job_id = _committed(market, requester, alice)
    to_reveal(market, job_id)
    cap = market.MAX_URI_BYTES()

    with brownie.reverts(err("TrainingMarketUriTooLong", cap + 1, cap)):
        do_reveal(market, job_id, alice, 7000, uri="x" * (cap + 1))
    assert do_reveal(market, job_id, alice, 7000, uri="x" * cap).events["Revealed"]["uri"] == "x" * cap
