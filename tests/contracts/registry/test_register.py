import brownie
from errors import err
from hashes import ZERO, h

URI = "sha256:" + "ab" * 32


def test_base_model_is_recorded_with_publisher_and_score(registry, alice):
    tx = registry.register(h("base"), ZERO, h("data"), 9000, URI, {"from": alice})

    record = registry.recordOf(h("base"))
    assert list(record) == [ZERO, alice, 9000, 0, tx.block_number]
    assert registry.isRegistered(h("base"))


def test_registration_event_carries_everything_an_indexer_needs(registry, alice):
    tx = registry.register(h("base"), ZERO, h("data"), 9000, URI, {"from": alice})

    assert list(tx.events["ModelRegistered"].values()) == [
        h("base"),
        ZERO,
        alice,
        h("data"),
        9000,
        0,
        URI,
    ]


def test_derived_model_links_to_its_parent(registry, alice, bob):
    registry.register(h("base"), ZERO, h("data"), 5000, URI, {"from": alice})

    registry.register(h("child"), h("base"), h("data2"), 8000, URI, {"from": bob})

    assert registry.recordOf(h("child"))[0] == h("base")
    assert registry.recordOf(h("child"))[1] == bob


def test_zero_hash_is_rejected(registry, alice):
    with brownie.reverts(err("ModelRegistryZeroHash")):
        registry.register(ZERO, ZERO, h("data"), 0, URI, {"from": alice})


def test_duplicate_hash_is_rejected(registry, alice, bob):
    registry.register(h("base"), ZERO, h("data"), 0, URI, {"from": alice})

    with brownie.reverts(err("ModelRegistryAlreadyRegistered", h("base"))):
        registry.register(h("base"), ZERO, h("other"), 0, URI, {"from": bob})


def test_unknown_parent_is_rejected(registry, alice):
    with brownie.reverts(err("ModelRegistryUnknownParent", h("ghost"))):
        registry.register(h("child"), h("ghost"), h("data"), 0, URI, {"from": alice})


def test_score_above_10000_bps_is_rejected(registry, alice):
    with brownie.reverts(err("ModelRegistryScoreTooHigh", 10001)):
        registry.register(h("base"), ZERO, h("data"), 10001, URI, {"from": alice})


def test_score_of_exactly_10000_bps_is_accepted(registry, alice):
    registry.register(h("base"), ZERO, h("data"), 10000, URI, {"from": alice})

    assert registry.recordOf(h("base"))[2] == 10000


def test_registration_costs_at_most_90k_gas(registry, alice):
    registry.register(h("base"), ZERO, h("data"), 9000, URI, {"from": alice})

    tx = registry.register(h("child"), h("base"), h("data"), 9100, URI, {"from": alice})

    print(f"\nModelRegistry.register gas used: {tx.gas_used}")
    assert tx.gas_used <= 90_000
