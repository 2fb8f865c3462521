"""The header and Merkle libraries against offchain/ledger/pow.py and merkle.py (the reference):
Bitcoin Core's compact-bits and retarget vectors, then random inputs under hypothesis."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from relay_helpers import h32

from offchain.ledger.merkle import branch_root, merkle_branch, merkle_root
from offchain.ledger.params import BITCOIN, DEVNET
from offchain.ledger.pow import calculate_next_bits, decode_bits, target_to_bits, target_work

LEDGER_VECTORS = Path(__file__).resolve().parents[2] / "offchain" / "ledger" / "data" / "bitcoin_vectors.json"


@pytest.fixture(scope="module")
def lib(LedgerLibProbe, admin):
    return LedgerLibProbe.deploy({"from": admin})


@pytest.fixture(scope="module")
def core_vectors():
    return json.loads(LEDGER_VECTORS.read_text())


def test_compact_bits_match_bitcoin_core_vectors(lib, core_vectors):
    for case in core_vectors["compact_bits"]:
        bits = int(case["bits"], 16)
        target, valid = lib.target(bits)
        decoded = decode_bits(bits)

        assert valid == (not case["negative"] and not case["overflow"] and decoded.target != 0)
        if case["target"] is not None:  # None: overflows 256 bits (the EVM keeps the low bits; invalid)
            assert target == decoded.target == int(case["target"], 16)
        if case["compact"] is not None and not case["negative"]:
            assert lib.compact(target) == int(case["compact"], 16)


def test_retargets_match_bitcoin_core_vectors(lib, core_vectors):
    for case in core_vectors["retargets"]:
        bits = lib.nextBits(
            int(case["last_bits"], 16),
            case["first_time"],
            case["last_time"],
            BITCOIN.target_timespan,
            BITCOIN.pow_limit,
        )

        assert bits == int(case["expected"], 16), case["case"]


@settings(max_examples=30)
@given(bits=st.integers(0, 2**32 - 1))
def test_any_bits_decode_as_the_ledger_decodes_them(lib, bits):
    target, valid = lib.target(bits)
    decoded = decode_bits(bits)

    assert target == decoded.target % 2**256  # the EVM drops what shifts past 256 bits; such bits are invalid
    assert valid == (not decoded.negative and not decoded.overflow and decoded.target != 0)
    if valid:
        assert lib.work(target) == target_work(target)
        assert lib.compact(target) == target_to_bits(target)


@settings(max_examples=30)
@given(
    target=st.integers(1, 2**247 - 1),
    first=st.integers(0, 2**32 - 1),
    last=st.integers(0, 2**32 - 1),
    chain=st.sampled_from([BITCOIN, DEVNET]),
)
def test_any_retarget_matches_the_ledger(lib, target, first, last, chain):
    bits = target_to_bits(min(target, chain.pow_limit))  # a stored header's bits: valid, within the limit
    expected = calculate_next_bits(bits, first, last, chain.target_timespan, chain.pow_limit)

    assert lib.nextBits(bits, first, last, chain.target_timespan, chain.pow_limit) == expected


@settings(max_examples=20)
@given(data=st.data(), size=st.integers(1, 40))
def test_merkle_branches_match_the_ledger(lib, data, size):
    leaves = [data.draw(st.binary(min_size=32, max_size=32)) for _ in range(size)]
    index = data.draw(st.integers(0, size - 1))
    branch = merkle_branch(leaves, index)
    wrong = data.draw(st.integers(0, 2 ** (len(branch) + 1)))

    root, in_tree = lib.merkleRoot(h32(leaves[index]), index, [h32(b) for b in branch])
    wrong_root, wrong_in_tree = lib.merkleRoot(h32(leaves[index]), wrong, [h32(b) for b in branch])

    assert (str(root), in_tree) == (h32(merkle_root(leaves)[0]), True)
    expected = branch_root(leaves[index], wrong, branch)
    assert wrong_in_tree == (expected is not None)
    if expected is not None:
        assert str(wrong_root) == h32(expected)
