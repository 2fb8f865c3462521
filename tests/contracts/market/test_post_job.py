import brownie
import pytest
from errors import err
from hashes import ZERO, h
from market_helpers import MIN_SCORE, MIN_STAKE, REWARD, next_time, post

DAY = 86400


def _post(market, requester, now=None, **kw):
    now = now or next_time()
    args = dict(
        base=h("base"),
        train=h("train"),
        eval=h("eval"),
        spec=h("spec"),
        min_score=MIN_SCORE,
        commit=now + 100,
        reveal=now + 200,
        attest=now + 300,
        min_stake=MIN_STAKE,
        value=REWARD,
    )
    args.update(kw)
    return market.postJob(
        args["base"],
        args["train"],
        args["eval"],
        args["spec"],
        args["min_score"],
        args["commit"],
        args["reveal"],
        args["attest"],
        args["min_stake"],
        {"from": requester, "value": args["value"]},
    )


def test_reward_is_escrowed_in_the_market(market, requester):
    before = requester.balance()

    post(market, requester)

    assert market.balance() == REWARD + 3 * 10**18  # plus the three validator bonds
    assert requester.balance() == before - REWARD


def test_job_ids_start_at_one_and_count_up(market, requester):
    first, _ = post(market, requester)
    second, _ = post(market, requester)

    assert (first, second) == (1, 2)
    assert market.jobCount() == 2


def test_job_posted_event_carries_every_field(market, requester):
    now = next_time()

    tx = _post(market, requester, now, commit=now + 100, reveal=now + 200, attest=now + 300)

    assert list(tx.events["JobPosted"].values()) == [
        1,
        requester,
        h("base"),
        h("train"),
        h("eval"),
        h("spec"),
        MIN_SCORE,
        now + 100,
        now + 200,
        now + 300,
        MIN_STAKE,
        REWARD,
    ]


def test_stored_job_keeps_what_finalize_needs(market, requester):
    now = next_time()

    _post(market, requester, now, commit=now + 100, reveal=now + 200, attest=now + 300)

    assert list(market.job(1)) == [
        now + 100,
        now + 200,
        now + 300,
        MIN_STAKE,
        MIN_SCORE,
        0,
        0,
        0,
        requester,
        REWARD,
        h("base"),
        h("train"),
    ]


def test_a_job_without_reward_is_rejected(market, requester):
    with brownie.reverts(err("TrainingMarketZeroReward")):
        _post(market, requester, value=0)


def test_an_unregistered_base_model_is_rejected(market, requester):
    with brownie.reverts(err("TrainingMarketUnknownBaseModel", h("nope"))):
        _post(market, requester, base=h("nope"))


@pytest.mark.parametrize("field", ["train", "eval", "spec"])
def test_zero_data_hashes_are_rejected(market, requester, field):
    with brownie.reverts(err("TrainingMarketZeroHash")):
        _post(market, requester, **{field: ZERO})


def test_a_minimum_score_above_10000_bps_is_rejected(market, requester):
    with brownie.reverts(err("TrainingMarketBpsTooHigh", 10001)):
        _post(market, requester, min_score=10001)


@pytest.mark.parametrize("offsets", [(0, 200, 300), (200, 200, 300), (100, 300, 300), (100, 300, 200)])
def test_deadlines_must_be_future_and_strictly_ordered(market, requester, offsets):
    now = next_time()
    c, r, a = (now + o for o in offsets)

    with brownie.reverts(err("TrainingMarketBadDeadlines", c, r, a)):
        _post(market, requester, now, commit=c, reveal=r, attest=a)


def test_past_commit_deadline_names_the_deadlines(market, requester):
    now = next_time()

    with brownie.reverts(err("TrainingMarketBadDeadlines", now - 1, now + 200, now + 300)):
        _post(market, requester, now, commit=now - 1, reveal=now + 200, attest=now + 300)


def test_jobs_longer_than_the_maximum_duration_are_rejected(market, requester):
    now = next_time()

    with brownie.reverts(err("TrainingMarketJobTooLong", 30 * DAY + 1, 30 * DAY)):
        _post(market, requester, now, commit=now + 100, reveal=now + 200, attest=now + 30 * DAY + 1)


def test_a_job_of_exactly_the_maximum_duration_is_accepted(market, requester):
    now = next_time()

    tx = _post(market, requester, now, commit=now + 100, reveal=now + 200, attest=now + 30 * DAY)

    assert tx.events["JobPosted"]["jobId"] == 1


def test_a_zero_minimum_stake_is_rejected(market, requester):
    with brownie.reverts(err("TrainingMarketZeroStake")):
        _post(market, requester, min_stake=0)


def test_a_minimum_stake_beyond_80_bits_is_rejected(market, requester):
    with brownie.reverts(err("TrainingMarketAmountTooLarge", 2**80, 2**80 - 1)):
        _post(market, requester, min_stake=2**80)
