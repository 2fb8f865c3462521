"""The commit-reveal commitment of the TrainingMarket, computed off-chain.

The contract's `commitmentOf` is `keccak256(abi.encode(jobId, worker, modelHash,
scoreBps, salt))`; this is the same bytes, and tests/contracts/market proves it. Binding
the job id and the worker's address stops a copier from reusing someone else's
commitment (it would not match under the copier's address).
"""

from __future__ import annotations

import secrets

from eth_abi import encode
from eth_utils import keccak

from offchain.eth.errors import InvalidInputError
from offchain.eth.values import parse_address, parse_hash32, validate_bps

COMMITMENT_TYPES = ["uint256", "address", "bytes32", "uint16", "bytes32"]


def commitment(
    job_id: int, worker: str, model_hash: bytes | str, score_bps: int, salt: bytes | str
) -> bytes:
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
