"""Real Bitcoin headers: the genesis run validates; every single-bit flip is rejected."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from offchain.ledger.block import BlockHeader
from offchain.ledger.errors import BadLink, InvalidHeader, TimeTooOld, ValidationError
from offchain.ledger.genesis import devnet_genesis, find_devnet_genesis_nonce, genesis_block
from offchain.ledger.headers import verify_header_run
from offchain.ledger.params import BITCOIN, DEVNET
from offchain.ledger.pow import bits_work


def run(vectors: dict[str, Any]) -> list[BlockHeader]:
    return [BlockHeader.from_hex(h["hex"]) for h in vectors["headers"]]


def test_bitcoin_headers_hash_to_their_known_hashes(bitcoin_vectors: dict[str, Any]) -> None:
    for case in bitcoin_vectors["headers"]:
        header = BlockHeader.from_hex(case["hex"])
        assert header.hash_hex == case["hash"]
        assert header.serialize().hex() == case["hex"]
    assert bitcoin_vectors["headers"][0]["hash"] == BITCOIN.genesis_hash_hex


def test_the_bitcoin_genesis_run_is_accepted(bitcoin_vectors: dict[str, Any]) -> None:
    report = verify_header_run(BITCOIN, run(bitcoin_vectors), start_height=0)

    assert report.height == 5
    assert report.tip.hash_hex == bitcoin_vectors["headers"][5]["hash"]
    assert report.work == 6 * bits_work(0x1D00FFFF)


def test_every_single_bit_flip_of_a_valid_header_is_rejected(
    bitcoin_vectors: dict[str, Any],
) -> None:
    headers = run(bitcoin_vectors)[:2]
    raw = headers[1].serialize()
    for bit in range(len(raw) * 8):
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(InvalidHeader):
            verify_header_run(BITCOIN, [headers[0], BlockHeader.from_bytes(bytes(flipped))], 0)


def test_a_header_with_a_time_at_the_median_is_rejected_as_too_old(
    bitcoin_vectors: dict[str, Any],
) -> None:
    headers = run(bitcoin_vectors)
    early = replace(headers[2], time=headers[0].time)

    with pytest.raises((TimeTooOld, InvalidHeader)):
        verify_header_run(BITCOIN, [headers[0], headers[1], early], 0)


def test_a_run_not_starting_at_genesis_is_named_by_line(bitcoin_vectors: dict[str, Any]) -> None:
    headers = run(bitcoin_vectors)

    with pytest.raises(BadLink, match="header 2 .height 4."):
        verify_header_run(BITCOIN, [headers[3], headers[5]], start_height=3)


def test_a_mid_chain_run_is_accepted_from_its_start_height(
    bitcoin_vectors: dict[str, Any],
) -> None:
    assert verify_header_run(BITCOIN, run(bitcoin_vectors)[2:], start_height=2).height == 5


def test_the_devnet_genesis_rebuilds_from_its_constants() -> None:
    block = genesis_block(DEVNET)

    assert block == devnet_genesis(DEVNET)
    assert block.header.hash_hex == DEVNET.genesis_hash_hex
    assert find_devnet_genesis_nonce(DEVNET) == block.header.nonce


def test_validation_errors_share_one_root() -> None:
    assert issubclass(InvalidHeader, ValidationError)
