import brownie
from errors import err
from market_helpers import MIN_BOND, sleep_until

DAY = 86400


def test_joining_takes_the_lowest_free_seat_and_the_bond(bare_market, alice):
    tx = bare_market.joinValidators({"from": alice, "value": MIN_BOND + 1})

    assert list(tx.events["ValidatorJoined"].values()) == [alice, 0, MIN_BOND + 1]
    assert list(bare_market.validatorAt(0)) == [alice, tx.timestamp]
    assert list(bare_market.validator(alice)) == [MIN_BOND + 1, tx.timestamp, 0, 0, True]
    assert bare_market.validatorCount() == 1


def test_a_bond_below_the_minimum_is_rejected(bare_market, alice):
    with brownie.reverts(err("TrainingMarketBondTooLow", MIN_BOND - 1, MIN_BOND)):
        bare_market.joinValidators({"from": alice, "value": MIN_BOND - 1})


def test_a_validator_cannot_join_twice(market, validators):
    with brownie.reverts(err("TrainingMarketAlreadyValidator", validators[0])):
        market.joinValidators({"from": validators[0], "value": MIN_BOND})


def test_the_set_is_capped_at_fifteen(bare_market, accounts, alice):
    for _ in range(15):
        v = accounts.add()
        alice.transfer(v, 2 * MIN_BOND)
        bare_market.joinValidators({"from": v, "value": MIN_BOND})

    with brownie.reverts(err("TrainingMarketValidatorSetFull")):
        bare_market.joinValidators({"from": alice, "value": MIN_BOND})


def test_request_exit_starts_the_unbonding_delay(market, validators):
    tx = market.requestExit({"from": validators[0]})

    unlocks = tx.timestamp + market.UNBONDING_DELAY()
    assert list(tx.events["ValidatorExitRequested"].values()) == [validators[0], unlocks]
    assert market.validator(validators[0])["exitRequestedAt"] == tx.timestamp


def test_the_unbonding_delay_outlasts_the_longest_job(market):
    assert market.UNBONDING_DELAY() > market.MAX_JOB_DURATION()


def test_non_validators_cannot_request_exit(market, alice):
    with brownie.reverts(err("TrainingMarketNotValidator", alice)):
        market.requestExit({"from": alice})


def test_exit_is_requested_once(market, validators):
    market.requestExit({"from": validators[0]})

    with brownie.reverts(err("TrainingMarketExitAlreadyRequested", validators[0])):
        market.requestExit({"from": validators[0]})


def test_the_bond_is_locked_until_the_delay_passes(market, validators):
    tx = market.requestExit({"from": validators[0]})
    unlocks = tx.timestamp + market.UNBONDING_DELAY()
    sleep_until(unlocks - 2)

    with brownie.reverts(err("TrainingMarketStillUnbonding", validators[0], unlocks)):
        market.withdrawBond({"from": validators[0]})


def test_withdraw_bond_returns_the_bond_and_frees_the_seat(market, validators):
    tx = market.requestExit({"from": validators[1]})
    sleep_until(tx.timestamp + market.UNBONDING_DELAY())
    before = validators[1].balance()

    tx = market.withdrawBond({"from": validators[1], "gas_price": 0})

    assert validators[1].balance() == before + MIN_BOND
    assert list(tx.events["BondWithdrawn"].values()) == [validators[1], MIN_BOND]
    assert market.validatorAt(1)[0] == "0x" + "00" * 20
    assert market.validatorCount() == 2


def test_a_freed_seat_is_reused(market, validators, alice):
    tx = market.requestExit({"from": validators[1]})
    sleep_until(tx.timestamp + market.UNBONDING_DELAY())
    market.withdrawBond({"from": validators[1]})

    tx = market.joinValidators({"from": alice, "value": MIN_BOND})

    assert tx.events["ValidatorJoined"]["seat"] == 1


def test_withdraw_bond_requires_an_exit_request(market, validators):
    with brownie.reverts(err("TrainingMarketExitNotRequested", validators[0])):
        market.withdrawBond({"from": validators[0]})


def test_non_validators_have_no_bond_to_withdraw(market, alice):
    with brownie.reverts(err("TrainingMarketNotValidator", alice)):
        market.withdrawBond({"from": alice})


def test_seats_beyond_the_cap_are_unknown(market):
    with brownie.reverts(err("TrainingMarketUnknownSeat", 15)):
        market.validatorAt(15)
