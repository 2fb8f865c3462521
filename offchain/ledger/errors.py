"""The ledger's exception family (the ledger imports nothing else of offchain).

Every consensus rule that fails raises a subclass of `ValidationError` whose class names the
rule, so tests and peers can tell *why* a block was refused, in the manner of
python-bitcoinlib's `CheckBlockHeaderError` and execution-specs' `InvalidBlock`.
"""


class LedgerError(Exception):
    """Root of every error the ledger raises; the CLI prints it on one line."""


class EncodingError(LedgerError):
    """Bytes that do not parse as a header, block, transaction or hex string."""


class ValidationError(LedgerError):
    """A consensus rule is broken; the subclass names the rule."""


class InvalidHeader(ValidationError):
    """A block header breaks a rule that needs nothing but headers to check."""


class InvalidProofOfWork(InvalidHeader):
    """The header's hash is above the target its `bits` encode."""


class InvalidBits(InvalidHeader):
    """`bits` encode a negative, zero or overflowing target, or one easier than the limit."""


class UnexpectedBits(InvalidHeader):
    """`bits` differ from what the retargeting rule demands at this height."""


class TimeTooOld(InvalidHeader):
    """The time is not above the median of the previous 11 blocks."""


class TimeTooNew(InvalidHeader):
    """The time is too far ahead of the validating node's clock."""


class BadVersion(InvalidHeader):
    """The version is below what a soft fork demands at this height (BIP34, BIP66, BIP65)."""


class WorkTooLow(InvalidHeader):
    """A header's target is more than 16 times the best header's: a cheap branch beside an
    expensive chain (an anti-DoS rule; LedgerRelay applies the same one)."""


class BadLink(InvalidHeader):
    """The header does not name the expected previous block (or the genesis is wrong)."""


class InvalidBlock(ValidationError):
    """A block's body breaks a rule (Merkle root, coinbase, duplicates, limits)."""


class BadMerkleRoot(InvalidBlock):
    """The header's Merkle root is not the root of the block's transactions."""


class MutatedMerkleTree(InvalidBlock):
    """The transaction list repeats trailing hashes (CVE-2012-2459)."""


class DuplicateTransaction(InvalidBlock):
    """The same txid appears twice in one block."""


class BadCoinbase(InvalidBlock):
    """The coinbase is missing, misplaced, at the wrong height or pays too much."""


class DoubleSpend(InvalidBlock):
    """One account spends the same nonce twice within a block."""


class InvalidTransaction(ValidationError):
    """A transaction is malformed or cannot apply to the current state."""


class MalformedTransaction(InvalidTransaction):
    """A field is out of range (amount, tag, size) or the kind is unknown."""


class FeeTooLow(InvalidTransaction):
    """The fee is below the chain's minimum (a consensus rule, not only a relay policy)."""


class BadSignature(InvalidTransaction):
    """The signature does not recover to a key, or is not in low-s form."""


class BadNonce(InvalidTransaction):
    """The transaction's nonce is not the sender's next nonce."""


class InsufficientBalance(InvalidTransaction):
    """The sender cannot pay the amount plus the fee."""


class StoreError(LedgerError):
    """The data directory is missing, of another chain, or inconsistent."""


class MempoolFull(LedgerError):
    """The pool is at its cap and the transaction does not pay more than the cheapest one."""


class BadBranchIndex(LedgerError, IndexError):
    """A Merkle branch was asked for a position outside the tree."""


class NotFound(LedgerError):
    """A block or transaction the user named is not known here."""


class PeerError(LedgerError):
    """A peer could not be reached or answered nonsense."""


class PeerLied(PeerError):
    """A peer claimed more work than it served, or sent headers that fail their checks: the
    node backs off from it (offchain.ledger.node)."""
