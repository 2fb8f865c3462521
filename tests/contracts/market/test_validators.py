import brownie
from errors import err
from market_helpers import MIN_BOND, finalize, run_job, seated, seats_held, slashed_over, sleep_until

DAY = 86400
GWEI = 10**9


def test_joining_appends_a_leaf_weighted_by_the_bond(bare_market, alice):
    tx = bare_market.joinValidators({"from": alice, "value": MIN_BOND + GWEI})

    assert list(tx.events["ValidatorJoined"].values()) == [alice, 0, MIN_BOND + GWEI]
    assert bare_market.validatorAt(0) == alice
    assert list(bare_market.validator(alice)) == [MIN_BOND + GWEI, 0, 1, 0, 0]  # no unsettled seat
    assert bare_market.totalWeight() == (MIN_BOND + GWEI) // GWEI


def test_a_bond_below_the_minimum_is_rejected(bare_market, alice):
    with brownie.reverts(err("TrainingMarketBondTooLow", MIN_BOND - 1, MIN_BOND)):
        bare_market.joinValidators({"from": alice, "value": MIN_BOND - 1})


def test_a_validator_cannot_join_twice(market, validators):
    with brownie.reverts(err("TrainingMarketAlreadyValidator", validators[0])):
        market.joinValidators({"from": validators[0], "value": MIN_BOND})


def test_the_set_has_no_cap(bare_market, accounts, alice):
    for _ in range(20):
        v = accounts.add()
        alice.transfer(v, 2 * MIN_BOND)
        bare_market.joinValidators({"from": v, "value": MIN_BOND})

    bare_market.joinValidators({"from": alice, "value": MIN_BOND})

    assert bare_market.totalWeight() == 21 * MIN_BOND // GWEI


def test_request_exit_starts_the_unbonding_delay_and_stops_draws(market, validators):
    tx = market.requestExit({"from": validators[0]})

    unlocks = tx.timestamp + market.UNBONDING_DELAY()
    assert list(tx.events["ValidatorExitRequested"].values()) == [validators[0], unlocks]
    assert market.validator(validators[0])["unlocksAt"] == unlocks
    assert market.totalWeight() == 2 * MIN_BOND // GWEI


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


def test_withdraw_bond_returns_the_bond_and_ends_membership(market, validators):
    tx = market.requestExit({"from": validators[1]})
    sleep_until(tx.timestamp + market.UNBONDING_DELAY())
    before = validators[1].balance()

    tx = market.withdrawBond({"from": validators[1], "gas_price": 0})

    assert validators[1].balance() == before + MIN_BOND
    assert list(tx.events["BondWithdrawn"].values()) == [validators[1], MIN_BOND]
    assert market.validator(validators[1])["leafPlusOne"] == 0


def test_a_returning_validator_gets_a_new_leaf(market, validators):
    tx = market.requestExit({"from": validators[1]})
    sleep_until(tx.timestamp + market.UNBONDING_DELAY())
    market.withdrawBond({"from": validators[1]})

    tx = market.joinValidators({"from": validators[1], "value": MIN_BOND})

    assert tx.events["ValidatorJoined"]["leaf"] == 3
    assert market.validatorAt(1) == validators[1]  # old committees still resolve


def test_withdraw_bond_requires_an_exit_request(market, validators):
    with brownie.reverts(err("TrainingMarketExitNotRequested", validators[0])):
        market.withdrawBond({"from": validators[0]})


def test_non_validators_have_no_bond_to_withdraw(market, alice):
    with brownie.reverts(err("TrainingMarketNotValidator", alice)):
        market.withdrawBond({"from": alice})


def _silent_job(market, requester, alice, validators):
    """A finalized job whose members all stayed silent: each seat slashed 10 % of what its
    member's bond had left, so every member is below the minimum. Returns the members."""
    job_id = run_job(market, requester, validators, {alice: 8000}, {alice: [None] * 3})
    finalize(market, job_id, requester)
    members = seated(market, job_id, validators)  # seats by bond: one to three members
    for v in members:
        assert market.validator(v)["bond"] == MIN_BOND - slashed_over(seats_held(market, job_id, v))
    assert market.totalWeight() == (3 - len(members)) * MIN_BOND // GWEI  # out of the draw below the minimum
    return members


def test_a_validator_slashed_below_the_minimum_tops_up_and_is_drawn_again(market, requester, alice, validators):
    # Issue 22 item 3: below the minimum a validator silently stopped being drawn, and the
    # only way back, joining again, reverts for a member (a top-up was missing).
    members = _silent_job(market, requester, alice, validators)
    member, missing = members[0], MIN_BOND - market.validator(members[0])["bond"]

    tx = market.topUpBond({"from": member, "value": missing})

    assert list(tx.events["BondToppedUp"].values()) == [member, missing, MIN_BOND]
    assert market.validator(member)["bond"] == MIN_BOND
    assert market.totalWeight() == (4 - len(members)) * MIN_BOND // GWEI


def test_a_top_up_below_the_minimum_keeps_the_validator_out_of_the_draw(market, requester, alice, validators):
    members = _silent_job(market, requester, alice, validators)
    bond = market.validator(members[0])["bond"]

    market.topUpBond({"from": members[0], "value": GWEI})

    assert market.validator(members[0])["bond"] == bond + GWEI
    assert market.totalWeight() == (3 - len(members)) * MIN_BOND // GWEI


def test_a_top_up_raises_an_active_validators_weight(bare_market, alice):
    bare_market.joinValidators({"from": alice, "value": MIN_BOND})

    bare_market.topUpBond({"from": alice, "value": MIN_BOND})

    assert bare_market.totalWeight() == 2 * MIN_BOND // GWEI


def test_only_an_active_validator_tops_up(market, alice, validators):
    with brownie.reverts(err("TrainingMarketNotValidator", alice)):
        market.topUpBond({"from": alice, "value": GWEI})
    market.requestExit({"from": validators[0]})
    with brownie.reverts(err("TrainingMarketExitAlreadyRequested", validators[0])):
        market.topUpBond({"from": validators[0], "value": GWEI})
