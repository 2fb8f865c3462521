"""Block headers (Bitcoin's 80 bytes) and blocks (a header plus transactions).

Header layout, little-endian as in Bitcoin::

    version u32 | prev_hash 32 | merkle_root 32 | time u32 | bits u32 | nonce u32

The block hash is the double SHA-256 of those 80 bytes (all of them, nonce included, unlike
Ethereum's PoW hash); hashes are kept in internal byte order and shown reversed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from offchain.ledger.encoding import Reader, compact_size
from offchain.ledger.errors import EncodingError
from offchain.ledger.hashing import hash_to_hex, sha256d
from offchain.ledger.merkle import merkle_root
from offchain.ledger.tx import Transaction, parse_transaction

HEADER_SIZE = 80
BLOCK_VERSION = 1
_HEADER = struct.Struct("<I32s32sIII")


@dataclass(frozen=True)
class BlockHeader:
    """The 80 bytes that proof of work commits to."""

    version: int
    """Block version (1 here; Bitcoin uses it for soft-fork signalling)."""
    prev_hash: bytes
    """Hash of the parent header, internal byte order."""
    merkle_root: bytes
    """Root of the block's txids, internal byte order."""
    time: int
    """Seconds since the Unix epoch, as claimed by the miner."""
    bits: int
    """The compact target this header's hash must not exceed."""
    nonce: int
    """The 32-bit value the miner varies."""
    _hash: bytes = field(default=b"", init=False, repr=False, compare=False)

    def serialize(self) -> bytes:
        return _HEADER.pack(self.version, self.prev_hash, self.merkle_root, self.time, self.bits, self.nonce)

    @property
    def hash(self) -> bytes:
        """Double SHA-256 of the 80 bytes (cached), internal byte order."""
        if not self._hash:
            object.__setattr__(self, "_hash", sha256d(self.serialize()))
        return self._hash

    @property
    def hash_hex(self) -> str:
        return hash_to_hex(self.hash)

    @classmethod
    def from_bytes(cls, raw: bytes) -> BlockHeader:
        if len(raw) != HEADER_SIZE:
            raise EncodingError(f"a header is {HEADER_SIZE} bytes, got {len(raw)}")
        return cls(*_HEADER.unpack(raw))

    @classmethod
    def from_hex(cls, text: str) -> BlockHeader:
        try:
            raw = bytes.fromhex(text.strip())
        except ValueError as exc:
            raise EncodingError(f"header is not hex: {text[:20]!r}...") from exc
        return cls.from_bytes(raw)


@dataclass(frozen=True)
class Block:
    """A header and its transactions; the first transaction is the coinbase."""

    header: BlockHeader
    txs: tuple[Transaction, ...]

    @property
    def hash(self) -> bytes:
        return self.header.hash

    def txids(self) -> list[bytes]:
        return [tx.txid for tx in self.txs]

    def compute_merkle_root(self) -> tuple[bytes, bool]:
        """(root, mutated) over this block's txids; see merkle.py for `mutated`."""
        return merkle_root(self.txids())

    def size(self) -> int:
        """Serialized bytes, without building the serialization."""
        return HEADER_SIZE + len(compact_size(len(self.txs))) + sum(tx.size for tx in self.txs)

    def serialize(self) -> bytes:
        parts = [self.header.serialize(), compact_size(len(self.txs))]
        parts.extend(tx.serialize() for tx in self.txs)
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Block:
        """Parse a whole block. Raises EncodingError on truncation or trailing bytes."""
        reader = Reader(raw)
        header = BlockHeader.from_bytes(reader.read(HEADER_SIZE, "header"))
        count = reader.compact_size("transaction count")
        if count > len(raw):  # each transaction takes at least one byte
            raise EncodingError(f"transaction count {count} exceeds the block's size")
        txs = tuple(parse_transaction(reader) for _ in range(count))
        reader.expect_end("block")
        return cls(header=header, txs=txs)

    @classmethod
    def from_hex(cls, text: str) -> Block:
        try:
            raw = bytes.fromhex(text.strip())
        except ValueError as exc:
            raise EncodingError("block is not hex") from exc
        return cls.from_bytes(raw)
