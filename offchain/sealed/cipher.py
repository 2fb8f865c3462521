"""The keystream cipher: what the contract can recompute for one chunk.

A file of `size` bytes is cut into chunks of CHUNK_BYTES (1,024: 32 words), the last one
shorter when `size` is not a multiple. Word w of chunk i (bytes 32w..32w+31 of the chunk) is
XORed with

    keccak256(k || uint256(i * 32 + w))          (64 bytes in: the key, a big-endian counter)

and a last partial word with that pad's first bytes. Each (key, counter) pair is used once,
so the pads are independent pseudo-random words (keccak as a PRF, as FairSwap uses it); the
cipher is its own inverse. It gives confidentiality only: integrity comes from the Merkle
roots (merkle.py), never from the cipher.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from offchain.sealed.keccak import keyed

CHUNK_BYTES = 1024
WORD_BYTES = 32
WORDS_PER_CHUNK = CHUNK_BYTES // WORD_BYTES


def chunk_count(size: int) -> int:
    """Chunks of a file of `size` bytes (the last one may be short; an empty file has none)."""
    return -(-size // CHUNK_BYTES)


def chunks(data: bytes) -> Iterator[bytes]:
    """`data` cut into CHUNK_BYTES pieces, in order."""
    for start in range(0, len(data), CHUNK_BYTES):
        yield data[start : start + CHUNK_BYTES]


def keystream(key: bytes, first_word: int, words: int) -> bytes:
    """`words` pad words from counter `first_word` on: keccak256(key || uint256(counter)) each."""
    state = keyed(key)
    out = bytearray()
    for counter in range(first_word, first_word + words):
        word = state.copy()
        word.update(counter.to_bytes(32, "big"))
        out += word.digest()
    return bytes(out)


def xor_chunk(key: bytes, index: int, chunk: bytes) -> bytes:
    """Chunk `index` encrypted (or decrypted: the same operation)."""
    pad = keystream(key, index * WORDS_PER_CHUNK, -(-len(chunk) // WORD_BYTES))
    return _xor(chunk, pad[: len(chunk)])


def xor_stream(key: bytes, data: bytes) -> bytes:
    """The whole of `data` encrypted or decrypted, chunk after chunk (one keystream over it)."""
    pad = keystream(key, 0, -(-len(data) // WORD_BYTES))
    return _xor(data, pad[: len(data)])


def _xor(a: bytes, b: bytes) -> bytes:
    # numpy XORs a 45 MB model in milliseconds, where a Python loop would take seconds.
    return (np.frombuffer(a, dtype=np.uint8) ^ np.frombuffer(b, dtype=np.uint8)).tobytes()
