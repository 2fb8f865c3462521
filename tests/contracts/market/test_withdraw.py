import brownie
from errors import err
from market_helpers import DEPOSIT, REWARD, post


def _credited(market, requester):
    """A cancelled job: its reward and deposit credited back to `requester`."""
    job_id, _ = post(market, requester)
    market.cancelJob(job_id, {"from": requester})


def test_withdraw_sends_everything_credited(market, requester):
    _credited(market, requester)
    before = requester.balance()

    tx = market.withdraw({"from": requester, "gas_price": 0})

    assert requester.balance() == before + REWARD + DEPOSIT
    assert list(tx.events["Withdrawn"].values()) == [requester, REWARD + DEPOSIT]


def test_withdraw_zeroes_the_pending_balance(market, requester):
    _credited(market, requester)

    market.withdraw({"from": requester})

    assert market.pendingOf(requester) == 0


def test_nothing_credited_means_nothing_to_withdraw(market, alice):
    with brownie.reverts(err("TrainingMarketNothingToWithdraw", alice)):
        market.withdraw({"from": alice})


def test_a_second_withdraw_finds_nothing(market, requester):
    _credited(market, requester)
    market.withdraw({"from": requester})

    with brownie.reverts(err("TrainingMarketNothingToWithdraw", requester)):
        market.withdraw({"from": requester})


def test_credits_from_several_jobs_add_up(market, requester):
    _credited(market, requester)
    _credited(market, requester)

    assert market.pendingOf(requester) == 2 * (REWARD + DEPOSIT)
