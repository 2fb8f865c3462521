import brownie
from errors import err
from hashes import ZERO, h
from market_helpers import MIN_STAKE, REWARD, at_time, do_commit, job_times, lens_of, post, sealed


def test_commit_records_the_worker_stake_and_commitment(market, requester, alice):
    job_id, _ = post(market, requester)

    do_commit(market, job_id, alice, 7000, stake=MIN_STAKE + 5)

    sub = lens_of(market).submissions(job_id)[0]
    assert list(sub) == [alice, MIN_STAKE + 5, sealed(job_id, alice, 7000), False, 0, 0, 0, 0, 0]


def test_commit_emits_committed_with_index_and_stake(market, requester, alice, bob):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 7000)

    tx = do_commit(market, job_id, bob, 7100)

    assert list(tx.events["Committed"].values()) == [
        job_id,
        bob,
        1,
        sealed(job_id, bob, 7100),
        MIN_STAKE,
    ]


def test_commit_escrows_the_stake(market, requester, alice):
    job_id, _ = post(market, requester)
    before = market.balance()

    do_commit(market, job_id, alice, 7000)

    assert market.balance() == before + MIN_STAKE


def test_a_commit_one_second_before_the_deadline_is_accepted(market, requester, alice):
    job_id, _ = post(market, requester)
    at_time(job_times(market, job_id)[0] - 1)

    do_commit(market, job_id, alice, 7000)

    assert market.job(job_id)["submissionCount"] == 1


def test_a_commit_at_the_deadline_is_rejected(market, requester, alice):
    job_id, _ = post(market, requester)
    deadline = job_times(market, job_id)[0]
    at_time(deadline)

    with brownie.reverts(err("TrainingMarketCommitClosed", job_id, deadline)):
        do_commit(market, job_id, alice, 7000)


def test_a_stake_below_the_minimum_is_rejected(market, requester, alice):
    job_id, _ = post(market, requester)

    with brownie.reverts(err("TrainingMarketStakeTooLow", job_id, MIN_STAKE - 1, MIN_STAKE)):
        do_commit(market, job_id, alice, 7000, stake=MIN_STAKE - 1)


def test_a_zero_commitment_is_rejected(market, requester, alice):
    job_id, _ = post(market, requester)

    with brownie.reverts(err("TrainingMarketZeroHash")):
        market.commit(job_id, ZERO, {"from": alice, "value": MIN_STAKE})


def test_a_worker_commits_once_per_job(market, requester, alice):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 7000)

    with brownie.reverts(err("TrainingMarketAlreadyCommitted", job_id, alice)):
        market.commit(job_id, h("other"), {"from": alice, "value": MIN_STAKE})


def test_the_same_worker_may_commit_to_another_job(market, requester, alice):
    first, _ = post(market, requester)
    second, _ = post(market, requester)
    do_commit(market, first, alice, 7000)

    do_commit(market, second, alice, 7000)

    assert market.job(second)["submissionCount"] == 1


def test_commits_to_unknown_jobs_are_rejected(market, alice):
    with brownie.reverts(err("TrainingMarketUnknownJob", 9)):
        market.commit(9, h("c"), {"from": alice, "value": MIN_STAKE})


def test_commits_to_a_cancelled_job_are_rejected(market, requester, alice):
    job_id, _ = post(market, requester)
    market.cancelJob(job_id, {"from": requester})

    with brownie.reverts(err("TrainingMarketJobClosed", job_id)):
        do_commit(market, job_id, alice, 7000)


def test_the_submission_cap_stops_the_seventeenth_commit(market, requester, accounts, alice):
    job_id, _ = post(market, requester, reward=REWARD)
    # Sixteen fresh funded workers fill the cap.
    workers = [accounts.add() for _ in range(16)]
    for w in workers:
        alice.transfer(w, 2 * MIN_STAKE)
        market.commit(job_id, h(str(w)), {"from": w, "value": MIN_STAKE})

    with brownie.reverts(err("TrainingMarketSubmissionsFull", job_id)):
        do_commit(market, job_id, alice, 7000)
