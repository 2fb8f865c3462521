"""Seal and open a weights file: round trip, wrong keys, tampering, what an observer sees."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from offchain.sealed.errors import MalformedSealError, TamperedError, WrongKeyError
from offchain.sealed.evidence import first_bad_chunk
from offchain.sealed.keys import key_commitment, new_key
from offchain.sealed.seal import Sealed, SealHeader, open_sealed, pack, seal_bytes, seal_file, unpack

MODEL_HASH = bytes.fromhex("11" * 32)


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    """A small safetensors file with the runs real weights have (zeros, ones, random floats)."""
    rng = np.random.default_rng(3)
    path = tmp_path / "model.safetensors"
    tensors = {
        "conv.weight": rng.standard_normal((16, 3, 3, 3)).astype(np.float32),
        "bn.running_var": np.ones(512, dtype=np.float32),
        "bn.bias": np.zeros(700, dtype=np.float32),
        "fc.weight": rng.standard_normal((10, 64)).astype(np.float32),
    }
    save_file(tensors, str(path))
    return path


def test_a_sealed_file_opens_to_its_bytes(weights: Path) -> None:
    key = new_key()

    sealed = seal_file(weights, key, MODEL_HASH)

    assert open_sealed(sealed.header, sealed.artifact(), key) == weights.read_bytes()
    assert sealed.header.key_commitment == key_commitment(key)
    assert sealed.header.size == weights.stat().st_size


def test_a_wrong_key_does_not_open_it(weights: Path) -> None:
    sealed = seal_file(weights, new_key(), MODEL_HASH)

    with pytest.raises(WrongKeyError):
        open_sealed(sealed.header, sealed.artifact(), new_key())


def test_tampered_ciphertext_is_caught_by_the_ciphertext_root(weights: Path) -> None:
    key = new_key()
    sealed = seal_file(weights, key, MODEL_HASH)
    artifact = bytearray(sealed.artifact())
    artifact[-100] ^= 1

    with pytest.raises(TamperedError, match="ciphertext root"):
        open_sealed(sealed.header, bytes(artifact), key)


def test_tampered_plaintext_leaves_are_caught_by_the_plaintext_root(weights: Path) -> None:
    key = new_key()
    sealed = seal_file(weights, key, MODEL_HASH)
    leaves = list(sealed.plain_leaves)
    leaves[1] = os.urandom(32)

    with pytest.raises(TamperedError, match="plaintext root"):
        open_sealed(sealed.header, pack(sealed.ciphertext, leaves), key)


def test_a_seal_whose_roots_disagree_is_caught_and_the_chunk_named(weights: Path) -> None:
    # A cheating worker: the ciphertext of other weights under the committed key, with the
    # honest plaintext tree (so both roots hash correctly but do not belong together).
    key = new_key()
    honest = seal_file(weights, key, MODEL_HASH)
    other = bytearray(weights.read_bytes())
    other[3000] ^= 0xFF
    forged_cipher = seal_bytes(bytes(other), key, MODEL_HASH)
    header = SealHeader(
        MODEL_HASH, forged_cipher.header.cipher_root, honest.header.plain_root, key_commitment(key), len(other)
    )
    artifact = Sealed(header, forged_cipher.ciphertext, honest.plain_leaves).artifact()

    with pytest.raises(TamperedError, match="chunk 2 "):
        open_sealed(header, artifact, key)
    evidence = first_bad_chunk(header, artifact, key)
    assert evidence is not None and evidence.index == 2


def test_an_honest_seal_offers_no_evidence(weights: Path) -> None:
    key = new_key()
    sealed = seal_file(weights, key, MODEL_HASH)

    assert first_bad_chunk(sealed.header, sealed.artifact(), key) is None


def test_no_64_byte_window_of_the_weights_appears_in_the_served_artifact(weights: Path) -> None:
    plaintext = weights.read_bytes()
    artifact = seal_file(weights, new_key(), MODEL_HASH).artifact()

    windows = {plaintext[i : i + 64] for i in range(len(plaintext) - 63)}
    assert not any(artifact[i : i + 64] in windows for i in range(len(artifact) - 63))


def test_the_artifact_round_trips_and_refuses_truncation(weights: Path) -> None:
    sealed = seal_file(weights, new_key(), MODEL_HASH)

    assert unpack(sealed.artifact()) == (sealed.ciphertext, sealed.plain_leaves)
    with pytest.raises(MalformedSealError):
        unpack(sealed.artifact()[:-1])
    with pytest.raises(MalformedSealError):
        unpack(b"NOTSEALD" + sealed.artifact()[8:])


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(MalformedSealError):
        seal_bytes(b"", new_key(), MODEL_HASH)
