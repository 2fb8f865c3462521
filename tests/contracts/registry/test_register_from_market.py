import brownie
from errors import err
from hashes import ZERO, h

URI = "http://127.0.0.1:8000/sha256/" + "cd" * 32


def test_market_records_a_winner_with_its_job_id_and_publisher(registry, alice, bob, market_account):
    registry.register(h("base"), ZERO, h("data"), 5000, URI, {"from": alice})

    tx = registry.registerFromMarket(h("won"), h("base"), h("train"), 9100, 7, bob, URI, {"from": market_account})

    assert list(registry.recordOf(h("won"))) == [h("base"), bob, 9100, 7, tx.block_number]
    assert list(tx.events["ModelRegistered"].values()) == [
        h("won"),
        h("base"),
        bob,
        h("train"),
        9100,
        7,
        URI,
    ]


def test_a_market_record_overwrites_a_direct_registration(registry, alice, bob, market_account):
    registry.register(h("base"), ZERO, h("data"), 5000, URI, {"from": alice})
    registry.register(h("won"), ZERO, h("junk"), 0, "", {"from": alice})  # pre-emption attempt

    registry.registerFromMarket(h("won"), h("base"), h("train"), 9100, 7, bob, URI, {"from": market_account})

    assert list(registry.recordOf(h("won")))[:4] == [h("base"), bob, 9100, 7]


def test_a_direct_registration_cannot_overwrite_a_market_record(registry, alice, bob, market_account):
    registry.register(h("base"), ZERO, h("data"), 5000, URI, {"from": alice})
    registry.registerFromMarket(h("won"), h("base"), h("train"), 9100, 7, bob, URI, {"from": market_account})

    with brownie.reverts(err("ModelRegistryAlreadyRegistered", h("won"))):
        registry.register(h("won"), ZERO, h("junk"), 0, "", {"from": alice})


def test_the_market_role_can_be_revoked(registry, admin, market_account):
    role = registry.MARKET_ROLE()

    tx = registry.revokeRole(role, market_account, {"from": admin})

    assert not registry.hasRole(role, market_account)
    assert tx.events["RoleRevoked"]["account"] == market_account


# Issue 20 item 8: a worker resubmits an ancestor of the job's base (public weights): written as
# the base's child over its direct record, it would make lineage cycle (root -> base -> root).
def test_issue17_8_a_market_record_never_makes_an_ancestor_of_its_parent_its_child(
    registry, alice, bob, market_account
):
    registry.register(h("root"), ZERO, h("data"), 5000, URI, {"from": alice})
    registry.register(h("base"), h("root"), h("data"), 6000, URI, {"from": alice})

    registry.registerFromMarket(h("root"), h("base"), h("train"), 9100, 7, bob, URI, {"from": market_account})

    assert list(registry.lineage(h("base"), 8)) == [h("base"), h("root")]
    assert list(registry.recordOf(h("root")))[:4] == [ZERO, alice, 5000, 0]  # the direct record, kept


def test_accounts_without_the_market_role_are_rejected(registry, alice):
    registry.register(h("base"), ZERO, h("data"), 5000, URI, {"from": alice})
    role = registry.MARKET_ROLE()

    with brownie.reverts(err("AccessControlUnauthorizedAccount", alice, role)):
        registry.registerFromMarket(h("won"), h("base"), h("train"), 9100, 7, alice, URI, {"from": alice})


def test_market_path_still_requires_a_registered_parent(registry, alice, market_account):
    with brownie.reverts(err("ModelRegistryUnknownParent", h("ghost"))):
        registry.registerFromMarket(h("won"), h("ghost"), h("train"), 9100, 7, alice, URI, {"from": market_account})


def test_job_ids_beyond_40_bits_are_rejected(registry, alice, market_account):
    registry.register(h("base"), ZERO, h("data"), 5000, URI, {"from": alice})

    with brownie.reverts(err("ModelRegistryJobIdTooLarge", 2**40)):
        registry.registerFromMarket(h("won"), h("base"), h("train"), 9100, 2**40, alice, URI, {"from": market_account})


def test_admin_can_grant_the_market_role(registry, admin, bob):
    tx = registry.grantRole(registry.MARKET_ROLE(), bob, {"from": admin})

    assert registry.hasRole(registry.MARKET_ROLE(), bob)
    assert "RoleGranted" in tx.events


def test_non_admin_cannot_grant_the_market_role(registry, alice, bob):
    with brownie.reverts():
        registry.grantRole(registry.MARKET_ROLE(), bob, {"from": alice})
