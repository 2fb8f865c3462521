"""docs/fingerprint.md implemented a second time, from the document: hashlib, struct, json, numpy.

It reads the safetensors file format itself (u64 little-endian header length, a JSON header of
dtype / shape / data_offsets, then the raw bytes) and never imports torch or offchain.ml's
hashing code, so a mistake in one implementation shows up as a disagreement.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import pytest

# The table of docs/fingerprint.md: safetensors code -> (hashed dtype name, bytes per element).
DTYPES = {
    "BOOL": ("bool", 1),
    "U8": ("uint8", 1),
    "I8": ("int8", 1),
    "I16": ("int16", 2),
    "U16": ("uint16", 2),
    "I32": ("int32", 4),
    "U32": ("uint32", 4),
    "I64": ("int64", 8),
    "U64": ("uint64", 8),
    "F16": ("float16", 2),
    "BF16": ("bfloat16", 2),
    "F32": ("float32", 4),
    "F64": ("float64", 8),
    "F8_E4M3": ("float8_e4m3fn", 1),
    "F8_E5M2": ("float8_e5m2", 1),
}
TAG = b"offchain-model-fingerprint/v1\x00"


def read_safetensors(path: Path) -> dict[str, tuple[str, list[int], bytes]]:
    raw = path.read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_len])
    body = raw[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype, size = DTYPES[info["dtype"]]
        assert end - start == size * int(np.prod(info["shape"], dtype=np.int64))
        tensors[name] = (dtype, list(info["shape"]), body[start:end])
    return tensors


def leaf_hash(name: str, dtype: str, shape: list[int], data: bytes) -> bytes:
    u32 = lambda x: struct.pack(">I", x)  # noqa: E731
    leaf = u32(len(name.encode())) + name.encode() + u32(len(dtype)) + dtype.encode() + u32(len(shape))
    leaf += b"".join(struct.pack(">Q", d) for d in shape) + data
    return hashlib.sha256(b"\x00" + leaf).digest()


def mth(hashes: list[bytes]) -> bytes:
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(hashes[:k]) + mth(hashes[k:])).digest()


def spec_fingerprint(path: Path) -> bytes:
    tensors = read_safetensors(path)
    leaves = [leaf_hash(name, *tensors[name]) for name in sorted(tensors)]
    return hashlib.sha256(TAG + struct.pack(">Q", len(leaves)) + mth(leaves)).digest()


def test_the_spec_and_the_code_agree_on_a_trained_model(trained_model: Path) -> None:
    from offchain.ml.fingerprint import fingerprint_dir

    assert spec_fingerprint(trained_model / "model.safetensors") == fingerprint_dir(trained_model)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "int64", "int8", "uint8", "bool"])
def test_the_spec_and_the_code_agree_on_every_dtype(tmp_path: Path, dtype: str) -> None:
    import torch
    from safetensors.torch import save_file

    from offchain.ml.fingerprint import fingerprint_file

    generator = torch.Generator().manual_seed(3)
    values = torch.randn(3, 2, 4, generator=generator) * 50
    state = {
        "w": values.to(getattr(torch, dtype)),
        "scalar": torch.tensor(7).to(getattr(torch, dtype)),
        "empty": torch.zeros(0, 3).to(getattr(torch, dtype)),
        "é": torch.ones(2).to(getattr(torch, dtype)),  # a non-ASCII name: UTF-8 length, code-point order
    }
    save_file(state, str(tmp_path / "m.safetensors"))

    assert spec_fingerprint(tmp_path / "m.safetensors") == fingerprint_file(tmp_path / "m.safetensors")
