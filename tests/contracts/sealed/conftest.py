"""Sealed-exchange fixtures: the contract (a stub stands in for the market: the committee it
reads, the flags it takes), a probe of its libraries, and named parties. The market's own side
is tested in tests/contracts/market/test_sealed_jobs.py."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # sealed_helpers

DELIVERY_WINDOW = 3_600  # seconds the winner has to deliver its key
DISPUTE_WINDOW = 7_200  # seconds the requester has to dispute


@pytest.fixture(scope="module")
def market(SealedMarketStub, admin):
    # Stands in for the TrainingMarket, which alone opens exchanges and seats the committee.
    return SealedMarketStub.deploy({"from": admin})


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
    return SealedExchange.deploy(market.address, DELIVERY_WINDOW, DISPUTE_WINDOW, {"from": admin})


@pytest.fixture(scope="module")
def probe(SealedProbe, admin):
    return SealedProbe.deploy({"from": admin})
