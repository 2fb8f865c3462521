"""Building and loading each chain's genesis block.

The devnet genesis is rebuilt from constants here and must hash to the value pinned in
params.py; Bitcoin's genesis is known by header only (its body is not in this ledger's
transaction format), which is all header and Merkle-branch checking needs.
"""

from __future__ import annotations

from offchain.ledger.block import BLOCK_VERSION, Block, BlockHeader
from offchain.ledger.errors import StoreError
from offchain.ledger.hashing import ZERO_HASH
from offchain.ledger.params import DEVNET_GENESIS_BITS, DEVNET_GENESIS_TIME, ChainParams
from offchain.ledger.tx import KIND_COINBASE, ZERO_ADDRESS, Transaction

DEVNET_GENESIS_NONCE = 748  # found by find_devnet_genesis_nonce(); pinned, re-checked by tests


def devnet_genesis(params: ChainParams, nonce: int = DEVNET_GENESIS_NONCE) -> Block:
    """The devnet's block 0: a coinbase paying the unspendable zero address."""
    coinbase = Transaction(kind=KIND_COINBASE, height=0, to=ZERO_ADDRESS, amount=params.subsidy(0))
    header = BlockHeader(
        version=BLOCK_VERSION,
        prev_hash=ZERO_HASH,
        merkle_root=coinbase.txid,
        time=DEVNET_GENESIS_TIME,
        bits=DEVNET_GENESIS_BITS,
        nonce=nonce,
    )
    return Block(header=header, txs=(coinbase,))


def find_devnet_genesis_nonce(params: ChainParams) -> int:
    """Search the first nonce meeting the devnet limit (how DEVNET_GENESIS_NONCE was made)."""
    for nonce in range(1 << 32):
        if int.from_bytes(devnet_genesis(params, nonce).hash, "little") <= params.pow_limit:
            return nonce
    raise RuntimeError("no devnet genesis nonce")  # unreachable at an easy limit


def genesis_block(params: ChainParams) -> Block:
    """The full genesis block of a chain that has one in this ledger's format."""
    if not params.genesis_block_hex:
        raise StoreError(
            f"the {params.name} chain has no genesis block in this ledger's format; "
            "it is for verify-headers and verify-proof only"
        )
    return Block.from_hex(params.genesis_block_hex)


def genesis_header(params: ChainParams) -> BlockHeader:
    return BlockHeader.from_hex(params.genesis_header_hex)
