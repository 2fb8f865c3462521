"""The roles' sealing (issue 26): the worker's key is durable before its seal exists and
survives a restart; a member opens its envelope and the artifact, or learns what to do."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from offchain.eth.exchange import Envelopes
from offchain.roles.sealing import ARTIFACT_FILE, KEY_FILE, open_submission, seal_weights
from offchain.sealed.curve import new_key_pair, seal_envelope, shared_point
from offchain.sealed.keys import new_key

MODEL_HASH = bytes([7]) * 32
WEIGHTS = os.urandom(5000)  # stands in for a safetensors file: sealing never parses it


def _weights(tmp_path: Path) -> Path:
    path = tmp_path / "model.safetensors"
    path.write_bytes(WEIGHTS)
    return path


def _envelopes(key: bytes, member_public, seats: int = 3, seat: int = 1) -> Envelopes:
    """Envelopes to `seats` seats, the member's at `seat` holding `key`, the others random."""
    w = new_key_pair()
    envelopes = [seal_envelope(new_key(), shared_point(w.secret, new_key_pair().public)) for _ in range(seats)]
    envelopes[seat] = seal_envelope(key, shared_point(w.secret, member_public))
    return Envelopes(w.public, ["0x" + "11" * 20] * seats, envelopes)


def test_the_key_is_durable_before_the_seal_and_a_restart_seals_the_same(tmp_path: Path) -> None:
    first = seal_weights(_weights(tmp_path), MODEL_HASH, tmp_path / "job")

    again = seal_weights(_weights(tmp_path), MODEL_HASH, tmp_path / "job")

    assert (tmp_path / "job" / KEY_FILE).read_bytes() == first.key
    assert stat.S_IMODE((tmp_path / "job" / KEY_FILE).stat().st_mode) == 0o600
    assert again.header == first.header
    assert first.artifact == tmp_path / "job" / ARTIFACT_FILE
    assert WEIGHTS[:64] not in first.artifact.read_bytes()


def test_a_member_opens_its_envelope_and_the_weights(tmp_path: Path) -> None:
    sealed = seal_weights(_weights(tmp_path), MODEL_HASH, tmp_path / "job")
    member = new_key_pair()

    opening = open_submission(
        sealed.header, _envelopes(sealed.key, member.public), 1, member, sealed.artifact.read_bytes()
    )

    assert (opening.weights, opening.bad_envelope) == (WEIGHTS, False)


def test_a_member_handed_another_key_is_told_to_prove_it(tmp_path: Path) -> None:
    sealed = seal_weights(_weights(tmp_path), MODEL_HASH, tmp_path / "job")
    member = new_key_pair()

    opening = open_submission(
        sealed.header, _envelopes(new_key(), member.public), 1, member, sealed.artifact.read_bytes()
    )

    assert (opening.weights, opening.bad_envelope) == (None, True)


def test_an_artifact_the_key_does_not_open_is_the_workers_failure_not_provable(tmp_path: Path) -> None:
    sealed = seal_weights(_weights(tmp_path), MODEL_HASH, tmp_path / "job")
    member = new_key_pair()
    artifact = bytearray(sealed.artifact.read_bytes())
    artifact[-1] ^= 1  # one byte of ciphertext

    opening = open_submission(sealed.header, _envelopes(sealed.key, member.public), 1, member, bytes(artifact))

    assert (opening.weights, opening.bad_envelope) == (None, False)
    assert "ciphertext" in opening.reason
