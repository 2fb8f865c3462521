"""What SealedExchange stores, computed off-chain: each a keccak256 of an abi.encode.

seal        keccak256(abi.encode(modelHash, cipherRoot, plainRoot, keyCommitment, uint64 size))
envelopes   keccak256(abi.encode(W.x, W.y, address[] recipients, bytes32[] envelopes))
delivery    keccak256(abi.encode(address requesterKeyId, W.x, W.y, bytes32 envelope))
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_abi import encode

from offchain.sealed.curve import Point
from offchain.sealed.keccak import keccak
from offchain.sealed.seal import SealHeader


def seal_digest(header: SealHeader) -> bytes:
    return keccak(encode(["bytes32", "bytes32", "bytes32", "bytes32", "uint64"], list(header.as_args())))


def envelopes_digest(worker_point: Point, recipients: Sequence[str], envelopes: Sequence[bytes]) -> bytes:
    return keccak(
        encode(
            ["uint256", "uint256", "address[]", "bytes32[]"],
            [worker_point.x, worker_point.y, list(recipients), list(envelopes)],
        )
    )


def delivery_digest(requester_key_id: bytes, worker_point: Point, envelope: bytes) -> bytes:
    return keccak(
        encode(
            ["address", "uint256", "uint256", "bytes32"], [requester_key_id, worker_point.x, worker_point.y, envelope]
        )
    )
