"""Seal and open a weights file; the layout of the artifact a worker serves.

The served artifact (content-addressed like every other) is

    b"SEALED\\x00\\x01" || uint64 size (big-endian) || n plaintext leaves (32 bytes each) || ciphertext

with n = ceil(size / 1,024). It holds nothing but ciphertext and salted hashes: no window of
the weights appears in it. The header (model hash, the two roots, the key commitment, size)
goes on chain; opening checks every byte of the artifact against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from offchain.sealed import merkle
from offchain.sealed.cipher import chunk_count, chunks, xor_stream
from offchain.sealed.errors import MalformedSealError, TamperedError, WrongKeyError
from offchain.sealed.keys import key_commitment

MAGIC = b"SEALED\x00\x01"
SIZE_BYTES = 8


@dataclass(frozen=True)
class SealHeader:
    """What the chain holds of a sealed submission (SealedExchange's Seal struct)."""

    model_hash: bytes  # the tensor fingerprint (offchain.ml.fingerprint), 32 bytes
    cipher_root: bytes
    plain_root: bytes
    key_commitment: bytes
    size: int  # plaintext bytes = ciphertext bytes

    def as_args(self) -> tuple[bytes, bytes, bytes, bytes, int]:
        return (self.model_hash, self.cipher_root, self.plain_root, self.key_commitment, self.size)


@dataclass(frozen=True)
class Sealed:
    header: SealHeader
    ciphertext: bytes
    plain_leaves: list[bytes]

    def artifact(self) -> bytes:
        return pack(self.ciphertext, self.plain_leaves)


def seal_bytes(plaintext: bytes, key: bytes, model_hash: bytes) -> Sealed:
    """`plaintext` encrypted under `key`, with both trees and the header."""
    if not plaintext:
        raise MalformedSealError("an empty file cannot be sealed")
    ciphertext = xor_stream(key, plaintext)
    plain_leaves = [merkle.plain_leaf(key, i, chunk) for i, chunk in enumerate(chunks(plaintext))]
    cipher_root = merkle.root([merkle.cipher_leaf(chunk) for chunk in chunks(ciphertext)])
    header = SealHeader(model_hash, cipher_root, merkle.root(plain_leaves), key_commitment(key), len(plaintext))
    return Sealed(header, ciphertext, plain_leaves)


def seal_file(path: str | Path, key: bytes, model_hash: bytes) -> Sealed:
    return seal_bytes(Path(path).read_bytes(), key, model_hash)


def pack(ciphertext: bytes, plain_leaves: list[bytes]) -> bytes:
    return MAGIC + len(ciphertext).to_bytes(SIZE_BYTES, "big") + b"".join(plain_leaves) + ciphertext


def unpack(artifact: bytes) -> tuple[bytes, list[bytes]]:
    """(ciphertext, plaintext leaves) of a served artifact."""
    head = len(MAGIC) + SIZE_BYTES
    if artifact[: len(MAGIC)] != MAGIC or len(artifact) < head:
        raise MalformedSealError("not a sealed artifact (magic)")
    size = int.from_bytes(artifact[len(MAGIC) : head], "big")
    n = chunk_count(size)
    if len(artifact) != head + 32 * n + size:
        raise MalformedSealError(
            f"a sealed artifact of {size} bytes is {head + 32 * n + size} long, not {len(artifact)}"
        )
    leaves = [artifact[head + 32 * i : head + 32 * (i + 1)] for i in range(n)]
    return artifact[head + 32 * n :], leaves


def verify_artifact(header: SealHeader, artifact: bytes) -> tuple[bytes, list[bytes]]:
    """The artifact's parts, once they hash to the header's roots (no key needed)."""
    ciphertext, leaves = unpack(artifact)
    if len(ciphertext) != header.size:
        raise TamperedError(f"ciphertext is {len(ciphertext)} bytes, the seal says {header.size}")
    if merkle.root([merkle.cipher_leaf(chunk) for chunk in chunks(ciphertext)]) != header.cipher_root:
        raise TamperedError("ciphertext does not hash to the committed ciphertext root")
    if merkle.root(leaves) != header.plain_root:
        raise TamperedError("plaintext leaves do not hash to the committed plaintext root")
    return ciphertext, leaves


def open_sealed(header: SealHeader, artifact: bytes, key: bytes) -> bytes:
    """The plaintext, checked chunk by chunk against the committed plaintext leaves.

    Raises WrongKeyError for a key that is not the committed one, TamperedError when any byte
    of the artifact, or of the plaintext it opens to, differs from what the header commits."""
    if key_commitment(key) != header.key_commitment:
        raise WrongKeyError("the key does not match the seal's key commitment")
    ciphertext, leaves = verify_artifact(header, artifact)
    plaintext = xor_stream(key, ciphertext)
    for i, chunk in enumerate(chunks(plaintext)):
        if merkle.plain_leaf(key, i, chunk) != leaves[i]:
            raise TamperedError(f"chunk {i} does not open to its committed plaintext leaf")
    return plaintext
