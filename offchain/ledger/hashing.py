"""Double SHA-256 and Bitcoin's byte-reversed display order, in one place.

Bitcoin hashes are computed and stored in internal (little-endian) byte order but shown to
people reversed, so `hash_to_hex(sha256d(genesis_header))` is the familiar `000000000019d6...`.
Code and tests share these helpers so the convention lives in exactly one file.
"""

from __future__ import annotations

import hashlib

from offchain.ledger.errors import EncodingError

HASH_SIZE = 32
ZERO_HASH = bytes(HASH_SIZE)

_sha256 = hashlib.sha256


def sha256d(data: bytes) -> bytes:
    """Bitcoin's `Hash`: SHA-256 applied twice (resists length extension on the outer hash)."""
    return _sha256(_sha256(data).digest()).digest()


def hash_to_hex(digest: bytes) -> str:
    """Show an internal-order hash the way Bitcoin shows it (byte-reversed hex)."""
    return digest[::-1].hex()


def hex_to_hash(text: str) -> bytes:
    """Parse a display-order hash back to internal order; raises EncodingError."""
    try:
        raw = bytes.fromhex(text.strip().removeprefix("0x"))
    except ValueError as exc:
        raise EncodingError(f"not a hex hash: {text!r}") from exc
    if len(raw) != HASH_SIZE:
        raise EncodingError(f"a hash is {HASH_SIZE} bytes, got {len(raw)}: {text!r}")
    return raw[::-1]


def hash_to_int(digest: bytes) -> int:
    """The 256-bit number a hash stands for when compared against a target."""
    return int.from_bytes(digest, "little")
