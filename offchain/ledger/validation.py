"""Consensus rules as functions that return None or raise a ValidationError subclass.

The ladders below read top to bottom like the rules they implement (execution-specs'
`validate_header`, python-bitcoinlib's `CheckBlock`). Context-free checks
(`validate_block`, `validate_transaction`) need only the bytes; contextual ones take the few
facts about the parent chain they depend on, so the same code checks a stored chain, a run
of Bitcoin headers from a file, and headers received from a peer.
"""

from __future__ import annotations

from collections.abc import Sequence

from offchain.ledger.block import Block, BlockHeader
from offchain.ledger.errors import (
    BadCoinbase,
    BadLink,
    BadMerkleRoot,
    BadNonce,
    BadVersion,
    DoubleSpend,
    DuplicateTransaction,
    FeeTooLow,
    InsufficientBalance,
    InvalidBlock,
    MalformedTransaction,
    MutatedMerkleTree,
    TimeTooNew,
    TimeTooOld,
    UnexpectedBits,
    WorkTooLow,
)
from offchain.ledger.params import MAX_MONEY, ChainParams
from offchain.ledger.pow import calculate_next_bits, decode_bits, validate_proof_of_work
from offchain.ledger.state import Account, StateView
from offchain.ledger.tx import (
    ADDRESS_SIZE,
    FORBIDDEN_TX_SIZE,
    KIND_ANCHOR,
    KIND_COINBASE,
    KIND_TRANSFER,
    MAX_TAG_BYTES,
    PAYLOAD_SIZE,
    Transaction,
)

MEDIAN_TIME_SPAN = 11  # blocks in the median-time-past window, as in Bitcoin
MIN_WORK_SHIFT = 4  # a header's target may be at most 2^4 times the best header's (LedgerRelay's rule)
MAX_BLOCK_TXS = 10_000
MAX_BLOCK_BYTES = 1_000_000  # serialized, as Bitcoin's pre-SegWit limit; checked before signatures
TAG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/")


def median_time_past(times: Sequence[int]) -> int:
    """Median of up to the last 11 block times (`GetMedianTimePast`: the upper median)."""
    window = sorted(times[-MEDIAN_TIME_SPAN:])
    return window[len(window) // 2]


def required_bits(params: ChainParams, height: int, parent_bits: int, parent_time: int, period_first_time: int) -> int:
    """`GetNextWorkRequired` for a block at `height` (no testnet min-difficulty rule).

    Off a period boundary the bits are the parent's. At a boundary the new target scales
    with the time from the first block of the closing period (height - interval) to the
    parent, which callers pass as `period_first_time` (ignored off a boundary).
    """
    if height % params.retarget_interval != 0:
        return parent_bits
    return calculate_next_bits(parent_bits, period_first_time, parent_time, params.target_timespan, params.pow_limit)


def validate_header_context(
    header: BlockHeader,
    params: ChainParams,
    *,
    parent_hash: bytes,
    expected_bits: int,
    median_time: int,
    now: int,
) -> None:
    """Checks of a header against its parent chain. Raises InvalidHeader subclasses."""
    if header.prev_hash != parent_hash:
        raise BadLink(
            f"header {header.hash_hex} names parent {header.prev_hash[::-1].hex()}, expected {parent_hash[::-1].hex()}"
        )
    if header.bits != expected_bits:
        raise UnexpectedBits(f"header {header.hash_hex} has bits {header.bits:#010x}, expected {expected_bits:#010x}")
    if header.time <= median_time:
        raise TimeTooOld(f"header {header.hash_hex} time {header.time} is not above the median {median_time}")
    if header.time > now + params.max_future_seconds:
        raise TimeTooNew(f"header {header.hash_hex} time {header.time} is too far in the future")


def signed_version(version: int) -> int:
    """The version as Bitcoin Core reads it: a signed 32-bit integer (0x80000000 and above are negative)."""
    return version - (1 << 32) if version >= 1 << 31 else version


def validate_version(header: BlockHeader, height: int, params: ChainParams) -> None:
    """Bitcoin's `bad-version` rule: BIP34, BIP66 and BIP65 raised the least version to 2, 3
    and 4 at their activation heights (chains without those forks set the heights to None).
    The version is compared as int32, as Core's `nVersion`."""
    for least, since in ((2, params.bip34_height), (3, params.bip66_height), (4, params.bip65_height)):
        if since is not None and height >= since and signed_version(header.version) < least:
            raise BadVersion(
                f"header {header.hash_hex} at height {height} has version {header.version}; "
                f"at least {least} since height {since}"
            )


def validate_min_work(header: BlockHeader, best_bits: int) -> None:
    """Anti-DoS: a header whose target is more than 2^MIN_WORK_SHIFT times the best header's
    is refused, so a cheap low-difficulty branch cannot be stored beside an expensive chain.
    A child of the best header always passes (a retarget eases at most 4x)."""
    if decode_bits(header.bits).target > decode_bits(best_bits).target << MIN_WORK_SHIFT:
        raise WorkTooLow(
            f"header {header.hash_hex} has bits {header.bits:#010x}, more than {1 << MIN_WORK_SHIFT} times "
            f"easier than the best header's {best_bits:#010x}"
        )


def validate_timewarp(header: BlockHeader, height: int, parent_time: int, params: ChainParams) -> None:
    """BIP94: the first block of a difficulty period may not be stamped more than
    `max_timewarp_seconds` below its parent (the last block of the previous period)."""
    limit = params.max_timewarp_seconds
    if limit is not None and height % params.retarget_interval == 0 and header.time < parent_time - limit:
        raise TimeTooOld(
            f"header {header.hash_hex} starts a period at time {header.time}, more than {limit} s "
            f"below its parent's {parent_time}"
        )


def validate_header(header: BlockHeader, params: ChainParams) -> None:
    """Context-free header check: the proof of work meets the header's own valid bits."""
    validate_proof_of_work(header.hash, header.bits, params.pow_limit)


def validate_transaction(tx: Transaction) -> None:
    """Context-free transaction checks: ranges, sizes and shapes. Raises MalformedTransaction."""
    if len(tx.serialize()) == FORBIDDEN_TX_SIZE:
        raise MalformedTransaction("a 64-byte transaction could pose as a Merkle inner node")
    if not 0 <= tx.amount <= MAX_MONEY or not 0 <= tx.fee <= MAX_MONEY:
        raise MalformedTransaction(f"amount or fee out of range in {tx.txid[::-1].hex()}")
    if tx.kind in (KIND_COINBASE, KIND_TRANSFER) and len(tx.to) != ADDRESS_SIZE:
        raise MalformedTransaction("recipient is not a 20-byte address")
    if tx.kind == KIND_ANCHOR:
        if len(tx.payload) != PAYLOAD_SIZE:
            raise MalformedTransaction(f"an anchor payload is {PAYLOAD_SIZE} bytes")
        if not 0 < len(tx.tag) <= MAX_TAG_BYTES or not set(tx.tag) <= TAG_CHARS:
            raise MalformedTransaction(f"an anchor tag is 1 to {MAX_TAG_BYTES} characters of [A-Za-z0-9-_.:/]")
    if tx.kind not in (KIND_COINBASE, KIND_TRANSFER, KIND_ANCHOR):
        raise MalformedTransaction(f"unknown transaction kind {tx.kind}")


def validate_block(block: Block, params: ChainParams) -> None:
    """`CheckBlock`: everything checkable without the chain. Raises ValidationError subclasses."""
    validate_header(block.header, params)
    if not block.txs:
        raise BadCoinbase("a block needs a coinbase")
    if len(block.txs) > MAX_BLOCK_TXS:
        raise InvalidBlock(f"more than {MAX_BLOCK_TXS} transactions")
    size = block.size()
    if size > MAX_BLOCK_BYTES:
        raise InvalidBlock(f"block {block.header.hash_hex} is {size} bytes, over {MAX_BLOCK_BYTES}")
    if not block.txs[0].is_coinbase:
        raise BadCoinbase("the first transaction is not a coinbase")
    if any(tx.is_coinbase for tx in block.txs[1:]):
        raise BadCoinbase("a coinbase after the first transaction")
    root, mutated = block.compute_merkle_root()
    if root != block.header.merkle_root:
        raise BadMerkleRoot(
            f"block {block.header.hash_hex} Merkle root {block.header.merkle_root[::-1].hex()} "
            f"does not match its transactions ({root[::-1].hex()})"
        )
    if mutated:
        raise MutatedMerkleTree(f"block {block.header.hash_hex} repeats trailing transactions")
    if len(set(block.txids())) != len(block.txs):
        raise DuplicateTransaction(f"block {block.header.hash_hex} repeats a transaction")
    for tx in block.txs:
        validate_transaction(tx)


def apply_transaction(state: StateView, tx: Transaction, params: ChainParams) -> int:
    """Apply a signed transaction to `state` and return its fee. Raises InvalidTransaction.

    The sender must pay at least the chain's minimum fee, sign with their next nonce and hold
    amount + fee; the fee is left for the block's coinbase to claim.
    """
    if tx.fee < params.min_fee:
        raise FeeTooLow(f"transaction {tx.txid[::-1].hex()} pays fee {tx.fee}, the minimum is {params.min_fee}")
    sender = tx.sender(params.magic)  # raises BadSignature
    account = state.get(sender)
    if tx.nonce != account.nonce:
        raise BadNonce(
            f"transaction {tx.txid[::-1].hex()} has nonce {tx.nonce}, account 0x{sender.hex()} expects {account.nonce}"
        )
    cost = tx.fee + (tx.amount if tx.kind == KIND_TRANSFER else 0)
    if account.balance < cost:
        raise InsufficientBalance(
            f"account 0x{sender.hex()} holds {account.balance}, transaction {tx.txid[::-1].hex()} needs {cost}"
        )
    state.set(sender, Account(balance=account.balance - cost, nonce=account.nonce + 1))
    if tx.kind == KIND_TRANSFER:
        recipient = state.get(tx.to)
        state.set(tx.to, Account(balance=recipient.balance + tx.amount, nonce=recipient.nonce))
    return tx.fee


def apply_block(
    state: StateView,
    block: Block,
    height: int,
    params: ChainParams,
    matured: Transaction | None = None,
) -> None:
    """`ConnectBlock`'s state part: apply every transaction, then pay the matured coinbase.

    With `params.coinbase_maturity` M > 0, the coinbase credited here is `matured`: the one of
    this block's ancestor at `height - M` (None below height M), and this block's own coinbase
    waits M blocks. With M = 0 the block's own coinbase is paid at once.

    Raises DoubleSpend when one sender uses a nonce twice in the block, BadCoinbase for a
    wrong height or an overpaying coinbase, and InvalidTransaction subclasses otherwise.
    """
    coinbase = block.txs[0]
    if coinbase.height != height:
        raise BadCoinbase(f"coinbase claims height {coinbase.height}, block is at {height}")
    seen: set[tuple[bytes, int]] = set()
    fees = 0
    for tx in block.txs[1:]:
        spend = (tx.sender(params.magic), tx.nonce)
        if spend in seen:
            raise DoubleSpend(f"account 0x{spend[0].hex()} spends nonce {spend[1]} twice in one block")
        seen.add(spend)
        fees += apply_transaction(state, tx, params)
    if coinbase.amount > params.subsidy(height) + fees:
        raise BadCoinbase(f"coinbase pays {coinbase.amount}, at most {params.subsidy(height) + fees} allowed")
    payout = coinbase if params.coinbase_maturity == 0 else matured
    if payout is not None:
        miner = state.get(payout.to)
        state.set(payout.to, Account(balance=miner.balance + payout.amount, nonce=miner.nonce))
