import brownie
import pytest
from errors import err
from hashes import ZERO, h
from market_helpers import COMMITTEE, DEPOSIT, MIN_SCORE, MIN_STAKE, MIN_WINDOW, REWARD, eval_seal, next_time, post

DAY = 86400


def _post(market, requester, now=None, **kw):
    now = now or next_time()
    args = dict(
        base=h("base"),
        train=h("train"),
        seal=eval_seal(),
        spec=h("spec"),
        min_score=MIN_SCORE,
        deadlines=[now + 100, now + 200, now + 300, now + 400],
        min_stake=MIN_STAKE,
        committee=COMMITTEE,
        value=REWARD + DEPOSIT,
    )
    args.update(kw)
    return market.postJob(
        args["base"],
        args["train"],
        args["seal"],
        args["spec"],
        args["min_score"],
        args["deadlines"],
        args["min_stake"],
        args["committee"],
        {"from": requester, "value": args["value"]},
    )


def test_reward_and_deposit_are_escrowed_in_the_market(market, requester):
    before = requester.balance()

    post(market, requester)

    assert market.balance() == REWARD + DEPOSIT + 3 * 10**18  # plus the three validator bonds
    assert requester.balance() == before - REWARD - DEPOSIT


def test_the_deposit_equals_the_reward(market, requester):
    job_id, tx = post(market, requester)

    assert market.job(job_id)["reward"] == REWARD == DEPOSIT  # Judgment.depositOf: msg.value is 2 x the reward
    assert tx.events["JobPosted"]["reward"] == REWARD


def test_a_value_that_is_not_a_reward_and_its_deposit_is_refused(market, requester):
    with brownie.reverts(err("TrainingMarketDepositMismatch", REWARD + DEPOSIT + 1)):
        _post(market, requester, value=REWARD + DEPOSIT + 1)  # odd: no reward has it as reward + deposit


def test_job_ids_start_at_one_and_count_up(market, requester):
    first, _ = post(market, requester)
    second, _ = post(market, requester)

    assert (first, second) == (1, 2)
    assert market.jobCount() == 2


def test_job_posted_event_carries_the_seal_not_the_evaluation_set(market, requester):
    now = next_time()

    tx = _post(market, requester, now)

    values = list(tx.events["JobPosted"].values())
    values[7] = list(values[7])
    assert values == [
        1,
        requester,
        h("base"),
        h("train"),
        eval_seal(),
        h("spec"),
        MIN_SCORE,
        [now + 100, now + 200, now + 300, now + 400],
        MIN_STAKE,
        COMMITTEE,
        REWARD,
    ]


def test_stored_job_keeps_what_finalize_needs(market, requester):
    now = next_time()

    _post(market, requester, now)

    assert list(market.job(1)) == [
        now + 100, now + 200, now + 300, now + 400, MIN_STAKE, MIN_SCORE, 0, COMMITTEE, 0, False,
        requester, REWARD, 0, False, h("base"), h("train"), eval_seal(),
    ]  # fmt: skip


def test_a_job_without_reward_is_rejected(market, requester):
    with brownie.reverts(err("TrainingMarketZeroReward")):
        _post(market, requester, value=0)


def test_an_unregistered_base_model_is_rejected(market, requester):
    with brownie.reverts(err("TrainingMarketUnknownBaseModel", h("nope"))):
        _post(market, requester, base=h("nope"))


@pytest.mark.parametrize("field", ["train", "seal", "spec"])
def test_zero_data_hashes_are_rejected(market, requester, field):
    with brownie.reverts(err("TrainingMarketZeroHash")):
        _post(market, requester, **{field: ZERO})


def test_a_minimum_score_above_10000_bps_is_rejected(market, requester):
    with brownie.reverts(err("TrainingMarketBpsTooHigh", 10001)):
        _post(market, requester, min_score=10001)


@pytest.mark.parametrize(
    "offsets", [(0, 200, 300, 400), (200, 200, 300, 400), (100, 300, 300, 400), (100, 200, 400, 300)]
)
def test_deadlines_must_be_future_and_strictly_ordered(market, requester, offsets):
    now = next_time()
    d = [now + o for o in offsets]

    with brownie.reverts(err("TrainingMarketBadDeadlines", *d)):
        _post(market, requester, now, deadlines=d)


@pytest.mark.parametrize("window", range(4))
def test_every_window_must_last_the_protocol_minimum(market, requester, window):
    now = next_time()
    d = [now + 100 * (i + 1) for i in range(4)]
    for i in range(window, 4):
        d[i] -= 1  # window `window` is one second short; later ones keep their length

    with brownie.reverts(err("TrainingMarketWindowTooShort", MIN_WINDOW - 1, MIN_WINDOW)):
        _post(market, requester, now, deadlines=d)


def test_jobs_longer_than_the_maximum_duration_are_rejected(market, requester):
    now = next_time()

    with brownie.reverts(err("TrainingMarketJobTooLong", 30 * DAY + 1, 30 * DAY)):
        _post(market, requester, now, deadlines=[now + 100, now + 200, now + 300, now + 30 * DAY + 1])


def test_a_job_of_exactly_the_maximum_duration_is_accepted(market, requester):
    now = next_time()

    tx = _post(market, requester, now, deadlines=[now + 100, now + 200, now + 300, now + 30 * DAY])

    assert tx.events["JobPosted"]["jobId"] == 1


@pytest.mark.parametrize("stake", [0, 9])
def test_a_minimum_stake_without_a_real_forfeit_is_rejected(market, requester, stake):
    with brownie.reverts(err("TrainingMarketStakeTooSmall", stake)):
        _post(market, requester, min_stake=stake)  # 10 % of 9 wei rounds to nothing


@pytest.mark.parametrize("size", [0, 1, 2, 4, 17])
def test_the_committee_is_odd_at_least_the_quorum_and_at_most_15(market, requester, size):
    with brownie.reverts(err("TrainingMarketBadCommitteeSize", size)):
        _post(market, requester, committee=size)


def test_a_minimum_stake_whose_fifteen_forfeits_do_not_cover_the_reward_is_rejected(market, requester):
    # A full job's 15 junk submissions forfeit a minimum stake each: they must cost the reward (issue 20 item 6).
    with brownie.reverts(err("TrainingMarketStakeTooSmall", REWARD // 15)):
        _post(market, requester, min_stake=REWARD // 15)  # 15 x floor(reward / 15) < reward


def test_fifteen_minimum_stakes_equal_to_the_reward_are_enough(market, requester):
    tx = _post(market, requester, min_stake=-(-REWARD // 15))

    assert "JobPosted" in tx.events
