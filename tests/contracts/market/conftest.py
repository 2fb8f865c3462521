"""Market fixtures: a registry with a base model, the market holding MARKET_ROLE (each market
with its MarketLens, found with market_helpers.lens_of), and named requester, workers and
validators (three of them, bonded)."""

import pytest
from brownie import MarketLens
from hashes import ZERO, ZERO_ADDRESS, h
from market_helpers import CONFIG, MIN_BOND, TRAIN, lens_of, track_lens
from provenance_helpers import Ledger, deploy_relay


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
    # The deploy order of offchain.eth.deploy.deploy_all: market, its MARKET_ROLE, its lens.
    market = TrainingMarket.deploy(registry, CONFIG, {"from": admin})
    registry.grantRole(registry.MARKET_ROLE(), market, {"from": admin})
    track_lens(market, MarketLens.deploy(market, {"from": admin}))
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


@pytest.fixture(scope="module")
def lens(market):
    """The MarketLens of `market`: its judged views."""
    return lens_of(market)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    """A devnet ledger (the Python ledger) whose key can pay anchor fees."""
    ledger = Ledger(tmp_path_factory.mktemp("ledger"))
    yield ledger
    ledger.chain.close()


@pytest.fixture(scope="module")
def relay(LedgerRelay, admin):
    """A LedgerRelay of the devnet from its genesis, requiring two confirmations."""
    return deploy_relay(LedgerRelay, admin)


@pytest.fixture(scope="module")
def anchored(ledger, relay, admin):
    """A ledger block anchoring another hash (index 1) and the training set (index 2), with
    two confirmations on the relay."""
    block = ledger.anchor([h("other"), TRAIN])
    ledger.mine(1)
    ledger.relay_to(relay, admin)
    return block


@pytest.fixture(scope="module")
def prov_market(TrainingMarket, ModelRegistry, relay, admin, validators):
    """A market whose registry holds `relay`, with the three validators bonded."""
    registry = ModelRegistry.deploy(admin, relay, {"from": admin})
    registry.register(h("base"), ZERO, h("pretrain"), 5000, "file:///base", {"from": admin})
    market = _deploy(TrainingMarket, registry, admin)
    for v in validators:
        market.joinValidators({"from": v, "value": MIN_BOND})
    return market


@pytest.fixture
def own_ledger_market(TrainingMarket, ModelRegistry, LedgerRelay, admin, tmp_path):
    """(ledger, relay, market) of their own, for a test that reorganises the ledger (the module's
    ledger is shared, and the EVM's isolation does not rewind it)."""
    ledger = Ledger(tmp_path / "ledger")
    relay = deploy_relay(LedgerRelay, admin)
    registry = ModelRegistry.deploy(admin, relay, {"from": admin})
    registry.register(h("base"), ZERO, h("pretrain"), 5000, "file:///base", {"from": admin})
    yield ledger, relay, _deploy(TrainingMarket, registry, admin)
    ledger.chain.close()
