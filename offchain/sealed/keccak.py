"""keccak256, the one hash of sealed submissions (the EVM's), from one place.

safe-pysha3 (pinned in requirements/constraints.txt, brownie's own dependency) hashes a 64-byte
input in about 3 us where eth_utils takes 15: the keystream calls it once per 32 bytes.
"""

from __future__ import annotations

from sha3 import keccak_256


def keccak(data: bytes) -> bytes:
    """keccak256(data), 32 bytes."""
    return keccak_256(data).digest()


def keyed(prefix: bytes) -> keccak_256:
    """A keccak256 state that has absorbed `prefix`: `.copy()`, `.update(x)`, `.digest()` hash
    prefix || x without absorbing the prefix again (the keystream's hot loop)."""
    return keccak_256(prefix)
