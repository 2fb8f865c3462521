"""The keystream cipher against a naive reference, and what ciphertext must not contain."""

from __future__ import annotations

import os
import random

from eth_utils import keccak

from offchain.sealed.cipher import CHUNK_BYTES, chunk_count, xor_chunk, xor_stream


def reference_encrypt(key: bytes, data: bytes) -> bytes:
    """The cipher as docs/market.md states it, byte by byte: byte b of the file is XORed with
    byte b % 32 of keccak256(key || uint256(b // 32)), with eth_utils' keccak."""
    return bytes(x ^ keccak(key + (b // 32).to_bytes(32, "big"))[b % 32] for b, x in enumerate(data))


def test_the_cipher_matches_the_reference_on_every_length_around_a_chunk() -> None:
    key = os.urandom(32)
    for size in (1, 31, 32, 33, 1023, 1024, 1025, 2047, 2048, 3000):
        data = os.urandom(size)
        assert xor_stream(key, data) == reference_encrypt(key, data), size


def test_one_chunk_encrypts_as_it_does_inside_the_whole_file() -> None:
    key, data = os.urandom(32), os.urandom(3 * CHUNK_BYTES + 100)
    whole = xor_stream(key, data)
    for i in range(chunk_count(len(data))):
        chunk = data[i * CHUNK_BYTES : (i + 1) * CHUNK_BYTES]
        assert xor_chunk(key, i, chunk) == whole[i * CHUNK_BYTES : (i + 1) * CHUNK_BYTES], i


def test_the_cipher_is_its_own_inverse() -> None:
    key, data = os.urandom(32), os.urandom(5000)
    assert xor_stream(key, xor_stream(key, data)) == data


def test_a_wrong_key_gives_other_bytes() -> None:
    data = os.urandom(2048)
    assert xor_stream(os.urandom(32), xor_stream(os.urandom(32), data)) != data


def test_chunk_count_rounds_up() -> None:
    assert [chunk_count(s) for s in (0, 1, 1024, 1025, 4096)] == [0, 1, 1, 2, 4]


def test_no_64_byte_window_of_the_plaintext_survives_in_the_ciphertext() -> None:
    # Weights-like plaintext with long runs (zeros, repeated floats) is the hard case for a
    # cipher that reused pads: every counter differs, so no run survives.
    rng = random.Random(7)
    data = bytes(4096) + bytes(rng.getrandbits(8) for _ in range(4096)) + b"\x00\x00\x80\x3f" * 1024
    ciphertext = xor_stream(os.urandom(32), data)
    windows = {data[i : i + 64] for i in range(len(data) - 63)}
    assert not any(ciphertext[i : i + 64] in windows for i in range(len(ciphertext) - 63))
