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


def mine_headers(params, branch: Sequence[BlockHeader], count: int, spacing: int = 2, tag: int = 0, **fields):
    """`count` headers extending `branch` (its headers from genesis, index = height), `spacing`
    seconds apart, with the bits the retargeting rule demands and a made-up Merkle root (`tag`
    tells branches apart): headers alone, as an attacker makes them, without a ledger."""
    from dataclasses import replace

    from ledger_helpers import solve

    from offchain.ledger.block import BLOCK_VERSION
    from offchain.ledger.hashing import sha256d
    from offchain.ledger.validation import required_bits

    chain = list(branch)
    for _ in range(count):
        parent, height = chain[-1], len(chain)
        first = chain[height - params.retarget_interval].time if height >= params.retarget_interval else 0
        header = BlockHeader(
            version=BLOCK_VERSION,
            prev_hash=parent.hash,
            merkle_root=sha256d(b"%d:%d" % (tag, height)),
            time=parent.time + spacing,
            bits=required_bits(params, height, parent.bits, parent.time, first),
            nonce=0,
        )
        chain.append(solve(replace(header, **fields)))
    return chain[len(branch) :]
