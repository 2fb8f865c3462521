"""Bitcoin's Merkle tree: a naive reference, mutation detection, branches, a real block."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from offchain.ledger.hashing import ZERO_HASH, hex_to_hash, sha256d
from offchain.ledger.merkle import merkle_branch, merkle_root, verify_branch


def reference_root(leaves: list[bytes]) -> tuple[bytes, bool]:
    """The obviously correct version (after Bitcoin Core's merkle_tests.cpp BlockBuildMerkleTree):
    build every level in full, pairing an odd last hash with itself, flagging equal pairs."""
    if not leaves:
        return ZERO_HASH, False
    tree, mutated, level = list(leaves), False, list(leaves)
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level), 2):
            j = min(i + 1, len(level) - 1)
            if j == i + 1 and level[i] == level[j]:
                mutated = True
            nxt.append(sha256d(level[i] + level[j]))
        tree += nxt
        level = nxt
    return level[0], mutated


def leaves(n: int, seed: int = 0) -> list[bytes]:
    return [hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(n)]


def test_root_matches_the_reference_for_sizes_0_to_64() -> None:
    for n in range(65):
        assert merkle_root(leaves(n)) == reference_root(leaves(n)), n


def test_root_matches_the_reference_for_random_sizes_with_and_without_mutations() -> None:
    rng = random.Random(2459)
    for trial in range(60):
        items = leaves(rng.randrange(1, 600), seed=trial)
        for _ in range(rng.randrange(0, 4)):  # 0 to 3 duplicated tails, as merkle_tests.cpp
            k = rng.choice([1, 2, 4, 8])
            if len(items) >= k:
                items = items + items[-k:]
        assert merkle_root(items) == reference_root(items)


def test_duplicating_the_tail_keeps_the_root_but_is_reported_as_mutated() -> None:
    six = leaves(6)
    root, mutated = merkle_root(six)

    dup_root, dup_mutated = merkle_root(six + six[4:6])

    assert dup_root == root and not mutated and dup_mutated


def test_an_empty_tree_has_the_zero_root_and_one_leaf_is_its_own_root() -> None:
    assert merkle_root([]) == (ZERO_HASH, False)
    assert merkle_root(leaves(1)) == (leaves(1)[0], False)


def test_every_branch_verifies_and_a_wrong_index_or_leaf_does_not() -> None:
    for n in (1, 2, 3, 5, 8, 13, 64, 100):
        items = leaves(n)
        root, _ = merkle_root(items)
        for i in range(n):
            branch = merkle_branch(items, i)
            assert verify_branch(items[i], i, branch, root)
            assert not verify_branch(items[i], i + (1 << len(branch)), branch, root)
            assert not verify_branch(sha256d(items[i]), i, branch, root)
            if n > 1 and items[i] != items[i ^ 1 if (i ^ 1) < n else i]:
                assert not verify_branch(items[i], i ^ 1, branch, root)


def test_a_node_hash_differs_from_swapped_children() -> None:
    a, b = leaves(2)
    assert sha256d(a + b) != sha256d(b + a)


def test_bitcoin_block_170_root_is_reproduced(bitcoin_vectors: dict[str, Any]) -> None:
    case = bitcoin_vectors["merkle_block_170"]
    txids = [hex_to_hash(t) for t in case["txids"]]

    root, mutated = merkle_root(txids)

    assert root == hex_to_hash(case["root"]) and not mutated
    assert verify_branch(txids[1], 1, merkle_branch(txids, 1), root)
