"""A handle on a deployed LedgerRelay: its tip, confirmations and header submission.

Hashes cross this API in Bitcoin's display order (byte-reversed hex), as the ledger's node and
CLI show them; the contract itself takes and returns internal byte order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from offchain.eth.client import Client
from offchain.eth.errors import InvalidInputError
from offchain.ledger.errors import EncodingError
from offchain.ledger.hashing import hash_to_hex, hex_to_hash


@dataclass(frozen=True)
class ChainTip:
    """A proof-of-work chain's tip, as the relay or a ledger node reports it."""

    hash: str
    """Display order (as `offchain ledger status` shows it)."""
    height: int
    work: int


def _internal(display_hex: str) -> bytes:
    """The ledger's own parser (offchain/ledger/hashing.py), its error as this package's."""
    try:
        return hex_to_hash(display_hex)
    except EncodingError as exc:
        raise InvalidInputError(f"not a block hash: {exc}") from None


class RelayClient:
    """Reads and writes one LedgerRelay."""

    def __init__(self, client: Client, address: str) -> None:
        self.client = client
        self.contract = client.contract("LedgerRelay", address)

    def best_tip(self) -> ChainTip:
        block_hash, height, work = self.contract.functions.bestTip().call()
        return ChainTip(hash=hash_to_hex(bytes(block_hash)), height=int(height), work=int(work))

    def confirmations(self, block_hash: str) -> int:
        return int(self.contract.functions.confirmations(_internal(block_hash)).call())

    def confirmation_work(self, block_hash: str) -> int:
        """The chain work from the block up to the tip on the main chain; 0 off it (or while reorganising)."""
        return int(self.contract.functions.confirmationWork(_internal(block_hash)).call())

    def min_confirmations(self) -> int:
        """What verifyAnchor (and so every provenance proof) requires."""
        return int(self.contract.functions.minConfirmations().call())

    def knows(self, block_hash: str) -> bool:
        known, _ = self.contract.functions.heightOf(_internal(block_hash)).call()
        return bool(known)

    def submit_headers(self, headers: Sequence[bytes]) -> Any:
        """Submit consecutive 80-byte headers in one transaction; returns the receipt."""
        return self.client.transact(self.contract.functions.submitHeaders(b"".join(headers)))

    def reorganizing(self) -> bool:
        """Whether a reorganisation is pending (nothing reads as confirmed until it is done)."""
        pending, _ = self.contract.functions.reorganizing().call()
        return bool(pending)

    def resume_reorganization(self) -> Any:
        """Continue a pending reorganisation (at most REORG_STEP heights); returns the receipt."""
        return self.client.transact(self.contract.functions.resumeReorganization())

    def time_limit(self) -> int:
        """The latest header time the relay accepts now: its clock plus maxFuture."""
        return int(self.contract.functions.clock().call()) + int(self.contract.functions.maxFuture().call())
