import brownie
import pytest
from errors import err


@pytest.mark.parametrize("quorum", [0, 16])
def test_quorum_must_fit_the_validator_set(TrainingMarket, market_registry, admin, quorum):
    with brownie.reverts(err("TrainingMarketInvalidQuorum", quorum)):
        TrainingMarket.deploy(market_registry, 1, quorum, 100, 500, {"from": admin})


def test_tolerance_above_10000_bps_is_rejected(TrainingMarket, market_registry, admin):
    with brownie.reverts(err("TrainingMarketBpsTooHigh", 10001)):
        TrainingMarket.deploy(market_registry, 1, 2, 10001, 500, {"from": admin})


def test_fee_above_10000_bps_is_rejected(TrainingMarket, market_registry, admin):
    with brownie.reverts(err("TrainingMarketBpsTooHigh", 10001)):
        TrainingMarket.deploy(market_registry, 1, 2, 100, 10001, {"from": admin})


def test_a_zero_registry_is_rejected(TrainingMarket, admin):
    with brownie.reverts(err("TrainingMarketZeroAddress")):
        TrainingMarket.deploy("0x" + "00" * 20, 1, 2, 100, 500, {"from": admin})


def test_a_zero_minimum_bond_is_rejected(TrainingMarket, market_registry, admin):
    with brownie.reverts(err("TrainingMarketBondTooLow", 0, 1)):
        TrainingMarket.deploy(market_registry, 0, 2, 100, 500, {"from": admin})
