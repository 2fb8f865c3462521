"""A requester's evidence that the committed key does not open one chunk to its committed leaf
(SealedExchange.disputeChunk's arguments), found by opening the artifact chunk by chunk."""

from __future__ import annotations

from dataclasses import dataclass

from offchain.sealed import merkle
from offchain.sealed.cipher import chunks, xor_chunk
from offchain.sealed.seal import SealHeader, verify_artifact


@dataclass(frozen=True)
class ChunkEvidence:
    index: int
    cipher_chunk: bytes
    cipher_branch: list[bytes]
    plain_leaf: bytes  # the committed leaf at `index`, which the decrypted chunk does not hash to
    plain_branch: list[bytes]

    def as_args(self) -> tuple[int, bytes, list[bytes], bytes, list[bytes]]:
        return (self.index, self.cipher_chunk, self.cipher_branch, self.plain_leaf, self.plain_branch)


def evidence_at(header: SealHeader, artifact: bytes, index: int) -> ChunkEvidence:
    """Chunk `index` with its branch, and the committed plaintext leaf there with its branch."""
    ciphertext, leaves = verify_artifact(header, artifact)
    cipher_chunks = list(chunks(ciphertext))
    cipher_tree = merkle.levels([merkle.cipher_leaf(chunk) for chunk in cipher_chunks])
    plain_tree = merkle.levels(leaves)
    return ChunkEvidence(
        index, cipher_chunks[index], merkle.branch(cipher_tree, index), leaves[index], merkle.branch(plain_tree, index)
    )


def first_bad_chunk(header: SealHeader, artifact: bytes, key: bytes) -> ChunkEvidence | None:
    """Evidence for the first chunk that `key` does not open to its committed leaf, or None."""
    ciphertext, leaves = verify_artifact(header, artifact)
    for i, chunk in enumerate(chunks(ciphertext)):
        if merkle.plain_leaf(key, i, xor_chunk(key, i, chunk)) != leaves[i]:
            return evidence_at(header, artifact, i)
    return None
