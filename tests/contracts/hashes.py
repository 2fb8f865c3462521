"""Readable 32-byte test hashes."""

ZERO = "0x" + "00" * 32
ZERO_ADDRESS = "0x" + "00" * 20


def h(label: str) -> str:
    """A deterministic 32-byte hash for a label, e.g. h("base")."""
    from brownie.convert import to_bytes
    from eth_utils import keccak

    return "0x" + keccak(to_bytes(label.encode().hex(), "bytes")).hex()
