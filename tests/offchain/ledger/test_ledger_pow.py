"""Compact bits, targets, work and retargeting against Bitcoin Core's own test vectors."""

from __future__ import annotations

from typing import Any

import pytest

from offchain.ledger.errors import InvalidBits, InvalidProofOfWork
from offchain.ledger.params import BITCOIN, DEVNET
from offchain.ledger.pow import (
    bits_to_target,
    bits_work,
    calculate_next_bits,
    decode_bits,
    target_to_bits,
    target_work,
    validate_proof_of_work,
)


def test_compact_bits_decode_and_encode_as_bitcoin_core(bitcoin_vectors: dict[str, Any]) -> None:
    for case in bitcoin_vectors["compact_bits"]:
        decoded = decode_bits(int(case["bits"], 16))

        assert decoded.negative == case["negative"], case
        assert decoded.overflow == case["overflow"], case
        if case["target"] is not None:
            assert decoded.target == int(case["target"], 16), case
            assert target_to_bits(decoded.target, decoded.negative) == int(case["compact"], 16)


def test_retargets_match_bitcoin_core_pow_tests(bitcoin_vectors: dict[str, Any]) -> None:
    for case in bitcoin_vectors["retargets"]:
        bits = calculate_next_bits(
            int(case["last_bits"], 16),
            case["first_time"],
            case["last_time"],
            BITCOIN.target_timespan,
            BITCOIN.pow_limit,
        )

        assert bits == int(case["expected"], 16), case["case"]


def test_retarget_is_clamped_to_four_times_either_way() -> None:
    span = DEVNET.target_timespan
    start = target_to_bits(DEVNET.pow_limit >> 8)

    harder = calculate_next_bits(start, 0, 0, span, DEVNET.pow_limit)
    easier = calculate_next_bits(start, 0, 10**9, span, DEVNET.pow_limit)

    assert decode_bits(start).target / decode_bits(harder).target == pytest.approx(4, rel=1e-4)
    assert decode_bits(easier).target / decode_bits(start).target == pytest.approx(4, rel=1e-4)


def test_retarget_never_goes_easier_than_the_limit() -> None:
    limit_bits = target_to_bits(DEVNET.pow_limit)

    assert calculate_next_bits(limit_bits, 0, 10**9, DEVNET.target_timespan, DEVNET.pow_limit) == (limit_bits)


def test_work_is_two_to_the_256_over_target_plus_one() -> None:
    assert target_work((1 << 256) - 1) == 1
    assert target_work(0) == 1 << 256
    # Bitcoin's genesis work is 0x100010001 (the chainwork shown for block 0).
    assert bits_work(0x1D00FFFF) == 0x100010001


@pytest.mark.parametrize("bits", [0x04923456, 0xFF123456, 0x00000000, 0x1E00FFFF])
def test_negative_zero_overflowing_or_too_easy_bits_are_rejected(bits: int) -> None:
    with pytest.raises(InvalidBits):
        bits_to_target(bits, BITCOIN.pow_limit)


def test_a_hash_above_the_target_is_rejected() -> None:
    with pytest.raises(InvalidProofOfWork):
        validate_proof_of_work(b"\xff" * 32, 0x1D00FFFF, BITCOIN.pow_limit)
