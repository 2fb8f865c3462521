"""Market fixtures: a registry with a base model, the market holding MARKET_ROLE, and
named requester, workers and validators (three of them, bonded)."""

import pytest
from hashes import ZERO, ZERO_ADDRESS, h
from market_helpers import CONFIG, MIN_BOND


@pytest.fixture(scope="session")
def requester(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def carol(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def validators(accounts):
    return [accounts[5], accounts[6], accounts[7]]


@pytest.fixture(scope="session")
def mallory(accounts):
    return accounts[8]


@pytest.fixture(scope="module")
def market_registry(ModelRegistry, admin):
    contract = ModelRegistry.deploy(admin, ZERO_ADDRESS, {"from": admin})
    contract.register(h("base"), ZERO, h("pretrain"), 5000, "file:///base", {"from": admin})
    return contract


def _deploy(TrainingMarket, registry, admin):
    market = TrainingMarket.deploy(registry, CONFIG, {"from": admin})
    registry.grantRole(registry.MARKET_ROLE(), market, {"from": admin})
    return market


@pytest.fixture(scope="module")
def bare_market(TrainingMarket, market_registry, admin):
    """A market with no validators yet."""
    return _deploy(TrainingMarket, market_registry, admin)


@pytest.fixture(scope="module")
def market(TrainingMarket, market_registry, admin, validators):
    """A market with three bonded validators (leaves 0, 1, 2): a 3-seat committee is all of them."""
    market = _deploy(TrainingMarket, market_registry, admin)
    for v in validators:
        market.joinValidators({"from": v, "value": MIN_BOND})
    return market
