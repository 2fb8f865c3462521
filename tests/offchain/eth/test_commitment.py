"""offchain.eth.commitment: the known answer below was produced by the contract's
commitmentOf (tests/contracts/market/test_views.py proves the two agree on chain)."""

import pytest
from eth_abi import encode
from eth_utils import keccak

from offchain.eth.commitment import commitment, new_salt, vote_seal
from offchain.eth.errors import InvalidInputError

WORKER = "0x" + "11" * 20


def test_commitment_is_keccak_of_the_abi_encoding() -> None:
    model, salt = b"\x01" * 32, b"\x02" * 32
    expected = keccak(encode(["uint256", "address", "bytes32", "uint16", "bytes32"], [3, WORKER, model, 7000, salt]))
    assert commitment(3, WORKER, model, 7000, salt) == expected


def test_hex_and_bytes_hashes_agree() -> None:
    assert commitment(1, WORKER, "0x" + "01" * 32, 1, "02" * 32) == commitment(1, WORKER, b"\x01" * 32, 1, b"\x02" * 32)


def test_the_commitment_binds_the_worker() -> None:
    assert commitment(1, WORKER, b"\x01" * 32, 1, b"\x02" * 32) != commitment(
        1, "0x" + "22" * 20, b"\x01" * 32, 1, b"\x02" * 32
    )


@pytest.mark.parametrize("bad", [dict(score_bps=10_001), dict(worker="0x12"), dict(salt=b"short")])
def test_malformed_inputs_are_rejected(bad: dict) -> None:
    args = dict(job_id=1, worker=WORKER, model_hash=b"\x01" * 32, score_bps=1, salt=b"\x02" * 32) | bad
    with pytest.raises(InvalidInputError):
        commitment(**args)


def test_salts_are_fresh_32_bytes() -> None:
    assert len(new_salt()) == 32 and new_salt() != new_salt()


def test_the_evaluation_seal_is_keccak_of_the_set_and_salt() -> None:
    from offchain.eth.commitment import evaluation_seal

    assert evaluation_seal(b"\x03" * 32, b"\x04" * 32) == keccak(
        encode(["bytes32", "bytes32"], [b"\x03" * 32, b"\x04" * 32])
    )


def test_the_attestation_seal_binds_job_validator_and_scores() -> None:
    from offchain.eth.commitment import attestation_seal

    salt = b"\x05" * 32
    expected = keccak(encode(["uint256", "address", "uint16[]", "bytes32"], [3, WORKER, [7000, 0], salt]))
    assert attestation_seal(3, WORKER, [7000, 0], salt) == expected
    assert attestation_seal(4, WORKER, [7000, 0], salt) != expected
    with pytest.raises(InvalidInputError):
        attestation_seal(3, WORKER, [10_001], salt)


def test_a_vote_seal_takes_the_unserved_bit_and_refuses_bits_past_it() -> None:
    # Appeals.revealVote's vote is a uint64 whose bit 32 is UNSERVED (the set was not served);
    # abi.encode pads it like the uint32 it was, so earlier seals are unchanged.
    salt = b"\x02" * 32
    expected = keccak(encode(["uint256", "address", "uint64", "bytes32"], [3, WORKER, 1 << 32, salt]))
    assert vote_seal(3, WORKER, 1 << 32, salt) == expected
    assert vote_seal(3, WORKER, 5, salt) == keccak(
        encode(["uint256", "address", "uint32", "bytes32"], [3, WORKER, 5, salt])
    )
    with pytest.raises(InvalidInputError):
        vote_seal(3, WORKER, 1 << 33, salt)
