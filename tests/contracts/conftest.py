"""Shared brownie fixtures: named accounts and deployed contracts."""

import pytest
from hashes import ZERO_ADDRESS


@pytest.fixture(autouse=True)
def isolate(fn_isolation):
    # Each test runs against a snapshot of the chain, reverted afterwards:
    # https://eth-brownie.readthedocs.io/en/stable/tests-pytest-intro.html#isolation-fixtures
    pass


@pytest.fixture(scope="session")
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def alice(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def bob(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def market_account(accounts):
    # Stands in for the TrainingMarket in registry tests.
    return accounts[9]


@pytest.fixture(scope="module")
def registry(ModelRegistry, admin, market_account):
    contract = ModelRegistry.deploy(admin, ZERO_ADDRESS, {"from": admin})
    contract.grantRole(contract.MARKET_ROLE(), market_account, {"from": admin})
    return contract
