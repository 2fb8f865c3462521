import brownie
import pytest
from errors import err
from market_helpers import CONFIG

# CONFIG = (minBond, quorum, toleranceBps, feeBps, slashBps, forfeitBps, minWindow)


def _with(**kw):
    names = ["min_bond", "quorum", "tolerance", "fee", "slash", "forfeit", "window"]
    values = dict(zip(names, CONFIG, strict=True))
    values.update(kw)
    return tuple(values[n] for n in names)


@pytest.mark.parametrize("field", [dict(quorum=0), dict(quorum=16), dict(forfeit=0), dict(slash=0), dict(window=0)])
def test_configs_that_break_a_guard_are_rejected(TrainingMarket, market_registry, admin, field):
    with brownie.reverts(err("TrainingMarketBadConfig")):
        TrainingMarket.deploy(market_registry, _with(**field), {"from": admin})


@pytest.mark.parametrize("field", ["tolerance", "fee", "slash", "forfeit"])
def test_shares_above_10000_bps_are_rejected(TrainingMarket, market_registry, admin, field):
    with brownie.reverts(err("TrainingMarketBpsTooHigh", 10001)):
        TrainingMarket.deploy(market_registry, _with(**{field: 10001}), {"from": admin})


def test_a_zero_registry_is_rejected(TrainingMarket, admin):
    with brownie.reverts(err("TrainingMarketZeroAddress")):
        TrainingMarket.deploy("0x" + "00" * 20, CONFIG, {"from": admin})


def test_a_minimum_bond_below_one_gwei_is_rejected(TrainingMarket, market_registry, admin):
    with brownie.reverts(err("TrainingMarketBondTooLow", 10**9 - 1, 10**9)):
        TrainingMarket.deploy(market_registry, _with(min_bond=10**9 - 1), {"from": admin})


def test_the_config_reads_back(market):
    assert tuple(market.config()) == CONFIG
