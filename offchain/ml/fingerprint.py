"""A model's identity: a canonical hash over its tensors, never over a file's bytes.

    fingerprint_state_dict(model.state_dict()).hex()    # 32 bytes
    fingerprint_dir("runs/digits")                      # runs/digits/model.safetensors
    offchain fingerprint runs/digits/model.safetensors

`torch.save` output is not byte-stable, and the same tensors may travel as .pt or as
safetensors, so the hash is defined on the tensors themselves:

1. Each tensor is one leaf. Its bytes are
   u32 len(name) || name (UTF-8) || u32 len(dtype) || dtype (e.g. "float32") ||
   u32 ndim || u64 dim for each dim || the elements in C order, little-endian.
   (Big-endian integers for the header; element bytes are as stored on every machine
   PyTorch supports, which are all little-endian.)
2. Leaves are ordered by name (Python string order, i.e. by Unicode code point).
3. The root is the RFC 6962 Merkle tree hash over the leaves with SHA-256: a leaf hash is
   SHA256(0x00 || leaf), a node is SHA256(0x01 || left || right), the tree splits at the
   largest power of two below n, and the empty tree hashes to SHA256(""). The prefixes keep
   a leaf from posing as a node (the 64-byte-leaf attack of OpenZeppelin's MerkleProof
   warning), and no hash is ever duplicated (no CVE-2012-2459 twin trees).
4. The fingerprint is SHA256(DOMAIN_TAG || u64 number of leaves || Merkle root): the tag names
   this format and its version, so no other hash in the project (a data set's, a block's) can
   pose as a model fingerprint, and a later format gets another tag.

A single tensor can be proven to belong to a model with `inclusion_proof` / `verify_inclusion`
against the Merkle root, then `tagged_root(root, n)`. The byte-level spec, with the dtype
table, is docs/fingerprint.md; tests/offchain/ml/test_fingerprint_spec.py implements it again
from that document with hashlib and the safetensors file format only.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from offchain.ml.errors import WeightsError

if TYPE_CHECKING:
    import torch

DOMAIN_TAG = b"offchain-model-fingerprint/v1\x00"
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
WEIGHTS_FILE = "model.safetensors"
WEIGHT_SUFFIXES = (".safetensors", ".pt", ".pth")


def tensor_leaf_hash(name: str, tensor: torch.Tensor) -> bytes:
    """SHA256(0x00 || canonical bytes of one named tensor)."""
    import torch

    flat = tensor.detach().to("cpu").contiguous().reshape(-1)
    dtype = str(tensor.dtype).removeprefix("torch.").encode()
    name_bytes = name.encode()
    digest = hashlib.sha256(LEAF_PREFIX)
    digest.update(struct.pack(">I", len(name_bytes)) + name_bytes)
    digest.update(struct.pack(">I", len(dtype)) + dtype)
    digest.update(struct.pack(">I", tensor.dim()) + b"".join(struct.pack(">Q", d) for d in tensor.shape))
    # A uint8 view reinterprets any dtype (bfloat16 and bool included) without copying.
    digest.update(flat.view(torch.uint8).numpy().data)
    return digest.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def merkle_root(leaf_hashes: list[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash over already-hashed leaves."""
    if not leaf_hashes:
        return hashlib.sha256(b"").digest()
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    split = _largest_power_of_two_below(len(leaf_hashes))
    return node_hash(merkle_root(leaf_hashes[:split]), merkle_root(leaf_hashes[split:]))


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof(leaf_hashes: list[bytes], index: int) -> list[bytes]:
    """The audit path of leaf `index` (RFC 6962 section 2.1.1), from the leaf upwards."""
    if not 0 <= index < len(leaf_hashes):
        raise IndexError(f"leaf {index} out of range for {len(leaf_hashes)} leaves")
    if len(leaf_hashes) == 1:
        return []
    split = _largest_power_of_two_below(len(leaf_hashes))
    if index < split:
        return inclusion_proof(leaf_hashes[:split], index) + [merkle_root(leaf_hashes[split:])]
    return inclusion_proof(leaf_hashes[split:], index - split) + [merkle_root(leaf_hashes[:split])]


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """Check an audit path against a root (RFC 9162 section 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn, hash_ = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            hash_ = node_hash(sibling, hash_)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            hash_ = node_hash(hash_, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hash_ == root


def leaf_hashes(state_dict: Mapping[str, torch.Tensor]) -> list[tuple[str, bytes]]:
    """(name, leaf hash) for every tensor, in canonical (sorted-name) order."""
    return [(name, tensor_leaf_hash(name, state_dict[name])) for name in sorted(state_dict)]


def tagged_root(root: bytes, leaves: int) -> bytes:
    """SHA256(DOMAIN_TAG || u64 leaves || root): the fingerprint of a Merkle root over `leaves` tensors."""
    return hashlib.sha256(DOMAIN_TAG + struct.pack(">Q", leaves) + root).digest()


def fingerprint_state_dict(state_dict: Mapping[str, torch.Tensor]) -> bytes:
    """The 32-byte fingerprint of a set of named tensors."""
    leaves = [leaf for _, leaf in leaf_hashes(state_dict)]
    return tagged_root(merkle_root(leaves), len(leaves))


def load_tensors(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """Named tensors from .safetensors, a .pt/.pth state dict or checkpoint, or a model dir."""
    import torch

    path = Path(path)
    if path.is_dir():
        path = path / WEIGHTS_FILE
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except (SafetensorError, OSError, ValueError) as exc:
            raise WeightsError(f"corrupt safetensors file {path}: {exc}") from exc
    if path.suffix not in WEIGHT_SUFFIXES:
        raise WeightsError(f"unknown weights format {path.suffix!r}; choose from: {', '.join(WEIGHT_SUFFIXES)}")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch.load raises many types for damaged files
        raise WeightsError(f"corrupt weights file {path}: {exc}") from exc
    if isinstance(loaded, dict) and isinstance(loaded.get("model"), dict):
        loaded = loaded["model"]  # one of our checkpoints, or a torchvision reference one
    if not isinstance(loaded, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in loaded.items()
    ):
        raise WeightsError(f"{path} does not hold a state dict (a mapping of names to tensors)")
    return loaded


def fingerprint_file(path: str | os.PathLike[str]) -> bytes:
    """The fingerprint of the tensors in a weights file (any supported format) or model dir."""
    return fingerprint_state_dict(load_tensors(path))


def fingerprint_dir(path: str | os.PathLike[str]) -> bytes:
    """The fingerprint of a model folder's `model.safetensors`."""
    return fingerprint_file(Path(path) / WEIGHTS_FILE)
