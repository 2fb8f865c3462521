"""Small helpers shared by the relay tests: hashes as the contract returns them, and batches."""

from collections.abc import Sequence

from offchain.ledger.block import BlockHeader


def h32(digest: bytes) -> str:
    """A bytes32 as brownie returns it (internal byte order, 0x hex)."""
    return "0x" + digest.hex()


def batch(headers: Sequence[BlockHeader | str]) -> bytes:
    """Headers (objects or hex) concatenated for submitHeaders."""
    return b"".join(h.serialize() if isinstance(h, BlockHeader) else bytes.fromhex(h) for h in headers)


def deliver(chain, blocks, known=()):
    """Add a branch's blocks to the ledger as a node would get them: a body that could not win
    when it arrived keeps only its header (Bitcoin Core's have-data rule), so bodies without
    data (among `known`, earlier blocks, and `blocks`, parents first) are offered again once a
    later header makes their branch the best."""
    for block in blocks:
        chain.add_block(block)
    for block in [*known, *blocks]:
        if not chain.get(block.hash).has_data:
            chain.add_block(block)
