import brownie
from brownie.test import given, strategy
from errors import err
from hashes import ZERO, h

URI = "sha256:" + "ab" * 32


def test_lineage_of_a_base_model_is_itself(registry, alice):
    registry.register(h("base"), ZERO, h("data"), 0, URI, {"from": alice})

    assert registry.lineage(h("base"), 10) == [h("base")]


def test_lineage_walks_back_to_the_root(registry, alice):
    registry.register(h("a"), ZERO, h("data"), 0, URI, {"from": alice})
    registry.register(h("b"), h("a"), h("data"), 0, URI, {"from": alice})
    registry.register(h("c"), h("b"), h("data"), 0, URI, {"from": alice})

    assert registry.lineage(h("c"), 10) == [h("c"), h("b"), h("a")]


def test_lineage_stops_at_max_depth(registry, alice):
    registry.register(h("a"), ZERO, h("data"), 0, URI, {"from": alice})
    registry.register(h("b"), h("a"), h("data"), 0, URI, {"from": alice})
    registry.register(h("c"), h("b"), h("data"), 0, URI, {"from": alice})

    assert registry.lineage(h("c"), 2) == [h("c"), h("b")]


def test_lineage_of_an_unknown_model_reverts(registry):
    with brownie.reverts(err("ModelRegistryUnknownModel", h("ghost"))):
        registry.lineage(h("ghost"), 10)


def test_lineage_with_zero_depth_reverts(registry, alice):
    registry.register(h("a"), ZERO, h("data"), 0, URI, {"from": alice})

    with brownie.reverts(err("ModelRegistryZeroDepth")):
        registry.lineage(h("a"), 0)


def test_record_of_an_unknown_model_reverts(registry):
    with brownie.reverts(err("ModelRegistryUnknownModel", h("ghost"))):
        registry.recordOf(h("ghost"))


@given(parents=strategy("uint8[]", min_length=1, max_length=12))
def test_lineage_returns_exactly_the_path_in_random_trees(registry, alice, parents):
    # Node i's parent is a random earlier node (or none): a random forest of lineages.
    names, parent_of = [], {}
    for i, choice in enumerate(parents):
        name = h(f"node-{i}")
        parent = names[choice % len(names)] if names and choice % 3 else ZERO
        registry.register(name, parent, h("data"), 0, URI, {"from": alice})
        names.append(name)
        parent_of[name] = parent

    for name in names:
        expected, current = [], name
        while current != ZERO:
            expected.append(current)
            current = parent_of[current]
        assert registry.lineage(name, 64) == expected
