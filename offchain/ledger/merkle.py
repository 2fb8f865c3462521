"""Bitcoin's Merkle tree over txids: roots, branches (inclusion proofs) and their verification.

WARNING (CVE-2012-2459, after the comment in Bitcoin Core's consensus/merkle.cpp): an odd
last hash at any level is paired with itself, so two different transaction lists can share
a root. For example, the trees below have the same root::

        ABCDEFEF                   ABCDEF
       /        \\                 /      \\
     ABCD       EFEF            ABCD      EFEF  (EF paired with itself)
    /    \\     /    \\         /    \\     /
   AB    CD   EF    EF        AB    CD   EF
   /\\   /\\   /\\    /\\       /\\   /\\   /\\
   A B  C D  E F   E F       A B  C D  E F

i.e. [A..F] and [A..F, E, F]. `merkle_root` therefore reports `mutated` whenever two
identical hashes are paired on any level, and a block whose tree is mutated is invalid;
otherwise a peer could make a valid block look invalid by appending duplicates.

A second, SPV-level caveat: an inner node is the hash of 64 bytes, so a 64-byte transaction
could pose as an inner node. The ledger's transactions are never 64 bytes long, and a proof
that carries the raw transaction is checked for that.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Sequence

from offchain.ledger.errors import BadBranchIndex
from offchain.ledger.hashing import ZERO_HASH, sha256d

_sha256 = hashlib.sha256


def _next_level(level: list[bytes]) -> list[bytes]:
    """Hash pairs of a level (even length) into the level above; the hot loop of the tree."""
    pairs = iter(level)
    return [_sha256(_sha256(left + right).digest()).digest() for left, right in zip(pairs, pairs, strict=False)]


def merkle_root(txids: Sequence[bytes]) -> tuple[bytes, bool]:
    """Bitcoin's `ComputeMerkleRoot`: (root, mutated). The root of no txids is all zeros."""
    if not txids:
        return ZERO_HASH, False
    level = list(txids)
    mutated = False
    while len(level) > 1:
        # Two equal hashes paired as siblings can only come from a duplicated tail.
        if any(map(operator.eq, level[0::2], level[1::2])):
            mutated = True
        if len(level) % 2:
            level.append(level[-1])
        level = _next_level(level)
    return level[0], mutated


def merkle_branch(txids: Sequence[bytes], index: int) -> list[bytes]:
    """The sibling hashes from leaf `index` up to the root (the leaf itself where unpaired)."""
    if not 0 <= index < len(txids):
        raise BadBranchIndex(f"index {index} outside a tree of {len(txids)} leaves")
    branch: list[bytes] = []
    level = list(txids)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        branch.append(level[index ^ 1])
        level = _next_level(level)
        index >>= 1
    return branch


def branch_root(leaf: bytes, index: int, branch: Sequence[bytes]) -> bytes | None:
    """The root a branch leads to, or None when `index` has bits beyond the branch's depth."""
    node = leaf
    for sibling in branch:
        node = sha256d(sibling + node) if index & 1 else sha256d(node + sibling)
        index >>= 1
    return node if index == 0 else None


def verify_branch(leaf: bytes, index: int, branch: Sequence[bytes], root: bytes) -> bool:
    """True when `branch` proves `leaf` sits at position `index` under `root`."""
    return index >= 0 and branch_root(leaf, index, branch) == root
