"""A submission's key and its commitment.

Each submission is sealed under its own fresh 32-byte key k. The chain holds
keccak256("sealed-key/v1" || k), which binds the worker to k without revealing it (k is 256
random bits: nobody can search for it).
"""

from __future__ import annotations

import secrets

from offchain.sealed.keccak import keccak

KEY_BYTES = 32
KEY_TAG = b"sealed-key/v1"


def new_key() -> bytes:
    """A fresh random key (never reused: the keystream's counters restart at 0 for each key)."""
    return secrets.token_bytes(KEY_BYTES)


def key_commitment(key: bytes) -> bytes:
    """keccak256("sealed-key/v1" || key)."""
    if len(key) != KEY_BYTES:
        raise ValueError(f"a key is {KEY_BYTES} bytes, got {len(key)}")
    return keccak(KEY_TAG + key)
