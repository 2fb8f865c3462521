"""The two Merkle trees of a sealed submission, over its chunks.

Leaves (one per chunk i, chunk bytes as in cipher.py):

    ciphertext leaf   keccak256(0x00 || ciphertext chunk)
    plaintext leaf    keccak256(0x00 || salt_i || plaintext chunk)
    salt_i            keccak256("sealed-salt/v1" || k || uint256(i))
    node              keccak256(0x01 || left || right)

The tree is the perfect binary tree of depth D = ceil(log2 n) (D = 0 for one chunk: the root is
the leaf) whose leaves past n are EMPTY_LEAF (32 zero bytes, no known preimage). A branch is
the D siblings from the leaf up; bit l of the index says whether the node at level l is a right
child, so a branch proves a leaf *at its index*: the contract needs that, since the keystream
and the salt depend on it.

The 0x00/0x01 prefixes keep a leaf from posing as a node (OpenZeppelin MerkleProof's warning
on 64-byte leaves). The salt, derived from the key, keeps the published plaintext leaves from
confirming guesses (a chunk of zeros, a known layer): without k they say nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from offchain.sealed.keccak import keccak

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
SALT_TAG = b"sealed-salt/v1"
EMPTY_LEAF = bytes(32)


def salt(key: bytes, index: int) -> bytes:
    """keccak256("sealed-salt/v1" || key || uint256(index))."""
    return keccak(SALT_TAG + key + index.to_bytes(32, "big"))


def cipher_leaf(chunk: bytes) -> bytes:
    return keccak(LEAF_PREFIX + chunk)


def plain_leaf(key: bytes, index: int, chunk: bytes) -> bytes:
    return keccak(LEAF_PREFIX + salt(key, index) + chunk)


def node(left: bytes, right: bytes) -> bytes:
    return keccak(NODE_PREFIX + left + right)


def depth(leaves: int) -> int:
    """D = ceil(log2 n): the levels above the leaves (0 for one leaf)."""
    if leaves < 1:
        raise ValueError("a tree needs at least one leaf")
    return (leaves - 1).bit_length()


def levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the padded tree, leaves first, root last (a list of one)."""
    level = list(leaves) + [EMPTY_LEAF] * ((1 << depth(len(leaves))) - len(leaves))
    out = [level]
    while len(level) > 1:
        level = [node(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        out.append(level)
    return out


def root(leaves: Sequence[bytes]) -> bytes:
    return levels(leaves)[-1][0]


def branch(tree: list[list[bytes]], index: int) -> list[bytes]:
    """The siblings of leaf `index` from the bottom up, in a tree from `levels`."""
    if not 0 <= index < len(tree[0]):
        raise IndexError(f"leaf {index} of {len(tree[0])}")
    return [level[(index >> height) ^ 1] for height, level in enumerate(tree[:-1])]


def root_from_branch(leaf: bytes, index: int, siblings: Sequence[bytes]) -> bytes:
    """The root a branch leads to (the contract's SealedCipher.rootOf)."""
    current = leaf
    for height, sibling in enumerate(siblings):
        current = node(sibling, current) if (index >> height) & 1 else node(current, sibling)
    return current
