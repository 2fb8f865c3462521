import brownie
from errors import err
from market_helpers import DEPOSIT, REWARD, do_commit, finalize, lens_of, post, to_finalize


def test_requester_cancels_a_job_without_submissions(market, requester):
    job_id, _ = post(market, requester)

    tx = market.cancelJob(job_id, {"from": requester})

    assert list(tx.events["JobCancelled"].values()) == [job_id, requester, REWARD + DEPOSIT]
    assert lens_of(market).phase(job_id) == 8  # Cancelled


def test_cancelling_credits_the_reward_back(market, requester):
    job_id, _ = post(market, requester)

    market.cancelJob(job_id, {"from": requester})

    assert market.pendingOf(requester) == REWARD + DEPOSIT  # the deposit too: nothing failed


def test_a_job_can_be_cancelled_after_its_commit_window_if_nobody_committed(market, requester):
    job_id, _ = post(market, requester)
    to_finalize(market, job_id)

    market.cancelJob(job_id, {"from": requester})

    assert market.pendingOf(requester) == REWARD + DEPOSIT  # the deposit too: nothing failed


def test_only_the_requester_can_cancel(market, requester, alice):
    job_id, _ = post(market, requester)

    with brownie.reverts(err("TrainingMarketNotRequester", job_id, alice)):
        market.cancelJob(job_id, {"from": alice})


def test_a_job_with_a_commit_cannot_be_cancelled(market, requester, alice):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 7000)

    with brownie.reverts(err("TrainingMarketHasSubmissions", job_id)):
        market.cancelJob(job_id, {"from": requester})


def test_a_job_cannot_be_cancelled_twice(market, requester):
    job_id, _ = post(market, requester)
    market.cancelJob(job_id, {"from": requester})

    with brownie.reverts(err("TrainingMarketJobClosed", job_id)):
        market.cancelJob(job_id, {"from": requester})


def test_a_finalized_job_cannot_be_cancelled(market, requester):
    job_id, _ = post(market, requester)
    to_finalize(market, job_id)
    finalize(market, job_id, requester)

    with brownie.reverts(err("TrainingMarketJobClosed", job_id)):
        market.cancelJob(job_id, {"from": requester})


def test_unknown_jobs_cannot_be_cancelled(market, requester):
    with brownie.reverts(err("TrainingMarketUnknownJob", 42)):
        market.cancelJob(42, {"from": requester})
