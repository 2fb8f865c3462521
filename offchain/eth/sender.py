"""Sending a locally signed transaction on a real network until it is included.

Nonces: each account's next nonce is counted here, per connection, not only asked of the
node: a load-balanced provider's "pending" count can lag a block behind the account's own
last transaction, and reusing that nonce fails (or replaces the transaction). The node's count
wins when it is ahead (another process sent), and also when our last transaction is unknown
to it (a reorganisation, or a dev chain reverted to a snapshot, dropped it).

Fees (EIP-1559): the first offer is `base fee x base_fee_multiplier + tip` (raised at once when
the node refuses it as under the next base fee). A transaction not included within
`inclusion_timeout_s` is replaced: the same nonce, both fees multiplied by
`bump` (nodes refuse a replacement that raises either by less than 10 %), up to `max_fee`.
Every hash sent is watched, since any of them may be the one mined.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound, Web3RPCError
from web3.types import TxReceipt

from offchain.eth.errors import TransactionError

POLL_S = 0.1  # between two receipt checks (web3's own wait polls as often)
MIN_BUMP = 1.125  # geth and anvil want +10 % on both fees; a margin over it
UNDER_BASE_FEE = "less than block base fee"  # geth's and anvil's refusal of an offer the base fee passed
NONCE_TOO_LOW = ("nonce too low", "nonce is too low", "already known", "replacement transaction underpriced")


@dataclass
class FeePolicy:
    """How a role prices its transactions and how long it waits before paying more."""

    inclusion_timeout_s: float = 45.0  # about 4 Ethereum blocks
    base_fee_multiplier: float = 2.0  # room for six full blocks of base-fee growth
    bump: float = MIN_BUMP
    max_fee: int | None = None  # wei per gas never offered; None: no cap
    give_up_s: float = 600.0  # then the role reports the transaction as not included
    on_bump: Callable[[str], None] | None = field(default=None, compare=False)  # told each replacement's hash


class NonceBook:
    """Next nonce of each account, for each web3 connection (forgotten with the connection)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._books: weakref.WeakKeyDictionary[Web3, dict[str, tuple[int, HexBytes]]] = weakref.WeakKeyDictionary()

    def next(self, w3: Web3, address: str) -> int:
        """The nonce to use now: ours, unless the node knows better."""
        node = int(w3.eth.get_transaction_count(address, "pending"))  # type: ignore[arg-type]
        with self._lock:
            ours = self._books.get(w3, {}).get(address)
        if ours is None or node >= ours[0]:
            return node
        try:
            w3.eth.get_transaction(ours[1])
        except TransactionNotFound:
            return node  # our last transaction left the chain: the node's count is the truth
        return ours[0]

    def used(self, w3: Web3, address: str, nonce: int, tx_hash: HexBytes) -> None:
        with self._lock:
            book = self._books.setdefault(w3, {})
            if address not in book or book[address][0] <= nonce:
                book[address] = (nonce + 1, tx_hash)


NONCES = NonceBook()
_ACCOUNT_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()


def send_signed(w3: Web3, account: LocalAccount, tx: dict[str, Any], policy: FeePolicy) -> TxReceipt:
    """Sign `tx` (no nonce, no fees) with `account`, send it, and replace it with higher fees
    until it is included; returns the receipt of whichever version was mined."""
    with _account_lock(account.address):
        nonce = NONCES.next(w3, account.address)
        tip, max_fee = _first_offer(w3, policy)
        sent: list[HexBytes] = []
        give_up = time.monotonic() + policy.give_up_s
        raised = False  # the offer about to be sent is a raised one
        while True:
            fees = {"maxPriorityFeePerGas": tip, "maxFeePerGas": max_fee, "type": 2}
            signed = account.sign_transaction({**tx, **fees, "nonce": nonce})
            try:
                tx_hash = HexBytes(w3.eth.send_raw_transaction(signed.raw_transaction))
            except Web3RPCError as exc:
                message = str(exc).lower()
                if UNDER_BASE_FEE in message and time.monotonic() < give_up:
                    tip, max_fee, raised = *_bumped(tip, max_fee, policy), True  # the base fee rose
                    continue
                if not sent or not any(p in message for p in NONCE_TOO_LOW):
                    raise
                tx_hash = sent[-1]  # an earlier version was mined meanwhile: its receipt follows
            else:
                if raised and policy.on_bump is not None:
                    policy.on_bump(tx_hash.hex())
                sent.append(tx_hash)
                NONCES.used(w3, account.address, nonce, tx_hash)
            receipt = _first_receipt(w3, sent, min(give_up, time.monotonic() + policy.inclusion_timeout_s))
            if receipt is not None:
                return receipt
            if time.monotonic() >= give_up:
                raise TransactionError(
                    f"transaction with nonce {nonce} not included after {policy.give_up_s:.0f} s "
                    f"(last offer {max_fee / 1e9:.2f} gwei per gas; sent {', '.join(h.hex() for h in sent)})"
                )
            tip, max_fee, raised = *_bumped(tip, max_fee, policy), True


def _account_lock(address: str) -> threading.Lock:
    """One transaction of an account in flight at a time in this process: nonces stay in order."""
    with _LOCKS_LOCK:
        return _ACCOUNT_LOCKS.setdefault(address, threading.Lock())


def _first_offer(w3: Web3, policy: FeePolicy) -> tuple[int, int]:
    base = int(w3.eth.get_block("latest").get("baseFeePerGas", 0))
    tip = int(w3.eth.max_priority_fee)
    max_fee = int(base * policy.base_fee_multiplier) + tip
    return _capped(tip, max_fee, policy)


def _bumped(tip: int, max_fee: int, policy: FeePolicy) -> tuple[int, int]:
    factor = max(policy.bump, MIN_BUMP)
    return _capped(math.ceil(tip * factor) + 1, math.ceil(max_fee * factor) + 1, policy)


def _capped(tip: int, max_fee: int, policy: FeePolicy) -> tuple[int, int]:
    if policy.max_fee is not None:
        max_fee = min(max_fee, policy.max_fee)
    return min(tip, max_fee), max_fee


def _first_receipt(w3: Web3, hashes: list[HexBytes], deadline: float) -> TxReceipt | None:
    """The receipt of any of `hashes` (one nonce: at most one is mined), waiting until `deadline`."""
    while True:
        for tx_hash in hashes:
            try:
                return w3.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                continue
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL_S)
