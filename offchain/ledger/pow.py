"""Proof of work as Bitcoin defines it: compact `bits`, targets, work and retargeting.

`bits` is a base-256 floating-point number: the top byte is a size in bytes, the low 23 bits
a mantissa, and bit 0x00800000 a sign that a valid target never has. The conversions below
follow `arith_uint256::SetCompact` / `GetCompact` exactly, including the negative and
overflow flags, so real Bitcoin headers check the same here as in Bitcoin Core.

Retargeting follows `CalculateNextWorkRequired`, off-by-one included: the timespan of a
period is measured from the *first* block of the period to the last, so it covers
`interval - 1` block spacings while being compared with `interval` spacings' worth of time.
"""

from __future__ import annotations

from dataclasses import dataclass

from offchain.ledger.errors import InvalidBits, InvalidProofOfWork

SIGN_BIT = 0x00800000
MANTISSA_MASK = 0x007FFFFF
RETARGET_CLAMP = 4  # a period can make mining at most 4x harder or 4x easier
WORK_NUMERATOR = 1 << 256


@dataclass(frozen=True)
class Compact:
    """A decoded `bits` value with Bitcoin's two error flags."""

    target: int
    negative: bool
    overflow: bool


def decode_bits(bits: int) -> Compact:
    """`SetCompact`: the target `bits` stands for, and whether it is negative or overflows."""
    size = bits >> 24
    word = bits & MANTISSA_MASK
    if size <= 3:
        word >>= 8 * (3 - size)  # in place, as Bitcoin Core: the flags below see the shifted word
        target = word
    else:
        target = word << (8 * (size - 3))
    negative = word != 0 and (bits & SIGN_BIT) != 0
    overflow = word != 0 and (size > 34 or (word > 0xFF and size > 33) or (word > 0xFFFF and size > 32))
    return Compact(target=target, negative=negative, overflow=overflow)


def target_to_bits(target: int, negative: bool = False) -> int:
    """`GetCompact`: the shortest `bits` for a target (precision beyond 3 bytes is dropped)."""
    size = (target.bit_length() + 7) // 8
    if size <= 3:
        compact = (target << (8 * (3 - size))) & 0xFFFFFFFF
    else:
        compact = (target >> (8 * (size - 3))) & 0xFFFFFFFF
    # The mantissa is signed: if its top bit is set, shift one byte into the exponent.
    if compact & SIGN_BIT:
        compact >>= 8
        size += 1
    compact |= size << 24
    if negative and compact & MANTISSA_MASK:
        compact |= SIGN_BIT
    return compact


def bits_to_target(bits: int, pow_limit: int) -> int:
    """The target of a header's `bits`; raises InvalidBits where `CheckProofOfWork` would fail."""
    compact = decode_bits(bits)
    if compact.negative or compact.overflow or compact.target == 0:
        raise InvalidBits(f"bits {bits:#010x} encode a negative, zero or overflowing target")
    if compact.target > pow_limit:
        raise InvalidBits(f"bits {bits:#010x} are easier than the proof-of-work limit")
    return compact.target


def validate_proof_of_work(block_hash: bytes, bits: int, pow_limit: int) -> None:
    """Bitcoin's `CheckProofOfWork`. Raises InvalidBits or InvalidProofOfWork."""
    target = bits_to_target(bits, pow_limit)
    if int.from_bytes(block_hash, "little") > target:
        raise InvalidProofOfWork(f"hash {block_hash[::-1].hex()} is above target {target:064x}")


def target_work(target: int) -> int:
    """Expected hashes to meet `target`: 2^256 / (target + 1), as `GetBlockProof` computes it."""
    return WORK_NUMERATOR // (target + 1)


def bits_work(bits: int) -> int:
    """Work of a block with these `bits` (0 for an invalid encoding, as Bitcoin Core does)."""
    compact = decode_bits(bits)
    if compact.negative or compact.overflow or compact.target == 0:
        return 0
    return target_work(compact.target)


def difficulty(bits: int, pow_limit: int) -> float:
    """How many times harder than the limit a target is (Bitcoin's 'difficulty' for display)."""
    target = decode_bits(bits).target
    return pow_limit / target if target else float("inf")


def calculate_next_bits(last_bits: int, first_time: int, last_time: int, target_timespan: int, pow_limit: int) -> int:
    """`CalculateNextWorkRequired`: scale the last target by actual / intended timespan.

    `first_time` is the time of the first block of the period ending at the block with
    `last_time` (Bitcoin's off-by-one: that is `interval - 1` spacings). The actual
    timespan is clamped to [timespan / 4, timespan * 4] so one period moves difficulty at
    most 4x either way, and the result never gets easier than `pow_limit`.
    """
    actual = last_time - first_time
    actual = max(actual, target_timespan // RETARGET_CLAMP)
    actual = min(actual, target_timespan * RETARGET_CLAMP)
    target = decode_bits(last_bits).target * actual // target_timespan
    target = min(target, pow_limit)
    return target_to_bits(target)
