"""migrate: a registry that replaces another (a new relay means a new registry and market) carries
its records and lineage over, reading the predecessor's on-chain fields itself; only the
administrator migrates, parents first, and only until the migration is closed for good."""

import brownie
import pytest
from errors import err
from hashes import ZERO, ZERO_ADDRESS, h

BASE, CHILD, GRANDCHILD = h("base"), h("child"), h("grandchild")


@pytest.fixture
def old(ModelRegistry, admin, alice, bob, market_account):
    registry = ModelRegistry.deploy(admin, ZERO_ADDRESS, {"from": admin})
    registry.register(BASE, ZERO, h("pretrain"), 5000, "file:///base", {"from": alice})
    registry.grantRole(registry.MARKET_ROLE(), market_account, {"from": admin})
    registry.registerFromMarket(CHILD, BASE, h("train"), 8100, 7, bob, "http://w/child", {"from": market_account})
    registry.register(GRANDCHILD, CHILD, h("more"), 8300, "file:///gc", {"from": alice})
    return registry


@pytest.fixture
def new(ModelRegistry, admin):
    return ModelRegistry.deploy(admin, ZERO_ADDRESS, {"from": admin})


def _fields(registry, model):
    parent, publisher, score, job_id, _ = registry.recordOf(model)
    return parent, publisher, score, job_id


def test_records_and_lineage_are_carried_over(old, new, admin):
    for model, data, uri in ((BASE, h("pretrain"), "file:///base"), (CHILD, h("train"), "http://w/child")):
        tx = new.migrate(old, model, data, uri, {"from": admin})
        assert tx.events["ModelMigrated"].values() == [model, old.address]
        assert tx.events["ModelRegistered"]["uri"] == uri
    new.migrate(old, GRANDCHILD, h("more"), "file:///gc", {"from": admin})

    for model in (BASE, CHILD, GRANDCHILD):
        assert _fields(new, model) == _fields(old, model)  # publisher, score and job id: the old record's
    assert list(new.lineage(GRANDCHILD, 5)) == list(old.lineage(GRANDCHILD, 5)) == [GRANDCHILD, CHILD, BASE]


def test_a_child_before_its_parent_is_refused(old, new, admin):
    with brownie.reverts(err("ModelRegistryUnknownParent", BASE)):
        new.migrate(old, CHILD, h("train"), "http://w/child", {"from": admin})


def test_a_model_already_here_is_skipped(old, new, admin):
    new.migrate(old, BASE, h("pretrain"), "file:///base", {"from": admin})

    tx = new.migrate(old, BASE, h("pretrain"), "file:///base", {"from": admin})

    assert "ModelMigrated" not in tx.events


def test_only_the_administrator_migrates(old, new, alice):
    with brownie.reverts():
        new.migrate(old, BASE, h("pretrain"), "file:///base", {"from": alice})


def test_an_unknown_model_of_the_predecessor_is_refused(old, new, admin):
    with brownie.reverts(err("ModelRegistryUnknownModel", h("nobody"))):
        new.migrate(old, h("nobody"), h("x"), "file:///x", {"from": admin})


def test_a_closed_migration_stays_closed(old, new, admin):
    tx = new.closeMigration({"from": admin})

    assert "MigrationClosed" in tx.events
    with brownie.reverts(err("ModelRegistryMigrationClosed")):
        new.migrate(old, BASE, h("pretrain"), "file:///base", {"from": admin})


def test_the_migration_script_carries_a_registry(ModelRegistry, old, accounts):
    from scripts.migrate_registry import main

    target = ModelRegistry.deploy(accounts[0], ZERO_ADDRESS, {"from": accounts[0]})  # the script's sender

    report = main(old.address, target.address, 1)

    assert (report.carried, report.already, report.closed) == (3, 0, True)
    assert list(target.lineage(GRANDCHILD, 5)) == [GRANDCHILD, CHILD, BASE]
