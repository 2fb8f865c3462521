"""Sealed-exchange fixtures: the contract (an account stands in for the market), a probe of its
libraries, and named parties."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # sealed_helpers

DELIVERY_WINDOW = 3_600  # seconds the winner has to deliver its key
DISPUTE_WINDOW = 7_200  # seconds the requester has to dispute


@pytest.fixture(scope="session")
def market(accounts):
    # Stands in for the TrainingMarket, which alone opens exchanges (stage two wires it).
    return accounts[9]


@pytest.fixture(scope="session")
def requester(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def worker(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def members(accounts):
    return [accounts[5], accounts[6], accounts[7]]


@pytest.fixture(scope="module")
def exchange(SealedExchange, admin, market):
    return SealedExchange.deploy(market, DELIVERY_WINDOW, DISPUTE_WINDOW, {"from": admin})


@pytest.fixture(scope="module")
def probe(SealedProbe, admin):
    return SealedProbe.deploy({"from": admin})
