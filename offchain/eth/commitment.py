"""The TrainingMarket's commit-reveal seals, computed off-chain.

- `commitment`: the contract's `commitmentOf`, `keccak256(abi.encode(jobId, worker,
  modelHash, scoreBps, salt))`. Binding the job id and the worker's address stops a copier
  from reusing someone else's commitment (it would not match under the copier's address).
- `evaluation_seal`: `evaluationSealOf`, `keccak256(abi.encode(evaluationSet, salt))`, sent
  at post; the requester reveals (set hash, salt) once commits close.
- `attestation_seal`: `attestationSealOf`, `keccak256(abi.encode(jobId, validator,
  uint16[] scores, salt))`: a committee member's scores for every submission, in commit order.
- `vote_seal`: Appeals' vote seal, `keccak256(abi.encode(jobId, voter, uint64 vote, salt))`.

These are the same bytes as the contract's (tests/contracts/market proves it).
"""

from __future__ import annotations

import secrets

from eth_abi import encode
from eth_utils import keccak

from offchain.eth.errors import InvalidInputError
from offchain.eth.values import parse_address, parse_hash32, validate_bps

COMMITMENT_TYPES = ["uint256", "address", "bytes32", "uint16", "bytes32"]


def commitment(job_id: int, worker: str, model_hash: bytes | str, score_bps: int, salt: bytes | str) -> bytes:
    """keccak256(abi.encode(job_id, worker, model_hash, score_bps, salt)), 32 bytes.

    Hashes may be given as 32 raw bytes or as hex text; raises InvalidInputError for a
    malformed address, hash or score.
    """
    validate_bps(score_bps, "claimed score")
    return bytes(
        keccak(
            encode(
                COMMITMENT_TYPES,
                [
                    job_id,
                    parse_address(worker, "worker"),
                    _hash32(model_hash, "model hash"),
                    score_bps,
                    _hash32(salt, "salt"),
                ],
            )
        )
    )


def new_salt() -> bytes:
    """A fresh random 32-byte salt; save it durably before committing."""
    return secrets.token_bytes(32)


def _hash32(value: bytes | str, what: str) -> bytes:
    if isinstance(value, str):
        return parse_hash32(value, what)
    if len(value) != 32:
        raise InvalidInputError(f"{what} must be 32 bytes, got {len(value)}")
    return bytes(value)


def evaluation_seal(evaluation_set: bytes | str, salt: bytes | str) -> bytes:
    """keccak256(abi.encode(evaluation_set, salt)): what postJob takes instead of the set's hash."""
    return bytes(
        keccak(encode(["bytes32", "bytes32"], [_hash32(evaluation_set, "evaluation set"), _hash32(salt, "salt")]))
    )


def attestation_seal(job_id: int, validator: str, scores: list[int], salt: bytes | str) -> bytes:
    """keccak256(abi.encode(job_id, validator, scores, salt)): a committee member's sealed scores."""
    for score in scores:
        validate_bps(score, "attested score")
    return bytes(
        keccak(
            encode(
                ["uint256", "address", "uint16[]", "bytes32"],
                [job_id, parse_address(validator, "validator"), list(scores), _hash32(salt, "salt")],
            )
        )
    )


def vote_seal(job_id: int, voter: str, vote: int, salt: bytes | str) -> bytes:
    """keccak256(abi.encode(job_id, voter, uint64 vote, salt)): an appeal vote (Appeals'
    commitVote); bit i of `vote`: submission i over-claims, bit 16 + i: the committee's verified
    score of submission i overstates it, bit 32 (Appeals.UNSERVED): the opened evaluation set
    could not be fetched or does not match its seal."""
    if not 0 <= vote < 1 << 33:
        raise InvalidInputError(f"a vote is two 16-bit bitmaps of submissions and the unserved bit, got {vote}")
    return bytes(
        keccak(
            encode(
                ["uint256", "address", "uint64", "bytes32"],
                [job_id, parse_address(voter, "voter"), vote, _hash32(salt, "salt")],
            )
        )
    )
