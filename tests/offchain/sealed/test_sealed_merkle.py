"""The chunk trees: a naive recursive reference, branches at every index, positional binding."""

from __future__ import annotations

import os

import pytest

from offchain.sealed.keccak import keccak
from offchain.sealed.merkle import EMPTY_LEAF, branch, depth, levels, root, root_from_branch


def reference_root(leaves: list[bytes]) -> bytes:
    """The tree as merkle.py's docstring states it: pad to a power of two with zero leaves,
    hash pairs as keccak256(0x01 || left || right), recursively."""
    size = 1
    while size < len(leaves):
        size *= 2
    padded = leaves + [bytes(32)] * (size - len(leaves))

    def tree(part: list[bytes]) -> bytes:
        if len(part) == 1:
            return part[0]
        half = len(part) // 2
        return keccak(b"\x01" + tree(part[:half]) + tree(part[half:]))

    return tree(padded)


def leaves(n: int) -> list[bytes]:
    return [keccak(i.to_bytes(4, "big")) for i in range(n)]


def test_the_root_matches_the_reference_for_sizes_1_to_40() -> None:
    for n in range(1, 41):
        assert root(leaves(n)) == reference_root(leaves(n)), n


def test_depth_is_ceil_log2() -> None:
    assert [depth(n) for n in (1, 2, 3, 4, 5, 8, 9, 1024, 1025)] == [0, 1, 2, 2, 3, 3, 4, 10, 11]


def test_every_branch_leads_to_the_root() -> None:
    for n in (1, 2, 3, 7, 8, 13):
        tree = levels(leaves(n))
        for i in range(n):
            proof = branch(tree, i)
            assert len(proof) == depth(n)
            assert root_from_branch(leaves(n)[i], i, proof) == root(leaves(n)), (n, i)


def test_a_branch_proves_a_leaf_only_at_its_own_index() -> None:
    tree = levels(leaves(8))
    proof = branch(tree, 5)
    assert root_from_branch(leaves(8)[5], 4, proof) != root(leaves(8))


def test_a_tampered_leaf_changes_the_root() -> None:
    tampered = leaves(9)
    tampered[4] = os.urandom(32)
    assert root(tampered) != root(leaves(9))


def test_padding_leaves_are_zero() -> None:
    assert levels(leaves(3))[0][3] == EMPTY_LEAF


def test_an_empty_tree_is_refused() -> None:
    with pytest.raises(ValueError):
        root([])
