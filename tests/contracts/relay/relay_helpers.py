"""Small helpers shared by the relay tests: hashes as the contract returns them, and batches."""

from collections.abc import Sequence

from offchain.ledger.block import BlockHeader


def h32(digest: bytes) -> str:
    """A bytes32 as brownie returns it (internal byte order, 0x hex)."""
    return "0x" + digest.hex()


def batch(headers: Sequence[BlockHeader | str]) -> bytes:
    """Headers (objects or hex) concatenated for submitHeaders."""
    return b"".join(h.serialize() if isinstance(h, BlockHeader) else bytes.fromhex(h) for h in headers)
