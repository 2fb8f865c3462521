"""Sealed submissions in the roles (issue 26): the worker seals its weights after training
under a fresh key written durably first, and a committee member opens its envelope and the
artifact. Shared by worker and validator, as weights.py is; the chain calls are
ExchangeClient's (offchain/eth/exchange.py), the bytes offchain.sealed's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from offchain.eth.exchange import Envelopes
from offchain.sealed.curve import KeyPair, N, base_mul, new_key_pair, open_envelope, shared_point
from offchain.sealed.errors import SealedError
from offchain.sealed.keys import KEY_BYTES, key_commitment, new_key
from offchain.sealed.seal import SealHeader, open_sealed, seal_file

KEY_FILE = "seal.key"  # the submission's key, beside its weights: written before anything uses it
ARTIFACT_FILE = "model.sealed"  # what the worker serves instead of its weights


@dataclass(frozen=True)
class SealedWeights:
    key: bytes
    header: SealHeader  # what publishSeal puts on chain
    artifact: Path


def seal_weights(weights: Path, model_hash: bytes, folder: Path) -> SealedWeights:
    """Seal `weights` (model hash `model_hash`) into `folder`'s artifact, under the key in
    `folder`/seal.key. The key is drawn and made durable (fsync, mode 0600) the first time
    only, before the seal exists: a worker killed after publishing its seal seals again to the
    same seal, and can still post envelopes and deliver the key (money depends on it)."""
    key = _durable_key(folder / KEY_FILE)
    sealed = seal_file(weights, key, model_hash)
    artifact = folder / ARTIFACT_FILE
    write_durably(artifact, sealed.artifact(), mode=0o644)
    return SealedWeights(key, sealed.header, artifact)


def submission_key(folder: Path) -> bytes:
    """The key `seal_weights` drew for the submission sealed in `folder` (never drawn here: a
    published seal commits to it, and another key would open nothing)."""
    path = folder / KEY_FILE
    if not path.exists():
        raise SealedError(f"{path} is missing: the submission's key is lost")
    return _durable_key(path)


def seal_folder(job_dir: Path, model_hash: bytes) -> Path:
    """Where the submission of `model_hash` is sealed: one folder, so one key, per model. A
    retrained model (a crash before its hash was journalled) gets a fresh key: one keystream
    over two plaintexts would give away their XOR."""
    return job_dir / f"sealed-{model_hash.hex()[:16]}"


def header_to_json(header: SealHeader) -> dict[str, str]:
    """`header` as the worker's journal keeps it (hex strings)."""
    return {
        "model_hash": header.model_hash.hex(),
        "cipher_root": header.cipher_root.hex(),
        "plain_root": header.plain_root.hex(),
        "key_commitment": header.key_commitment.hex(),
        "size": str(header.size),
    }


def header_from_json(stored: dict[str, str]) -> SealHeader:
    return SealHeader(
        model_hash=bytes.fromhex(stored["model_hash"]),
        cipher_root=bytes.fromhex(stored["cipher_root"]),
        plain_root=bytes.fromhex(stored["plain_root"]),
        key_commitment=bytes.fromhex(stored["key_commitment"]),
        size=int(stored["size"]),
    )


@dataclass(frozen=True)
class Opening:
    """What a committee member found in a sealed submission."""

    weights: bytes | None  # the weights file, when the envelope and the artifact opened
    bad_envelope: bool  # the envelope holds another key than the committed one: provable
    reason: str  # why it did not open ("" when it did)


def open_submission(header: SealHeader, envelopes: Envelopes, seat: int, member: KeyPair, artifact: bytes) -> Opening:
    """Open the envelope at `seat` with `member`'s encryption key and the artifact with it.

    A key that is not the committed one is the worker's provable fault (the member proves it:
    ExchangeClient.prove_bad_envelope, and is then not slashed for attesting nothing); an
    artifact the committed key does not open is the worker's failure to deliver what it
    claims, which the member attests as 0 (docs/market.md, "Sealed submissions", step 4)."""
    key = open_envelope(envelopes.envelopes[seat], shared_point(member.secret, envelopes.point))
    if key_commitment(key) != header.key_commitment:
        return Opening(None, True, "the envelope does not hold the committed key")
    try:
        return Opening(open_sealed(header, artifact, key), False, "")
    except SealedError as exc:
        return Opening(None, False, str(exc))


def member_key(path: Path) -> KeyPair:
    """A committee member's encryption key pair, its secret at `path` (drawn and made durable
    the first time): every envelope ever sent to the member opens with it, and the chain keeps
    its public key once (registerEncryptionKey), so losing it loses every sealed job it sits on."""
    if path.exists():
        secret = int.from_bytes(path.read_bytes(), "big")
        if not 0 < secret < N:
            raise SealedError(f"{path} holds no secp256k1 secret")
        return KeyPair(secret, base_mul(secret))
    pair = new_key_pair()
    write_durably(path, pair.secret.to_bytes(32, "big"), mode=0o600)
    return pair


def _durable_key(path: Path) -> bytes:
    if path.exists():
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise SealedError(f"{path} holds {len(key)} bytes, not a {KEY_BYTES}-byte key")
        return key
    key = new_key()
    write_durably(path, key, mode=0o600)
    return key


def write_durably(path: Path, data: bytes, mode: int) -> None:
    """`data` at `path`, fsynced, replaced atomically (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
